package network

import (
	"context"
	"testing"
)

// FuzzMerge checks the merging rules on arbitrary observations: every
// observation lands in exactly one message; a message holds one
// conversation, sender and content, never two records of one source, never
// two different message keys; each of its records shares its key or is
// dated within the window of its first; its time is its earliest dated
// record.
func FuzzMerge(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 10, 0, 0, 0, 0, 2, 10, 0})
	f.Add([]byte{0, 0, 1, 1, 10, 1, 0, 0, 1, 2, 250, 1, 0, 0, 1, 1, 11, 2, 0, 0, 1, 2, 255, 0})
	f.Add([]byte{1, 2, 2, 3, 0, 3, 1, 2, 2, 3, 0, 3, 1, 2, 2, 0, 255, 3})
	const window = 60_000
	f.Fuzz(func(t *testing.T, data []byte) {
		var in []obs
		for i := 0; i+6 <= len(data) && len(in) < 2000; i += 6 {
			b := data[i : i+6]
			o := obs{conv: int32(b[0] % 3), sender: int32(b[1]%3) - 1, content: int32(b[2]%3) - 1, artifact: int32(b[3] % 4),
				device: int32(b[3] % 2), t: int64(b[4]) * 20_000, key: uint64(b[5] % 4)}
			if b[4] == 255 {
				o.t = noTime
			}
			if o.content < 0 {
				o.digest = uint64(b[2] % 5)
			}
			o.detail = int32(len(in))
			in = append(in, o)
		}
		m := &model{obs: append([]obs(nil), in...)}
		if err := m.merge(context.Background(), window); err != nil {
			t.Fatal(err)
		}
		seen := make([]bool, len(in))
		for _, msg := range m.msgs {
			obsOf := m.order[msg.o0 : msg.o0+msg.n]
			if len(obsOf) == 0 {
				t.Fatal("empty message")
			}
			first := m.obs[obsOf[0]]
			arts := map[int32]bool{}
			var key uint64
			earliest := int64(noTime)
			for _, k := range obsOf {
				o := m.obs[k]
				if seen[o.detail] {
					t.Fatalf("observation %d in two messages", o.detail)
				}
				seen[o.detail] = true
				if !sameGroup(&o, &first) || o.conv != msg.conv || o.sender != msg.sender || o.content != msg.content {
					t.Fatalf("message mixes conversations, senders or contents")
				}
				if arts[o.artifact] {
					t.Fatalf("two records of artifact %d in one message", o.artifact)
				}
				arts[o.artifact] = true
				if o.key != 0 {
					if key != 0 && key != o.key {
						t.Fatalf("message mixes keys %d and %d", key, o.key)
					}
					key = o.key
				}
				if k != obsOf[0] {
					sameKey := o.key != 0 && o.key == key
					inWindow := o.t != noTime && first.t != noTime && o.t-first.t <= window && o.t >= first.t
					if !sameKey && !inWindow {
						t.Fatalf("record at %d merged with one at %d, keys %d/%d", o.t, first.t, o.key, first.key)
					}
				}
				if o.t != noTime && (earliest == noTime || o.t < earliest) {
					earliest = o.t
				}
			}
			if msg.t != earliest {
				t.Fatalf("message time %d, earliest record %d", msg.t, earliest)
			}
		}
		for i, ok := range seen {
			if !ok {
				t.Fatalf("observation %d in no message", i)
			}
		}
	})
}
