package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	md5simd "github.com/minio/md5-simd"
	"golang.org/x/sync/semaphore"

	"vigil/internal/artifact"
	"vigil/internal/evidence"
	"vigil/internal/store"
)

// openSource is a source being walked: the top-level one or a nested
// archive. refs counts its walker and its pending files; at zero a nested
// source is closed and its spooled copy removed.
type openSource struct {
	fs      evidence.Source
	prefix  string // display path of the container + "/" ("" at top level)
	parent  string // display path of the container ("" at top level)
	depth   int
	up      *openSource // the source the container was found in
	sha256  string      // of the container
	refs    atomic.Int64
	cleanup func()
}

func (s *openSource) release() {
	if s.refs.Add(-1) == 0 && s.cleanup != nil {
		s.cleanup()
	}
}

type task struct {
	src  *openSource
	name string // path inside src
	info fs.FileInfo
}

func (t task) display() string { return t.src.prefix + t.name }

// result is one file's outcome, sent to the writer.
type result struct {
	file    store.File
	content *store.Content
	// claims: extractors that claimed the file, and its scratch copy.
	claims  []artifact.Extractor
	scratch string
	sibling bool // a SQLite companion, teed for a claimed database
}

type claimed struct {
	path, sha256, scratch string
	extractors            []artifact.Extractor
}

type pipeline struct {
	st      store.Store
	dev     store.Device
	rec     store.Source
	top     evidence.Source
	scratch string
	o       Options
	tracker *evidence.Tracker

	recorded map[string]string // path → kind, from an earlier run

	tasks   chan task
	results chan result
	pending sync.WaitGroup // walkers and tasks in flight
	nested  chan struct{}  // bounds nested sources open at once

	counters countersMu
	stats    stats
	started  time.Time

	mu       sync.Mutex
	claimed  []claimed
	siblings map[string]string   // source path → scratch copy
	images   *semaphore.Weighted // bytes of whole images held by workers
}

func newPipeline(st store.Store, dev store.Device, rec store.Source, src evidence.Source, scratch string, o Options) *pipeline {
	return &pipeline{
		st: st, dev: dev, rec: rec, top: src, scratch: scratch, o: o,
		tracker:  evidence.NewTracker(o.Budget),
		tasks:    make(chan task, 4*o.Workers),
		results:  make(chan result, 4096), // workers must not wait while the writer commits
		nested:   make(chan struct{}, 64),
		siblings: map[string]string{},
		started:  time.Now(),
		images:   semaphore.NewWeighted(max(maxWholeImages, o.MaxImageBytes)),
	}
}

func (p *pipeline) loadRecorded(ctx context.Context) error {
	p.recorded = map[string]string{}
	return p.st.RecordedPaths(ctx, p.rec.ID, func(path, kind string) error {
		p.recorded[path] = kind
		return nil
	})
}

// skip reports whether a file recorded by an earlier run needs no new read.
// Containers are read again so that their members are reached, and so are
// files an extractor wants, whose scratch copies are gone with the run.
func (p *pipeline) skip(display string) bool {
	kind, ok := p.recorded[display]
	if !ok {
		return false
	}
	if kind == store.KindArchive || kind == store.KindDatabase {
		return false
	}
	if _, sib := artifact.IsSibling(display); sib {
		return false
	}
	for _, x := range p.o.Extractors {
		if x.Claims(display, nil) {
			return false
		}
	}
	return true
}

func (p *pipeline) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	top := &openSource{fs: p.top}
	p.startWalk(ctx, top)
	go func() {
		p.pending.Wait()
		close(p.tasks)
	}()

	var servers []md5simd.Server
	if multiBufferMD5() && p.o.Workers >= 4 {
		for i := 0; i < max(1, runtime.NumCPU()/2); i++ {
			servers = append(servers, md5simd.NewServer())
		}
		defer func() {
			for _, s := range servers {
				s.Close()
			}
		}()
	}
	var workers sync.WaitGroup
	for i := 0; i < p.o.Workers; i++ {
		var h *hasher
		if len(servers) > 0 {
			h = newLaneHasher(servers[i%len(servers)])
		} else {
			h = newHasher()
		}
		workers.Add(1)
		go func() {
			defer workers.Done()
			defer h.Close()
			p.work(ctx, h)
		}()
	}
	go func() {
		workers.Wait()
		close(p.results)
	}()

	werr := p.write(ctx)
	if werr != nil {
		cancel()
		for range p.results { // let the workers finish
		}
	}
	if werr != nil {
		return werr
	}
	return ctx.Err()
}

