package pdq

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

// photoLike draws a benign synthetic scene with the statistics of a photo
// for the encoder (smooth colour fields, edges, fine noise), so that the
// JPEG decoder has realistic work: about 230 KB at 1024x768, quality 90,
// like the reference's measurement set (pdq.md §6).
func photoLike(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fx, fy := 3+r.Float64()*5, 2+r.Float64()*5
	for y := range h {
		for x := range w {
			u, v := float64(x)/float64(w), float64(y)/float64(h)
			base := 0.5 + 0.25*math.Sin(fx*u*math.Pi+2*v) + 0.2*math.Cos(fy*v*math.Pi-u)
			if (x/97+y/61)%4 == 0 {
				base = 1 - base
			}
			n := r.NormFloat64() * 0.022
			img.SetRGBA(x, y, color.RGBA{
				clampUnit(base + n), clampUnit(base*0.8 + 0.2*u + n), clampUnit(1 - base*0.7 + n), 255,
			})
		}
	}
	return img
}

func clampUnit(f float64) uint8 {
	return uint8(max(0, min(255, f*255)))
}

func benchJPEG(b *testing.B, w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(w, h, 1), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// measure starts the clocks; the function it returns reports images per
// second of wall time and CPU milliseconds per image (all threads), the
// figure that stays meaningful on a shared, busy machine.
func measure(b *testing.B) func() {
	b.ResetTimer()
	cpu0 := cpuSeconds()
	return func() {
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		if cpu := cpuSeconds() - cpu0; cpu > 0 {
			b.ReportMetric(cpu*1e3/float64(b.N), "cpu-ms/image")
		}
	}
}

// The hash core alone on a 512x512 plane (every image over 512 pixels
// ends up as one). Target: 1 ms or less; the reference takes about 6 ms.
func BenchmarkHashLuma512(b *testing.B) {
	s := new(scratch)
	s.fill(photoLike(512, 512, 2), fromAny)
	luma := append([]float32(nil), s.luma[:512*512]...)
	done := measure(b)
	for b.Loop() {
		HashLuma(luma, 512, 512)
	}
	done()
}

// Decode and hash, with the eight dihedral hashes, of one file in memory.
func benchDecodeHash(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	ctx := context.Background()
	done := measure(b)
	for b.Loop() {
		if _, err := HashBytes(ctx, data, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

func benchDecodeHashParallel(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	ctx := context.Background()
	done := measure(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := HashBytes(ctx, data, Limits{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	done()
}

func BenchmarkDecodeHashJPEG1024x768(b *testing.B) { benchDecodeHash(b, benchJPEG(b, 1024, 768)) }
func BenchmarkDecodeHashPNG256(b *testing.B) {
	benchDecodeHash(b, encodePNG(b, photoLike(256, 256, 3)))
}

func BenchmarkDecodeHashJPEG1024x768Parallel(b *testing.B) {
	benchDecodeHashParallel(b, benchJPEG(b, 1024, 768))
}

func BenchmarkDecodeHashPNG256Parallel(b *testing.B) {
	benchDecodeHashParallel(b, encodePNG(b, photoLike(256, 256, 3)))
}

// The conversion of a decoded 1024x768 4:2:0 JPEG to the 512x512 luma
// plane (fancy upsampling, colour conversion, luma) alone.
func BenchmarkLumaFromYCbCr1024x768(b *testing.B) {
	img, err := jpeg.Decode(bytes.NewReader(benchJPEG(b, 1024, 768)))
	if err != nil {
		b.Fatal(err)
	}
	s := new(scratch)
	done := measure(b)
	for b.Loop() {
		s.fill(img, fromAny)
	}
	done()
}
