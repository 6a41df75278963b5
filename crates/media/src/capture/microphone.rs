//! Microphones through cpal: whatever the device's sample format, rate and channels, out come
//! 20 ms blocks of 48 kHz mono `i16`.
//!
//! cpal calls back on its own audio thread; that callback only down-mixes and hands the chunk
//! over, so a slow consumer (the Opus encoder) never holds up the device. The capture thread
//! resamples, cuts blocks and calls the consumer.

use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{FromSample, SizedSample};

use super::audio_device::{self, by_sample_format, Direction};
use super::paced::{fail, Worker};
use super::resample::{mix_to_mono, to_i16, Blocker, Resampler, RATE};
use super::CaptureError;

pub(crate) use audio_device::list;

/// Mono samples from one callback, and when the first was captured.
struct Chunk {
    samples: Vec<f32>,
    at: Instant,
}

/// Chunks waiting for the capture thread: about a second of small callbacks.
const QUEUE: usize = 100;

/// Builds an input stream whose callback down-mixes to mono (on the `i16` scale) and sends.
fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    tx: SyncSender<Chunk>,
    broken: Arc<Mutex<Option<cpal::Error>>>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels.max(1));
    let rate = config.sample_rate.max(1);
    let mut floats = Vec::new();
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], info: &cpal::InputCallbackInfo| {
            let now = Instant::now();
            let ts = info.timestamp();
            let frames = data.len() / channels;
            // The device says how long ago the first frame was captured; without that, assume
            // it was just filled.
            let age = ts.callback.duration_since(ts.capture);
            let age = if age.is_zero() {
                Duration::from_nanos(frames as u64 * 1_000_000_000 / u64::from(rate))
            } else {
                age
            };
            floats.clear();
            floats.extend(data.iter().map(|&s| f32::from_sample_(s) * 32768.0));
            let mut samples = Vec::with_capacity(frames);
            mix_to_mono(&floats, channels, &mut samples);
            let at = now.checked_sub(age).unwrap_or(now);
            // A full queue means the consumer is stuck: dropping is better than blocking audio.
            let _ = tx.try_send(Chunk { samples, at });
        },
        move |error| {
            tracing::warn!(%error, "microphone stream error");
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

/// An open input stream and what it delivers.
struct Opened {
    stream: cpal::Stream,
    rate: u32,
    description: String,
}

fn open(
    device: &cpal::Device,
    name: &str,
    tx: &SyncSender<Chunk>,
    broken: &Arc<Mutex<Option<cpal::Error>>>,
) -> Result<Opened, cpal::Error> {
    let supported = audio_device::config_for(device, Direction::Input)?;
    let config = supported.config();
    let (tx, broken) = (tx.clone(), broken.clone());
    let stream = by_sample_format!(
        supported.sample_format(),
        build(device, &config, tx, broken),
        Err(cpal::Error::new(cpal::ErrorKind::UnsupportedConfig))
    )?;
    stream.play()?;
    Ok(Opened {
        stream,
        rate: config.sample_rate,
        description: format!(
            "microphone {name:?} ({} Hz, {} channel(s), {})",
            config.sample_rate,
            config.channels,
            supported.sample_format()
        ),
    })
}

/// Opens the microphone `wanted` (or the default, else the first that opens) and starts
/// delivering blocks to `on_block`.
pub(super) fn start(
    wanted: Option<&str>,
    mut on_block: impl FnMut(&[i16], Instant) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let wanted = wanted.map(str::to_owned);
    Worker::spawn_ready("capture-microphone", move |stop, failure, ready| {
        let (tx, rx): (SyncSender<Chunk>, Receiver<Chunk>) = sync_channel(QUEUE);
        let broken = Arc::new(Mutex::new(None));
        let opened = audio_device::open_first(Direction::Input, wanted.as_deref(), |d, info| {
            open(d, &info.name, &tx, &broken)
        });
        drop(tx);
        let (opened, info) = match opened {
            Ok(opened) => opened,
            Err(e) => return ready.send(Err(e)),
        };
        ready.send(Ok(opened.description));
        let _stream = opened.stream;
        let mut resampler = Resampler::new(opened.rate, RATE);
        let mut blocker = Blocker::default();
        let (mut at48, mut out) = (Vec::new(), Vec::new());
        while !stop.is_set() {
            if let Some(error) = broken.lock().unwrap_or_else(PoisonError::into_inner).take() {
                let e = audio_device::device_failed(Direction::Input, &info, &error);
                return fail(&failure, e);
            }
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(chunk) => {
                    at48.clear();
                    resampler.process(&chunk.samples, &mut at48);
                    out.clear();
                    out.extend(at48.iter().map(|&s| to_i16(s)));
                    blocker.push(&out, chunk.at, &mut on_block);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return fail(
                        &failure,
                        CaptureError::DeviceFailed {
                            device: format!("microphone {:?}", info.name),
                            reason: "it stopped sending sound".into(),
                        },
                    );
                }
            }
        }
    })
}