// startWalk walks s in its own goroutine, queueing its files.
func (p *pipeline) startWalk(ctx context.Context, s *openSource) {
	s.refs.Add(1)
	p.pending.Add(1)
	go func() {
		defer p.pending.Done()
		defer s.release()
		if s.depth > 0 {
			select {
			case p.nested <- struct{}{}:
				defer func() { <-p.nested }()
			case <-ctx.Done():
				return
			}
		}
		err := fs.WalkDir(s.fs, ".", func(name string, d fs.DirEntry, err error) error {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			if err != nil {
				// An unreadable directory or entry: record it and go on.
				if name != "." || s.depth > 0 {
					p.send(ctx, p.errorResult(s, name, 0, err))
				}
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				p.send(ctx, p.errorResult(s, name, 0, err))
				return nil
			}
			display := s.prefix + name
			if p.recorded != nil && p.skip(display) {
				p.counters.Lock()
				p.stats.skipped++ // only this goroutine family writes skipped before the writer reads it at the end
				p.counters.Unlock()
				return nil
			}
			switch {
			case info.Mode().IsRegular():
			case info.Mode()&fs.ModeSymlink != 0:
				target := ""
				if full, err := s.fs.Stat(name); err == nil {
					if m := evidence.MetaOf(full); m != nil {
						target = m.LinkTarget
					}
				}
				p.send(ctx, p.errorResult(s, name, 0, fmt.Errorf("symbolic link to %q: not followed", target)))
				return nil
			default:
				p.send(ctx, p.errorResult(s, name, 0, fmt.Errorf("not a regular file (%s)", info.Mode().Type())))
				return nil
			}
			p.counters.Lock()
			p.counters.found++
			p.counters.foundBytes += info.Size()
			p.counters.Unlock()
			s.refs.Add(1)
			p.pending.Add(1)
			select {
			case p.tasks <- task{src: s, name: name, info: info}:
			case <-ctx.Done():
				s.release()
				p.pending.Done()
				return ctx.Err()
			}
			return nil
		})
		if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			p.send(ctx, p.errorResult(s, ".", 0, err))
		}
		if s.depth == 0 {
			p.counters.Lock()
			p.counters.walkDone = true
			p.counters.Unlock()
		}
	}()
}

// send records, from a walker, an entry that is not read (an error, a
// link): it counts as found.
func (p *pipeline) send(ctx context.Context, r result) {
	p.counters.Lock()
	p.counters.found++
	p.counters.Unlock()
	p.deliver(ctx, r)
}

// deliver hands a result to the writer.
func (p *pipeline) deliver(ctx context.Context, r result) {
	select {
	case p.results <- r:
	case <-ctx.Done():
	}
}

func (p *pipeline) errorResult(s *openSource, name string, size int64, err error) result {
	display := s.prefix + name
	if name == "." {
		display = strings.TrimSuffix(s.prefix, "/")
		if display == "" {
			display = "."
		}
	}
	return result{file: store.File{Path: display, ParentPath: s.parent, Size: size, Error: cleanError(err, s, name)}}
}

