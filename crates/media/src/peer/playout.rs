//! When each received video frame is shown: at once on a clean path; on a path where frames
//! come late (a lost packet waits a round trip for its retransmission, and every frame after it
//! waits too), held back just enough that the pictures keep an even pace instead of freezing at
//! every loss.
//!
//! Sans-IO: [`Playout::schedule`] takes the time a frame became complete and its RTP timestamp
//! and answers when to show it. The path's own delay is the smallest (completed − captured) of
//! the last [`WINDOW`], in the receiver's clock; a frame's lateness is how much more it took. The
//! delay added is the largest lateness of the last [`WINDOW`] (capped at [`MAX_DELAY`]), so one
//! recovered loss buys smoothness for a while and the delay falls back once losses stop. Lateness
//! under [`IGNORED`] (a busy scheduler, ordinary jitter) is not worth delaying every picture for.
//! This is the idea of a browser's jitter buffer, which adds the round trip when it asks for
//! retransmissions, kept to one rule.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How far back the path's delay and the lateness of frames are remembered.
pub const WINDOW: Duration = Duration::from_secs(10);
/// The most a frame is held back: a conversation with more delay than this is worse than a
/// freeze now and then.
pub const MAX_DELAY: Duration = Duration::from_millis(1_000);
/// Lateness not worth holding pictures back for (less than a frame at 30 fps).
pub const IGNORED: Duration = Duration::from_millis(25);
/// A pause longer than this (the sender stopped its camera) starts the timing afresh.
const PAUSE: Duration = Duration::from_secs(1);
/// RTP video clock, Hz.
const CLOCK: f64 = 90_000.0;

/// The playout timing of one received video stream.
#[derive(Default)]
pub struct Playout {
    /// The first frame's completion time and unwrapped timestamp: the origin of both clocks.
    anchor: Option<(Instant, i64)>,
    /// The last timestamp as it came, and unwrapped (relative to the anchor's).
    last_raw: u32,
    last_ts: i64,
    last_ready: Option<Instant>,
    /// (completed, offset in seconds), offsets increasing: a sliding-window minimum.
    offsets: VecDeque<(Instant, f64)>,
    /// (completed, lateness in seconds), lateness decreasing: a sliding-window maximum.
    lateness: VecDeque<(Instant, f64)>,
}

impl Playout {
    /// Timing that knows nothing yet: the first frame is shown at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// When to show the frame with RTP timestamp `timestamp` that was complete at `ready`
    /// (never before `ready`).
    pub fn schedule(&mut self, ready: Instant, timestamp: u32) -> Instant {
        if self
            .last_ready
            .is_some_and(|last| ready.saturating_duration_since(last) > PAUSE)
        {
            *self = Self::default();
        }
        self.last_ready = Some(ready);
        let (anchor, ts) = match self.anchor {
            None => {
                self.anchor = Some((ready, 0));
                self.last_raw = timestamp;
                self.last_ts = 0;
                (ready, 0)
            }
            Some((anchor, _)) => {
                // Unwrap the 32-bit timestamp, nearest to the last one.
                let step = i64::from(timestamp.wrapping_sub(self.last_raw) as i32);
                self.last_raw = timestamp;
                self.last_ts += step;
                (anchor, self.last_ts)
            }
        };
        let captured = ts as f64 / CLOCK;
        let offset = ready.saturating_duration_since(anchor).as_secs_f64() - captured;

        while self.offsets.back().is_some_and(|(_, o)| *o >= offset) {
            self.offsets.pop_back();
        }
        self.offsets.push_back((ready, offset));
        while self
            .offsets
            .front()
            .is_some_and(|(at, _)| ready.saturating_duration_since(*at) > WINDOW)
        {
            self.offsets.pop_front();
        }
        let base = self.offsets.front().map_or(offset, |(_, o)| *o);

        let late = offset - base;
        if late >= IGNORED.as_secs_f64() {
            let late = late.min(MAX_DELAY.as_secs_f64());
            while self.lateness.back().is_some_and(|(_, l)| *l <= late) {
                self.lateness.pop_back();
            }
            self.lateness.push_back((ready, late));
        }
        while self
            .lateness
            .front()
            .is_some_and(|(at, _)| ready.saturating_duration_since(*at) > WINDOW)
        {
            self.lateness.pop_front();
        }
        let delay = self.lateness.front().map_or(0.0, |(_, l)| *l);

        let due = base + captured + delay;
        let show = if due > 0.0 {
            anchor + Duration::from_secs_f64(due)
        } else {
            anchor
        };
        show.max(ready)
    }

