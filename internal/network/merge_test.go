package network

import (
	"context"
	"testing"
)

// mergeOf merges observations and returns, per message, the indexes (in
// the input) of its observations.
func mergeOf(t *testing.T, in []obs, window int64) [][]int {
	t.Helper()
	m := &model{}
	for i := range in {
		in[i].detail = int32(i) // remembers the input order through the sort
		m.obs = append(m.obs, in[i])
	}
	if err := m.merge(context.Background(), window); err != nil {
		t.Fatal(err)
	}
	var out [][]int
	total := 0
	for _, msg := range m.msgs {
		var ids []int
		for _, k := range m.order[msg.o0 : msg.o0+msg.n] {
			ids = append(ids, int(m.obs[k].detail))
		}
		total += len(ids)
		out = append(out, ids)
	}
	if total != len(in) {
		t.Fatalf("%d observations in messages, want %d", total, len(in))
	}
	return out
}

func together(groups [][]int, a, b int) bool {
	for _, g := range groups {
		ia, ib := false, false
		for _, x := range g {
			ia = ia || x == a
			ib = ib || x == b
		}
		if ia || ib {
			return ia && ib
		}
	}
	return false
}

func TestMergeRules(t *testing.T) {
	const min = 60_000
	o := func(art int32, t int64, key uint64) obs {
		return obs{conv: 1, sender: 2, content: 3, artifact: art, device: art, t: t, key: key}
	}
	for _, tc := range []struct {
		name  string
		in    []obs
		msgs  int
		same  [][2]int
		apart [][2]int
	}{
		{"two sources, same time", []obs{o(1, 0, 0), o(2, 0, 0)}, 1, [][2]int{{0, 1}}, nil},
		{"one source never merges with itself", []obs{o(1, 0, 0), o(1, 0, 0)}, 2, nil, [][2]int{{0, 1}}},
		{"within the window", []obs{o(1, 0, 0), o(2, 2*min-1, 0)}, 1, [][2]int{{0, 1}}, nil},
		{"beyond the window", []obs{o(1, 0, 0), o(2, 2*min+1, 0)}, 2, nil, [][2]int{{0, 1}}},
		{"same key beyond the window", []obs{o(1, 0, 7), o(2, 50*min, 7)}, 1, [][2]int{{0, 1}}, nil},
		{"different keys at the same time", []obs{o(1, 0, 7), o(2, 0, 8)}, 2, nil, [][2]int{{0, 1}}},
		{"a keyless export joins a keyed message", []obs{o(1, 0, 7), o(2, 30_000, 0)}, 1, [][2]int{{0, 1}}, nil},
		{"undated without key stays apart", []obs{o(1, noTime, 0), o(2, noTime, 0)}, 2, nil, [][2]int{{0, 1}}},
		{"undated with the same key merges", []obs{o(1, noTime, 9), o(2, 5, 9)}, 1, [][2]int{{0, 1}}, nil},
		// The same item posted twice 40 s apart, recorded by a database
		// (to the second, keys) and an export (to the minute, no keys):
		// two messages of two observations each.
		{"repeat post seen by two sources", []obs{o(1, 0, 1), o(1, 40_000, 2), o(2, 0, 0), o(2, 0, 0)}, 2,
			[][2]int{{0, 2}, {1, 3}}, [][2]int{{0, 1}, {2, 3}}},
		{"other sender is another message", []obs{o(1, 0, 0), {conv: 1, sender: 5, content: 3, artifact: 2, t: 0}}, 2, nil, [][2]int{{0, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups := mergeOf(t, tc.in, 2*min)
			if len(groups) != tc.msgs {
				t.Errorf("%d messages %v, want %d", len(groups), groups, tc.msgs)
			}
			for _, p := range tc.same {
				if !together(groups, p[0], p[1]) {
					t.Errorf("observations %d and %d not merged: %v", p[0], p[1], groups)
				}
			}
			for _, p := range tc.apart {
				if together(groups, p[0], p[1]) {
					t.Errorf("observations %d and %d merged: %v", p[0], p[1], groups)
				}
			}
		})
	}
}

func TestMergeLargeGroup(t *testing.T) {
	// One sender posting the same text 500 times, each with its own key,
	// seen by two sources: 500 messages (the key index path).
	var in []obs
	for i := 0; i < 500; i++ {
		for art := int32(1); art <= 2; art++ {
			in = append(in, obs{conv: 1, sender: 1, content: -1, digest: 42, artifact: art, t: int64(i) * 1000, key: uint64(i + 1)})
		}
	}
	groups := mergeOf(t, in, 120_000)
	if len(groups) != 500 {
		t.Fatalf("%d messages, want 500", len(groups))
	}
	for _, g := range groups {
		if len(g) != 2 || in[g[0]].key != in[g[1]].key {
			t.Fatalf("message %v mixes keys", g)
		}
	}
}
