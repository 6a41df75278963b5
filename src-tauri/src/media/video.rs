//! Pictures to the window without a queue: each stream may have at most [`WINDOW`] frames on
//! their way to the window (sent, not yet acknowledged as drawn). A frame that finds its stream's
//! window full is dropped here, before it is copied, so a window that is slow, hidden or busy
//! costs nothing and never builds a backlog — it gets the newest picture once it catches up.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tauri::ipc::{Channel, InvokeResponseBody};

use super::frame::{self, Planes, StreamId};

/// Frames of one stream that may be on their way at once: one being drawn, one arriving.
pub const WINDOW: u32 = 2;

/// After this long without an acknowledgement, the frames on their way count as lost (a window
/// that reloaded, a message that went nowhere) and the stream starts afresh.
pub const STALL: Duration = Duration::from_secs(2);

/// The credit bookkeeping of every stream; pure, so it is tested without a window.
#[derive(Debug, Default)]
pub struct Credits {
    streams: HashMap<StreamId, Stream>,
}

#[derive(Debug, Clone, Copy)]
struct Stream {
    /// The next sequence number to send.
    next: u32,
    /// Every frame before this one was acknowledged.
    done: u32,
    /// When the last frame was admitted or acknowledged.
    last: Instant,
}

impl Credits {
    /// Whether a frame of `stream` may go now; if so, its sequence number.
    pub fn admit(&mut self, stream: StreamId, now: Instant) -> Option<u32> {
        let s = self.streams.entry(stream).or_insert(Stream {
            next: 0,
            done: 0,
            last: now,
        });
        let in_flight = s.next.wrapping_sub(s.done);
        if in_flight >= WINDOW {
            if now.duration_since(s.last) < STALL {
                return None;
            }
            tracing::debug!(
                ?stream,
                in_flight,
                "no acknowledgement in time; sending again"
            );
            s.done = s.next;
        }
        let seq = s.next;
        s.next = s.next.wrapping_add(1);
        s.last = now;
        Some(seq)
    }

    /// The window is done with frame `seq` of the stream with key `key` (and every earlier one).
    pub fn ack(&mut self, key: u16, seq: u32, now: Instant) {
        let Some((_, s)) = self.streams.iter_mut().find(|(id, _)| id.key() == key) else {
            return;
        };
        let in_flight = s.next.wrapping_sub(s.done);
        let acked = seq.wrapping_add(1).wrapping_sub(s.done);
        // Only a frame that is on its way moves the window (a late or repeated ack does not).
        if acked >= 1 && acked <= in_flight {
            s.done = seq.wrapping_add(1);
            s.last = now;
        }
    }

    /// Forgets every stream (a new window, or a new session).
    pub fn reset(&mut self) {
        self.streams.clear();
    }
}

/// How many frames went to the window and how many were dropped, for the log and the stats.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Delivery {
    /// Frames sent to the window.
    pub sent: u64,
    /// Frames dropped because the window was behind or absent.
    pub dropped: u64,
}

/// The window's video channel with its credits.
#[derive(Default)]
pub struct VideoOut {
    inner: Mutex<Out>,
}

#[derive(Default)]
struct Out {
    channel: Option<Channel<InvokeResponseBody>>,
    credits: Credits,
    delivery: Delivery,
}

impl VideoOut {
    /// The window opened a (new) channel; earlier frames on their way are forgotten.
    pub fn attach(&self, channel: Channel<InvokeResponseBody>) {
        let mut out = self.lock();
        out.channel = Some(channel);
        out.credits.reset();
    }

    /// Acknowledgement from the window.
    pub fn ack(&self, key: u16, seq: u32) {
        self.lock().credits.ack(key, seq, Instant::now());
    }

    /// A new session: streams start afresh.
    pub fn reset(&self) {
        self.lock().credits.reset();
    }

    /// The counts so far.
    pub fn delivery(&self) -> Delivery {
        self.lock().delivery
    }

