// Package pdq computes PDQ, Meta's perceptual image hash (256 bits, with a
// quality score from 0 to 100 and eight dihedral variants), the hash that
// NCMEC and the Tech Coalition share. It is a pure Go implementation of the
// C++ reference (facebook/ThreatExchange pdq/cpp) that gives identical
// output for identical pixels.
//
// # Using it
//
// HashReader, HashBytes and HashFile decode a file (JPEG, PNG, GIF, BMP,
// TIFF, WebP, recognised by content) and return a Result with the hash,
// the quality and the dihedral hashes; HashFiles does many in parallel;
// Decode only decodes. HashImage and DihedralImage take an image already
// decoded; HashLuma and DihedralLuma a float32 luma plane; HashRGB a video
// frame as the reference's vPDQ hashes it (full size, no 512 resize).
// Hashes print and parse as 64 lower-case hex digits, exactly as the
// reference does; Distance is the Hamming distance. The reference's
// guidance: a match is a distance of 31 or less, and hashes of quality
// under 50 are too unreliable to match on. PDQ is not rotation-invariant:
// to find rotated or mirrored copies, compare against all eight Dihedral
// hashes (Variants estimates them when only a hash is known).
//
// Decoding is bounded (Limits): the file is read up to MaxBytes, the
// header is checked against MaxSide and MaxPixels before any pixel is
// decoded (and before the JPEG decoder allocates its coefficients), JPEGs
// of more than 1000 scans are refused, a decoder panic becomes an error,
// and the context cancels a decode in progress (give untrusted input a
// deadline).
//
// # Exactness
//
// The hash core (Jarosz tent filter, decimation to 64x64, quality, DCT,
// median) performs the reference's float32 operations in the reference's
// order, and every product is rounded by an explicit float32 conversion so
// that no compiler fuses it with an addition (the Go compiler does on
// arm64). The work the decimation discards is skipped, which does not
// change any value kept. For the same decoded pixels, hash and quality are
// bit-identical to the reference: every lossless conformance vector (PNG,
// GIF, BMP, lossless WebP) and the eight dihedral hashes of each.
//
// # The reference's quirks, and where this package departs from them
//
// The reference decodes through ImageMagick (convert FILE pnm:-) and CImg.
// Its quirks are reproduced, because matching hashes computed by it is the
// point:
//
//   - Images larger than 512 in either dimension are first resized to
//     exactly 512x512 (aspect ratio discarded) by nearest neighbour,
//     sampling source pixel floor(i*W/512). Only sampled pixels are
//     converted.
//   - An image whose pixels all have R=G=B is hashed through the grey path
//     (luma = the grey value, not 0.299R+0.587G+0.114B), whatever its file
//     type, as ImageMagick writes it as greyscale. BMP is the exception:
//     CImg reads BMP itself, always as RGB.
//   - Alpha is dropped, not composited: the colour stored under
//     transparent pixels is hashed. For GIF, whose Go decoder replaces the
//     transparent palette entry with black, the stored colour is restored.
//   - 16-bit samples (PNG, TIFF): the LOW byte is kept, as CImg's cast of
//     ImageMagick's 16-bit PNM does. An 8-bit image widened to 16 bits as
//     v*257 therefore hashes correctly, but a real 16-bit image hashes as
//     noise, exactly as the reference hashes it.
//   - EXIF orientation is ignored (no auto-rotation); ICC profiles are not
//     applied.
//   - GIF: the first frame (its own rectangle). TIFF: the first image.
//   - Images under 5 pixels in either dimension give the zero hash with
//     quality 0, unless the other dimension is over 512: the resize comes
//     first and stretches, say, 600x3 to 512x512, which is then hashed.
//   - Planes of exactly 64x64 skip the filter in the plain hash (a shortcut
//     the reference keeps for video frames) but not in the dihedral hashes;
//     Result carries both as the reference computes them.
//
// Deliberate departures:
//
//   - JPEG is decoded by this package's own decoder (jpeg.go), written to
//     give the pixels libjpeg-turbo gives ImageMagick: the "islow" integer
//     inverse DCT exactly as libjpeg-turbo's x86-64 SIMD code computes it,
//     its "fancy" chroma upsampling and context rows, its fixed-point
//     YCbCr to RGB conversion, its standard Huffman tables for files
//     without any, and its recovery from damaged data (zero bits past the
//     end, invalid codes read as zero, restart resynchronisation, unknown
//     markers refused). Pixels are byte-identical to djpeg -dct int on
//     every conformance JPEG, on cjpeg files of every sampling factor
//     (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, 4:1:0, mixed), progressive,
//     with restart intervals, grey and RGB, on Go-encoded files, and on
//     damaged sequential files; hashes, qualities and the eight dihedral
//     hashes are identical to the reference's on all 31 conformance JPEGs
//     (image/jpeg was up to 22 bits off) and on 50 generated 1024x768
//     photographs. Only the pixels the 512x512 resize samples are
//     computed. What remains different: (1) a progressive file whose
//     scans leave some coefficients unrefined (a truncated download, or
//     an unusual scan script) is smoothed by libjpeg-turbo ("block
//     smoothing"), not here, so such files can hash a few bits apart; (2)
//     a reference whose libjpeg-turbo runs its portable C inverse DCT (no
//     SIMD) or ARM's NEON code computes blocks with out-of-range
//     coefficients, which only damaged or crafted files have, otherwise
//     than x86-64 does; (3) the files this decoder does not read
//     (arithmetic coding, 12-bit, lossless or hierarchical JPEG,
//     fractional sampling ratios, a height set by a DNL marker) are
//     decoded by Go's image/jpeg, whose inverse DCT is not libjpeg's, with
//     libjpeg's colour conversion and upsampling applied to its planes:
//     hashes then usually match and otherwise are a few bits apart.
//     CMYK and YCCK JPEGs are converted with ImageMagick's formula.
//     Decode returns JPEGs as *image.RGBA (*image.Gray for greyscale)
//     with those pixels.
//   - Lossy WebP: Go's VP8 decoder yields libwebp's planes exactly, and
//     libwebp's fancy upsampling and YUV to RGB formulas are reproduced,
//     so hashes are identical to the reference's (30 of 30 generated
//     files, with and without alpha, odd sizes). Animated WebP is not
//     supported (nor by x/image/webp).
//   - BMP: the formats golang.org/x/image/bmp reads (1, 2, 4, 8, 24 and 32
//     bits, uncompressed); the reference also reads 16-bit BMP (CImg) and
//     RLE-compressed BMP (through ImageMagick), which are refused here.
//     32-bit BMP ignores the fourth byte, as CImg does.
//   - The format is recognised from the content, not from the file name as
//     the reference does; a file that is not an image is an error, where
//     the reference prints a zero hash with a stale quality.
//   - Image types no Go decoder here produces (HashImage of a custom
//     image.Image) are read through At as non-premultiplied 8-bit colour.
//   - TIFF palettes hold 16-bit colours, scaled to 8 bits by rounding as
//     ImageMagick does.
package pdq
