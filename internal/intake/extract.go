package intake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"

	"vigil/internal/artifact"
	"vigil/internal/store"
)

// maxWarnings is how many warnings an artifact record keeps.
const maxWarnings = 200

// extract hands every claimed file to its extractors, once the source has
// been read, so that everything an artifact refers to (attachments, media)
// is already recorded. It returns how many extractions completed and the
// errors of those that failed; only a cancelled context stops it early.
func (p *pipeline) extract(ctx context.Context) (int, []string, error) {
	sort.Slice(p.claimed, func(i, j int) bool { return p.claimed[i].path < p.claimed[j].path })
	var done int
	var failed []string
	for i, c := range p.claimed {
		if err := ctx.Err(); err != nil {
			return done, failed, err
		}
		if p.o.Progress != nil {
			p.o.Progress(Progress{Source: p.rec.Path, Stage: "artifacts", Found: int64(len(p.claimed)), Done: int64(i),
				WalkDone: true, Started: p.started})
		}
		local, siblings, err := p.stage(i, c)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", c.path, err))
			continue
		}
		for _, x := range c.extractors {
			ok, err := p.extractOne(ctx, x, c, local, siblings)
			if err != nil {
				if ctx.Err() != nil {
					return done, failed, ctx.Err()
				}
				failed = append(failed, fmt.Sprintf("%s (%s): %v", c.path, x.Name(), err))
				p.warn(fmt.Sprintf("%s: %s: %v", c.path, x.Name(), err))
			}
			if ok {
				done++
			}
		}
	}
	return done, failed, nil
}

// stage puts a claimed file's scratch copy and its SQLite companions in a
// directory of their own under the file's base name, so that SQLite opening
// the copy finds its -wal beside it.
func (p *pipeline) stage(i int, c claimed) (string, map[string]string, error) {
	dir := filepath.Join(p.scratch, "x"+strconv.Itoa(i))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", nil, err
	}
	base := path.Base(c.path)
	local := filepath.Join(dir, base)
	if err := os.Link(c.scratch, local); err != nil {
		return "", nil, err
	}
	if err := os.Chmod(local, 0o400); err != nil {
		return "", nil, err
	}
	siblings := map[string]string{}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, suffix := range artifact.SiblingSuffixes {
		if s, ok := p.siblings[c.path+suffix]; ok {
			dst := local + suffix
			if err := os.Link(s, dst); err != nil {
				return "", nil, err
			}
			siblings[c.path+suffix] = dst
		}
	}
	return local, siblings, nil
}

func (p *pipeline) extractOne(ctx context.Context, x artifact.Extractor, c claimed, local string, siblings map[string]string) (bool, error) {
	if pr, ok := x.(artifact.Prober); ok {
		yes, err := pr.Probe(ctx, local)
		if err != nil {
			return false, fmt.Errorf("probe: %w", err)
		}
		if !yes {
			return false, nil
		}
	}
	a, done, err := p.st.BeginArtifact(ctx, store.Artifact{DeviceID: p.dev.ID, SourceID: p.rec.ID, Path: c.path,
		SHA256: c.sha256, Extractor: x.Name()})
	if err != nil {
		return false, err
	}
	if done {
		return true, nil
	}
	var warnings []string
	dropped := 0
	in := &artifact.Input{Device: p.dev, SourceID: p.rec.ID, Artifact: a, Path: c.path, SHA256: c.sha256, Local: local,
		Siblings: siblings, Store: p.st,
		Warn: func(format string, args ...any) {
			if len(warnings) < maxWarnings {
				warnings = append(warnings, fmt.Sprintf(format, args...))
			} else {
				dropped++
			}
		}}
	xerr := safeExtract(ctx, x, in)
	if dropped > 0 {
		warnings = append(warnings, fmt.Sprintf("%d more warnings not kept", dropped))
	}
	status := "complete"
	if xerr != nil {
		status = "failed"
		if ctx.Err() != nil {
			// Leave the record open: the rerun reopens it and starts over.
			return false, xerr
		}
		warnings = append(warnings, "error: "+xerr.Error())
	}
	if err := p.st.FinishArtifact(context.WithoutCancel(ctx), a.ID, status, nil, warnings); err != nil {
		return false, errors.Join(xerr, err)
	}
	return xerr == nil, xerr
}

// safeExtract runs an extractor, turning a panic on hostile input into an
// error: one bad database must not stop the case.
func safeExtract(ctx context.Context, x artifact.Extractor, in *artifact.Input) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("extractor %s failed on malformed input: %v", x.Name(), r)
		}
	}()
	return x.Extract(ctx, in)
}
