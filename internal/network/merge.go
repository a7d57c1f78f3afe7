package network

import (
	"cmp"
	"context"
	"slices"
)

// message is one message, counted once however many sources recorded it.
type message struct {
	conv, sender, content int32
	t                     int64 // earliest dated observation, noTime when none is dated
	o0, n                 int32 // its observations: model.order[o0 : o0+n]
}

func cmpObs(a, b obs) int {
	if c := cmp.Compare(a.conv, b.conv); c != 0 {
		return c
	}
	if c := cmp.Compare(a.sender, b.sender); c != 0 {
		return c
	}
	if c := cmp.Compare(a.content, b.content); c != 0 {
		return c
	}
	if c := cmp.Compare(a.digest, b.digest); c != 0 {
		return c
	}
	if c := cmp.Compare(a.t, b.t); c != 0 {
		return c
	}
	if c := cmp.Compare(a.artifact, b.artifact); c != 0 {
		return c
	}
	if c := cmp.Compare(a.device, b.device); c != 0 {
		return c
	}
	return cmp.Compare(a.key, b.key)
}

func sameGroup(a, b *obs) bool {
	return a.conv == b.conv && a.sender == b.sender && a.content == b.content && a.digest == b.digest
}

// merge folds observations of the same message into one message: the
// same conversation, sender and content (media hash, or text), from
// different sources, either with the same message key, or, when keys do
// not settle it, dated within window of the first observation. Two
// observations from one source (one artifact) are never one message: a
// source records each message once. It fills m.msgs and m.order.
func (m *model) merge(ctx context.Context, window int64) error {
	slices.SortFunc(m.obs, cmpObs)
	n := len(m.obs)
	next := make([]int32, n) // observations of one cluster, linked
	m.order = make([]int32, 0, n)
	m.msgs = m.msgs[:0]

	type cluster struct {
		first, last int32 // observation indexes
		t0          int64 // first observation's time
		key         uint64
		t           int64 // earliest dated observation
	}
	var cls []cluster
	keyIdx := map[uint64]int32{}
	hasArtifact := func(c *cluster, art int32) bool {
		for k := c.first; k >= 0; k = next[k] {
			if m.obs[k].artifact == art {
				return true
			}
		}
		return false
	}
	for i := 0; i < n; {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		j := i + 1
		for j < n && sameGroup(&m.obs[i], &m.obs[j]) {
			j++
		}
		cls = cls[:0]
		big := j-i > 16
		if big {
			clear(keyIdx)
		}
		for k := i; k < j; k++ {
			o := &m.obs[k]
			next[k] = -1
			c := -1
			if o.key != 0 {
				if big {
					if x, ok := keyIdx[o.key]; ok && !hasArtifact(&cls[x], o.artifact) {
						c = int(x)
					}
				} else {
					for x := range cls {
						if cls[x].key == o.key && !hasArtifact(&cls[x], o.artifact) {
							c = x
							break
						}
					}
				}
			}
			if c < 0 && o.t != noTime {
				for x := len(cls) - 1; x >= 0 && cls[x].t0 != noTime && o.t-cls[x].t0 <= window; x-- {
					cl := &cls[x]
					if (cl.key == 0 || o.key == 0) && !hasArtifact(cl, o.artifact) {
						c = x // keep looking for an earlier one
					}
				}
			}
			if c < 0 {
				cls = append(cls, cluster{first: int32(k), last: int32(k), t0: o.t, key: o.key, t: o.t})
				if big && o.key != 0 {
					keyIdx[o.key] = int32(len(cls) - 1)
				}
				continue
			}
			cl := &cls[c]
			next[cl.last] = int32(k)
			cl.last = int32(k)
			if cl.key == 0 && o.key != 0 {
				cl.key = o.key
				if big {
					keyIdx[o.key] = int32(c)
				}
			}
			if o.t != noTime && (cl.t == noTime || o.t < cl.t) {
				cl.t = o.t
			}
		}
		for x := range cls {
			cl := &cls[x]
			msg := message{conv: m.obs[i].conv, sender: m.obs[i].sender, content: m.obs[i].content, t: cl.t, o0: int32(len(m.order))}
			for k := cl.first; k >= 0; k = next[k] {
				m.order = append(m.order, k)
				msg.n++
			}
			m.msgs = append(m.msgs, msg)
		}
		i = j
	}
	return nil
}
