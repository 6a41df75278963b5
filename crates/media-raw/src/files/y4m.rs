//! YUV4MPEG2 (`.y4m`), 4:2:0 8-bit only: what ffmpeg and Chromium's fake camera read and write.

use std::io::{BufRead, Read, Write};

use crate::synthetic::Frame;

/// Why a Y4M stream was refused.
#[derive(Debug, thiserror::Error)]
pub enum Y4mError {
    /// Reading failed.
    #[error("reading the Y4M file: {0}")]
    Io(#[from] std::io::Error),
    /// It does not start with `YUV4MPEG2`.
    #[error("not a Y4M file")]
    NotY4m,
    /// The header lacks or garbles a field.
    #[error("bad Y4M header: {0}")]
    BadHeader(String),
    /// A colour space other than 4:2:0 8-bit, or interlaced.
    #[error("unsupported Y4M stream: {0} (only progressive 4:2:0 8-bit)")]
    Unsupported(String),
    /// A frame is cut short or lacks its `FRAME` marker.
    #[error("Y4M frame {0} is truncated or malformed")]
    BadFrame(u64),
}

/// Largest picture accepted: 8K.
const MAX_SIDE: usize = 8192;

/// Bytes of a plane read before the rest of it is allocated.
const PROBE: usize = 64 * 1024;

/// Reads frames from a Y4M stream.
#[derive(Debug)]
pub struct Y4mReader<R> {
    input: R,
    /// Picture width.
    pub width: usize,
    /// Picture height.
    pub height: usize,
    /// Frame rate as numerator/denominator.
    pub fps: (u32, u32),
    frames: u64,
}

fn read_line<R: BufRead>(input: &mut R, limit: usize) -> Result<Option<String>, Y4mError> {
    let mut line = Vec::new();
    let n = input
        .by_ref()
        .take(limit as u64)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(Y4mError::BadHeader(
            "a header line is too long or unterminated".into(),
        ));
    }
    line.pop();
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| Y4mError::BadHeader("not ASCII".into()))
}

impl<R: BufRead> Y4mReader<R> {
    /// Reads the stream header.
    pub fn new(mut input: R) -> Result<Self, Y4mError> {
        let mut magic = [0u8; 9];
        if input.read_exact(&mut magic).is_err() || &magic != b"YUV4MPEG2" {
            return Err(Y4mError::NotY4m);
        }
        let rest = read_line(&mut input, 1024)?
            .ok_or_else(|| Y4mError::BadHeader("no header line".into()))?;
        let header = format!("YUV4MPEG2{rest}");
        let mut fields = header.split(' ');
        if fields.next() != Some("YUV4MPEG2") {
            return Err(Y4mError::NotY4m);
        }
        let (mut width, mut height, mut fps) = (None, None, (30, 1));
        for field in fields.filter(|f| !f.is_empty()) {
            // The tag is one character, which need not be one byte in hostile input.
            let Some(first) = field.chars().next() else {
                continue;
            };
            let (tag, value) = field.split_at(first.len_utf8());
            match tag {
                "W" => width = value.parse::<usize>().ok(),
                "H" => height = value.parse::<usize>().ok(),
                "F" => {
                    let (n, d) = value
                        .split_once(':')
                        .ok_or_else(|| Y4mError::BadHeader(format!("frame rate {value}")))?;
                    fps = (
                        n.parse()
                            .map_err(|_| Y4mError::BadHeader(format!("frame rate {value}")))?,
                        d.parse()
                            .map_err(|_| Y4mError::BadHeader(format!("frame rate {value}")))?,
                    );
                    if fps.0 == 0 || fps.1 == 0 {
                        return Err(Y4mError::BadHeader(format!("frame rate {value}")));
                    }
                }
                "I" if value != "p" && value != "?" => {
                    return Err(Y4mError::Unsupported(format!("interlacing {value}")))
                }
                "C" if !matches!(value, "420" | "420jpeg" | "420paldv" | "420mpeg2") => {
                    return Err(Y4mError::Unsupported(format!("colour space {value}")))
                }
                _ => {}
            }
        }
        let width = width.ok_or_else(|| Y4mError::BadHeader("no width".into()))?;
        let height = height.ok_or_else(|| Y4mError::BadHeader("no height".into()))?;
        if width == 0
            || height == 0
            || width > MAX_SIDE
            || height > MAX_SIDE
            || width % 2 == 1
            || height % 2 == 1
        {
            return Err(Y4mError::Unsupported(format!("{width}x{height}")));
        }
        Ok(Self {
            input,
            width,
            height,
            fps,
            frames: 0,
        })
    }

