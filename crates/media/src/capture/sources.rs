//! Sources that make their own time: the test pattern, Y4M files, the tone and WAV files, each
//! on a thread paced at exact multiples of its interval.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::paced::{fail, unix_micros, Pacer, Worker};
use super::resample::{to_48k_mono, BLOCK, RATE};
use super::{CaptureError, CapturedFrame, Frame};
use crate::files::{read_wav, Y4mReader};
use crate::synthetic::{TestPattern, Tone};

/// A video frame later than this after its tick is dropped rather than sent late.
fn video_allowance(per_second: (u32, u32)) -> Duration {
    Duration::from_nanos(500_000_000 * u64::from(per_second.1) / u64::from(per_second.0.max(1)))
}

/// Audio catches up on blocks up to this late (the thread was descheduled); beyond it, it
/// skips ahead (the machine was suspended).
const AUDIO_ALLOWANCE: Duration = Duration::from_millis(500);

fn check_fps(fps: u32) -> Result<(), CaptureError> {
    if fps == 0 || fps > 240 {
        return Err(CaptureError::InvalidConfig(format!(
            "A frame rate of {fps} frames a second is not possible. Choose 1 to 240."
        )));
    }
    Ok(())
}

/// Runs a paced video loop: `next` gives each frame (`None`: the source ended).
fn paced_video(
    name: &str,
    per_second: (u32, u32),
    mut next: impl FnMut() -> Result<Option<Frame>, CaptureError> + Send + 'static,
    mut on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<Worker, CaptureError> {
    Worker::spawn(name, move |stop, failure| {
        let mut pacer = Pacer::fractional(Instant::now(), per_second);
        let allowance = video_allowance(per_second);
        while let Some((_, due)) = pacer.wait(&stop, allowance) {
            match next() {
                Ok(Some(frame)) => on_frame(CapturedFrame {
                    frame,
                    captured_at: due,
                    captured_unix_micros: unix_micros(due),
                }),
                Ok(None) => return,
                Err(error) => return fail(&failure, error),
            }
        }
    })
}

/// The synthetic test pattern.
pub(super) fn pattern(
    width: usize,
    height: usize,
    fps: u32,
    on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    check_fps(fps)?;
    let mut pattern = TestPattern::new(width, height).map_err(|e| {
        CaptureError::InvalidConfig(format!("The test pattern cannot be drawn: {e}."))
    })?;
    let worker = paced_video(
        "capture-pattern",
        (fps, 1),
        move || Ok(Some(pattern.next_frame())),
        on_frame,
    )?;
    Ok((
        worker,
        format!("test pattern {width}x{height} at {fps} fps"),
    ))
}

fn open_y4m(path: &Path) -> Result<Y4mReader<BufReader<File>>, CaptureError> {
    let file = File::open(path).map_err(|e| CaptureError::file(path, e))?;
    Y4mReader::new(BufReader::new(file)).map_err(|e| CaptureError::file(path, e))
}

/// A Y4M file, played at `fps` (0: its own rate), from the start again at the end if `looped`.
pub(super) fn y4m_file(
    path: &Path,
    fps: u32,
    looped: bool,
    on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let mut reader = open_y4m(path)?;
    let per_second = if fps == 0 { reader.fps } else { (fps, 1) };
    check_fps(per_second.0.div_ceil(per_second.1))?;
    let description = format!(
        "video file {} ({}x{}) at {}/{} fps{}",
        path.display(),
        reader.width,
        reader.height,
        per_second.0,
        per_second.1,
        if looped { ", looped" } else { "" }
    );
    let path: PathBuf = path.into();
    let next = move || match reader.next_frame() {
        Ok(Some(frame)) => Ok(Some(frame)),
        Ok(None) if looped => {
            reader = open_y4m(&path)?;
            match reader.next_frame() {
                Ok(Some(frame)) => Ok(Some(frame)),
                // Straight after reopening: a file without frames would loop forever.
                Ok(None) => Err(CaptureError::file(&path, "it holds no frames")),
                Err(e) => Err(CaptureError::file(&path, e)),
            }
        }
        Ok(None) => Ok(None),
        Err(e) => Err(CaptureError::file(&path, e)),
    };
    Ok((
        paced_video("capture-y4m", per_second, next, on_frame)?,
        description,
    ))
}

/// Runs a paced audio loop: every 20 ms, `next` fills the block that ended then (`false`: the
/// source ended), and it goes out stamped with its first sample's time.
fn paced_audio(
    name: &str,
    mut next: impl FnMut(&mut [i16]) -> bool + Send + 'static,
    mut on_block: impl FnMut(&[i16], Instant) + Send + 'static,
) -> Result<Worker, CaptureError> {
    Worker::spawn(name, move |stop, _| {
        let mut pacer = Pacer::new(Instant::now(), 50);
        let mut block = [0i16; BLOCK];
        // Tick 0 starts the first block; each later tick ends one, like a microphone's buffer.
        let Some((_, mut began)) = pacer.wait(&stop, AUDIO_ALLOWANCE) else {
            return;
        };
        while let Some((_, due)) = pacer.wait(&stop, AUDIO_ALLOWANCE) {
            if !next(&mut block) {
                return;
            }
            on_block(&block, began);
            began = due;
        }
    })
}

/// The synthetic tone at 48 kHz.
pub(super) fn tone(
    frequency: f64,
    on_block: impl FnMut(&[i16], Instant) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let mut tone = Tone::new(RATE, frequency).map_err(|e| {
        CaptureError::InvalidConfig(format!(
            "The test tone cannot be played: {e}. Choose a frequency between 1 and 23999 Hz."
        ))
    })?;
    let worker = paced_audio(
        "capture-tone",
        move |block| {
            tone.fill(block);
            true
        },
        on_block,
    )?;
    Ok((worker, format!("test tone at {frequency} Hz")))
}

/// A WAV file as 48 kHz mono, from the start again at the end if `looped`.
pub(super) fn wav_file(
    path: &Path,
    looped: bool,
    on_block: impl FnMut(&[i16], Instant) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let file = File::open(path).map_err(|e| CaptureError::file(path, e))?;
    let wav = read_wav(BufReader::new(file)).map_err(|e| CaptureError::file(path, e))?;
    let samples = to_48k_mono(&wav.samples, wav.sample_rate, wav.channels);
    if samples.is_empty() {
        return Err(CaptureError::file(path, "it holds no sound"));
    }
    let description = format!(
        "audio file {} ({} Hz, {} channel(s), {:.1} s){}",
        path.display(),
        wav.sample_rate,
        wav.channels,
        samples.len() as f64 / f64::from(RATE),
        if looped { ", looped" } else { "" }
    );
    let mut at = 0usize;
    let next = move |block: &mut [i16]| {
        if at >= samples.len() {
            return false;
        }
        for slot in block.iter_mut() {
            if at == samples.len() && looped {
                at = 0;
            }
            *slot = samples.get(at).copied().unwrap_or(0);
            at = (at + 1).min(samples.len());
        }
        true
    };
    Ok((paced_audio("capture-wav", next, on_block)?, description))
}
