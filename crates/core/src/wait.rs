//! The desk's recent figures, and the wait they predict for a request.
//!
//! An estimate is what a person would work out from the desk board: each expert on duty who
//! could take the request is free now, or will be once their session has run its usual length
//! (never sooner than a fifth of it, however long it has already run); the requests ahead take
//! the first experts to be free, one usual session each; then the expert takes a usual time to
//! answer the ring. Nobody on duty: no estimate at all, rather than a made-up one.

use std::time::{Duration, Instant};

/// A moving average that weighs recent observations most.
#[derive(Debug, Clone, Copy)]
struct Average {
    value: Duration,
}

impl Average {
    /// Weight of the newest observation.
    const ALPHA: f64 = 0.2;

    fn observe(&mut self, d: Duration) {
        let v = self.value.as_secs_f64();
        let next = v + Self::ALPHA * (d.as_secs_f64() - v);
        self.value = Duration::from_secs_f64(next.max(0.0));
    }
}

/// The desk's recent figures: how long a session lasts and how long an expert takes to answer
/// a ring. Seeded from the records at start, then kept up to date as sessions go.
#[derive(Debug, Clone)]
pub struct DeskFigures {
    handling: Average,
    answer: Average,
}

/// When one expert on duty is free for the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpertLoad {
    /// Free now.
    Free,
    /// Ringing with another request: counted as free, since the ring resolves within moments
    /// either way (and offers and declines, the most frequent changes, then move no estimate).
    Ringing,
    /// In a session since this instant.
    InSessionSince(Instant),
}

impl DeskFigures {
    /// Figures that assume `handling` per session and `answer` per ring until real ones come.
    pub fn new(handling: Duration, answer: Duration) -> Self {
        Self {
            handling: Average { value: handling },
            answer: Average { value: answer },
        }
    }

    /// A session lasted `d` from the expert's arrival to its end.
    pub fn observe_handling(&mut self, d: Duration) {
        self.handling.observe(d);
    }

    /// An expert answered a ring (or took a request) `d` after it started ringing.
    pub fn observe_answer(&mut self, d: Duration) {
        self.answer.observe(d);
    }

    /// How long a session usually lasts.
    pub fn handling(&self) -> Duration {
        self.handling.value
    }

    /// How long an expert usually takes to answer.
    pub fn answer(&self) -> Duration {
        self.answer.value
    }

    /// The wait at `now` of a request with `ahead` requests before it that the same experts
    /// would take first, given the load of every expert on duty who could take it; `None`
    /// when nobody is on duty.
    pub fn estimate(
        &self,
        now: Instant,
        ahead: usize,
        experts: impl IntoIterator<Item = ExpertLoad>,
    ) -> Option<Duration> {
        self.wait_behind(&self.free_at(now, experts), ahead)
    }

    /// When each expert is free, soonest first: worked out once for every request that the
    /// same experts could take.
    pub fn free_at(
        &self,
        now: Instant,
        experts: impl IntoIterator<Item = ExpertLoad>,
    ) -> Vec<Duration> {
        let handling = self.handling.value;
        let floor = handling / 5;
        let mut free_at: Vec<Duration> = experts
            .into_iter()
            .map(|load| match load {
                ExpertLoad::Free | ExpertLoad::Ringing => Duration::ZERO,
                ExpertLoad::InSessionSince(since) => handling
                    .saturating_sub(now.saturating_duration_since(since))
                    .max(floor),
            })
            .collect();
        free_at.sort_unstable();
        free_at
    }

    /// The wait of a request with `ahead` requests before it, given [`DeskFigures::free_at`];
    /// `None` without experts.
    pub fn wait_behind(&self, free_at: &[Duration], ahead: usize) -> Option<Duration> {
        let m = free_at.len();
        if m == 0 {
            return None;
        }
        // The requests ahead take the first experts to be free, one usual session each. Every
        // expert is free within one session from now, so the slots come round by round: the
        // k-th is the (k mod m)-th soonest expert after k div m whole sessions.
        let rounds = u32::try_from(ahead / m).unwrap_or(u32::MAX);
        let slot = free_at[ahead % m] + self.handling.value.saturating_mul(rounds);
        Some(round(slot + self.answer.value))
    }
}

