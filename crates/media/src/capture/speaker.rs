//! Where received audio goes: speakers through cpal, a WAV file, or nowhere.
//!
//! The speaker plays from a short queue: [`AudioOutput::push`] appends and returns at once;
//! the device's callback takes from it. Playback starts once a small cushion has built up (so
//! that network jitter does not starve it at once), plays silence when the queue runs dry and
//! waits for a new cushion, and drops the oldest samples when the queue is full (so that a
//! burst after a stall does not become lasting delay).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{FromSample, SizedSample};

use super::audio_device::{self, by_sample_format, Direction};
use super::paced::{fail, Worker};
use super::resample::{Resampler, RATE};
use super::CaptureError;
use crate::files::{write_wav, Wav};

/// Playback waits for this much audio (40 ms) before it starts, and again after running dry.
const CUSHION: usize = 48 * 40;
/// The queue holds at most this much (200 ms); more drops the oldest.
const CAPACITY: usize = 48 * 200;

/// How an output is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputStats {
    /// Samples waiting to be played.
    pub queued: usize,
    /// Times the speaker ran dry and played silence.
    pub underruns: u64,
    /// Samples dropped because the queue was full.
    pub dropped: u64,
    /// Samples accepted by [`AudioOutput::push`] in all.
    pub pushed: u64,
}

#[derive(Debug, Default)]
struct PlayoutState {
    queue: VecDeque<i16>,
    playing: bool,
    stats: OutputStats,
}

/// The speaker's queue: pushed by the receiving side, pulled by the device callback.
#[derive(Debug, Default)]
pub(crate) struct Playout {
    state: Mutex<PlayoutState>,
}

impl Playout {
    fn lock(&self) -> std::sync::MutexGuard<'_, PlayoutState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends samples, dropping the oldest beyond the capacity.
    pub(crate) fn push(&self, samples: &[i16]) {
        let mut s = self.lock();
        s.stats.pushed += samples.len() as u64;
        s.queue.extend(samples);
        let excess = s.queue.len().saturating_sub(CAPACITY);
        if excess > 0 {
            s.queue.drain(..excess);
            s.stats.dropped += excess as u64;
        }
        if !s.playing && s.queue.len() >= CUSHION {
            s.playing = true;
        }
    }

    /// Fills `out` with the next samples, silence where there are none.
    pub(crate) fn pull(&self, out: &mut [i16]) {
        let mut s = self.lock();
        let mut filled = 0;
        if s.playing {
            let n = out.len().min(s.queue.len());
            for (slot, sample) in out.iter_mut().zip(s.queue.drain(..n)) {
                *slot = sample;
            }
            filled = n;
            if n < out.len() {
                s.playing = false;
                s.stats.underruns += 1;
            }
        }
        out[filled..].fill(0);
    }

    fn stats(&self) -> OutputStats {
        let s = self.lock();
        OutputStats {
            queued: s.queue.len(),
            ..s.stats
        }
    }
}

/// Turns the 48 kHz mono queue into the device's rate, on the `-1..1` scale.
struct Feeder {
    playout: Arc<Playout>,
    resampler: Resampler,
    pending: VecDeque<f32>,
    pulled: Vec<i16>,
    input: Vec<f32>,
    resampled: Vec<f32>,
}

impl Feeder {
    fn new(playout: Arc<Playout>, device_rate: u32) -> Self {
        Self {
            playout,
            resampler: Resampler::new(RATE, device_rate),
            pending: VecDeque::new(),
            // 10 ms at a time.
            pulled: vec![0; 480],
            input: Vec::with_capacity(480),
            resampled: Vec::new(),
        }
    }

    /// The next `frames` samples at the device's rate.
    fn next_samples(&mut self, frames: usize) -> std::collections::vec_deque::Drain<'_, f32> {
        while self.pending.len() < frames {
            self.playout.pull(&mut self.pulled);
            self.input.clear();
            self.input
                .extend(self.pulled.iter().map(|&s| f32::from(s) / 32768.0));
            self.resampled.clear();
            self.resampler.process(&self.input, &mut self.resampled);
            self.pending.extend(&self.resampled);
        }
        self.pending.drain(..frames)
    }
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut feeder: Feeder,
    broken: Arc<Mutex<Option<cpal::Error>>>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels.max(1));
    device.build_output_stream::<T, _, _>(
        *config,
        move |out: &mut [T], _: &cpal::OutputCallbackInfo| {
            let frames = out.len() / channels;
            let samples = feeder.next_samples(frames);
            for (frame, s) in out.chunks_exact_mut(channels).zip(samples) {
                frame.fill(T::from_sample_(s));
            }
        },
        move |error| {
            tracing::warn!(%error, "speaker stream error");
            if matches!(
                error.kind(),
                cpal::ErrorKind::DeviceNotAvailable | cpal::ErrorKind::StreamInvalidated
            ) {
                broken
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get_or_insert(error);
            }
        },
        Some(Duration::from_secs(2)),
    )
}