    /// Sends a picture if its stream has room; otherwise drops it. `half`: at half its width
    /// and height (for small tiles).
    pub fn offer(&self, stream: StreamId, planes: Planes<'_>, half: bool) {
        let (channel, seq) = {
            let mut out = self.lock();
            let Some(channel) = out.channel.clone() else {
                out.delivery.dropped += 1;
                return;
            };
            match out.credits.admit(stream, Instant::now()) {
                Some(seq) => {
                    out.delivery.sent += 1;
                    (channel, seq)
                }
                None => {
                    out.delivery.dropped += 1;
                    return;
                }
            }
        };
        let encoded = if half {
            frame::encode_half(stream, seq, planes)
        } else {
            frame::encode(stream, seq, planes)
        };
        let bytes = match encoded {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(error = %e, "a picture that cannot be shown");
                return;
            }
        };
        if let Err(e) = channel.send(InvokeResponseBody::Raw(bytes)) {
            tracing::debug!(error = %e, "the window's video channel is gone");
            let mut out = self.lock();
            // Only if it was not replaced meanwhile.
            if out.channel.as_ref().is_some_and(|c| c.id() == channel.id()) {
                out.channel = None;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Out> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::frame::{Track, SELF_VIEW};

    const CAMERA: StreamId = StreamId {
        source: 1,
        track: Track::Camera,
    };
    const SELF: StreamId = StreamId {
        source: SELF_VIEW,
        track: Track::Camera,
    };

    #[test]
    fn a_stream_has_at_most_two_frames_on_their_way() {
        let now = Instant::now();
        let mut c = Credits::default();
        assert_eq!(c.admit(CAMERA, now), Some(0));
        assert_eq!(c.admit(CAMERA, now), Some(1));
        assert_eq!(c.admit(CAMERA, now), None, "the window is behind: dropped");
        assert_eq!(c.admit(CAMERA, now), None);
        c.ack(CAMERA.key(), 0, now);
        assert_eq!(
            c.admit(CAMERA, now),
            Some(2),
            "numbers continue without gaps"
        );
        assert_eq!(c.admit(CAMERA, now), None);
        c.ack(CAMERA.key(), 2, now);
        assert_eq!(
            c.admit(CAMERA, now),
            Some(3),
            "an ack covers every earlier frame"
        );
        assert_eq!(c.admit(CAMERA, now), Some(4));
    }

    #[test]
    fn streams_do_not_take_each_other_s_room() {
        let now = Instant::now();
        let mut c = Credits::default();
        c.admit(CAMERA, now);
        c.admit(CAMERA, now);
        assert_eq!(c.admit(CAMERA, now), None);
        assert_eq!(c.admit(SELF, now), Some(0));
        c.ack(SELF.key(), 0, now);
        assert_eq!(
            c.admit(CAMERA, now),
            None,
            "an ack of one stream frees only that one"
        );
    }

    #[test]
    fn late_repeated_and_unknown_acks_change_nothing() {
        let now = Instant::now();
        let mut c = Credits::default();
        c.admit(CAMERA, now);
        c.admit(CAMERA, now);
        c.ack(CAMERA.key(), 1, now);
        c.ack(CAMERA.key(), 0, now); // late
        c.ack(CAMERA.key(), 1, now); // repeated
        c.ack(CAMERA.key(), 9, now); // never sent
        c.ack(0x0502, 0, now); // no such stream
        assert_eq!(c.admit(CAMERA, now), Some(2));
        assert_eq!(c.admit(CAMERA, now), Some(3));
        assert_eq!(c.admit(CAMERA, now), None);
    }

    #[test]
    fn a_stalled_stream_starts_again_after_a_while() {
        let start = Instant::now();
        let mut c = Credits::default();
        c.admit(CAMERA, start);
        c.admit(CAMERA, start);
        assert_eq!(c.admit(CAMERA, start + STALL / 2), None);
        assert_eq!(c.admit(CAMERA, start + STALL), Some(2));
        assert_eq!(c.admit(CAMERA, start + STALL), Some(3));
        assert_eq!(c.admit(CAMERA, start + STALL), None);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let now = Instant::now();
        let mut c = Credits::default();
        c.streams.insert(
            CAMERA,
            Stream {
                next: u32::MAX,
                done: u32::MAX,
                last: now,
            },
        );
        assert_eq!(c.admit(CAMERA, now), Some(u32::MAX));
        assert_eq!(c.admit(CAMERA, now), Some(0));
        assert_eq!(c.admit(CAMERA, now), None);
        c.ack(CAMERA.key(), 0, now);
        assert_eq!(c.admit(CAMERA, now), Some(1));
    }

    #[test]
    fn reset_forgets_frames_on_their_way() {
        let now = Instant::now();
        let mut c = Credits::default();
        c.admit(CAMERA, now);
        c.admit(CAMERA, now);
        c.reset();
        assert_eq!(c.admit(CAMERA, now), Some(0));
    }
}
