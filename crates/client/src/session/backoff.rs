//! Capped exponential backoff with jitter, for reconnecting the session socket.

use std::time::Duration;

/// Delays between reconnection attempts: `initial`, doubling up to `cap`, each one drawn from
/// the upper half of its step so that many clients that lost the host together do not return
/// together.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    cap: Duration,
    attempt: u32,
}

impl Default for Backoff {
    /// 500 ms, doubling up to 30 s.
    fn default() -> Self {
        Self::new(Duration::from_millis(500), Duration::from_secs(30))
    }
}

impl Backoff {
    /// A backoff starting at `initial` and never above `cap`.
    pub fn new(initial: Duration, cap: Duration) -> Self {
        Self {
            initial,
            cap: cap.max(initial),
            attempt: 0,
        }
    }

    /// The next delay. `unit` is a random number in `[0, 1)`; it picks a point in the upper
    /// half of the step (`step/2 ..= step`).
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(20));
        let step = self.initial.saturating_mul(factor).min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let unit = unit.clamp(0.0, 1.0);
        step.mul_f64(0.5 + 0.5 * unit)
    }

    /// Starts again from `initial` (after a connection that worked).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_doubling_then_stays_at_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let highs: Vec<_> = (0..10).map(|_| b.next_delay(1.0)).collect();
        assert_eq!(highs[0], Duration::from_millis(500));
        assert_eq!(highs[1], Duration::from_secs(1));
        assert_eq!(highs[2], Duration::from_secs(2));
        assert_eq!(highs[6], Duration::from_secs(30));
        assert_eq!(highs[9], Duration::from_secs(30));
        assert!(highs.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn jitter_stays_in_the_upper_half_and_reset_starts_over() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        for _ in 0..3 {
            b.next_delay(0.3);
        }
        let low = b.clone().next_delay(0.0);
        let high = b.next_delay(0.999_999);
        assert_eq!(low, Duration::from_secs(4));
        assert!(high > Duration::from_millis(7_990) && high <= Duration::from_secs(8));
        b.reset();
        assert_eq!(b.next_delay(0.0), Duration::from_millis(500));
    }
}
