// Command corpus writes the benchmark corpus of scripts/bench.sh: files of
// random bytes with log-uniform sizes (95% between 10 KB and 200 KB, 5%
// between 200 KB and 5 MB) and a share of generated JPEG photographs of
// abstract patterns, in 100 directories, deterministic for a seed.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

func main() {
	dir := flag.String("dir", "", "directory to write (must not exist)")
	n := flag.Int("files", 20000, "number of files")
	jpegs := flag.Float64("jpeg", 0.05, "share of files that are JPEG images")
	seed := flag.Uint64("seed", 42, "random seed")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "corpus: -dir is required")
		os.Exit(2)
	}
	if _, err := os.Stat(*dir); err == nil {
		fmt.Fprintf(os.Stderr, "corpus: %s exists\n", *dir)
		os.Exit(2)
	}
	// One 8 MiB random pool; files are slices of it with their number in
	// the first bytes, so every file differs and generation is fast.
	pool := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{byte(*seed)}).Read(pool)
	type job struct {
		i    int
		size int64
		jpeg bool
	}
	sr := rand.New(rand.NewPCG(*seed, *seed))
	jobs := make([]job, *n)
	var total int64
	for i := range jobs {
		lo, hi := 10e3, 200e3
		if sr.Float64() < 0.05 {
			lo, hi = 200e3, 5e6
		}
		size := int64(math.Exp(math.Log(lo) + sr.Float64()*(math.Log(hi)-math.Log(lo))))
		jobs[i] = job{i: i, size: size, jpeg: sr.Float64() < *jpegs}
	}
	ch := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				var data []byte
				name := fmt.Sprintf("f%06d.bin", j.i)
				if j.jpeg {
					data = photo(j.i)
					name = fmt.Sprintf("IMG_%06d.jpg", j.i)
				} else {
					data = make([]byte, j.size)
					off := (j.i * 7919) % (len(pool) - 1)
					for k := 0; k < len(data); {
						k += copy(data[k:], pool[off:])
						off = 0
					}
					copy(data, fmt.Sprintf("%d", j.i))
				}
				p := filepath.Join(*dir, fmt.Sprintf("d%02d", j.i%100), name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				total += int64(len(data))
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	fmt.Printf("%d files, %d bytes\n", *n, total)
}

// photo draws a 1024x768 abstract pattern and encodes it as a JPEG.
func photo(i int) []byte {
	w, h := 1024, 768
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	a, b := float64(i%17)+1, float64(i%29)+1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := math.Sin(float64(x)/a/9) + math.Cos(float64(y)/b/7) + math.Sin(float64(x+y)/61)
			img.Y[y*img.YStride+x] = uint8(128 + 40*v)
		}
	}
	for y := 0; y < h/2; y++ {
		for x := 0; x < w/2; x++ {
			img.Cb[y*img.CStride+x] = uint8(x*255/(w/2)) ^ uint8(i)
			img.Cr[y*img.CStride+x] = uint8(y * 255 / (h / 2))
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	return buf.Bytes()
}
