//! Pictures shared on the board, checked and cleaned: the host's reading of an upload, in a
//! crate of its own so that it can be fuzzed without the rest of the host.
//!
//! Contract:
//! - [`clean`] refuses anything but a PNG, JPEG or WebP — told by its bytes, not its name — that
//!   decodes completely within [`MAX_UPLOAD_BYTES`], [`MAX_SIDE`] pixels a side and
//!   [`MAX_PIXELS`] (the decoder is bounded before it allocates: a small file that claims a huge
//!   picture is refused, not inflated). What it returns is the decoded pixels written again as
//!   PNG, JPEG orientation applied: EXIF, GPS, ICC profiles, comments and anything else the file
//!   carried are gone. The id is the SHA-256 of that PNG ([`is_id`] tells one). That PNG is
//!   itself within [`MAX_UPLOAD_BYTES`], so what is kept would be accepted again unchanged.
//! - Keeping pictures and deciding who may see them is the host's business.
#![deny(missing_docs)]

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Largest upload, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 15 * 1024 * 1024;
/// Longest side, in pixels.
pub const MAX_SIDE: u32 = 8192;
/// Most pixels in a picture.
pub const MAX_PIXELS: u64 = 40_000_000;

/// Why a picture was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not one of the formats taken.
    #[error("the file is not a PNG, JPEG or WebP picture")]
    NotAPicture,
    /// Too many pixels (or a side too long).
    #[error(
        "the picture is {width}×{height} pixels; at most {MAX_SIDE} a side and 40 million in all"
    )]
    TooLarge {
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
    },
    /// Cut short or damaged.
    #[error("the picture could not be read: the file is damaged or cut short")]
    Damaged,
    /// Too many bytes: the upload, or its pixels written again as PNG (noise compresses
    /// badly, so a small JPEG can make a PNG of more than 15 MiB).
    #[error("the file is larger than 15 MiB, or would be once its pixels are written as PNG")]
    TooManyBytes,
}

/// A picture ready to keep: PNG bytes with nothing but pixels.
#[derive(Debug, Clone)]
pub struct CleanImage {
    /// SHA-256 of `png`, hex.
    pub id: String,
    /// The PNG file.
    pub png: Vec<u8>,
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
}

