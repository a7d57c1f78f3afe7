package pdq

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
)

// HashFile opens the named file read-only and hashes it (see HashReader).
func HashFile(ctx context.Context, path string, lim Limits) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	r, err := HashReader(ctx, f, lim)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// HashFiles hashes the named files with up to workers files in parallel
// (GOMAXPROCS when workers < 1) and calls fn for each, in the order of
// paths, from one goroutine. err is the file's error (which names the
// file); a non-nil error returned by fn stops the work and is returned.
// At most 2 x workers results wait for fn at any time.
func HashFiles(ctx context.Context, paths []string, lim Limits, workers int, fn func(path string, r Result, err error) error) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		r   Result
		err error
	}
	slots := make([]chan outcome, len(paths))
	for i := range slots {
		slots[i] = make(chan outcome, 1)
	}
	sem := make(chan struct{}, 2*workers) // results in flight, bounded
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r, err := HashFile(ctx, paths[i], lim)
				slots[i] <- outcome{r, err}
			}
		}()
	}
	go func() {
		defer close(work)
		for i := range paths {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer wg.Wait()
	for i, p := range paths {
		var o outcome
		select {
		case o = <-slots[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-sem
		if err := fn(p, o.r, o.err); err != nil {
			return err
		}
	}
	return nil
}