// cleanError words an error for the record: the path is already in the
// row, so a *fs.PathError is reduced to its operation and cause.
func cleanError(err error, s *openSource, name string) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == name {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

func (p *pipeline) work(ctx context.Context, h *hasher) {
	w := &worker{p: p, h: h, buf: make([]byte, chunkSize)}
	for t := range p.tasks {
		if ctx.Err() == nil {
			if r, ok := w.process(ctx, t); ok {
				p.deliver(ctx, r)
			}
		}
		t.src.release()
		p.pending.Done()
	}
}

type worker struct {
	p     *pipeline
	h     *hasher
	buf   []byte
	whole []byte
}

// process reads one file once. ok is false when the context was cancelled
// mid-file: nothing is recorded for it, so a rerun reads it again.
func (w *worker) process(ctx context.Context, t task) (result, bool) {
	p := w.p
	display := t.display()
	r := result{file: store.File{Path: display, ParentPath: t.src.parent, Size: t.info.Size(), MTime: utc(t.info.ModTime())}}
	if m := evidence.MetaOf(t.info); m != nil {
		r.file.ATime, r.file.CTime, r.file.BTime, r.file.Deleted = utc(m.ATime), utc(m.CTime), utc(m.BTime), m.Deleted
	}
	f, err := t.src.fs.Open(t.name)
	if err != nil {
		r.file.Error = cleanError(err, t.src, t.name)
		return r, true
	}
	defer f.Close()

	// The first chunk decides the type, the claims and whether the whole
	// file is kept in memory for image analysis.
	n, rerr := io.ReadFull(f, w.buf)
	if rerr == io.ErrUnexpectedEOF || rerr == io.EOF {
		rerr = nil
	}
	if rerr != nil {
		r.file.Error = "read: " + rerr.Error()
		return r, true
	}
	first := w.buf[:n]
	head := first[:min(n, sniffLimit)]
	mime, kind := Sniff(head)
	claimHead := first[:min(n, artifact.HeadSize)]
	for _, x := range p.o.Extractors {
		if x.Claims(display, claimHead) {
			r.claims = append(r.claims, x)
		}
	}
	_, r.sibling = artifact.IsSibling(display)
	containerKind, isContainer := evidence.Container(path.Base(display), first)
	keepWhole := kind == store.KindImage && t.info.Size() <= p.o.MaxImageBytes
	if keepWhole {
		// Whole images wait for room within maxWholeImages.
		if err := p.images.Acquire(ctx, t.info.Size()); err != nil {
			return r, false
		}
		defer p.images.Release(t.info.Size())
	}
	_, seekable := f.(io.ReaderAt)
	needSpool := len(r.claims) > 0 || r.sibling || (isContainer && !seekable)

	var exifHead []byte
	if kind == store.KindImage && !keepWhole {
		exifHead = append([]byte(nil), first[:min(n, 256<<10)]...)
	}
	var spool *os.File
	kept := false
	if needSpool {
		spool, err = os.CreateTemp(p.scratch, "spool-*")
		if err != nil {
			r.file.Error = "scratch copy: " + err.Error()
			return r, true
		}
		defer func() {
			spool.Close()
			if !kept {
				os.Remove(spool.Name())
			}
		}()
	}
	w.h.Reset()
	w.whole = w.whole[:0]
	var size int64
	chunk := first
	for {
		if len(chunk) > 0 {
			w.h.Write(chunk)
			size += int64(len(chunk))
			if keepWhole {
				w.whole = append(w.whole, chunk...)
			}
			if spool != nil {
				if _, err := spool.Write(chunk); err != nil {
					r.file.Error = "scratch copy: " + err.Error()
					return r, true
				}
			}
		}
		if len(chunk) < len(w.buf) { // io.ReadFull came back short: end of file
			break
		}
		if ctx.Err() != nil {
			return r, false
		}
		n, rerr = io.ReadFull(f, w.buf)
		chunk = w.buf[:n]
		if rerr == io.EOF {
			break
		}
		if rerr != nil && rerr != io.ErrUnexpectedEOF {
			r.file.Error = fmt.Sprintf("read at byte %d: %v", size, rerr)
			return r, true
		}
	}
	if size != t.info.Size() {
		p.warn(fmt.Sprintf("%s: %d bytes read, %d listed (the file changed while read, or its entry lies)", display, size, t.info.Size()))
	}
	r.file.Size = size
	sum := w.h.sums()
	r.file.SHA256 = sum.sha256
	c := &store.Content{SHA256: sum.sha256, MD5: sum.md5, SHA1: sum.sha1, Size: size, MIME: mime, Kind: kind, Origin: "file", PDQQuality: -1}
	r.content = c
	if kind == store.KindImage {
		data := exifHead
		if keepWhole {
			data = w.whole
		}
		if e, err := readEXIF(data); err != nil {
			p.warn(fmt.Sprintf("%s: %v", display, err))
		} else {
			c.EXIF = e
		}
		switch {
		case p.o.ImageHasher == nil:
		case !keepWhole:
			c.Error = fmt.Sprintf("pdq: image of %d bytes is larger than the %d-byte limit", size, p.o.MaxImageBytes)
		default:
			if h, err := p.o.ImageHasher(ctx, w.whole); err != nil {
				c.Error = "pdq: " + err.Error()
			} else {
				c.PDQ, c.PDQQuality, c.PDQDihedral = h.PDQ, h.Quality, h.Dihedral
			}
		}
	}
	if spool != nil && (len(r.claims) > 0 || r.sibling) {
		kept = true
		r.scratch = spool.Name()
	}
	if isContainer {
		if err := p.openContainer(ctx, t, c.SHA256, size, containerKind, seekable, spool, &kept, r.scratch != ""); err != nil {
			r.file.Error = err.Error()
		}
	}
	return r, true
}

// openContainer opens a container file as a nested source and starts
// walking it. The container is read again from the source when the source
// can seek; otherwise from the spooled copy made while hashing it.
func (p *pipeline) openContainer(ctx context.Context, t task, sha string, size int64, kind string, seekable bool, spool *os.File, kept *bool, claimed bool) error {
	for a := t.src; a != nil; a = a.up {
		if a.sha256 == sha {
			return fmt.Errorf("%s not opened: it contains itself (same SHA-256 as %q)", kind, a.parent)
		}
	}
	var ra io.ReaderAt
	var closer func()
	if seekable {
		f, err := t.src.fs.Open(t.name)
		if err != nil {
			return fmt.Errorf("%s not opened: %w", kind, err)
		}
		ra, closer = f.(io.ReaderAt), func() { f.Close() }
	} else {
		f, err := os.Open(spool.Name())
		if err != nil {
			return fmt.Errorf("%s not opened: %w", kind, err)
		}
		*kept = true
		name := spool.Name()
		ra, closer = f, func() {
			f.Close()
			if !claimed {
				os.Remove(name)
			}
		}
	}
	nested, err := evidence.OpenNested(ra, size, kind, t.src.depth+1, p.tracker)
	if err != nil {
		closer()
		return fmt.Errorf("%s not opened: %w", kind, err)
	}
	display := t.display()
	s := &openSource{fs: nested, prefix: display + "/", parent: display, depth: t.src.depth + 1, up: t.src, sha256: sha,
		cleanup: func() { nested.Close(); closer() }}
	p.startWalk(ctx, s)
	return nil
}

func (p *pipeline) warn(msg string) {
	if p.o.Warn != nil {
		p.o.Warn(msg)
	}
}

func utc(t time.Time) time.Time {
	if t.IsZero() || t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}