/// Checks an upload and writes its pixels again as PNG (see the module docs).
pub fn clean(bytes: &[u8]) -> Result<CleanImage, ImageError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ImageError::TooManyBytes);
    }
    let format = image::guess_format(bytes).map_err(|_| ImageError::NotAPicture)?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
    ) {
        return Err(ImageError::NotAPicture);
    }
    // The size the header claims decides before anything is decoded (the decoder's limits
    // below are the second guard).
    if let Some((width, height)) = claimed_size(bytes) {
        if too_large(width, height) {
            return Err(ImageError::TooLarge { width, height });
        }
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // The decoded picture (at most 4 bytes a pixel, 8 for 16-bit PNG) plus the decoder's own.
    limits.max_alloc = Some(MAX_PIXELS * 8 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| refusal(&e, bytes))?;
    let (width, height) = decoder.dimensions();
    if too_large(width, height) {
        return Err(ImageError::TooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(ImageError::Damaged);
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| refusal(&e, bytes))?;
    picture.apply_orientation(orientation);
    let picture = if picture.color().has_alpha() {
        DynamicImage::ImageRgba8(picture.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(picture.into_rgb8())
    };
    let mut png = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|_| ImageError::Damaged)?;
    if png.len() > MAX_UPLOAD_BYTES {
        return Err(ImageError::TooManyBytes);
    }
    Ok(CleanImage {
        id: hex(&Sha256::digest(&png)),
        png,
        width: picture.width(),
        height: picture.height(),
    })
}

/// A decoder's error as a refusal: limits mean too large (with the size the file claims).
fn refusal(e: &image::ImageError, bytes: &[u8]) -> ImageError {
    match e {
        image::ImageError::Limits(_) => {
            let (width, height) = claimed_size(bytes).unwrap_or((0, 0));
            ImageError::TooLarge { width, height }
        }
        image::ImageError::Unsupported(_) => ImageError::NotAPicture,
        _ => ImageError::Damaged,
    }
}

/// The size a file's header claims. A PNG's is in its first chunk, which comes first by rule;
/// the others are asked of their decoders, which read only the header for it.
fn claimed_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() >= 24 && bytes.starts_with(b"\x89PNG") && &bytes[12..16] == b"IHDR" {
        let be = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        return Some((be(16), be(20)));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    reader.no_limits();
    reader.into_dimensions().ok()
}

fn too_large(width: u32, height: u32) -> bool {
    width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `id` is a picture id (64 lower-case hex digits), so it can name a file.
pub fn is_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, RgbImage};

    fn picture(width: u32, height: u32) -> RgbImage {
        ImageBuffer::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, 200]))
    }

    fn encoded(format: ImageFormat, img: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img.clone())
            .write_to(&mut Cursor::new(&mut out), format)
            .unwrap();
        out
    }

    /// A JPEG with an EXIF segment (with a GPS tag's name in it) right after its start.
    fn jpeg_with_exif(img: &RgbImage) -> Vec<u8> {
        let jpeg = encoded(ImageFormat::Jpeg, img);
        let exif = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPSLatitude 52.5200N secret-place";
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(exif);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn png_jpeg_and_webp_come_out_as_png_with_only_pixels() {
        let img = picture(64, 48);
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let clean = clean(&encoded(format, &img)).unwrap();
            assert_eq!((clean.width, clean.height), (64, 48));
            assert_eq!(image::guess_format(&clean.png).unwrap(), ImageFormat::Png);
            assert!(is_id(&clean.id));
        }
        let png = clean(&encoded(ImageFormat::Png, &img)).unwrap();
        let back = image::load_from_memory(&png.png).unwrap().into_rgb8();
        assert_eq!(back, img, "a PNG's pixels are kept exactly");
    }

    #[test]
    fn exif_and_gps_do_not_survive() {
        let upload = jpeg_with_exif(&picture(32, 32));
        assert!(contains(&upload, b"GPSLatitude"));
        let clean = clean(&upload).unwrap();
        for needle in [&b"Exif"[..], b"GPS", b"secret-place"] {
            assert!(!contains(&clean.png, needle));
        }
    }

    #[test]
    fn bad_uploads_are_refused_with_their_reason() {
        let png = encoded(ImageFormat::Png, &picture(64, 64));
        assert_eq!(
            clean(&png[..png.len() / 2]).unwrap_err(),
            ImageError::Damaged
        );
        assert_eq!(clean(b"GIF89a......").unwrap_err(), ImageError::NotAPicture);
        assert_eq!(
            clean(b"hello, I am text").unwrap_err(),
            ImageError::NotAPicture
        );
        assert_eq!(clean(&[]).unwrap_err(), ImageError::NotAPicture);
        assert_eq!(
            clean(&vec![0u8; MAX_UPLOAD_BYTES + 1]).unwrap_err(),
            ImageError::TooManyBytes
        );
    }

    /// Found by the fuzz target `picture_upload` (kept in `fuzz/corpus/picture_upload`): a
    /// 300-byte JPEG of 4096×2101 pixels of noise, whose pixels as PNG took more than 15 MiB,
    /// was kept, though the host would refuse that PNG as an upload.
    #[test]
    fn a_picture_whose_png_is_over_the_limit_is_refused() {
        let jpeg = include_bytes!("../testdata/noise-4096x2101.jpg");
        assert_eq!(jpeg.len(), 300);
        assert_eq!(clean(jpeg).unwrap_err(), ImageError::TooManyBytes);
    }

    /// A PNG with a valid header (IHDR) for `width`×`height` and nothing behind it.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        png
    }

    #[test]
    fn a_small_file_that_claims_a_huge_picture_is_refused_before_decoding() {
        for (width, height) in [(60_000, 60_000), (8_000, 6_000), (8_193, 10)] {
            assert_eq!(
                clean(&png_header(width, height)).unwrap_err(),
                ImageError::TooLarge { width, height },
                "{width}x{height}"
            );
        }
        // Within the limits, the same cut-short file is damaged, not too large.
        assert_eq!(
            clean(&png_header(100, 100)).unwrap_err(),
            ImageError::Damaged
        );
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
