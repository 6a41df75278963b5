//! Pixel conversions into I420 (BT.601, limited range: black is Y=16, white Y=235), and the
//! box-filter downscale used for the screen.
//!
//! Odd widths and heights are cropped by one pixel: I420 wants even sides.

use crate::synthetic::Frame;

/// An RGB pixel.
type Rgb = [u8; 3];

/// BT.601 limited-range luma of one RGB pixel.
fn luma([r, g, b]: Rgb) -> u8 {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16) as u8
}

/// BT.601 limited-range chroma (U, V) of one RGB pixel.
fn chroma([r, g, b]: Rgb) -> (u8, u8) {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
    let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    (u.clamp(0, 255) as u8, v.clamp(0, 255) as u8)
}

/// Builds an I420 frame of `width`×`height` (rounded down to even) from a function giving the
/// RGB pixel at (column, row). Chroma is taken from the mean of each 2×2 block.
fn rgb_fn_to_i420(width: usize, height: usize, pixel: impl Fn(usize, usize) -> Rgb) -> Frame {
    let (w, h) = (width & !1, height & !1);
    let (cw, ch) = (w / 2, h / 2);
    let mut y = vec![0u8; w * h];
    let mut u = vec![0u8; cw * ch];
    let mut v = vec![0u8; cw * ch];
    for by in 0..ch {
        for bx in 0..cw {
            let mut sum = [0u32; 3];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (col, row) = (2 * bx + dx, 2 * by + dy);
                let p = pixel(col, row);
                y[row * w + col] = luma(p);
                for c in 0..3 {
                    sum[c] += u32::from(p[c]);
                }
            }
            let mean = sum.map(|s| ((s + 2) / 4) as u8);
            let (cu, cv) = chroma(mean);
            u[by * cw + bx] = cu;
            v[by * cw + bx] = cv;
        }
    }
    Frame {
        width: w,
        height: h,
        y,
        u,
        v,
    }
}

/// Packed 24-bit RGB (as a JPEG decodes) to I420. `None` when the buffer is too short.
pub(crate) fn rgb_to_i420(rgb: &[u8], width: usize, height: usize) -> Option<Frame> {
    if width < 2 || height < 2 || rgb.len() < width * height * 3 {
        return None;
    }
    Some(rgb_fn_to_i420(width, height, |col, row| {
        let at = (row * width + col) * 3;
        [rgb[at], rgb[at + 1], rgb[at + 2]]
    }))
}

/// I420 back to packed 24-bit RGB, `width * height * 3` bytes (a still to share). Each 2×2
/// block shares its chroma, as I420 has it.
pub fn i420_to_rgb(frame: &Frame) -> Vec<u8> {
    let (w, h) = (frame.width, frame.height);
    let cw = w / 2;
    let mut rgb = Vec::with_capacity(w * h * 3);
    for row in 0..h {
        for col in 0..w {
            let c = 298 * (i32::from(frame.y[row * w + col]) - 16);
            let at = (row / 2) * cw + col / 2;
            let d = i32::from(frame.u[at]) - 128;
            let e = i32::from(frame.v[at]) - 128;
            let clamp = |x: i32| ((x + 128) >> 8).clamp(0, 255) as u8;
            rgb.extend([
                clamp(c + 409 * e),
                clamp(c - 100 * d - 208 * e),
                clamp(c + 516 * d),
            ]);
        }
    }
    rgb
}

/// Where red, green and blue sit in a 4-byte pixel (the fourth byte is ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Packed {
    /// B, G, R, X in memory: X11's and Windows' usual screen layout, PipeWire's `BGRx`.
    Bgrx,
    /// R, G, B, X in memory: what `xcap` hands out (`RGBA`), PipeWire's `RGBx`.
    #[cfg_attr(target_os = "linux", allow(dead_code))] // Windows and macOS (xcap); tests.
    Rgbx,
}

impl Packed {
    /// The byte offsets of red, green and blue within a pixel.
    fn offsets(self) -> [usize; 3] {
        match self {
            Self::Bgrx => [2, 1, 0],
            Self::Rgbx => [0, 1, 2],
        }
    }
}

/// Whether a buffer of 4-byte pixels is large enough for `width`×`height` at `stride`.
fn packed_fits(data: &[u8], width: usize, height: usize, stride: usize) -> bool {
    width >= 2
        && height >= 2
        && stride >= width * 4
        && data.len() >= stride * (height - 1) + width * 4
}

