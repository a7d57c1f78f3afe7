package intake

import (
	"context"
	"time"

	"vigil/internal/store"
)

// flushEvery bounds how much finished work a crash can lose.
const flushEvery = 500 * time.Millisecond

// write consumes results, storing them in batches. It returns when the
// results channel closes (all workers done) or a store write fails.
func (p *pipeline) write(ctx context.Context) error {
	// Batches are written even after ctx is cancelled: what was read
	// completely is kept.
	wctx := context.WithoutCancel(ctx)
	batch := store.Batch{SourceID: p.rec.ID}
	seen := map[string]int{} // content sha256 → index in batch.Contents
	var doneFiles, doneBytes, errs int64
	flush := func() error {
		if len(batch.Files) == 0 && len(batch.Contents) == 0 {
			return nil
		}
		if err := p.st.WriteBatch(wctx, batch); err != nil {
			return err
		}
		batch.Files, batch.Contents = batch.Files[:0], batch.Contents[:0]
		clear(seen)
		return nil
	}
	report := func() {
		if p.o.Progress == nil {
			return
		}
		p.counters.Lock()
		pr := Progress{Source: p.rec.Path, Stage: "files", Found: p.counters.found, FoundBytes: p.counters.foundBytes,
			Done: doneFiles, DoneBytes: doneBytes, Skipped: p.stats.skipped, Errors: errs,
			WalkDone: p.counters.walkDone, Started: p.started}
		p.counters.Unlock()
		p.o.Progress(pr)
	}
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	progressTick := time.NewTicker(200 * time.Millisecond)
	defer progressTick.Stop()
	for {
		select {
		case r, ok := <-p.results:
			if !ok {
				err := flush()
				report()
				p.stats.stored, p.stats.bytes, p.stats.errors = doneFiles, doneBytes, errs
				return err
			}
			batch.Files = append(batch.Files, r.file)
			doneFiles++
			doneBytes += r.file.Size
			if r.file.Error != "" {
				errs++
			}
			if r.content != nil {
				if i, dup := seen[r.content.SHA256]; dup {
					// Same content twice in one batch: keep the first, but
					// let an analysis result fill a gap.
					if batch.Contents[i].PDQ == "" && r.content.PDQ != "" {
						batch.Contents[i] = *r.content
					}
				} else {
					seen[r.content.SHA256] = len(batch.Contents)
					batch.Contents = append(batch.Contents, *r.content)
				}
			}
			p.note(r)
			if len(batch.Files) >= p.o.BatchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		case <-tick.C:
			if err := flush(); err != nil {
				return err
			}
		case <-progressTick.C:
			report()
		}
	}
}

// note remembers the scratch copies that extraction will need.
func (p *pipeline) note(r result) {
	if r.scratch == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.sibling && len(r.claims) == 0 {
		p.siblings[r.file.Path] = r.scratch
		return
	}
	p.claimed = append(p.claimed, claimed{path: r.file.Path, sha256: r.file.SHA256, scratch: r.scratch, extractors: r.claims})
	if r.sibling {
		p.siblings[r.file.Path] = r.scratch
	}
}
