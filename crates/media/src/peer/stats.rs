//! Per-track statistics: counted where the media flows, rates computed between two readings,
//! network figures (round trip, loss, jitter) from the peer connection's RTCP-based report.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::TrackKind;

/// Counters of one sent track (shared by every call it goes to).
#[derive(Debug, Default)]
pub(crate) struct SendCounters {
    pub frames: AtomicU64,
    pub bytes: AtomicU64,
    pub keyframes: AtomicU64,
    pub frames_dropped: AtomicU64,
    pub codec_micros: AtomicU64,
}

impl SendCounters {
    pub fn record_frame(&self, bytes: usize, keyframe: bool) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        if keyframe {
            self.keyframes.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn record_encode(&self, took: Duration) {
        self.codec_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }
}

/// Counters of one received track.
#[derive(Debug)]
pub(crate) struct RecvCounters {
    pub frames: AtomicU64,
    pub bytes: AtomicU64,
    pub keyframes: AtomicU64,
    pub frames_lost: AtomicU64,
    pub freezes: AtomicU64,
    pub keyframe_requests: AtomicU64,
    /// Lost packets asked for again (each ask counted).
    pub nacks: AtomicU64,
    pub codec_micros: AtomicU64,
    /// Ask the sender for a keyframe now (the call came back after an ICE restart: what was
    /// sent meanwhile is gone for good, and waiting for it would only add the loss wait).
    pub keyframe_wanted: AtomicBool,
    /// Frame gaps, for the freeze rule.
    timing: Mutex<FrameTiming>,
    /// RFC 3550 interarrival jitter.
    jitter: Mutex<Jitter>,
}

/// Interarrival jitter (RFC 3550 §6.4.1), kept in seconds.
#[derive(Debug, Default)]
struct Jitter {
    last: Option<(Instant, u32)>,
    value: f64,
}

impl Default for RecvCounters {
    fn default() -> Self {
        Self {
            frames: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            keyframes: AtomicU64::new(0),
            frames_lost: AtomicU64::new(0),
            freezes: AtomicU64::new(0),
            keyframe_requests: AtomicU64::new(0),
            nacks: AtomicU64::new(0),
            codec_micros: AtomicU64::new(0),
            keyframe_wanted: AtomicBool::new(false),
            timing: Mutex::new(FrameTiming::default()),
            jitter: Mutex::new(Jitter::default()),
        }
    }
}

#[derive(Debug, Default)]
struct FrameTiming {
    last: Option<Instant>,
    /// Mean gap between frames, milliseconds (exponential average).
    mean_ms: f64,
}

impl RecvCounters {
    /// A packet with RTP timestamp `timestamp` (at `clock_rate` Hz) arrived at `at`.
    pub fn record_arrival(&self, at: Instant, timestamp: u32, clock_rate: u32) {
        let Ok(mut j) = self.jitter.lock() else {
            return;
        };
        if let Some((last_at, last_ts)) = j.last {
            if timestamp == last_ts {
                return; // packets of one frame share a timestamp
            }
            let arrival = at.duration_since(last_at).as_secs_f64();
            let sent = f64::from(timestamp.wrapping_sub(last_ts) as i32) / f64::from(clock_rate);
            let d = (arrival - sent).abs();
            j.value += (d - j.value) / 16.0;
        }
        j.last = Some((at, timestamp));
    }

    /// The interarrival jitter now, in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter.lock().map_or(0.0, |j| j.value * 1000.0)
    }

    /// A decoded frame at `at`. A freeze is a gap longer than three mean gaps and at least
    /// 150 ms more than the mean (the rule browsers use for `freezeCount`).
    pub fn record_decoded(&self, at: Instant, took: Duration) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.codec_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        if let Ok(mut t) = self.timing.lock() {
            if let Some(last) = t.last {
                let gap = at.duration_since(last).as_secs_f64() * 1000.0;
                if t.mean_ms > 0.0 && gap > (3.0 * t.mean_ms).max(t.mean_ms + 150.0) {
                    self.freezes.fetch_add(1, Ordering::Relaxed);
                }
                t.mean_ms = if t.mean_ms == 0.0 {
                    gap
                } else {
                    0.9 * t.mean_ms + 0.1 * gap
                };
            }
            t.last = Some(at);
        }
    }
}

