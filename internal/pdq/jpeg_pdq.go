package pdq

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
)

// The JPEG decoder's two uses: the luma plane for the hash (only the
// pixels the 512x512 resize samples), and a whole image for Decode.

// jpegScratch is the decoder's reusable memory.
type jpegScratch struct {
	r   jpegRenderer
	rgb []byte
}

var jpegScratchPool = sync.Pool{New: func() any { return new(jpegScratch) }}

// hashJPEG decodes a JPEG straight into the luma plane and hashes it. ok
// is false when the decoder does not support the file, which the caller
// then decodes with image/jpeg.
func hashJPEG(ctx context.Context, data []byte, lim Limits) (res Result, ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, ok, err = Result{}, true, fmt.Errorf("jpeg decoder failed on malformed data: %v", p)
		}
	}()
	d, err := decodeJPEG(ctx, data, lim)
	if errors.Is(err, errJPEGUnsupported) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, true, jpegError(ctx, err)
	}
	defer d.release()
	s := getScratch()
	defer putScratch(s)
	rows, cols := s.sampling(d.width, d.height)
	plane := s.plane(rows, cols)
	js := jpegScratchPool.Get().(*jpegScratch)
	defer jpegScratchPool.Put(js)
	js.r = jpegRenderer{d: d, comps: js.r.comps}
	js.rgb = growBytes(js.rgb, rows*cols*3)
	js.r.render(s.rgb.xs, s.rgb.ys, js.rgb)
	rgb := js.rgb
	if js.r.allGrey(js.rgb, rows, cols) {
		for i := range plane {
			plane[i] = grey[rgb[3*i]]
		}
	} else {
		for i := range plane {
			p := rgb[3*i : 3*i+3 : 3*i+3]
			plane[i] = float32(lumaR[p[0]]+lumaG[p[1]]) + lumaB[p[2]]
		}
	}
	h, dih, q := s.hashAndDihedral(rows, cols)
	js.r = jpegRenderer{comps: js.r.comps}
	return Result{Hash: h, Quality: q, Dihedral: dih, Format: "jpeg", Width: d.width, Height: d.height}, true, nil
}

// jpegError names the format in a decoding error, except in those that
// already do (limits) or are not about the file (the context's).
func jpegError(ctx context.Context, err error) error {
	if errors.Is(err, ErrTooLarge) || (ctx.Err() != nil && errors.Is(err, ctx.Err())) {
		return err
	}
	return fmt.Errorf("jpeg: %w", err)
}

// allGrey reports whether every pixel of the image has R=G=B, which makes
// ImageMagick write it as greyscale and the reference take its grey path.
// sampled holds the rows x cols pixels already rendered (the resize's
// sample, the whole image when it is not resized): one colour pixel among
// them settles it. Otherwise a YCbCr image whose chroma coefficients are
// all zero is grey (every chroma sample is 128); and failing that, the
// pixels are rendered and checked a strip at a time.
func (r *jpegRenderer) allGrey(sampled []byte, rows, cols int) bool {
	d := r.d
	if d.colorSpace == csGrey {
		return true
	}
	if !greyRGB(sampled[:rows*cols*3]) {
		return false
	}
	if rows == d.height && cols == d.width {
		return true // every pixel was sampled
	}
	if d.colorSpace == csYCbCr && allZero(d.comps[1].coef) && allZero(d.comps[2].coef) {
		return true
	}
	const strip = 16
	xs := make([]int, d.width)
	for i := range xs {
		xs[i] = i
	}
	ys := make([]int, 0, strip)
	buf := make([]byte, strip*d.width*3)
	for y0 := 0; y0 < d.height; y0 += strip {
		ys = ys[:0]
		for y := y0; y < min(y0+strip, d.height); y++ {
			ys = append(ys, y)
		}
		r.render(xs, ys, buf)
		if !greyRGB(buf[:len(ys)*d.width*3]) {
			return false
		}
		if y0&1023 == 0 && d.ctx.Err() != nil {
			return false // the caller's context ends the hash anyway
		}
	}
	return true
}

func greyRGB(p []byte) bool {
	for i := 0; i+2 < len(p); i += 3 {
		if p[i] != p[i+1] || p[i] != p[i+2] {
			return false
		}
	}
	return true
}

func allZero(c []int16) bool {
	for _, v := range c {
		if v != 0 {
			return false
		}
	}
	return true
}

// decodeJPEGImage decodes a whole JPEG with this package's decoder: an
// *image.Gray for greyscale files, else an *image.RGBA with libjpeg-turbo's
// RGB (CMYK converted as ImageMagick does). ok is false when the decoder
// does not support the file.
func decodeJPEGImage(ctx context.Context, data []byte, lim Limits) (img image.Image, ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, ok, err = nil, true, fmt.Errorf("jpeg decoder failed on malformed data: %v", p)
		}
	}()
	d, err := decodeJPEG(ctx, data, lim)
	if errors.Is(err, errJPEGUnsupported) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, jpegError(ctx, err)
	}
	defer d.release()
	r := &jpegRenderer{d: d}
	xs := make([]int, d.width)
	for i := range xs {
		xs[i] = i
	}
	const strip = 16
	ys := make([]int, 0, strip)
	buf := make([]byte, strip*d.width*3)
	var gray *image.Gray
	var rgba *image.RGBA
	if d.colorSpace == csGrey {
		gray = image.NewGray(image.Rect(0, 0, d.width, d.height))
	} else {
		rgba = image.NewRGBA(image.Rect(0, 0, d.width, d.height))
	}
	for y0 := 0; y0 < d.height; y0 += strip {
		if err := ctx.Err(); err != nil {
			return nil, true, err
		}
		ys = ys[:0]
		for y := y0; y < min(y0+strip, d.height); y++ {
			ys = append(ys, y)
		}
		r.render(xs, ys, buf)
		for j, y := range ys {
			src := buf[j*d.width*3 : (j+1)*d.width*3]
			if gray != nil {
				row := gray.Pix[y*gray.Stride : y*gray.Stride+d.width]
				for i := range row {
					row[i] = src[3*i]
				}
				continue
			}
			row := rgba.Pix[y*rgba.Stride : y*rgba.Stride+4*d.width]
			for i := 0; i < d.width; i++ {
				row[4*i], row[4*i+1], row[4*i+2], row[4*i+3] = src[3*i], src[3*i+1], src[3*i+2], 255
			}
		}
	}
	if gray != nil {
		return gray, true, nil
	}
	return rgba, true, nil
}
