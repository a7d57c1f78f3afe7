package intake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"sync"

	"vigil/internal/store"
)

// Mismatch is one file that no longer matches its record.
type Mismatch struct {
	Device string `json:"device"`
	Source string `json:"source"`
	Path   string `json:"path"`
	Status string `json:"status"` // missing, changed, unreadable
	Was    string `json:"was_sha256,omitempty"`
	Now    string `json:"now_sha256,omitempty"`
	Error  string `json:"error,omitempty"`
}

// VerifyResult is the outcome of re-reading one source.
type VerifyResult struct {
	Source     store.Source `json:"source"`
	Checked    int64        `json:"checked"`
	Bytes      int64        `json:"bytes"`
	Mismatches []Mismatch   `json:"mismatches"`
}

// OK reports whether everything matched.
func (r VerifyResult) OK() bool { return len(r.Mismatches) == 0 }

// Verify re-reads a source and compares it with what was recorded: the
// container's digests for an archive or image (its members cannot have
// changed if it did not), else every top-level file's SHA-256. The outcome
// is recorded on the source and in the audit chain.
func Verify(ctx context.Context, st store.Store, src store.Source, workers int, progress func(done, total int64)) (VerifyResult, error) {
	res := VerifyResult{Source: src, Mismatches: []Mismatch{}}
	if src.Kind != "directory" {
		m, s1, s2, size, err := HashFile(ctx, src.Path, func(done int64) {
			if progress != nil {
				progress(done, src.Size)
			}
		})
		res.Checked, res.Bytes = 1, size
		switch {
		case errors.Is(err, context.Canceled):
			return res, err
		case errors.Is(err, fs.ErrNotExist):
			res.Mismatches = append(res.Mismatches, Mismatch{Device: src.Device, Source: src.Path, Path: ".", Status: "missing", Was: src.ContainerSHA256})
		case err != nil:
			res.Mismatches = append(res.Mismatches, Mismatch{Device: src.Device, Source: src.Path, Path: ".", Status: "unreadable", Error: err.Error()})
		case m != src.ContainerMD5 || s1 != src.ContainerSHA1 || s2 != src.ContainerSHA256:
			res.Mismatches = append(res.Mismatches, Mismatch{Device: src.Device, Source: src.Path, Path: ".", Status: "changed", Was: src.ContainerSHA256, Now: s2})
		}
		return res, record(ctx, st, res)
	}

	var files []store.FileView
	err := st.Files(ctx, store.FileQuery{SourceID: src.ID}, func(v store.FileView) error {
		if v.ParentPath == "" && v.SHA256 != "" {
			files = append(files, v)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	var total int64
	for _, f := range files {
		total += f.Size
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	jobs := make(chan store.FileView)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				_, _, sha, size, err := HashFile(ctx, filepath.Join(src.Path, filepath.FromSlash(f.Path)), nil)
				mu.Lock()
				res.Checked++
				res.Bytes += size
				switch {
				case ctx.Err() != nil:
				case errors.Is(err, fs.ErrNotExist):
					res.Mismatches = append(res.Mismatches, Mismatch{Device: src.Device, Source: src.Path, Path: f.Path, Status: "missing", Was: f.SHA256})
				case err != nil:
					res.Mismatches = append(res.Mismatches, Mismatch{Device: src.Device, Source: src.Path, Path: f.Path, Status: "unreadable", Was: f.SHA256, Error: err.Error()})
				case sha != f.SHA256:
					res.Mismatches = append(res.Mismatches, Mismatch{Device: src.Device, Source: src.Path, Path: f.Path, Status: "changed", Was: f.SHA256, Now: sha})
				}
				if progress != nil {
					progress(res.Bytes, total)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, f := range files {
		select {
		case jobs <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, record(ctx, st, res)
}

func record(ctx context.Context, st store.Store, res VerifyResult) error {
	status := "verified"
	if !res.OK() {
		status = fmt.Sprintf("mismatch: %d files", len(res.Mismatches))
	}
	first := []string{}
	for i, m := range res.Mismatches {
		if i == 20 {
			break
		}
		first = append(first, m.Status+" "+m.Path)
	}
	return st.RecordVerification(ctx, res.Source.ID, status, map[string]any{
		"checked": res.Checked, "bytes": res.Bytes, "mismatches": len(res.Mismatches), "first": first})
}
