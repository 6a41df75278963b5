//! Capture threads: a stop signal that wakes a sleeping thread at once, a worker handle that
//! stops and joins on drop, and a pacer that ticks at exact multiples of an interval.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::CaptureError;

/// A stop flag that a thread can sleep on: setting it wakes the sleeper immediately.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    /// Asks the thread to stop.
    pub(crate) fn set(&self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_all();
    }

    /// Whether stopping was asked for.
    pub(crate) fn is_set(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps until `deadline`; `false` (at once) when stopping was asked for.
    pub(crate) fn sleep_until(&self, deadline: Instant) -> bool {
        let mut stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if *stopped {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            stopped = self
                .wake
                .wait_timeout(stopped, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Where a capture thread leaves the reason it stopped early.
pub(crate) type Failure = Arc<Mutex<Option<CaptureError>>>;

/// Records why a capture thread gave up (the first reason wins).
pub(crate) fn fail(failure: &Failure, error: CaptureError) {
    tracing::warn!(%error, "capture stopped");
    let mut slot = failure.lock().unwrap_or_else(PoisonError::into_inner);
    slot.get_or_insert(error);
}

/// A capture thread. Dropping it stops the thread and waits for it.
#[derive(Debug)]
pub(crate) struct Worker {
    stop: Arc<Stop>,
    failure: Failure,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Runs `body(stop, failure)` on a new thread called `name`.
    pub(crate) fn spawn(
        name: &str,
        body: impl FnOnce(Arc<Stop>, Failure) + Send + 'static,
    ) -> Result<Self, CaptureError> {
        let stop = Arc::new(Stop::default());
        let failure = Failure::default();
        let (s, f) = (stop.clone(), failure.clone());
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || body(s, f))
            .map_err(|e| CaptureError::DeviceFailed {
                device: "capture thread".into(),
                reason: format!("the system refused a new thread ({e})"),
            })?;
        Ok(Self {
            stop,
            failure,
            thread: Some(thread),
        })
    }

    /// Runs `body(stop, failure, ready)` on a new thread and waits until the body reports through
    /// `ready` that its device opened (with a value for the caller) or failed. Devices whose
    /// handles may not cross threads are opened, used and closed on that one thread.
    pub(crate) fn spawn_ready<T: Send + 'static>(
        name: &str,
        body: impl FnOnce(Arc<Stop>, Failure, Ready<T>) + Send + 'static,
    ) -> Result<(Self, T), CaptureError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let worker = Self::spawn(name, move |stop, failure| body(stop, failure, Ready(tx)))?;
        match rx.recv() {
            Ok(Ok(value)) => Ok((worker, value)),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(CaptureError::DeviceFailed {
                device: name.into(),
                reason: "its thread ended before the device opened".into(),
            }),
        }
    }

    /// Whether the thread is still capturing.
    pub(crate) fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Why the thread stopped on its own, if it did (taken: asked once).
    pub(crate) fn take_failure(&self) -> Option<CaptureError> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.set();
        if let Some(thread) = self.thread.take() {
            // A callback that drops its own capture must not wait for itself.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

/// How a capture thread says whether its device opened.
#[derive(Debug)]
pub(crate) struct Ready<T>(std::sync::mpsc::SyncSender<Result<T, CaptureError>>);

impl<T> Ready<T> {
    /// Reports the outcome to the waiting [`Worker::spawn_ready`].
    pub(crate) fn send(self, outcome: Result<T, CaptureError>) {
        let _ = self.0.send(outcome);
    }
}

/// Ticks `num/den` times a second at exact multiples of the interval from `start`, so that
/// rounding never accumulates into drift.
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    start: Instant,
    num: u32,
    den: u32,
    next: u64,
}

impl Pacer {
    /// A pacer whose tick 0 is at `start`, ticking `rate` times a second (0 counts as 1).
    pub(crate) fn new(start: Instant, rate: u32) -> Self {
        Self::fractional(start, (rate, 1))
    }

    /// A pacer ticking `num/den` times a second (30000/1001 for NTSC video).
    pub(crate) fn fractional(start: Instant, (num, den): (u32, u32)) -> Self {
        Self {
            start,
            num: num.max(1),
            den: den.max(1),
            next: 0,
        }
    }

    /// When tick `n` is due.
    pub(crate) fn at(&self, n: u64) -> Instant {
        let nanos = u128::from(n) * 1_000_000_000 * u128::from(self.den) / u128::from(self.num);
        self.start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Sleeps until the next tick and returns its number and due time, or `None` once stopped.
    /// Ticks already more than `max_late` overdue are skipped (a video frame that late is
    /// better dropped; audio passes a longer allowance and catches up).
    pub(crate) fn wait(&mut self, stop: &Stop, max_late: Duration) -> Option<(u64, Instant)> {
        let now = Instant::now();
        if let Some(overdue) = now.checked_duration_since(self.at(self.next) + max_late) {
            // First tick not more than `max_late` overdue: skip whole intervals at once.
            let behind =
                overdue.as_nanos() * u128::from(self.num) / (1_000_000_000 * u128::from(self.den));
            self.next += u64::try_from(behind).unwrap_or(u64::MAX / 2) + 1;
        }
        let due = self.at(self.next);
        if !stop.sleep_until(due) {
            return None;
        }
        let n = self.next;
        self.next += 1;
        Some((n, due))
    }
}

/// Microseconds since the Unix epoch at `at`, by the wall clock now.
pub(crate) fn unix_micros(at: Instant) -> u64 {
    let (now, wall) = (Instant::now(), SystemTime::now());
    let then = match now.checked_duration_since(at) {
        Some(ago) => wall.checked_sub(ago),
        None => wall.checked_add(at - now),
    };
    then.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_exact_multiples_without_drift() {
        let start = Instant::now();
        let p = Pacer::new(start, 30);
        assert_eq!(p.at(0), start);
        assert_eq!(p.at(3) - start, Duration::from_millis(100));
        // 30 fps for an hour: exactly an hour, not 108_000 × 33.333 ms rounded.
        assert_eq!(p.at(108_000) - start, Duration::from_secs(3600));
        assert_eq!(
            Pacer::new(start, 50).at(1) - start,
            Duration::from_millis(20)
        );
        let ntsc = Pacer::fractional(start, (30_000, 1001));
        assert_eq!(ntsc.at(30_000) - start, Duration::from_millis(1_001_000));
    }

    #[test]
    fn late_ticks_are_skipped_beyond_the_allowance() {
        let stop = Stop::default();
        let start = Instant::now() - Duration::from_millis(1000);
        let mut video = Pacer::new(start, 10);
        // 1 s late at 10 a second: ticks 0..=9 are overdue by 100 ms or more.
        let (n, _) = video.wait(&stop, Duration::from_millis(50)).unwrap();
        assert!((10..=11).contains(&n), "{n}");
        let mut audio = Pacer::new(start, 10);
        let (n, _) = audio.wait(&stop, Duration::from_secs(5)).unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn stopping_wakes_a_sleeper_at_once() {
        let stop = Arc::new(Stop::default());
        let s = stop.clone();
        let t0 = Instant::now();
        let sleeper =
            std::thread::spawn(move || s.sleep_until(Instant::now() + Duration::from_secs(10)));
        std::thread::sleep(Duration::from_millis(20));
        stop.set();
        assert!(!sleeper.join().unwrap());
        assert!(t0.elapsed() < Duration::from_secs(1));
        assert!(stop.is_set());
    }

    #[test]
    fn a_worker_joins_on_drop_and_reports_its_failure() {
        let w = Worker::spawn("test", |stop, failure| {
            fail(&failure, CaptureError::NoCamera);
            while stop.sleep_until(Instant::now() + Duration::from_secs(10)) {}
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert!(w.is_running());
        assert!(matches!(w.take_failure(), Some(CaptureError::NoCamera)));
        assert!(w.take_failure().is_none());
        let t0 = Instant::now();
        drop(w);
        assert!(t0.elapsed() < Duration::from_millis(50));
    }

    #[test]
    fn unix_time_of_an_instant() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let earlier = unix_micros(Instant::now() - Duration::from_secs(2));
        let diff = now.as_micros() as i64 - earlier as i64;
        assert!((1_900_000..2_100_000).contains(&diff), "{diff}");
    }
}
