//! Local media: a source, its encoder on a thread of its own, and the encoded frames written to
//! every connected call (encoded once, however many participants receive it).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::media::Sample;
use tokio::sync::mpsc;

use super::connection::Outlet;
use super::stats::SendCounters;
use super::TrackKind;
use crate::capture::{
    self, AudioCapture, AudioSourceConfig, CapturedFrame, VideoCapture, VideoSourceConfig,
};
use crate::opus::OpusEncoder;
use crate::synthetic::Frame;
use crate::vp8::{EncoderConfig, Vp8Encoder};

/// Bitrate for Opus (VoIP, mono).
const OPUS_BITRATE: i32 = 32_000;
/// Most the video encoder is given, in kbit/s, whatever the estimate says.
const MAX_VIDEO_KBPS: u32 = 2_500;
/// Least it is given.
const MIN_VIDEO_KBPS: u32 = 100;

/// The calls a track is sent on, by remote participant.
#[derive(Default)]
pub(crate) struct Fanout {
    outlets: Mutex<HashMap<String, Outlet>>,
    /// The running encoder's input, told when the first call connects (with the pipeline's
    /// number, so that a pipeline going away leaves its successor's in place).
    wake: Mutex<Option<(u64, SyncSender<EncoderInput>)>>,
}

/// What a video encoder thread is given.
enum EncoderInput {
    /// A captured picture, and whether it must be a keyframe.
    Frame(CapturedFrame, bool),
    /// The first call connected: encode the last picture now, rather than wait for the next.
    FirstCall,
}

/// Numbers the video pipelines (for [`Fanout::wake`]).
static PIPELINES: AtomicU64 = AtomicU64::new(0);

impl Fanout {
    pub fn insert(&self, remote: &str, outlet: Outlet) {
        let first = match self.outlets.lock() {
            Ok(mut o) => {
                let first = o.is_empty();
                o.insert(remote.to_owned(), outlet);
                first
            }
            Err(_) => false,
        };
        if first {
            if let Ok(wake) = self.wake.lock() {
                if let Some((_, tx)) = wake.as_ref() {
                    // Full: pictures are flowing, and the next one goes at once anyway.
                    let _ = tx.try_send(EncoderInput::FirstCall);
                }
            }
        }
    }

    fn set_wake(&self, pipeline: u64, tx: SyncSender<EncoderInput>) {
        if let Ok(mut wake) = self.wake.lock() {
            *wake = Some((pipeline, tx));
        }
    }

    fn clear_wake(&self, pipeline: u64) {
        if let Ok(mut wake) = self.wake.lock() {
            if wake.as_ref().is_some_and(|(p, _)| *p == pipeline) {
                *wake = None;
            }
        }
    }

    pub fn remove(&self, remote: &str) {
        if let Ok(mut o) = self.outlets.lock() {
            o.remove(remote);
        }
    }