/// Rounds an estimate up, coarser as it grows, so that a waiting person's figure changes only
/// when the change means something: 10 s steps up to two minutes, 30 s up to ten, then minutes.
pub fn round(d: Duration) -> Duration {
    let s = d.as_secs_f64().ceil() as u64;
    let step = match s {
        0..=120 => 10,
        121..=600 => 30,
        _ => 60,
    };
    Duration::from_secs(s.div_ceil(step) * step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> DeskFigures {
        DeskFigures::new(Duration::from_secs(600), Duration::from_secs(10))
    }

    #[test]
    fn nobody_on_duty_gives_no_estimate() {
        assert_eq!(figures().estimate(Instant::now(), 0, []), None);
    }

    #[test]
    fn a_free_expert_answers_in_the_usual_time() {
        let now = Instant::now();
        let e = figures().estimate(now, 0, [ExpertLoad::Free]);
        assert_eq!(e, Some(Duration::from_secs(10)));
    }

    #[test]
    fn a_busy_expert_is_free_once_their_session_has_run_its_usual_length() {
        let now = Instant::now() + Duration::from_secs(1000);
        let since = now - Duration::from_secs(240);
        let e = figures().estimate(now, 0, [ExpertLoad::InSessionSince(since)]);
        // 600 - 240 = 360 s, plus 10 s to answer.
        assert_eq!(e, Some(Duration::from_secs(390)));
        // Past the usual length, the expert is never counted as free at once: 120 + 10 s,
        // rounded to 30 s.
        let long_ago = now - Duration::from_secs(900);
        let e = figures().estimate(now, 0, [ExpertLoad::InSessionSince(long_ago)]);
        assert_eq!(e, Some(Duration::from_secs(150)));
    }

    #[test]
    fn requests_ahead_take_the_first_experts_to_be_free() {
        let now = Instant::now() + Duration::from_secs(1000);
        let f = figures();
        let busy = ExpertLoad::InSessionSince(now - Duration::from_secs(300));
        // Two ahead, one free expert and one free in 300 s: the free one takes the first, the
        // other the second, then the free one comes back after 600 s: 610 s, in minutes.
        let e = f.estimate(now, 2, [ExpertLoad::Free, busy]);
        assert_eq!(e, Some(Duration::from_secs(660)));
        // More experts, shorter waits: 310 s, in half minutes.
        let e2 = f.estimate(now, 2, [ExpertLoad::Free, busy, ExpertLoad::Free]);
        assert_eq!(e2, Some(Duration::from_secs(330)));
    }

    #[test]
    fn the_slots_are_those_of_a_step_by_step_simulation() {
        let f = figures();
        let now = Instant::now() + Duration::from_secs(5000);
        let loads = [
            ExpertLoad::Free,
            ExpertLoad::Ringing,
            ExpertLoad::InSessionSince(now - Duration::from_secs(100)),
            ExpertLoad::InSessionSince(now - Duration::from_secs(4000)),
        ];
        for ahead in 0..40 {
            // Hand each request ahead to the first expert free, who is busy a session more.
            let mut free: Vec<u64> = vec![0, 0, 500, 120];
            for _ in 0..ahead {
                let first = (0..free.len()).min_by_key(|i| free[*i]).unwrap();
                free[first] += 600;
            }
            let slot = *free.iter().min().unwrap();
            let want = round(Duration::from_secs(slot + 10));
            assert_eq!(f.estimate(now, ahead, loads), Some(want), "{ahead} ahead");
        }
    }

    #[test]
    fn the_figures_follow_what_happens() {
        let mut f = figures();
        for _ in 0..40 {
            f.observe_handling(Duration::from_secs(120));
            f.observe_answer(Duration::from_secs(4));
        }
        assert!(f.handling().abs_diff(Duration::from_secs(120)) < Duration::from_secs(1));
        assert!(f.answer().abs_diff(Duration::from_secs(4)) < Duration::from_millis(100));
    }

    #[test]
    fn rounding_is_coarser_for_longer_waits() {
        assert_eq!(round(Duration::from_millis(1)), Duration::from_secs(10));
        assert_eq!(round(Duration::from_secs(61)), Duration::from_secs(70));
        assert_eq!(round(Duration::from_secs(121)), Duration::from_secs(150));
        assert_eq!(round(Duration::from_secs(601)), Duration::from_secs(660));
        assert_eq!(round(Duration::ZERO), Duration::ZERO);
    }
}
