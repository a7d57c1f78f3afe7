package evidence

import (
	"fmt"
	"sync"
)

// Tracker charges the nested archives of one top-level source against a
// Budget. It is safe for concurrent use.
type Tracker struct {
	budget   Budget
	mu       sync.Mutex
	entries  int64
	expanded int64
	top      bool // made by Open for a file source: images charge nothing
}

// NewTracker returns a tracker for b; zero fields of b take DefaultBudget's.
func NewTracker(b Budget) *Tracker {
	d := DefaultBudget
	if b.MaxDepth == 0 {
		b.MaxDepth = d.MaxDepth
	}
	if b.MaxEntries == 0 {
		b.MaxEntries = d.MaxEntries
	}
	if b.MaxExpanded == 0 {
		b.MaxExpanded = d.MaxExpanded
	}
	if b.MaxRatio == 0 {
		b.MaxRatio = d.MaxRatio
	}
	if b.MaxEntry == 0 {
		b.MaxEntry = d.MaxEntry
	}
	return &Tracker{budget: b}
}

// Budget returns the tracker's budget.
func (t *Tracker) Budget() Budget { return t.budget }

// Charge accounts for one entry of a nested archive that claims to expand
// to size bytes from compressed bytes (0 when unknown). It refuses the entry
// when it alone, or the total so far, exceeds the budget.
func (t *Tracker) Charge(name string, size, compressed int64) error {
	if err := t.check(name, size, compressed); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.countLocked(name); err != nil {
		return err
	}
	return t.expandLocked(name, size)
}

// countEntry accounts for one entry listed in an archive's index, before
// anything of it is read.
func (t *Tracker) countEntry(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.countLocked(name)
}

// chargeBytes accounts for reading an entry already counted by countEntry.
func (t *Tracker) chargeBytes(name string, size, compressed int64) error {
	if err := t.check(name, size, compressed); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.expandLocked(name, size)
}

func (t *Tracker) check(name string, size, compressed int64) error {
	if size < 0 {
		return fmt.Errorf("%s: negative size %d", name, size)
	}
	if size > t.budget.MaxEntry {
		return fmt.Errorf("%s: %d bytes: %w (largest entry %d)", name, size, ErrBudget, t.budget.MaxEntry)
	}
	if compressed > 0 && size > 1<<20 && float64(size)/float64(compressed) > t.budget.MaxRatio {
		return fmt.Errorf("%s: expands %d bytes to %d (ratio %.0f): %w (max ratio %.0f)", name, compressed, size,
			float64(size)/float64(compressed), ErrBudget, t.budget.MaxRatio)
	}
	return nil
}

func (t *Tracker) countLocked(name string) error {
	if t.entries+1 > t.budget.MaxEntries {
		return fmt.Errorf("%s: more than %d entries in nested archives: %w", name, t.budget.MaxEntries, ErrBudget)
	}
	t.entries++
	return nil
}

func (t *Tracker) expandLocked(name string, size int64) error {
	if t.expanded+size > t.budget.MaxExpanded {
		return fmt.Errorf("%s: nested archives would expand past %d bytes: %w", name, t.budget.MaxExpanded, ErrBudget)
	}
	t.expanded += size
	return nil
}

// remaining returns how many more bytes nested containers may expand to.
func (t *Tracker) remaining() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.budget.MaxExpanded-t.expanded, 0)
}
