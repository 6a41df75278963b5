//! WAV files with 16-bit PCM samples: the microphone's file source and the speaker's sink in tests.

use std::io::{Read, Write};

/// Why a WAV file was refused.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// Reading or writing failed.
    #[error("reading the WAV file: {0}")]
    Io(#[from] std::io::Error),
    /// Not RIFF/WAVE.
    #[error("not a WAV file")]
    NotWav,
    /// Anything but 16-bit PCM, or a bad channel count or rate.
    #[error("unsupported WAV format: {0} (only 16-bit PCM)")]
    Unsupported(String),
    /// A chunk runs past the end, or a chunk is missing.
    #[error("malformed WAV file: {0}")]
    Malformed(String),
}

/// A whole WAV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Samples a second.
    pub sample_rate: u32,
    /// Channels, interleaved in `samples`.
    pub channels: u16,
    /// Interleaved samples.
    pub samples: Vec<i16>,
}

/// Largest file read: 256 MiB of samples.
const MAX_DATA: u32 = 256 << 20;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads a 16-bit PCM WAV file, skipping chunks it does not need.
pub fn read_wav<R: Read>(mut input: R) -> Result<Wav, WavError> {
    let mut head = [0u8; 12];
    input.read_exact(&mut head).map_err(|_| WavError::NotWav)?;
    if &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Err(WavError::NotWav);
    }
    let mut format: Option<(u16, u32)> = None;
    loop {
        let mut chunk = [0u8; 8];
        if input.read_exact(&mut chunk).is_err() {
            return Err(WavError::Malformed("no data chunk".into()));
        }
        let (id, len) = (&chunk[0..4], u32_at(&chunk, 4));
        if len > MAX_DATA {
            return Err(WavError::Malformed(format!("a chunk of {len} bytes")));
        }
        // Read as the bytes come, so that a header cannot make us allocate what is not there.
        let want = u64::from(len) + u64::from(len & 1);
        let mut body = Vec::new();
        (&mut input).take(want).read_to_end(&mut body)?;
        if (body.len() as u64) < u64::from(len) {
            return Err(WavError::Malformed("a chunk runs past the end".into()));
        }
        match id {
            b"fmt " => {
                if len < 16 {
                    return Err(WavError::Malformed("short fmt chunk".into()));
                }
                let (tag, channels, rate, bits) = (
                    u16_at(&body, 0),
                    u16_at(&body, 2),
                    u32_at(&body, 4),
                    u16_at(&body, 14),
                );
                // 1 = PCM; 0xFFFE = extensible, whose sub-format we then take to be PCM by its bits.
                if !(tag == 1 || tag == 0xFFFE) || bits != 16 {
                    return Err(WavError::Unsupported(format!(
                        "format tag {tag}, {bits} bits"
                    )));
                }
                if channels == 0 || channels > 8 || !(8_000..=192_000).contains(&rate) {
                    return Err(WavError::Unsupported(format!(
                        "{channels} channels at {rate} Hz"
                    )));
                }
                format = Some((channels, rate));
            }
            b"data" => {
                let (channels, sample_rate) =
                    format.ok_or_else(|| WavError::Malformed("data before fmt".into()))?;
                body.truncate(len as usize & !1);
                let samples = body
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                return Ok(Wav {
                    sample_rate,
                    channels,
                    samples,
                });
            }
            _ => {}
        }
    }
}

/// Writes a 16-bit PCM WAV file.
pub fn write_wav<W: Write>(out: &mut W, wav: &Wav) -> Result<(), WavError> {
    let data_len = u32::try_from(wav.samples.len() * 2)
        .map_err(|_| WavError::Unsupported("over 4 GiB".into()))?;
    let block = wav.channels * 2;
    out.write_all(b"RIFF")?;
    out.write_all(&(36 + data_len).to_le_bytes())?;
    out.write_all(b"WAVEfmt ")?;
    out.write_all(&16u32.to_le_bytes())?;
    out.write_all(&1u16.to_le_bytes())?;
    out.write_all(&wav.channels.to_le_bytes())?;
    out.write_all(&wav.sample_rate.to_le_bytes())?;
    out.write_all(&(wav.sample_rate * u32::from(block)).to_le_bytes())?;
    out.write_all(&block.to_le_bytes())?;
    out.write_all(&16u16.to_le_bytes())?;
    out.write_all(b"data")?;
    out.write_all(&data_len.to_le_bytes())?;
    for s in &wav.samples {
        out.write_all(&s.to_le_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{find_clicks, tone_energy, Tone};

    #[test]
    fn a_written_tone_reads_back() {
        let mut tone = Tone::new(48_000, 440.0).unwrap();
        let mut samples = vec![0i16; 96_000];
        tone.fill(&mut samples);
        let mut file = Vec::new();
        write_wav(
            &mut file,
            &Wav {
                sample_rate: 48_000,
                channels: 1,
                samples: samples.clone(),
            },
        )
        .unwrap();
        let wav = read_wav(&file[..]).unwrap();
        assert_eq!((wav.sample_rate, wav.channels), (48_000, 1));
        assert_eq!(wav.samples, samples);
        assert_eq!(find_clicks(&wav.samples), vec![0, 48_000]);
        assert!(tone_energy(&wav.samples[480..48_000], 48_000, 440.0) > 0.9);
    }

    #[test]
    fn unknown_chunks_are_skipped_and_bad_files_refused() {
        let mut file = Vec::new();
        write_wav(
            &mut file,
            &Wav {
                sample_rate: 16_000,
                channels: 2,
                samples: vec![1, -1, 2, -2],
            },
        )
        .unwrap();
        // Put a LIST chunk of odd length (padded) between fmt and data.
        let (head, data) = file.split_at(36);
        let with_list = [head, b"LIST\x03\x00\x00\x00abc\x00", data].concat();
        assert_eq!(
            read_wav(&with_list[..]).unwrap().samples,
            vec![1, -1, 2, -2]
        );

        assert!(matches!(
            read_wav(&b"RIFX\0\0\0\0WAVE"[..]),
            Err(WavError::NotWav)
        ));
        assert!(matches!(read_wav(&b"RI"[..]), Err(WavError::NotWav)));
        assert!(matches!(read_wav(&file[..40]), Err(WavError::Malformed(_))));
        let mut eight_bit = file.clone();
        eight_bit[34] = 8;
        assert!(matches!(
            read_wav(&eight_bit[..]),
            Err(WavError::Unsupported(_))
        ));
        let mut huge = file.clone();
        huge[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(read_wav(&huge[..]), Err(WavError::Malformed(_))));
        let truncated = &file[..file.len() - 2];
        assert!(matches!(read_wav(truncated), Err(WavError::Malformed(_))));
    }
}
