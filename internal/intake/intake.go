// Package intake is the pipeline that turns seized sources into case-store
// rows: walk each source once, read every file once computing MD5, SHA-1
// and SHA-256 together, sniff its true type, read EXIF and compute the PDQ
// hash of images, tee the files artifact extractors claim into a scratch
// area, open nested archives within a budget, and write results in batched
// transactions. Interrupted runs resume: files already recorded are not
// read again, and nothing is recorded twice.
package intake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"vigil/internal/artifact"
	"vigil/internal/evidence"
	"vigil/internal/store"
)

// ImageHash is the perceptual hash of an image.
type ImageHash struct {
	PDQ      string // 64 hex digits
	Quality  int    // 0 to 100
	Dihedral string // the eight dihedral hashes, comma-separated ("" if not computed)
}

// ImageHasher computes the perceptual hash (PDQ) of an encoded image.
type ImageHasher func(ctx context.Context, data []byte) (ImageHash, error)

// Options tune an ingest.
type Options struct {
	Workers       int // files read at once (default: the number of cores)
	BatchSize     int // files per store transaction (default 2000)
	Extractors    []artifact.Extractor
	ImageHasher   ImageHasher // nil: no perceptual hashing
	MaxImageBytes int64       // larger images get no PDQ (default 64 MiB)
	Budget        evidence.Budget
	ScratchDir    string // where claimed files and spooled archives go (required)
	Operator      string
	Host          string
	Tool          string
	// Progress, when set, is called about five times a second from one
	// goroutine with the running totals.
	Progress func(Progress)
	// Warn, when set, receives problems that did not stop the ingest.
	Warn func(msg string)
}

// Progress is the running state of an ingest.
type Progress struct {
	Source     string
	Stage      string // "container", "files", "artifacts"
	Found      int64  // files discovered so far
	FoundBytes int64
	Done       int64 // files read and stored
	DoneBytes  int64
	Skipped    int64 // already recorded by an earlier run
	Errors     int64
	WalkDone   bool // discovery finished: Found is final
	Started    time.Time
}

// Request names what to ingest.
type Request struct {
	Device  store.Device
	Sources []string
}

// SourceSummary is the outcome of one source.
type SourceSummary struct {
	Source    store.Source `json:"source"`
	Resumed   bool         `json:"resumed"`
	Files     int64        `json:"files"`   // recorded by this run
	Bytes     int64        `json:"bytes"`   // read by this run
	Skipped   int64        `json:"skipped"` // recorded by an earlier run
	Errors    int64        `json:"errors"`
	Artifacts int          `json:"artifacts"`
	ArtErrors []string     `json:"artifact_errors,omitempty"`
	Status    string       `json:"status"`
	Elapsed   float64      `json:"elapsed_seconds"`
}

// Summary is the outcome of an ingest.
type Summary struct {
	Device      store.Device    `json:"device"`
	Sources     []SourceSummary `json:"sources"`
	LinkedMedia int64           `json:"linked_media"` // media messages newly linked to files
}

// DefaultWorkers is how many files are read at once by default: the number
// of cores, or eight per core when MD5 runs on multi-buffer lanes (which
// need many streams to fill, and more reads in flight also help cold
// evidence drives). Hashing itself never uses more than the cores.
func DefaultWorkers() int {
	if multiBufferMD5() {
		return min(8*runtime.NumCPU(), 64)
	}
	return runtime.NumCPU()
}

// maxWholeImages bounds the memory all workers together may hold in whole
// images kept for EXIF and PDQ.
const maxWholeImages = 512 << 20

// ErrInterrupted is returned when the context was cancelled: what was
// stored is consistent and the same command resumes.
var ErrInterrupted = errors.New("ingest interrupted; run the same command again to resume")

