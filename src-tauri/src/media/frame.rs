//! The video frame message from the app to its window: a fixed 16-byte header, then the three
//! I420 planes, sent as raw bytes over a Tauri channel (no JSON, no base64).
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 4 | magic `ISVF` |
//! | 4 | 1 | version, [`VERSION`] |
//! | 5 | 1 | track: 1 camera, 2 screen |
//! | 6 | 1 | source: the sender's index in the session's participant list (order of joining), [`SELF_VIEW`] (255) for this computer's own picture |
//! | 7 | 1 | reserved, 0 |
//! | 8 | 2 | width in pixels, u16 little-endian |
//! | 10 | 2 | height in pixels, u16 little-endian |
//! | 12 | 4 | sequence number of the frame in its stream, u32 little-endian |
//! | 16 | w·h | Y plane, rows of `w` bytes |
//! | … | ⌈w/2⌉·⌈h/2⌉ | U plane |
//! | … | ⌈w/2⌉·⌈h/2⌉ | V plane |
//!
//! A stream is one (source, track) pair; the window acknowledges each stream's frames by
//! sequence number so that the app sends no more than it can draw (see `video.rs`). The same
//! layout is read by `ui/src/lib/i420frame.ts`.

/// The first four bytes of every frame message.
pub const MAGIC: [u8; 4] = *b"ISVF";

/// The layout's version; a window that reads another version drops the frame.
pub const VERSION: u8 = 1;

/// Bytes before the Y plane.
pub const HEADER_LEN: usize = 16;

/// The source index that marks this computer's own picture (self-view).
pub const SELF_VIEW: u8 = 255;

/// Which picture a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Track {
    /// A camera.
    Camera = 1,
    /// A shared screen.
    Screen = 2,
}

/// One stream of frames: who sends it and which track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamId {
    /// Index in the participant list, or [`SELF_VIEW`].
    pub source: u8,
    /// Camera or screen.
    pub track: Track,
}

impl StreamId {
    /// The number the window uses to acknowledge this stream: `source * 256 + track`.
    pub fn key(self) -> u16 {
        u16::from(self.source) << 8 | self.track as u16
    }
}

/// Why a picture cannot be put into a frame message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Wider or taller than the header can say, or empty.
    #[error("a {width}x{height} picture does not fit the frame header")]
    Size {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
    },
    /// A plane's length does not match the size.
    #[error("the {plane} plane has {got} bytes, a {width}x{height} picture needs {want}")]
    Plane {
        /// `Y`, `U` or `V`.
        plane: &'static str,
        /// Its length.
        got: usize,
        /// The length the size calls for.
        want: usize,
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
    },
}

/// An I420 picture by reference: what [`encode`] needs.
#[derive(Debug, Clone, Copy)]
pub struct Planes<'a> {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Luma, `width * height` bytes.
    pub y: &'a [u8],
    /// Blue difference, `⌈width/2⌉ * ⌈height/2⌉` bytes.
    pub u: &'a [u8],
    /// Red difference, same size as `u`.
    pub v: &'a [u8],
}

/// The size of a frame message for a `width` x `height` picture.
pub fn message_len(width: usize, height: usize) -> usize {
    let chroma = width.div_ceil(2) * height.div_ceil(2);
    HEADER_LEN + width * height + 2 * chroma
}

/// Builds one frame message.
pub fn encode(stream: StreamId, seq: u32, planes: Planes<'_>) -> Result<Vec<u8>, FrameError> {
    check(&planes)?;
    let mut out = header(stream, seq, planes.width, planes.height);
    out.extend_from_slice(planes.y);
    out.extend_from_slice(planes.u);
    out.extend_from_slice(planes.v);
    Ok(out)
}

/// Builds one frame message of the picture at half its width and height (each output pixel the
/// mean of four): for small tiles such as the self-view, a quarter of the bytes to carry and
/// draw. Pictures narrower or lower than 4 pixels go at full size.
pub fn encode_half(stream: StreamId, seq: u32, planes: Planes<'_>) -> Result<Vec<u8>, FrameError> {
    check(&planes)?;
    let Planes {
        width,
        height,
        y,
        u,
        v,
    } = planes;
    if width < 4 || height < 4 {
        return encode(stream, seq, planes);
    }
    let (hw, hh) = (width / 2, height / 2);
    let mut out = header(stream, seq, hw, hh);
    halve(&mut out, y, width, hw, hh);
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let (hcw, hch) = (hw.div_ceil(2), hh.div_ceil(2));
    for plane in [u, v] {
        // Chroma of the half picture: the chroma plane halved where it can be; a last odd
        // column or row repeats its neighbour.
        for row in 0..hch {
            let r0 = (2 * row).min(ch - 1);
            let r1 = (2 * row + 1).min(ch - 1);
            for col in 0..hcw {
                let c0 = (2 * col).min(cw - 1);
                let c1 = (2 * col + 1).min(cw - 1);
                let sum = u16::from(plane[r0 * cw + c0])
                    + u16::from(plane[r0 * cw + c1])
                    + u16::from(plane[r1 * cw + c0])
                    + u16::from(plane[r1 * cw + c1]);
                out.push(((sum + 2) / 4) as u8);
            }
        }
    }
    debug_assert_eq!(out.len(), message_len(hw, hh));
    Ok(out)
}