    fn snapshot(&self) -> Vec<Outlet> {
        self.outlets
            .lock()
            .map(|o| o.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.outlets.lock().map(|o| o.is_empty()).unwrap_or(true)
    }
}

/// Sees each captured picture with its capture time (Unix microseconds): the self-view.
pub(crate) type LocalView = Box<dyn Fn(Arc<Frame>, u64) + Send>;

/// Shared controls of a video encoder: keyframe requests and the bitrate to aim for.
#[derive(Default)]
pub(crate) struct EncoderControl {
    pub keyframe: AtomicBool,
    /// Target in bits per second; 0 = the start value.
    pub bitrate: AtomicU64,
}

struct Encoded {
    data: Bytes,
    duration: Duration,
}

/// Writes encoded frames to every outlet, in order, on the async side.
async fn write_loop(mut rx: mpsc::UnboundedReceiver<Encoded>, fanout: Arc<Fanout>) {
    while let Some(encoded) = rx.recv().await {
        for outlet in fanout.snapshot() {
            let sample = Sample {
                data: encoded.data.clone(),
                duration: encoded.duration,
                ..Sample::new(Instant::now())
            };
            if let Err(e) = outlet
                .track
                .sample_writer(outlet.ssrc, outlet.payload_type)
                .write_sample(&sample)
                .await
            {
                tracing::debug!(error = %e, "a sample could not be written");
            }
        }
    }
}

/// A running video track: capture → encoder thread → every call.
pub(crate) struct VideoPipeline {
    capture: VideoCapture,
    pub counters: Arc<SendCounters>,
    fanout: Arc<Fanout>,
    number: u64,
}

impl Drop for VideoPipeline {
    fn drop(&mut self) {
        // The encoder thread ends once every sender of its input is gone.
        self.fanout.clear_wake(self.number);
    }
}

impl VideoPipeline {
    /// Starts the source and the encoder. `local` gets each captured frame (self-view).
    pub fn start(
        kind: TrackKind,
        config: &VideoSourceConfig,
        fanout: Arc<Fanout>,
        control: Arc<EncoderControl>,
        curtain: Arc<super::Curtain>,
        local: Option<LocalView>,
    ) -> Result<Self, capture::CaptureError> {
        let counters = Arc::new(SendCounters::default());
        let fps = match config {
            VideoSourceConfig::Camera { fps, .. }
            | VideoSourceConfig::Pattern { fps, .. }
            | VideoSourceConfig::File { fps, .. } => (*fps).max(1),
            VideoSourceConfig::Screen { fps, .. } => (*fps).clamp(1, 15),
        };
        // Each frame with whether it must be a keyframe (the first after a pause begins or ends:
        // nothing of the picture before may live on in the one after).
        let (frames_tx, frames_rx) = sync_channel::<EncoderInput>(2);
        let number = PIPELINES.fetch_add(1, Ordering::Relaxed);
        fanout.set_wake(number, frames_tx.clone());
        let (encoded_tx, encoded_rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(encoded_rx, fanout.clone()));
        let thread_control = control.clone();
        let thread_counters = counters.clone();
        let thread_fanout = fanout.clone();
        std::thread::Builder::new()
            .name(format!("vp8-{}", kind.name()))
            .spawn(move || {
                encode_video(
                    kind,
                    fps,
                    frames_rx,
                    encoded_tx,
                    thread_control,
                    thread_counters,
                    thread_fanout,
                )
            })
            .map_err(|e| capture::CaptureError::Unsupported(format!("no encoder thread: {e}")))?;
        let capture_counters = counters.clone();
        let mut gate = super::curtain::CurtainGate::default();
        let capture = capture::start_video(config, move |mut frame: CapturedFrame| {
            // Checked after the capture: a picture taken once the pause began never passes.
            let switched;
            (frame.frame, switched) = gate.pass(&curtain, frame.frame);
            if let Some(local) = &local {
                local(Arc::new(frame.frame.clone()), frame.captured_unix_micros);
            }
            match frames_tx.try_send(EncoderInput::Frame(frame, switched)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    // The encoder is behind: drop this frame rather than add delay.
                    capture_counters
                        .frames_dropped
                        .fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => {}
            }
        })?;
        Ok(Self {
            capture,
            counters,
            fanout,
            number,
        })
    }

