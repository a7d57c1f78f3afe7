package evidence

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"syscall"
	"testing"
	"time"
)

// Walking and reading every member of a 20,000-entry archive, as the
// intake does: open, walk in name order, read each file once. The 2,000
// entry runs show that the cost per entry does not grow with the archive.
//
//	go test ./internal/evidence -run XXX -bench Walk -benchtime 5x
func BenchmarkWalkTar(b *testing.B) { benchSizes(b, "tar") }
func BenchmarkWalkZip(b *testing.B) { benchSizes(b, "zip") }

func benchSizes(b *testing.B, kind string) {
	for _, n := range []int{2_000, 20_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchWalk(b, kind, n) })
	}
}

func benchWalk(b *testing.B, kind string, n int) {
	ms := make([]member, n)
	for i := range ms {
		ms[i] = member{name: fmt.Sprintf("dir%03d/file%05d.bin", i%200, i), data: pattern(i, 512+i%1024), mtime: t0}
	}
	var data []byte
	if kind == "tar" {
		data = makeTar(b, tar.FormatPAX, ms)
	} else {
		data = makeZip(b, ms)
	}
	p := writeTemp(b, "bench."+kind, data)
	b.SetBytes(int64(len(data)))
	cpu0 := cpuTime()
	for b.Loop() {
		src, err := Open(p)
		if err != nil {
			b.Fatal(err)
		}
		files := 0
		err = fs.WalkDir(src, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			f, err := src.Open(path)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, f)
			f.Close()
			files++
			return err
		})
		src.Close()
		if err != nil || files != n {
			b.Fatalf("walked %d files: %v", files, err)
		}
	}
	// The machine is shared: CPU time per walk says more than wall time.
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/float64(n), "cpu-µs/file")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
