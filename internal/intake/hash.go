package intake

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"time"

	md5simd "github.com/minio/md5-simd"
	"golang.org/x/sys/cpu"
)

// chunkSize is the read size: large enough to amortise system calls, small
// enough to stay in cache while three hashes run over it.
const chunkSize = 256 << 10

// hasher computes MD5, SHA-1 and SHA-256 over one stream of bytes.
type hasher struct {
	md5, sha1, sha256 hash.Hash
	lane              md5simd.Hasher // md5, when it is a lane of a multi-buffer server
}

func newHasher() *hasher { return &hasher{md5: md5.New(), sha1: sha1.New(), sha256: sha256.New()} }

// newLaneHasher is a hasher whose MD5 runs on a lane of srv.
func newLaneHasher(srv md5simd.Server) *hasher {
	l := srv.NewHash()
	return &hasher{md5: l, lane: l, sha1: sha1.New(), sha256: sha256.New()}
}

// Close releases a multi-buffer lane.
func (h *hasher) Close() {
	if h.lane != nil {
		h.lane.Close()
	}
}

// multiBufferMD5 reports whether MD5 should run on multi-buffer lanes:
// SHA-1 and SHA-256 have SHA-NI instructions, MD5 has none, so one MD5
// stream per core is the intake's bottleneck; with AVX2 or AVX-512,
// github.com/minio/md5-simd hashes 8 or 16 streams at once per core
// (measured here: the three digests at 1.5 times the rate on 2 cores).
// VIGIL_MD5_SIMD=0 turns it off.
func multiBufferMD5() bool {
	if os.Getenv("VIGIL_MD5_SIMD") == "0" {
		return false
	}
	return cpu.X86.HasAVX2
}

func (h *hasher) Reset() { h.md5.Reset(); h.sha1.Reset(); h.sha256.Reset() }

func (h *hasher) Write(p []byte) (int, error) {
	h.md5.Write(p)
	h.sha1.Write(p)
	h.sha256.Write(p)
	return len(p), nil
}

type sums struct{ md5, sha1, sha256 string }

func (h *hasher) sums() sums {
	var b [sha256.Size]byte
	return sums{
		md5:    hex.EncodeToString(h.md5.Sum(b[:0])),
		sha1:   hex.EncodeToString(h.sha1.Sum(b[:0])),
		sha256: hex.EncodeToString(h.sha256.Sum(b[:0])),
	}
}

var hasherPool = sync.Pool{New: func() any { return newHasher() }}
var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// HashFile computes the three digests of a file (used for containers and
// by verify), reading it once, read-only. progress, when set, is called
// with the bytes read so far about five times a second.
func HashFile(ctx context.Context, path string, progress func(done int64)) (md5sum, sha1sum, sha256sum string, size int64, err error) {
	f, err := openEvidence(path)
	if err != nil {
		return "", "", "", 0, err
	}
	defer f.Close()
	h := hasherPool.Get().(*hasher)
	defer hasherPool.Put(h)
	h.Reset()
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	last := time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return "", "", "", size, err
		}
		n, rerr := f.Read(*bp)
		h.Write((*bp)[:n])
		size += int64(n)
		if progress != nil && time.Since(last) > 200*time.Millisecond {
			progress(size)
			last = time.Now()
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", "", "", size, fmt.Errorf("%s: %w", path, rerr)
		}
	}
	s := h.sums()
	return s.md5, s.sha1, s.sha256, size, nil
}

// openEvidence opens a file read-only without updating its access time
// where the kernel permits.
func openEvidence(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoATime, 0)
	if err != nil && oNoATime != 0 {
		f, err = os.OpenFile(path, os.O_RDONLY, 0)
	}
	return f, err
}

func hashContainer(ctx context.Context, path string, o Options) (sums, int64, error) {
	start := time.Now()
	fi, err := os.Stat(path)
	if err != nil {
		return sums{}, 0, fmt.Errorf("source %s: %w", path, err)
	}
	var report func(int64)
	if o.Progress != nil {
		report = func(done int64) {
			o.Progress(Progress{Source: path, Stage: "container", Found: 1, FoundBytes: fi.Size(), DoneBytes: done, WalkDone: true, Started: start})
		}
	}
	m, s1, s2, size, err := HashFile(ctx, path, report)
	if err != nil {
		return sums{}, 0, fmt.Errorf("source %s: hashing the container: %w", path, err)
	}
	return sums{md5: m, sha1: s1, sha256: s2}, size, nil
}
