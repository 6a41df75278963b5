//! The newest of a stream of pictures that arrive when the screen changes, for a sender that
//! ticks at its own rate: each new picture goes out once, and a still screen's last picture is
//! sent again now and then so that the far side keeps a live stream.

use std::time::{Duration, Instant};

/// Holds the newest picture and whether it went out yet.
#[derive(Debug)]
pub(super) struct Newest<T> {
    /// The picture and when it was captured.
    held: Option<(T, Instant)>,
    /// Whether `held` has not been taken yet.
    fresh: bool,
    /// When a picture was last taken.
    sent_at: Option<Instant>,
    /// How long a still picture waits before it is sent again.
    repeat: Duration,
}

impl<T> Newest<T> {
    /// Nothing held; a still picture is sent again every `repeat`.
    pub(super) fn new(repeat: Duration) -> Self {
        Self {
            held: None,
            fresh: false,
            sent_at: None,
            repeat,
        }
    }

    /// A new picture captured `at`, replacing any not yet sent.
    pub(super) fn put(&mut self, picture: T, at: Instant) {
        self.held = Some((picture, at));
        self.fresh = true;
    }

    /// The picture to send at `now`, with its capture time: a new one with its own, or the
    /// last again (stamped `now`, so that times only go forward) once `repeat` has passed
    /// since anything was sent; `None` otherwise.
    pub(super) fn take(&mut self, now: Instant) -> Option<(&T, Instant)> {
        let (picture, at) = self.held.as_ref()?;
        let due = self
            .sent_at
            .is_none_or(|sent| now.saturating_duration_since(sent) >= self.repeat);
        if self.fresh {
            self.fresh = false;
            self.sent_at = Some(now);
            Some((picture, *at))
        } else if due {
            self.sent_at = Some(now);
            Some((picture, now))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_picture_goes_out_once_and_a_still_one_again_after_the_pause() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut newest = Newest::new(Duration::from_secs(1));
        assert!(newest.take(ms(0)).is_none(), "nothing yet");
        newest.put("a", ms(10));
        newest.put("b", ms(20));
        // Only the newest goes out, with its own capture time.
        assert_eq!(newest.take(ms(66)), Some((&"b", ms(20))));
        assert_eq!(newest.take(ms(133)), None, "no change, not due again");
        assert_eq!(newest.take(ms(1065)), None, "999 ms after the last send");
        // A second after it was sent: again, stamped with the time it is sent.
        assert_eq!(newest.take(ms(1066)), Some((&"b", ms(1066))));
        assert_eq!(newest.take(ms(1100)), None);
        newest.put("c", ms(1110));
        assert_eq!(newest.take(ms(1133)), Some((&"c", ms(1110))));
    }
}