fn open(
    device: &cpal::Device,
    name: &str,
    playout: &Arc<Playout>,
    broken: &Arc<Mutex<Option<cpal::Error>>>,
) -> Result<(cpal::Stream, String), cpal::Error> {
    let supported = audio_device::config_for(device, Direction::Output)?;
    let config = supported.config();
    let feeder = Feeder::new(playout.clone(), config.sample_rate);
    let broken = broken.clone();
    let stream = by_sample_format!(
        supported.sample_format(),
        build(device, &config, feeder, broken),
        Err(cpal::Error::new(cpal::ErrorKind::UnsupportedConfig))
    )?;
    stream.play()?;
    let description = format!(
        "speaker {name:?} ({} Hz, {} channel(s), {})",
        config.sample_rate,
        config.channels,
        supported.sample_format()
    );
    Ok((stream, description))
}

/// A sink for 48 kHz mono audio. `push` never blocks for long; see [`super::start_audio_output`].
#[derive(Debug)]
pub struct AudioOutput {
    sink: Sink,
    description: String,
}

#[derive(Debug)]
enum Sink {
    Speaker {
        playout: Arc<Playout>,
        worker: Worker,
    },
    Wav(WavSink),
    Discard(AtomicU64),
}

impl AudioOutput {
    /// Queues 48 kHz mono samples for playing (or writes them to the file).
    pub fn push(&self, samples: &[i16]) {
        match &self.sink {
            Sink::Speaker { playout, .. } => playout.push(samples),
            Sink::Wav(wav) => wav.push(samples),
            Sink::Discard(count) => {
                count.fetch_add(samples.len() as u64, Ordering::Relaxed);
            }
        }
    }

    /// How the output is doing.
    pub fn stats(&self) -> OutputStats {
        match &self.sink {
            Sink::Speaker { playout, .. } => playout.stats(),
            Sink::Wav(wav) => OutputStats {
                pushed: wav.lock().written,
                ..OutputStats::default()
            },
            Sink::Discard(count) => OutputStats {
                pushed: count.load(Ordering::Relaxed),
                ..OutputStats::default()
            },
        }
    }

    /// Where the audio goes, for logs and the UI.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Ends the output: a speaker first plays what is queued (at most the queue's 200 ms); a
    /// WAV file is completed. Dropping does the same but cannot report errors.
    pub fn finish(self) -> Result<(), CaptureError> {
        match &self.sink {
            Sink::Speaker { playout, worker } => {
                let queued = playout.stats().queued;
                let deadline = Instant::now() + Duration::from_millis(100 + queued as u64 / 48);
                while playout.stats().queued > 0 && Instant::now() < deadline {
                    if !worker.is_running() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                worker.take_failure().map_or(Ok(()), Err)
            }
            Sink::Wav(wav) => wav.finalize(),
            Sink::Discard(_) => Ok(()),
        }
    }
}

/// Opens the speaker `wanted` (or the default, else the first that opens).
pub(super) fn start(wanted: Option<&str>) -> Result<AudioOutput, CaptureError> {
    let playout = Arc::new(Playout::default());
    let queue = playout.clone();
    let wanted = wanted.map(str::to_owned);
    let (worker, description) =
        Worker::spawn_ready("play-speaker", move |stop, failure, ready| {
            let broken = Arc::new(Mutex::new(None));
            let opened = audio_device::open_first(Direction::Output, wanted.as_deref(), |d, i| {
                open(d, &i.name, &queue, &broken)
            });
            let ((stream, description), info) = match opened {
                Ok(opened) => opened,
                Err(e) => return ready.send(Err(e)),
            };
            ready.send(Ok(description));
            // The stream lives on this thread until the output is dropped.
            while stop.sleep_until(Instant::now() + Duration::from_millis(50)) {
                if let Some(error) = broken.lock().unwrap_or_else(PoisonError::into_inner).take() {
                    let e = audio_device::device_failed(Direction::Output, &info, &error);
                    return fail(&failure, e);
                }
            }
            drop(stream);
        })?;
    Ok(AudioOutput {
        sink: Sink::Speaker { playout, worker },
        description,
    })
}

/// Discards everything (but counts it).
pub(super) fn discard() -> AudioOutput {
    AudioOutput {
        sink: Sink::Discard(AtomicU64::new(0)),
        description: "nowhere (audio discarded)".into(),
    }
}

/// Writes a WAV file as audio arrives; the header's lengths are filled in at the end.
pub(super) fn wav(path: &Path) -> Result<AudioOutput, CaptureError> {
    let file = File::create(path).map_err(|e| CaptureError::file(path, e))?;
    let mut out = BufWriter::new(file);
    let header = Wav {
        sample_rate: RATE,
        channels: 1,
        samples: Vec::new(),
    };
    write_wav(&mut out, &header).map_err(|e| CaptureError::file(path, e))?;
    Ok(AudioOutput {
        sink: Sink::Wav(WavSink {
            path: path.into(),
            state: Mutex::new(WavState {
                out: Some(out),
                written: 0,
                error: None,
            }),
        }),
        description: format!("WAV file {}", path.display()),
    })
}

/// Most samples a WAV file can describe (its data length is 32 bits).
const WAV_MAX_SAMPLES: u64 = (u32::MAX as u64 - 44) / 2;

#[derive(Debug)]
struct WavSink {
    path: PathBuf,
    state: Mutex<WavState>,
}

#[derive(Debug)]
struct WavState {
    /// `None` once finalized.
    out: Option<BufWriter<File>>,
    written: u64,
    /// The first write error, reported by `finish`.
    error: Option<std::io::Error>,
}

impl WavSink {
    fn lock(&self) -> std::sync::MutexGuard<'_, WavState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, samples: &[i16]) {
        let mut s = self.lock();
        let room = WAV_MAX_SAMPLES.saturating_sub(s.written) as usize;
        let samples = &samples[..samples.len().min(room)];
        if s.error.is_some() || samples.is_empty() {
            return;
        }
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let result = match s.out.as_mut() {
            Some(out) => out.write_all(&bytes),
            None => return,
        };
        match result {
            Ok(()) => s.written += samples.len() as u64,
            Err(e) => s.error = Some(e),
        }
    }