// Ingest records the sources of one device.
func Ingest(ctx context.Context, st store.Store, req Request, o Options) (Summary, error) {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers()
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 2000
	}
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = 64 << 20
	}
	if o.ScratchDir == "" {
		return Summary{}, errors.New("intake: no scratch directory")
	}
	if o.Operator == "" {
		o.Operator = "unknown"
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	dev, err := st.PutDevice(ctx, req.Device)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Device: dev}
	changed := false
	for _, path := range req.Sources {
		ss, err := ingestSource(ctx, st, dev, path, o)
		if ss.Source.ID != 0 {
			sum.Sources = append(sum.Sources, ss)
		}
		changed = changed || ss.Files > 0 || ss.Artifacts > 0
		if err != nil {
			return sum, err
		}
	}
	if changed {
		// Media messages of any device may now have their files, and
		// attachments of exports their hashes.
		n, err := st.LinkMedia(ctx)
		if err != nil {
			return sum, fmt.Errorf("linking media to files: %w", err)
		}
		sum.LinkedMedia = n
	}
	return sum, nil
}

func ingestSource(ctx context.Context, st store.Store, dev store.Device, path string, o Options) (SourceSummary, error) {
	var ss SourceSummary
	abs, err := filepath.Abs(path)
	if err != nil {
		return ss, fmt.Errorf("source %s: %w", path, err)
	}
	src, err := evidence.Open(abs)
	if err != nil {
		return ss, err
	}
	defer src.Close()
	rec := store.Source{DeviceID: dev.ID, Kind: src.Kind(), Path: abs, Operator: o.Operator, Host: o.Host, Tool: o.Tool}
	if src.Kind() != "directory" {
		h, size, err := hashContainer(ctx, abs, o)
		if err != nil {
			return ss, err
		}
		rec.Size, rec.ContainerMD5, rec.ContainerSHA1, rec.ContainerSHA256 = size, h.md5, h.sha1, h.sha256
	}
	rec, resumed, err := st.StartSource(ctx, rec)
	if err != nil {
		return ss, err
	}
	ss.Source, ss.Resumed = rec, resumed
	start := time.Now()

	scratch, err := os.MkdirTemp(o.ScratchDir, fmt.Sprintf("source-%d-", rec.ID))
	if err != nil {
		return ss, fmt.Errorf("scratch: %w", err)
	}
	defer os.RemoveAll(scratch)

	p := newPipeline(st, dev, rec, src, scratch, o)
	if resumed {
		if err := p.loadRecorded(ctx); err != nil {
			return ss, err
		}
	}
	runErr := p.run(ctx)
	ss.Files, ss.Bytes, ss.Skipped, ss.Errors = p.stats.stored, p.stats.bytes, p.stats.skipped, p.stats.errors

	status := "complete"
	if runErr == nil {
		n, artErrs, err := p.extract(ctx)
		ss.Artifacts, ss.ArtErrors = n, artErrs
		runErr = err
	}
	if runErr != nil {
		status = "failed"
		if ctx.Err() != nil {
			status = "interrupted"
		}
	}
	ss.Status = status
	ss.Elapsed = time.Since(start).Seconds()
	// Closing the record must survive the cancelled context that stopped us.
	fin := context.WithoutCancel(ctx)
	summary := map[string]any{"run_files": ss.Files, "run_bytes": ss.Bytes, "skipped": ss.Skipped, "artifacts": ss.Artifacts}
	if runErr != nil {
		summary["error"] = runErr.Error()
	}
	if err := st.FinishSource(fin, rec.ID, status, summary); err != nil {
		return ss, errors.Join(runErr, err)
	}
	if fresh, err := st.Source(fin, rec.ID); err == nil {
		ss.Source = fresh
	}
	if status == "interrupted" {
		return ss, ErrInterrupted
	}
	if runErr != nil {
		return ss, fmt.Errorf("source %s: %w", path, runErr)
	}
	return ss, nil
}

// stats are the pipeline's counters, written by the writer goroutine only.
type stats struct {
	stored, bytes, skipped, errors int64
}

type countersMu struct {
	sync.Mutex
	found, foundBytes int64
	walkDone          bool
}
