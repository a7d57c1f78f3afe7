package network

import (
	"context"
	"slices"
	"strings"

	"vigil/internal/store"
)

// exportPrefix starts the JID the export extractor gives a group chat:
// an "Export chat" text names the group by its subject only, never by
// its JID.
const exportPrefix = "export:"

// Folding exported group chats into the groups they are.
//
// A chat export names a group by its subject, never by its JID, so its
// chat row has a JID of its own ("export:<SHA-256 of the text>"). When
// the same group is also read from a device's database, it would count
// as two groups and every message seen in both twice. An export is
// folded into a database group when their messages say they are one
// chat: of the export's distinct messages (media by SHA-256, others by
// their text), at least half and at least minFoldShared (or all, when
// the export holds fewer) also appear in that group, and no other group
// shares as many. A subject alone never folds: two groups may share
// one. An export that meets no group stays a group of its own. Every
// fold is listed on the group (Group.Exports) so the reader sees what
// was joined and may check it.
const minFoldShared = 3

// foldExports runs after messages are loaded and before members are, so
// members of a folded export land in its group. It removes the folded
// conversations and renumbers the rest.
func (m *model) foldExports(ctx context.Context) error {
	isExport := make([]bool, len(m.convs))
	nExports := 0
	for cv, c := range m.convs {
		if !c.direct && c.kind == store.ChatGroup && strings.HasPrefix(m.chats[c.chat].jid, exportPrefix) {
			isExport[cv] = true
			nExports++
		}
	}
	if nExports == 0 {
		return nil
	}
	sig := func(o *obs) uint64 {
		if o.content >= 0 {
			return uint64(o.content) | 1<<63
		}
		return o.digest &^ (1 << 63)
	}
	// The export's distinct messages, then which database groups hold each.
	mine := map[int32]map[uint64]bool{}
	wanted := map[uint64]bool{}
	for i := range m.obs {
		o := &m.obs[i]
		if !isExport[o.conv] {
			continue
		}
		s := sig(o)
		if mine[o.conv] == nil {
			mine[o.conv] = map[uint64]bool{}
		}
		mine[o.conv][s] = true
		wanted[s] = true
	}
	holders := map[uint64][]int32{}
	for i := range m.obs {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		o := &m.obs[i]
		c := &m.convs[o.conv]
		if isExport[o.conv] || c.direct || c.kind != store.ChatGroup {
			continue
		}
		s := sig(o)
		if !wanted[s] {
			continue
		}
		if h := holders[s]; !slices.Contains(h, o.conv) {
			holders[s] = append(h, o.conv)
		}
	}
	into := make([]int32, len(m.convs))
	for i := range into {
		into[i] = int32(i)
	}
	folded := false
	for cv, sigs := range mine {
		shared := map[int32]int{}
		for s := range sigs {
			for _, g := range holders[s] {
				shared[g]++
			}
		}
		best, bestN, tie := int32(-1), 0, false
		for g, n := range shared {
			switch {
			case n > bestN:
				best, bestN, tie = g, n, false
			case n == bestN:
				tie = true
			}
		}
		need := max(min(minFoldShared, len(sigs)), (len(sigs)+1)/2)
		if best < 0 || tie || bestN < need {
			continue
		}
		into[cv] = best
		target := &m.chats[m.convs[best].chat]
		exp := &m.chats[m.convs[cv].chat]
		target.exports = append(target.exports, exp.jid)
		for _, d := range exp.devices {
			if !slices.Contains(target.devices, d) {
				target.devices = append(target.devices, d)
			}
		}
		if target.creator < 0 {
			target.creator = exp.creator
		}
		folded = true
	}
	if !folded {
		return nil
	}
	// Renumber: folded conversations go, the rest keep their order.
	renum := make([]int32, len(m.convs))
	kept := m.convs[:0:0]
	for cv, c := range m.convs {
		if into[cv] != int32(cv) {
			continue
		}
		renum[cv] = int32(len(kept))
		kept = append(kept, c)
	}
	for cv := range renum {
		if t := into[cv]; t != int32(cv) {
			renum[cv] = renum[t]
		}
	}
	m.convs = kept
	for i := range m.chats {
		if c := m.chats[i].conv; c >= 0 {
			m.chats[i].conv = renum[c]
		}
		slices.Sort(m.chats[i].exports)
	}
	for i := range m.obs {
		m.obs[i].conv = renum[m.obs[i].conv]
	}
	for k, cv := range m.pairConv {
		m.pairConv[k] = renum[cv]
	}
	for k, cv := range m.lonely {
		m.lonely[k] = renum[cv]
	}
	return nil
}