    /// The delay added to pictures now.
    pub fn delay(&self) -> Duration {
        Duration::from_secs_f64(self.lateness.front().map_or(0.0, |(_, l)| *l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: u32 = 3_000; // 30 fps at 90 kHz

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Frames every 33⅓ ms on a path of `path` ms, frame `n` taking `extra(n)` ms more; the time
    /// each is shown, relative to the first's completion.
    fn run(frames: u32, path: u64, extra: impl Fn(u32) -> u64) -> Vec<f64> {
        let t = Instant::now();
        let mut p = Playout::new();
        (0..frames)
            .map(|n| {
                let captured = Duration::from_micros(u64::from(n) * 33_333);
                let ready = t + captured + ms(path + extra(n));
                let shown = p.schedule(ready, 1_000 + n * FRAME);
                shown.duration_since(t).as_secs_f64() * 1000.0
            })
            .collect()
    }

    fn gaps(shown: &[f64]) -> Vec<f64> {
        shown.windows(2).map(|w| w[1] - w[0]).collect()
    }

    #[test]
    fn a_clean_path_shows_every_frame_the_moment_it_is_complete() {
        let shown = run(60, 40, |n| u64::from(n % 3) * 5);
        for (n, s) in shown.iter().enumerate() {
            let ready = n as f64 * 33.333 + 40.0 + (n % 3) as f64 * 5.0;
            assert!((s - ready).abs() < 0.01, "frame {n}: {s} against {ready}");
        }
    }

    #[test]
    fn after_a_recovered_loss_the_next_loss_is_no_freeze() {
        // A 300 ms round trip: frame 30 waits for a retransmission (frames 31–38 behind it
        // come with it), and so does frame 90.
        let held = |n: u32, lost: u32| -> u64 {
            if (lost..lost + 9).contains(&n) {
                300 - u64::from(n - lost) * 33
            } else {
                0
            }
        };
        let shown = run(150, 150, |n| held(n, 30).max(held(n, 90)));
        let g = gaps(&shown);
        // The first loss is a freeze: nothing was known.
        assert!(g[29] > 250.0, "{}", g[29]);
        // From then on the pictures are held back 300 ms and the second loss is absorbed.
        let worst = g[40..].iter().copied().fold(0.0, f64::max);
        assert!(worst < 40.0, "the second loss froze for {worst} ms");
        assert!((shown[60] - (60.0 * 33.333 + 150.0 + 300.0)).abs() < 1.0);
    }

    #[test]
    fn the_delay_falls_back_once_losses_stop_and_is_capped() {
        let t = Instant::now();
        let mut p = Playout::new();
        let mut ready = t;
        // Frames come later and later, up to 1.5 s (a path that filled up), then on time.
        for n in 0..400u32 {
            let extra = if (1..=15).contains(&n) {
                u64::from(n) * 100
            } else {
                0
            };
            let natural = t + Duration::from_micros(u64::from(n) * 33_333) + ms(20 + extra);
            ready = ready.max(natural);
            p.schedule(ready, n * FRAME);
            if n == 15 {
                assert_eq!(p.delay(), MAX_DELAY);
            }
        }
        // Ten seconds after the last late one, it is forgotten.
        assert_eq!(p.delay(), Duration::ZERO);
    }

    #[test]
    fn a_pause_starts_afresh_and_timestamps_wrap() {
        let t = Instant::now();
        let frame = Duration::from_micros(33_333);
        let mut p = Playout::new();
        p.schedule(t, u32::MAX - (FRAME - 1));
        p.schedule(t + frame, 0); // wrapped
        let ready = t + frame * 2 + ms(400);
        let late = p.schedule(ready, FRAME);
        assert!(
            late.duration_since(ready) < ms(1),
            "a late frame is shown when complete"
        );
        assert!(p.delay().abs_diff(ms(400)) < ms(1), "{:?}", p.delay());
        // The camera was off for five seconds and its timestamps did not move.
        let back = t + ms(5_500);
        assert_eq!(p.schedule(back, 2 * FRAME), back);
        assert_eq!(p.delay(), Duration::ZERO);
    }
}
