package audit

import (
	"fmt"
	"iter"
)

// Finding is one problem found in a chain.
type Finding struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

func (f Finding) String() string { return fmt.Sprintf("record %d: %s", f.Seq, f.Reason) }

// Report is the outcome of verifying a chain.
type Report struct {
	Records     int64     `json:"records"`
	Head        string    `json:"head"`         // hash of the last record
	HeadSeq     int64     `json:"head_seq"`     // sequence of the last record
	Checkpoints int       `json:"checkpoints"`  // signed checkpoints checked
	SignedUpTo  int64     `json:"signed_up_to"` // last sequence covered by a valid checkpoint
	FirstBad    int64     `json:"first_bad"`    // 0 when the chain is intact
	Findings    []Finding `json:"findings"`
}

// OK reports whether nothing was found.
func (r *Report) OK() bool { return len(r.Findings) == 0 }

func (r *Report) add(seq int64, format string, args ...any) {
	if r.FirstBad == 0 || (seq > 0 && seq < r.FirstBad) {
		r.FirstBad = seq
	}
	r.Findings = append(r.Findings, Finding{Seq: seq, Reason: fmt.Sprintf(format, args...)})
}

// Verify walks records in stored order and checks that sequence numbers run
// 1, 2, 3… without gap, that every record links to the previous one's hash,
// and that every record's hash matches its content. It then checks each
// checkpoint (already verified for signature by the caller's Verifier)
// against the record at its sequence. Records after the last checkpoint are
// reported as unsigned only when requireSigned is set.
func Verify(records iter.Seq2[Record, error], checkpoints []Checkpoint, v *Verifier, requireSigned bool) Report {
	var rep Report
	hashes := map[int64]string{}
	want := map[int64]bool{}
	for _, c := range checkpoints {
		want[c.Seq] = true
	}
	prev := Genesis
	var expect int64 = 1
	for r, err := range records {
		if err != nil {
			rep.add(expect, "cannot read: %v", err)
			return rep
		}
		rep.Records++
		switch {
		case r.Seq != expect:
			if r.Seq > expect {
				rep.add(expect, "missing: sequence jumps from %d to %d (records deleted)", expect-1, r.Seq)
			} else {
				rep.add(r.Seq, "out of order: sequence %d found after %d (records inserted or reordered)", r.Seq, expect-1)
			}
		case r.PrevHash != prev:
			rep.add(r.Seq, "does not link to record %d: previous hash %.16s…, expected %.16s… (a record before it was changed, removed or inserted)", r.Seq-1, r.PrevHash, prev)
		}
		if got := r.Sum(); got != r.Hash {
			rep.add(r.Seq, "content does not match its hash (record edited)")
		}
		if want[r.Seq] {
			hashes[r.Seq] = r.Hash
		}
		prev = r.Hash
		rep.Head, rep.HeadSeq = r.Hash, r.Seq
		expect = r.Seq + 1
	}
	for _, c := range checkpoints {
		rep.Checkpoints++
		if v != nil {
			if err := v.Check(c); err != nil {
				rep.add(c.Seq, "checkpoint signature: %v", err)
				continue
			}
		}
		h, ok := hashes[c.Seq]
		if !ok {
			rep.add(c.Seq, "signed checkpoint names a record that is not in the chain (records deleted at the end)")
			continue
		}
		if h != c.Hash {
			rep.add(c.Seq, "differs from the signed checkpoint (chain rewritten)")
			continue
		}
		if c.Seq > rep.SignedUpTo {
			rep.SignedUpTo = c.Seq
		}
	}
	if requireSigned && rep.HeadSeq > rep.SignedUpTo {
		rep.add(rep.SignedUpTo+1, "records %d to %d are not covered by a signed checkpoint", rep.SignedUpTo+1, rep.HeadSeq)
	}
	return rep
}
