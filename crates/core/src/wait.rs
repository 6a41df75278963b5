//! Estimated wait for a queued request.

use std::time::Duration;

/// Estimates how long a request at a given queue position waits, from how long recent
/// requests waited until an expert accepted (an exponentially weighted moving average).
#[derive(Debug, Clone)]
pub struct WaitEstimator {
    average: Duration,
}

impl WaitEstimator {
    /// Weight of the newest observation.
    const ALPHA: f64 = 0.2;

    /// An estimator that assumes `initial` per request until it has observed any.
    pub fn new(initial: Duration) -> Self {
        Self { average: initial }
    }

    /// Records how long a request waited until an expert accepted it.
    pub fn observe(&mut self, waited: Duration) {
        let avg = self.average.as_secs_f64();
        let next = avg + Self::ALPHA * (waited.as_secs_f64() - avg);
        self.average = Duration::from_secs_f64(next.max(0.0));
    }

    /// The estimated wait at `position` (1 = next) with `experts` able to take the request.
    /// With no expert able to take it, the estimate assumes one will come.
    pub fn estimate(&self, position: u32, experts: usize) -> Duration {
        let per = self.average.as_secs_f64();
        let experts = experts.max(1) as f64;
        Duration::from_secs_f64(per * f64::from(position.max(1)) / experts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_grows_with_position_and_shrinks_with_experts() {
        let w = WaitEstimator::new(Duration::from_secs(60));
        assert_eq!(w.estimate(1, 1), Duration::from_secs(60));
        assert_eq!(w.estimate(3, 1), Duration::from_secs(180));
        assert_eq!(w.estimate(4, 2), Duration::from_secs(120));
        assert_eq!(w.estimate(2, 0), Duration::from_secs(120));
    }

    #[test]
    fn observations_pull_the_average() {
        let mut w = WaitEstimator::new(Duration::from_secs(60));
        for _ in 0..50 {
            w.observe(Duration::from_secs(10));
        }
        let e = w.estimate(1, 1).as_secs_f64();
        assert!((e - 10.0).abs() < 0.1, "{e}");
    }
}