/// The size a `width`×`height` picture is scaled to so that it is at most `max_width` wide
/// (0: no limit), keeping its aspect ratio, with even sides of at least 2.
pub(crate) fn fit_width(width: usize, height: usize, max_width: usize) -> (usize, usize) {
    if max_width == 0 || width <= max_width {
        return ((width & !1).max(2), (height & !1).max(2));
    }
    let w = (max_width & !1).max(2);
    let h = ((height * w + width / 2) / width) & !1;
    (w, h.max(2))
}

/// Downscales RGB pixels given by `pixel(col, row)` from `src_w`×`src_h` to `dst_w`×`dst_h`
/// by averaging each output pixel's source rectangle (a box filter: text stays legible where
/// nearest-neighbour would drop strokes).
fn box_scale(
    src_w: usize,
    src_h: usize,
    dst_w: usize,
    dst_h: usize,
    pixel: impl Fn(usize, usize) -> Rgb,
) -> Vec<Rgb> {
    let span = |i: usize, src: usize, dst: usize| {
        let a = i * src / dst;
        let b = ((i + 1) * src / dst).max(a + 1).min(src);
        a..b
    };
    let mut out = Vec::with_capacity(dst_w * dst_h);
    for oy in 0..dst_h {
        let rows = span(oy, src_h, dst_h);
        for ox in 0..dst_w {
            let cols = span(ox, src_w, dst_w);
            let mut sum = [0u32; 3];
            let mut n = 0u32;
            for row in rows.clone() {
                for col in cols.clone() {
                    let p = pixel(col, row);
                    for c in 0..3 {
                        sum[c] += u32::from(p[c]);
                    }
                    n += 1;
                }
            }
            out.push(sum.map(|s| ((s + n / 2) / n) as u8));
        }
    }
    out
}

/// B, G, R, X pixels (see [`Packed::Bgrx`]) to I420, scaled down to fit `max_width` (see
/// [`fit_width`]; 0: full size).
pub(crate) fn bgrx_to_i420_scaled(
    bgrx: &[u8],
    width: usize,
    height: usize,
    stride: usize,
    max_width: usize,
) -> Option<Frame> {
    packed_to_i420_scaled(bgrx, Packed::Bgrx, width, height, stride, max_width)
}

/// 4-byte pixels laid out as `order` says, `stride` bytes a row, to I420, scaled down to fit
/// `max_width` (see [`fit_width`]; 0: full size). `None` when the buffer is too short.
pub(crate) fn packed_to_i420_scaled(
    data: &[u8],
    order: Packed,
    width: usize,
    height: usize,
    stride: usize,
    max_width: usize,
) -> Option<Frame> {
    if !packed_fits(data, width, height, stride) {
        return None;
    }
    let [r, g, b] = order.offsets();
    let pixel = |col: usize, row: usize| {
        let at = row * stride + col * 4;
        [data[at + r], data[at + g], data[at + b]]
    };
    let (dw, dh) = fit_width(width, height, max_width);
    if dw >= width & !1 {
        return Some(rgb_fn_to_i420(width, height, pixel));
    }
    let scaled = box_scale(width, height, dw, dh, pixel);
    Some(rgb_fn_to_i420(dw, dh, |col, row| scaled[row * dw + col]))
}

/// YUYV 4:2:2 (Y0 U Y1 V, the usual webcam format) to I420: luma as is, chroma averaged over
/// each pair of rows. `None` when the buffer is too short.
pub(crate) fn yuyv_to_i420(yuyv: &[u8], width: usize, height: usize) -> Option<Frame> {
    let stride = width * 2;
    if width < 2 || height < 2 || yuyv.len() < stride * height {
        return None;
    }
    let (w, h) = (width & !1, height & !1);
    let (cw, ch) = (w / 2, h / 2);
    let mut y = Vec::with_capacity(w * h);
    for row in 0..h {
        y.extend(yuyv[row * stride..row * stride + w * 2].iter().step_by(2));
    }
    let mut u = Vec::with_capacity(cw * ch);
    let mut v = Vec::with_capacity(cw * ch);
    for by in 0..ch {
        let (a, b) = (2 * by * stride, (2 * by + 1) * stride);
        for bx in 0..cw {
            let at = bx * 4;
            let mean = |i: usize| {
                (u16::from(yuyv[a + at + i]) + u16::from(yuyv[b + at + i])).div_ceil(2) as u8
            };
            u.push(mean(1));
            v.push(mean(3));
        }
    }
    Some(Frame {
        width: w,
        height: h,
        y,
        u,
        v,
    })
}

