//! A moving test pattern with the frame number stamped into its pixels.
//!
//! The stamp is the top rows of the picture: 16 blocks of [`STAMP_BLOCK`]² luma pixels for the
//! 16-bit frame number, then 16 more for its bitwise complement, each block black (0) or white
//! (1). Blocks that large survive VP8 at any sensible bitrate; the complement lets
//! [`read_stamp`] refuse a picture it cannot read with certainty instead of guessing.

/// Side of one stamp block, in pixels.
pub const STAMP_BLOCK: usize = 16;

const STAMP_BITS: usize = 16;
const BLACK: u8 = 16;
const WHITE: u8 = 235;

/// One I420 picture: full-resolution luma, then the two chroma planes at half resolution.
/// The test pattern makes them; the VP8 decoder returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels (even).
    pub width: usize,
    /// Height in pixels (even).
    pub height: usize,
    /// Y plane, `width * height` bytes.
    pub y: Vec<u8>,
    /// U plane, `width/2 * height/2` bytes.
    pub u: Vec<u8>,
    /// V plane, `width/2 * height/2` bytes.
    pub v: Vec<u8>,
}

/// Generates the pattern frame after frame.
#[derive(Debug, Clone)]
pub struct TestPattern {
    width: usize,
    height: usize,
    next: u32,
    /// The luma of bars along a diagonal, long enough that every row is a slice of it.
    bars: Vec<u8>,
    /// The chroma planes (the same every frame) with the stamp's area grey.
    u: Vec<u8>,
    v: Vec<u8>,
}

impl TestPattern {
    /// A pattern of `width`×`height`; both are rounded down to even numbers, and must leave
    /// room for the stamp (at least `2 * 16 * STAMP_BLOCK` wide when one row of blocks is
    /// used; narrower pictures wrap the stamp onto more rows).
    pub fn new(width: usize, height: usize) -> Result<Self, String> {
        let (width, height) = (width & !1, height & !1);
        let per_row = width / STAMP_BLOCK;
        if per_row == 0 {
            return Err(format!("{width}x{height} is too small for the frame stamp"));
        }
        let rows = (2 * STAMP_BITS).div_ceil(per_row);
        if rows * STAMP_BLOCK > height / 2 {
            return Err(format!("{width}x{height} is too small for the frame stamp"));
        }
        // Luma at (col, row) depends on col + row + shift only: one line of bars serves every
        // row and frame as a slice, so a frame costs a copy per row, not arithmetic per pixel.
        let bars = (0..2 * width + height)
            .map(|i| 40 + (((i / 32) % 8) as u8) * 24)
            .collect();
        let (cw, ch) = (width / 2, height / 2);
        let mut u = vec![128u8; cw * ch];
        let mut v = vec![128u8; cw * ch];
        for row in 0..ch {
            for col in 0..cw {
                u[row * cw + col] = ((col * 255) / cw.max(1)) as u8;
                v[row * cw + col] = ((row * 255) / ch.max(1)) as u8;
            }
        }
        // Grey under the stamp: coloured blocks turn into clipped RGB whose brightness a
        // reader of RGB pixels (a browser's canvas) cannot rely on.
        let stamp_rows = rows * STAMP_BLOCK;
        let stamp_cols = per_row.min(2 * STAMP_BITS) * STAMP_BLOCK;
        for row in 0..stamp_rows / 2 {
            u[row * cw..row * cw + stamp_cols / 2].fill(128);
            v[row * cw..row * cw + stamp_cols / 2].fill(128);
        }
        Ok(Self {
            width,
            height,
            next: 0,
            bars,
            u,
            v,
        })
    }

    /// The next frame; numbers count up from 0 and wrap at 2¹⁶.
    pub fn next_frame(&mut self) -> Frame {
        let number = self.next;
        self.next = (self.next + 1) & 0xffff;
        let (w, h) = (self.width, self.height);
        let mut y = vec![0u8; w * h];
        // Diagonal luma bars that move two pixels a frame: motion for the encoder to work on.
        let shift = (number as usize * 2) % w.max(1);
        for (row, line) in y.chunks_exact_mut(w).enumerate() {
            line.copy_from_slice(&self.bars[row + shift..row + shift + w]);
        }
        let (u, v) = (self.u.clone(), self.v.clone());
        stamp(&mut y, w, number as u16);
        Frame {
            width: w,
            height: h,
            y,
            u,
            v,
        }
    }
}