/// Appends `plane` (`width` wide) halved to `hw` x `hh`.
fn halve(out: &mut Vec<u8>, plane: &[u8], width: usize, hw: usize, hh: usize) {
    for row in 0..hh {
        let top = &plane[2 * row * width..];
        let bottom = &plane[(2 * row + 1) * width..];
        for col in 0..hw {
            let sum = u16::from(top[2 * col])
                + u16::from(top[2 * col + 1])
                + u16::from(bottom[2 * col])
                + u16::from(bottom[2 * col + 1]);
            out.push(((sum + 2) / 4) as u8);
        }
    }
}

fn check(planes: &Planes<'_>) -> Result<(), FrameError> {
    let (width, height) = (planes.width, planes.height);
    if width == 0 || height == 0 || width > usize::from(u16::MAX) || height > usize::from(u16::MAX)
    {
        return Err(FrameError::Size { width, height });
    }
    let chroma = width.div_ceil(2) * height.div_ceil(2);
    for (plane, got, want) in [
        ("Y", planes.y.len(), width * height),
        ("U", planes.u.len(), chroma),
        ("V", planes.v.len(), chroma),
    ] {
        if got != want {
            return Err(FrameError::Plane {
                plane,
                got,
                want,
                width,
                height,
            });
        }
    }
    Ok(())
}