/// NV12 (a luma plane, then interleaved U V at half resolution) to I420. `None` when the
/// buffer is too short.
pub(crate) fn nv12_to_i420(nv12: &[u8], width: usize, height: usize) -> Option<Frame> {
    if width < 2 || height < 2 {
        return None;
    }
    // The chroma plane of an odd-sized picture rounds up.
    let (src_cw, src_ch) = (width.div_ceil(2), height.div_ceil(2));
    let luma_len = width * height;
    if nv12.len() < luma_len + src_cw * 2 * src_ch {
        return None;
    }
    let (w, h) = (width & !1, height & !1);
    let (cw, ch) = (w / 2, h / 2);
    let mut y = Vec::with_capacity(w * h);
    for row in 0..h {
        y.extend_from_slice(&nv12[row * width..row * width + w]);
    }
    let mut u = Vec::with_capacity(cw * ch);
    let mut v = Vec::with_capacity(cw * ch);
    for row in 0..ch {
        let line = &nv12[luma_len + row * src_cw * 2..][..cw * 2];
        for pair in line.chunks_exact(2) {
            u.push(pair[0]);
            v.push(pair[1]);
        }
    }
    Some(Frame {
        width: w,
        height: h,
        y,
        u,
        v,
    })
}

/// Decodes one MJPEG picture (a JPEG) to I420. A corrupt picture is an error, never a panic.
pub(crate) fn mjpeg_to_i420(jpeg: &[u8]) -> Result<Frame, String> {
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let decoded = std::panic::catch_unwind(|| {
        let options = DecoderOptions::default()
            .jpeg_set_out_colorspace(ColorSpace::RGB)
            .set_max_width(8192)
            .set_max_height(8192);
        let mut decoder = zune_jpeg::JpegDecoder::new_with_options(jpeg, options);
        let rgb = decoder.decode().map_err(|e| format!("{e:?}"))?;
        let (w, h) = decoder
            .dimensions()
            .ok_or_else(|| "no picture size".to_string())?;
        Ok::<_, String>((rgb, w, h))
    })
    .map_err(|_| "the JPEG decoder failed on a corrupt picture".to_string())??;
    let (rgb, w, h) = decoded;
    rgb_to_i420(&rgb, w, h).ok_or_else(|| format!("a {w}x{h} JPEG picture is too small"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i420_comes_back_to_the_same_colours() {
        let colours: [[u8; 3]; 6] = [
            [255, 0, 0],
            [0, 255, 0],
            [0, 0, 255],
            [255, 255, 255],
            [0, 0, 0],
            [120, 80, 200],
        ];
        // Each colour a 2x2 block: the chroma is the colour's own.
        let (w, h) = (colours.len() * 2, 2);
        let rgb: Vec<u8> = (0..h)
            .flat_map(|_| colours.iter().flat_map(|c| [*c, *c]).flatten())
            .collect();
        let frame = rgb_to_i420(&rgb, w, h).unwrap();
        let back = i420_to_rgb(&frame);
        assert_eq!(back.len(), rgb.len());
        for (i, (a, b)) in rgb.iter().zip(&back).enumerate() {
            assert!(a.abs_diff(*b) <= 3, "byte {i}: {a} became {b}");
        }
    }

    fn close(a: u8, b: u8) -> bool {
        a.abs_diff(b) <= 2
    }

    fn assert_colour(f: &Frame, (y, u, v): (u8, u8, u8)) {
        assert!(f.y.iter().all(|&p| close(p, y)), "Y {:?} vs {y}", &f.y[..4]);
        assert!(f.u.iter().all(|&p| close(p, u)), "U {:?} vs {u}", &f.u[..1]);
        assert!(f.v.iter().all(|&p| close(p, v)), "V {:?} vs {v}", &f.v[..1]);
    }

    /// BT.601 limited range of a few colours (as ffmpeg computes them).
    const COLOURS: [(Rgb, (u8, u8, u8)); 5] = [
        ([0, 0, 0], (16, 128, 128)),
        ([255, 255, 255], (235, 128, 128)),
        ([255, 0, 0], (81, 90, 240)),
        ([0, 255, 0], (145, 54, 34)),
        ([0, 0, 255], (41, 240, 110)),
    ];

    #[test]
    fn known_colours_convert_from_rgb_bgrx_and_rgbx() {
        for (rgb, yuv) in COLOURS {
            let pixels: Vec<u8> = std::iter::repeat_n(rgb, 4 * 4).flatten().collect();
            assert_colour(&rgb_to_i420(&pixels, 4, 4).unwrap(), yuv);
            let bgrx: Vec<u8> = std::iter::repeat_n([rgb[2], rgb[1], rgb[0], 255], 4 * 4)
                .flatten()
                .collect();
            assert_colour(&bgrx_to_i420_scaled(&bgrx, 4, 4, 16, 0).unwrap(), yuv);
            assert_colour(&bgrx_to_i420_scaled(&bgrx, 4, 4, 16, 2).unwrap(), yuv);
            let rgbx: Vec<u8> = std::iter::repeat_n([rgb[0], rgb[1], rgb[2], 0], 4 * 4)
                .flatten()
                .collect();
            assert_colour(
                &packed_to_i420_scaled(&rgbx, Packed::Rgbx, 4, 4, 16, 0).unwrap(),
                yuv,
            );
            assert_colour(
                &packed_to_i420_scaled(&rgbx, Packed::Rgbx, 4, 4, 16, 2).unwrap(),
                yuv,
            );
        }
    }

    #[test]
    fn odd_sizes_are_cropped_and_short_buffers_refused() {
        let f = rgb_to_i420(&[200; 5 * 3 * 3], 5, 3).unwrap();
        assert_eq!((f.width, f.height, f.y.len(), f.u.len()), (4, 2, 8, 2));
        assert!(rgb_to_i420(&[0; 10], 4, 4).is_none());
        assert!(bgrx_to_i420_scaled(&[0; 60], 4, 4, 16, 0).is_none());
        assert!(yuyv_to_i420(&[0; 31], 4, 4).is_none());
        assert!(nv12_to_i420(&[0; 23], 4, 4).is_none());
        assert!(rgb_to_i420(&[], 0, 0).is_none());
    }

    #[test]
    fn bgrx_rows_honour_the_stride() {
        // 2x2 pixels, rows padded to 12 bytes; padding is garbage.
        let red = [0u8, 0, 255, 0];
        let row = [red, red, [9, 9, 9, 9]].concat();
        let f = bgrx_to_i420_scaled(&[row.clone(), row].concat(), 2, 2, 12, 0).unwrap();
        assert_colour(&f, (81, 90, 240));
    }

    #[test]
    fn yuyv_keeps_luma_and_averages_chroma_rows() {
        // 4x2: row 0 U=100 V=200, row 1 U=110 V=210.
        let yuyv = [
            [10, 100, 20, 200, 30, 100, 40, 200],
            [50, 110, 60, 210, 70, 110, 80, 210],
        ]
        .concat();
        let f = yuyv_to_i420(&yuyv, 4, 2).unwrap();
        assert_eq!(f.y, vec![10, 20, 30, 40, 50, 60, 70, 80]);
        assert_eq!((f.u, f.v), (vec![105, 105], vec![205, 205]));
    }

    #[test]
    fn nv12_deinterleaves_chroma() {
        let mut nv12: Vec<u8> = (0..16).collect();
        nv12.extend([1, 2, 3, 4, 5, 6, 7, 8]);
        let f = nv12_to_i420(&nv12, 4, 4).unwrap();
        assert_eq!(f.y, (0..16).collect::<Vec<u8>>());
        assert_eq!((f.u, f.v), (vec![1, 3, 5, 7], vec![2, 4, 6, 8]));
    }

    #[test]
    fn fitting_keeps_aspect_and_even_sides() {
        assert_eq!(fit_width(1280, 800, 640), (640, 400));
        assert_eq!(fit_width(1280, 800, 0), (1280, 800));
        assert_eq!(fit_width(1281, 801, 2000), (1280, 800));
        assert_eq!(fit_width(1920, 1080, 1001), (1000, 562));
        assert_eq!(fit_width(1000, 10, 10), (10, 2));
    }

    #[test]
    fn box_scaling_averages() {
        // 4x2 BGRX: left half black, right half white; scaled to 2x... (2 wide) is one column
        // of each, not a blend, and 4→2 of alternating columns is the mean grey.
        let (k, w) = ([0u8, 0, 0, 0], [255u8, 255, 255, 0]);
        let halves = [k, k, w, w, k, k, w, w].concat();
        let f = bgrx_to_i420_scaled(&halves, 4, 2, 16, 2).unwrap();
        assert_eq!((f.width, f.height), (2, 2));
        assert_eq!(f.y, vec![16, 235, 16, 235]);
        let stripes = [k, w, k, w, k, w, k, w].concat();
        let f = bgrx_to_i420_scaled(&stripes, 4, 2, 16, 2).unwrap();
        assert!(f.y.iter().all(|&y| close(y, 126)), "{:?}", f.y);
    }

    #[test]
    fn a_jpeg_decodes_and_garbage_is_an_error() {
        // 16x16 pure red, written by ImageMagick (`convert -size 16x16 xc:red red.jpg`).
        let f = mjpeg_to_i420(include_bytes!("testdata/red16.jpg")).unwrap();
        assert_eq!((f.width, f.height), (16, 16));
        assert_colour(&f, (81, 90, 240));
        assert!(mjpeg_to_i420(b"\xff\xd8\xff\xe0 not a jpeg").is_err());
        assert!(mjpeg_to_i420(&[]).is_err());
    }
}