/// Whether a track is sent or received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From this participant.
    Send,
    /// To this participant.
    Receive,
}

/// The figures of one track between the last two readings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackStats {
    /// The other participant (for sent tracks: every participant it goes to shares one entry,
    /// named `*`).
    pub participant: String,
    /// Which track.
    pub kind: TrackKind,
    /// Sent or received.
    pub direction: Direction,
    /// Frames (audio: 20 ms packets) since the track started.
    pub frames: u64,
    /// Frames a second since the last reading.
    pub fps: f64,
    /// Payload kbit/s since the last reading.
    pub bitrate_kbps: f64,
    /// Keyframes since the start.
    pub keyframes: u64,
    /// Mean encode or decode time per frame since the last reading, milliseconds.
    pub codec_ms: f64,
    /// Round trip time of the connection, milliseconds, when known.
    pub rtt_ms: Option<f64>,
    /// Packets lost, percent of those expected, when known (received tracks).
    pub loss_percent: Option<f64>,
    /// Interarrival jitter (RFC 3550), milliseconds (received tracks).
    pub jitter_ms: Option<f64>,
    /// Freezes since the start (received video).
    pub freezes: u64,
    /// Frames given up for a missing packet (received video).
    pub frames_lost: u64,
    /// Keyframe requests sent (received video) or frames dropped before encoding (sent video).
    pub keyframe_requests_or_drops: u64,
    /// Lost packets asked for again, each ask counted (received video; 0 for sent tracks).
    pub nacks: u64,
    /// The SRTP protection profile of the call (received tracks), as the DTLS handshake chose
    /// it: `SRTP_AES128_CM_HMAC_SHA1_80`.
    pub srtp_cipher: Option<String>,
}

/// Which track: the other participant, the kind, the direction.
type TrackKey = (String, TrackKind, Direction);
/// A reading: when, frames, bytes, codec microseconds.
type Reading = (Instant, u64, u64, u64);

/// Turns running counters into rates between readings.
#[derive(Debug, Default)]
pub(crate) struct Rates {
    previous: HashMap<TrackKey, Reading>,
}

impl Rates {
    /// (fps, kbit/s, mean codec ms) since the previous reading of the same track.
    pub fn rates(
        &mut self,
        key: TrackKey,
        now: Instant,
        frames: u64,
        bytes: u64,
        codec_micros: u64,
    ) -> (f64, f64, f64) {
        let out = match self.previous.get(&key) {
            Some(&(at, f, b, c)) if now > at => {
                let secs = now.duration_since(at).as_secs_f64();
                let df = frames.saturating_sub(f);
                let codec = if df > 0 {
                    codec_micros.saturating_sub(c) as f64 / df as f64 / 1000.0
                } else {
                    0.0
                };
                (
                    df as f64 / secs,
                    bytes.saturating_sub(b) as f64 * 8.0 / 1000.0 / secs,
                    codec,
                )
            }
            _ => (0.0, 0.0, 0.0),
        };
        self.previous
            .insert(key, (now, frames, bytes, codec_micros));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_gap_is_a_freeze_and_a_steady_stream_is_not() {
        let c = RecvCounters::default();
        let t = Instant::now();
        for i in 0..30 {
            c.record_decoded(t + Duration::from_millis(33 * i), Duration::ZERO);
        }
        assert_eq!(c.freezes.load(Ordering::Relaxed), 0);
        c.record_decoded(t + Duration::from_millis(33 * 29 + 400), Duration::ZERO);
        assert_eq!(c.freezes.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn rates_are_per_second_between_readings() {
        let mut r = Rates::default();
        let key = ("p2".to_owned(), TrackKind::Camera, Direction::Receive);
        let t = Instant::now();
        assert_eq!(r.rates(key.clone(), t, 0, 0, 0), (0.0, 0.0, 0.0));
        let (fps, kbps, codec) = r.rates(key, t + Duration::from_secs(2), 60, 250_000, 60_000);
        assert!((fps - 30.0).abs() < 1e-9);
        assert!((kbps - 1000.0).abs() < 1e-9);
        assert!((codec - 1.0).abs() < 1e-9);
    }
}