/// The header, in a buffer with room for the planes. `width` and `height` were checked.
fn header(stream: StreamId, seq: u32, width: usize, height: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(message_len(width, height));
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(stream.track as u8);
    out.push(stream.source);
    out.push(0);
    out.extend_from_slice(&(width as u16).to_le_bytes());
    out.extend_from_slice(&(height as u16).to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out
}

/// A header read back (the window does this in TypeScript; here for tests).
#[cfg(test)]
#[derive(Debug, PartialEq, Eq)]
pub struct Header {
    pub stream: StreamId,
    pub width: usize,
    pub height: usize,
    pub seq: u32,
}

#[cfg(test)]
pub fn decode_header(bytes: &[u8]) -> Option<Header> {
    if bytes.len() < HEADER_LEN || bytes[..4] != MAGIC || bytes[4] != VERSION {
        return None;
    }
    let track = match bytes[5] {
        1 => Track::Camera,
        2 => Track::Screen,
        _ => return None,
    };
    let width = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let height = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
    (bytes.len() == message_len(width, height)).then(|| Header {
        stream: StreamId {
            source: bytes[6],
            track,
        },
        width,
        height,
        seq: u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: usize, height: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let chroma = width.div_ceil(2) * height.div_ceil(2);
        (
            (0..width * height).map(|i| i as u8).collect(),
            vec![0x55; chroma],
            vec![0xaa; chroma],
        )
    }

    #[test]
    fn the_header_is_sixteen_bytes_in_the_documented_layout() {
        let (y, u, v) = picture(4, 2);
        let stream = StreamId {
            source: 1,
            track: Track::Screen,
        };
        let bytes = encode(
            stream,
            0x0102_0304,
            Planes {
                width: 4,
                height: 2,
                y: &y,
                u: &u,
                v: &v,
            },
        )
        .unwrap();
        assert_eq!(
            &bytes[..HEADER_LEN],
            &[b'I', b'S', b'V', b'F', 1, 2, 1, 0, 4, 0, 2, 0, 4, 3, 2, 1]
        );
        assert_eq!(
            &bytes[16..24],
            &[0, 1, 2, 3, 4, 5, 6, 7],
            "Y follows the header"
        );
        assert_eq!(&bytes[24..26], &[0x55, 0x55], "then U");
        assert_eq!(&bytes[26..28], &[0xaa, 0xaa], "then V");
        assert_eq!(bytes.len(), message_len(4, 2));
    }

    #[test]
    fn a_frame_reads_back_as_it_was_written() {
        for (width, height) in [(640, 480), (1280, 720), (2, 2), (3, 5), (65535, 1)] {
            let (y, u, v) = picture(width, height);
            let stream = StreamId {
                source: SELF_VIEW,
                track: Track::Camera,
            };
            let bytes = encode(
                stream,
                7,
                Planes {
                    width,
                    height,
                    y: &y,
                    u: &u,
                    v: &v,
                },
            )
            .unwrap();
            assert_eq!(
                decode_header(&bytes),
                Some(Header {
                    stream,
                    width,
                    height,
                    seq: 7
                })
            );
        }
    }

    #[test]
    fn sizes_the_header_cannot_carry_are_refused() {
        for (width, height) in [(0, 480), (640, 0), (65536, 2)] {
            let (y, u, v) = picture(width, height);
            let result = encode(
                StreamId {
                    source: 0,
                    track: Track::Camera,
                },
                0,
                Planes {
                    width,
                    height,
                    y: &y,
                    u: &u,
                    v: &v,
                },
            );
            assert_eq!(result, Err(FrameError::Size { width, height }));
        }
    }

    #[test]
    fn planes_of_the_wrong_length_are_refused() {
        let (y, u, v) = picture(8, 8);
        let stream = StreamId {
            source: 0,
            track: Track::Camera,
        };
        let short_v = &v[..v.len() - 1];
        let err = encode(
            stream,
            0,
            Planes {
                width: 8,
                height: 8,
                y: &y,
                u: &u,
                v: short_v,
            },
        )
        .unwrap_err();
        assert!(matches!(
            err,
            FrameError::Plane {
                plane: "V",
                got: 15,
                want: 16,
                ..
            }
        ));
        let err = encode(
            stream,
            0,
            Planes {
                width: 8,
                height: 6,
                y: &y,
                u: &u,
                v: &v,
            },
        )
        .unwrap_err();
        assert!(matches!(err, FrameError::Plane { plane: "Y", .. }));
    }

    #[test]
    fn a_half_size_frame_averages_each_two_by_two_block() {
        // 4x4 luma with distinct 2x2 blocks; 2x2 chroma.
        let y = [
            10, 20, 100, 100, //
            30, 40, 100, 100, //
            0, 0, 255, 255, //
            0, 1, 255, 254,
        ];
        let u = [10, 20, 30, 41];
        let v = [200, 200, 200, 200];
        let stream = StreamId {
            source: SELF_VIEW,
            track: Track::Camera,
        };
        let bytes = encode_half(
            stream,
            3,
            Planes {
                width: 4,
                height: 4,
                y: &y,
                u: &u,
                v: &v,
            },
        )
        .unwrap();
        assert_eq!(
            decode_header(&bytes),
            Some(Header {
                stream,
                width: 2,
                height: 2,
                seq: 3
            })
        );
        assert_eq!(
            &bytes[16..20],
            &[25, 100, 0, 255],
            "Y: the mean of each block, rounded"
        );
        assert_eq!(
            &bytes[20..22],
            &[25, 200],
            "U then V: one sample, the mean of four"
        );
    }

    #[test]
    fn half_size_handles_odd_sizes_and_keeps_tiny_pictures() {
        for (width, height) in [(640, 480), (641, 479), (6, 6), (7, 5)] {
            let (y, u, v) = picture(width, height);
            let stream = StreamId {
                source: SELF_VIEW,
                track: Track::Camera,
            };
            let planes = Planes {
                width,
                height,
                y: &y,
                u: &u,
                v: &v,
            };
            let header = decode_header(&encode_half(stream, 0, planes).unwrap()).unwrap();
            assert_eq!((header.width, header.height), (width / 2, height / 2));
        }
        let (y, u, v) = picture(2, 2);
        let tiny = Planes {
            width: 2,
            height: 2,
            y: &y,
            u: &u,
            v: &v,
        };
        let stream = StreamId {
            source: 0,
            track: Track::Camera,
        };
        assert_eq!(encode_half(stream, 0, tiny), encode(stream, 0, tiny));
    }

    #[test]
    fn stream_keys_are_distinct_per_source_and_track() {
        let key = |source, track| StreamId { source, track }.key();
        assert_eq!(key(0, Track::Camera), 1);
        assert_eq!(key(0, Track::Screen), 2);
        assert_eq!(key(1, Track::Camera), 257);
        assert_eq!(key(SELF_VIEW, Track::Camera), 0xff01);
    }

    #[test]
    fn a_damaged_header_does_not_read() {
        let (y, u, v) = picture(2, 2);
        let good = encode(
            StreamId {
                source: 0,
                track: Track::Camera,
            },
            0,
            Planes {
                width: 2,
                height: 2,
                y: &y,
                u: &u,
                v: &v,
            },
        )
        .unwrap();
        let mut bad_magic = good.clone();
        bad_magic[0] = b'X';
        let mut bad_version = good.clone();
        bad_version[4] = 2;
        let mut bad_track = good.clone();
        bad_track[5] = 3;
        for bytes in [
            &bad_magic,
            &bad_version,
            &bad_track,
            &good[..good.len() - 1].to_vec(),
        ] {
            assert_eq!(decode_header(bytes), None);
        }
    }
}