    /// Writes the lengths into the header and closes the file (once; later calls do nothing).
    fn finalize(&self) -> Result<(), CaptureError> {
        let mut s = self.lock();
        let Some(out) = s.out.take() else {
            return Ok(());
        };
        if let Some(e) = s.error.take() {
            return Err(CaptureError::file(&self.path, e));
        }
        let data_len = (s.written * 2) as u32;
        let patch = || -> std::io::Result<()> {
            let mut file = out.into_inner().map_err(|e| e.into_error())?;
            file.seek(SeekFrom::Start(4))?;
            file.write_all(&(36 + data_len).to_le_bytes())?;
            file.seek(SeekFrom::Start(40))?;
            file.write_all(&data_len.to_le_bytes())?;
            file.flush()
        };
        patch().map_err(|e| CaptureError::file(&self.path, e))
    }
}

impl Drop for WavSink {
    fn drop(&mut self) {
        if let Err(error) = self.finalize() {
            tracing::warn!(%error, "WAV output not completed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playback_waits_for_the_cushion_then_plays_in_order() {
        let p = Playout::default();
        let mut out = vec![1i16; 480];
        p.push(&vec![7; CUSHION - 1]);
        p.pull(&mut out);
        assert!(
            out.iter().all(|&s| s == 0),
            "silence until the cushion is there"
        );
        p.push(&[8]);
        p.pull(&mut out);
        assert!(out.iter().all(|&s| s == 7));
        let stats = p.stats();
        assert_eq!(
            (stats.queued, stats.underruns, stats.pushed),
            (CUSHION - 480, 0, CUSHION as u64)
        );
    }

    #[test]
    fn running_dry_plays_silence_and_waits_for_a_new_cushion() {
        let p = Playout::default();
        p.push(&vec![5; CUSHION]);
        let mut out = vec![0i16; CUSHION + 100];
        p.pull(&mut out);
        assert!(out[..CUSHION].iter().all(|&s| s == 5));
        assert!(out[CUSHION..].iter().all(|&s| s == 0));
        assert_eq!(p.stats().underruns, 1);
        p.push(&[9; 10]);
        let mut out = vec![1i16; 10];
        p.pull(&mut out);
        assert_eq!(out, vec![0; 10], "not enough for a new cushion yet");
    }

    #[test]
    fn a_full_queue_drops_the_oldest() {
        let p = Playout::default();
        let samples: Vec<i16> = (0..CAPACITY as i32 + 100)
            .map(|i| (i % 30_000) as i16)
            .collect();
        p.push(&samples);
        let stats = p.stats();
        assert_eq!((stats.queued, stats.dropped), (CAPACITY, 100));
        let mut first = [0i16; 1];
        p.pull(&mut first);
        assert_eq!(first[0], 100);
    }

    #[test]
    fn the_feeder_resamples_the_queue_to_the_device_rate() {
        let p = Arc::new(Playout::default());
        p.push(&vec![16_384; 4_800]);
        let mut f = Feeder::new(p.clone(), 44_100);
        let got: Vec<f32> = f.next_samples(441).collect();
        assert_eq!(got.len(), 441);
        assert!(
            got.iter().all(|&s| (s - 0.5).abs() < 1e-3),
            "{:?}",
            &got[..4]
        );
        // 441 samples at 44.1 kHz took 10 ms (480 samples) from the queue.
        assert_eq!(p.stats().queued, 4_800 - 480);
    }

    #[test]
    fn pushing_never_waits_for_the_consumer() {
        let p = Playout::default();
        let t0 = Instant::now();
        for _ in 0..10_000 {
            p.push(&[0; 960]);
        }
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert_eq!(p.stats().queued, CAPACITY);
    }
}