fn bits(number: u16) -> impl Iterator<Item = bool> {
    let value = u32::from(number) | (u32::from(!number) << 16);
    (0..2 * STAMP_BITS).map(move |i| value >> i & 1 == 1)
}

fn stamp(y: &mut [u8], width: usize, number: u16) {
    let per_row = width / STAMP_BLOCK;
    for (i, bit) in bits(number).enumerate() {
        let (bx, by) = (i % per_row, i / per_row);
        for row in by * STAMP_BLOCK..(by + 1) * STAMP_BLOCK {
            let start = row * width + bx * STAMP_BLOCK;
            y[start..start + STAMP_BLOCK].fill(if bit { WHITE } else { BLACK });
        }
    }
}

/// Reads the stamped number from a luma plane (decoded, so possibly blurred). `None` when the
/// picture is too small or any block is unclear or disagrees with its complement.
pub fn read_stamp(y: &[u8], width: usize, height: usize) -> Option<u16> {
    let per_row = width / STAMP_BLOCK;
    if per_row == 0 || y.len() < width * height {
        return None;
    }
    let rows = (2 * STAMP_BITS).div_ceil(per_row);
    if rows * STAMP_BLOCK > height {
        return None;
    }
    let mut value = 0u32;
    for i in 0..2 * STAMP_BITS {
        let (bx, by) = (i % per_row, i / per_row);
        // The block's centre half: edges blur in a lossy codec.
        let (q, h) = (STAMP_BLOCK / 4, STAMP_BLOCK / 2);
        let mut sum = 0u32;
        for row in by * STAMP_BLOCK + q..by * STAMP_BLOCK + q + h {
            let start = row * width + bx * STAMP_BLOCK + q;
            sum += y[start..start + h]
                .iter()
                .map(|&p| u32::from(p))
                .sum::<u32>();
        }
        let mean = sum / (h * h) as u32;
        let bit = match mean {
            0..=90 => false,
            170.. => true,
            _ => return None,
        };
        value |= u32::from(bit) << i;
    }
    let (number, check) = (value & 0xffff, value >> 16);
    (number ^ check == 0xffff).then_some(number as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_read_back_and_count_up() {
        let mut p = TestPattern::new(640, 480).unwrap();
        for expected in 0..50u16 {
            let f = p.next_frame();
            assert_eq!(
                (f.y.len(), f.u.len(), f.v.len()),
                (640 * 480, 320 * 240, 320 * 240)
            );
            assert_eq!(read_stamp(&f.y, f.width, f.height), Some(expected));
        }
    }

    #[test]
    fn the_stamp_survives_blur_and_noise() {
        let mut p = TestPattern::new(320, 240).unwrap();
        let f = p.next_frame();
        // A 3x3 box blur and ±20 of deterministic noise: worse than VP8 at a sane bitrate.
        let (w, h) = (f.width, f.height);
        let mut blurred = f.y.clone();
        for row in 1..h - 1 {
            for col in 1..w - 1 {
                let mut s = 0u32;
                for dr in 0..3 {
                    for dc in 0..3 {
                        s += u32::from(f.y[(row + dr - 1) * w + col + dc - 1]);
                    }
                }
                let noise = ((row * 31 + col * 17) % 41) as i32 - 20;
                blurred[row * w + col] = (s as i32 / 9 + noise).clamp(0, 255) as u8;
            }
        }
        assert_eq!(read_stamp(&blurred, w, h), Some(0));
    }

    #[test]
    fn an_unreadable_picture_is_refused_not_guessed() {
        let grey = vec![128u8; 640 * 480];
        assert_eq!(read_stamp(&grey, 640, 480), None);
        let mut p = TestPattern::new(640, 480).unwrap();
        let mut f = p.next_frame();
        // Flip one bit block without its complement: the check fails.
        for row in 0..STAMP_BLOCK {
            f.y[row * 640..row * 640 + STAMP_BLOCK].fill(WHITE);
        }
        assert_eq!(read_stamp(&f.y, 640, 480), None);
        assert!(TestPattern::new(8, 8).is_err());
    }

    #[test]
    fn the_picture_moves() {
        let mut p = TestPattern::new(320, 240).unwrap();
        let (a, b) = (p.next_frame(), p.next_frame());
        let below_stamp = 3 * STAMP_BLOCK * 320;
        assert_ne!(a.y[below_stamp..], b.y[below_stamp..]);
    }
}