    /// The next frame, or `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, Y4mError> {
        let Some(marker) =
            read_line(&mut self.input, 1024).map_err(|_| Y4mError::BadFrame(self.frames))?
        else {
            return Ok(None);
        };
        if marker != "FRAME" && !marker.starts_with("FRAME ") {
            return Err(Y4mError::BadFrame(self.frames));
        }
        let (w, h) = (self.width, self.height);
        let frames = self.frames;
        let mut plane = |len: usize| -> Result<Vec<u8>, Y4mError> {
            // A first slice, then the whole plane at once once it has begun to arrive: a header
            // cannot make us allocate more than the file holds, and a real plane is read
            // straight into its final place (no growing and copying again, which at 720p30
            // cost as much as the read itself).
            let first = len.min(PROBE);
            let mut buf = Vec::with_capacity(first);
            (&mut self.input).take(first as u64).read_to_end(&mut buf)?;
            if buf.len() == first && len > first {
                buf.reserve_exact(len - first);
                (&mut self.input)
                    .take((len - first) as u64)
                    .read_to_end(&mut buf)?;
            }
            if buf.len() == len {
                Ok(buf)
            } else {
                Err(Y4mError::BadFrame(frames))
            }
        };
        let y = plane(w * h)?;
        let u = plane(w * h / 4)?;
        let v = plane(w * h / 4)?;
        self.frames += 1;
        Ok(Some(Frame {
            width: w,
            height: h,
            y,
            u,
            v,
        }))
    }
}

/// Writes a Y4M stream header for 4:2:0 progressive video.
pub fn write_y4m_header<W: Write>(
    out: &mut W,
    width: usize,
    height: usize,
    fps: (u32, u32),
) -> std::io::Result<()> {
    writeln!(
        out,
        "YUV4MPEG2 W{width} H{height} F{}:{} Ip A1:1 C420jpeg",
        fps.0, fps.1
    )
}

/// Writes one frame.
pub fn write_y4m_frame<W: Write>(out: &mut W, frame: &Frame) -> std::io::Result<()> {
    out.write_all(b"FRAME\n")?;
    out.write_all(&frame.y)?;
    out.write_all(&frame.u)?;
    out.write_all(&frame.v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{read_stamp, TestPattern};

    #[test]
    fn a_written_stream_reads_back() {
        let mut pattern = TestPattern::new(320, 240).unwrap();
        let mut file = Vec::new();
        write_y4m_header(&mut file, 320, 240, (30, 1)).unwrap();
        for _ in 0..5 {
            write_y4m_frame(&mut file, &pattern.next_frame()).unwrap();
        }
        let mut r = Y4mReader::new(&file[..]).unwrap();
        assert_eq!((r.width, r.height, r.fps), (320, 240, (30, 1)));
        for n in 0..5 {
            let f = r.next_frame().unwrap().unwrap();
            assert_eq!(read_stamp(&f.y, f.width, f.height), Some(n));
        }
        assert!(r.next_frame().unwrap().is_none());
    }

    #[test]
    fn bad_streams_are_refused() {
        assert!(matches!(
            Y4mReader::new(&b"RIFF...."[..]),
            Err(Y4mError::NotY4m)
        ));
        assert!(matches!(Y4mReader::new(&b""[..]), Err(Y4mError::NotY4m)));
        assert!(matches!(
            Y4mReader::new(&b"YUV4MPEG2 W4 H4 C444\n"[..]),
            Err(Y4mError::Unsupported(_))
        ));
        assert!(matches!(
            Y4mReader::new(&b"YUV4MPEG2 W4 H4 It\n"[..]),
            Err(Y4mError::Unsupported(_))
        ));
        assert!(matches!(
            Y4mReader::new(&b"YUV4MPEG2 H4\n"[..]),
            Err(Y4mError::BadHeader(_))
        ));
        assert!(matches!(
            Y4mReader::new(&b"YUV4MPEG2 W99999 H4\n"[..]),
            Err(Y4mError::Unsupported(_))
        ));
        assert!(matches!(
            Y4mReader::new(&b"YUV4MPEG2 W4 H4 F30:0\n"[..]),
            Err(Y4mError::BadHeader(_))
        ));
        let long = [b"YUV4MPEG2 ".as_slice(), &[b'X'; 5000]].concat();
        assert!(matches!(
            Y4mReader::new(&long[..]),
            Err(Y4mError::BadHeader(_))
        ));
        // A truncated frame.
        let mut r = Y4mReader::new(&b"YUV4MPEG2 W4 H4\nFRAME\n0123"[..]).unwrap();
        assert!(matches!(r.next_frame(), Err(Y4mError::BadFrame(0))));
        // Cut short past the first slice of a large plane, and in the chroma of the last frame.
        let mut big = b"YUV4MPEG2 W1280 H720\nFRAME\n".to_vec();
        big.resize(big.len() + PROBE + 1000, 7);
        let mut r = Y4mReader::new(&big[..]).unwrap();
        assert!(matches!(r.next_frame(), Err(Y4mError::BadFrame(0))));
        let mut file = Vec::new();
        write_y4m_header(&mut file, 640, 480, (30, 1)).unwrap();
        write_y4m_frame(&mut file, &TestPattern::new(640, 480).unwrap().next_frame()).unwrap();
        file.truncate(file.len() - 10);
        let mut r = Y4mReader::new(&file[..]).unwrap();
        assert!(matches!(r.next_frame(), Err(Y4mError::BadFrame(0))));
        let mut r = Y4mReader::new(&b"YUV4MPEG2 W4 H4\nFROG\n"[..]).unwrap();
        assert!(matches!(r.next_frame(), Err(Y4mError::BadFrame(0))));
    }
}