    /// Why the source stopped on its own, once it stopped with an error (a shared window
    /// closed, the system ended a screen share, a device failed); said once.
    pub fn failed(&self) -> Option<capture::CaptureError> {
        if self.capture.is_running() {
            None
        } else {
            self.capture.take_error()
        }
    }
}

fn encode_video(
    kind: TrackKind,
    fps: u32,
    frames: std::sync::mpsc::Receiver<EncoderInput>,
    out: mpsc::UnboundedSender<Encoded>,
    control: Arc<EncoderControl>,
    counters: Arc<SendCounters>,
    fanout: Arc<Fanout>,
) {
    let mut encoder: Option<Vp8Encoder> = None;
    let duration = Duration::from_nanos(1_000_000_000 / u64::from(fps));
    // The last picture while nobody was called: the first call's first picture, at once.
    let mut held: Option<(CapturedFrame, bool)> = None;
    while let Ok(input) = frames.recv() {
        let (captured, switched) = match input {
            EncoderInput::Frame(captured, switched) => (captured, switched),
            EncoderInput::FirstCall => match held.take() {
                Some(last) => last,
                None => continue,
            },
        };
        if fanout.is_empty() {
            // Nobody to send to: skip the work, and start the next call with a keyframe.
            control.keyframe.store(true, Ordering::Relaxed);
            held = Some((captured, switched));
            continue;
        }
        held = None;
        let frame = &captured.frame;
        let size = (frame.width as u32, frame.height as u32);
        let wanted_kbps = match control.bitrate.load(Ordering::Relaxed) {
            0 => (super::connection::START_BITRATE / 1000.0) as u32,
            bps => (bps / 1000) as u32,
        }
        .clamp(MIN_VIDEO_KBPS, MAX_VIDEO_KBPS);
        if encoder.as_ref().is_none_or(|e| e.size() != size) {
            match Vp8Encoder::new(EncoderConfig::realtime(size.0, size.1, wanted_kbps, fps)) {
                Ok(e) => encoder = Some(e),
                Err(e) => {
                    tracing::warn!(track = kind.name(), error = %e, "no VP8 encoder for this size");
                    continue;
                }
            }
        }
        let Some(enc) = encoder.as_mut() else {
            continue;
        };
        // Follow the estimate when it moved by more than 5 %.
        if wanted_kbps.abs_diff(enc.bitrate_kbps()) * 20 > enc.bitrate_kbps() {
            if let Err(e) = enc.set_bitrate_kbps(wanted_kbps) {
                tracing::debug!(error = %e, "bitrate change refused");
            }
        }
        let keyframe = control.keyframe.swap(false, Ordering::Relaxed) || switched;
        let started = Instant::now();
        match enc.encode(frame, keyframe) {
            Ok(packets) => {
                counters.record_encode(started.elapsed());
                for p in packets {
                    counters.record_frame(p.data.len(), p.keyframe);
                    if out
                        .send(Encoded {
                            data: Bytes::from(p.data),
                            duration,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Err(e) => tracing::warn!(track = kind.name(), error = %e, "a frame did not encode"),
        }
    }
}

/// A running microphone track: capture → Opus → every call.
pub(crate) struct AudioPipeline {
    _capture: AudioCapture,
    pub counters: Arc<SendCounters>,
    /// Muted: blocks are not sent at all.
    pub muted: Arc<AtomicBool>,
}

impl AudioPipeline {
    pub fn start(
        config: &AudioSourceConfig,
        fanout: Arc<Fanout>,
    ) -> Result<Self, capture::CaptureError> {
        let counters = Arc::new(SendCounters::default());
        let muted = Arc::new(AtomicBool::new(false));
        let (blocks_tx, blocks_rx): (SyncSender<Vec<i16>>, _) = sync_channel(8);
        let (encoded_tx, encoded_rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(encoded_rx, fanout.clone()));
        let thread_counters = counters.clone();
        std::thread::Builder::new()
            .name("opus-microphone".into())
            .spawn(move || {
                let mut encoder = match OpusEncoder::new(OPUS_BITRATE) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::error!(error = %e, "no Opus encoder");
                        return;
                    }
                };
                while let Ok(block) = blocks_rx.recv() {
                    let started = Instant::now();
                    match encoder.encode(&block) {
                        Ok(data) => {
                            thread_counters.record_encode(started.elapsed());
                            thread_counters.record_frame(data.len(), false);
                            let encoded = Encoded {
                                data: Bytes::from(data),
                                duration: Duration::from_millis(20),
                            };
                            if encoded_tx.send(encoded).is_err() {
                                return;
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "an audio block did not encode"),
                    }
                }
            })
            .map_err(|e| capture::CaptureError::Unsupported(format!("no encoder thread: {e}")))?;
        let capture_muted = muted.clone();
        let capture_fanout = fanout.clone();
        let capture = capture::start_audio(config, move |block: &[i16], _at: Instant| {
            if capture_muted.load(Ordering::Relaxed) || capture_fanout.is_empty() {
                return;
            }
            let _ = blocks_tx.try_send(block.to_vec());
        })?;
        Ok(Self {
            _capture: capture,
            counters,
            muted,
        })
    }
}
