//! Where uploaded pictures are decoded: a bounded pool, fair between sessions.
//!
//! A decode at the limits takes seconds and a few hundred MB, so few run at once
//! ([`DecodePool::for_this_machine`]: as many as there are cores, at most four). Each session
//! has one upload in hand at a time ([`DecodePool::turn`]): a session that sends twenty large
//! pictures has one of them in the pool's queue, and another session's small picture waits
//! behind at most the decodes already running, not behind the twenty.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedMutexGuard, Semaphore};

/// The pool and the sessions' turns.
pub struct DecodePool {
    permits: Arc<Semaphore>,
    turns: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// A session's turn to upload; the next upload of the session waits until it is dropped.
pub struct Turn {
    guard: Option<OwnedMutexGuard<()>>,
    session: String,
    turns: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut turns = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        // Nobody else holds or waits for the session's turn: forget it.
        if turns
            .get(&self.session)
            .is_some_and(|t| Arc::strong_count(t) == 1)
        {
            turns.remove(&self.session);
        }
    }
}

impl DecodePool {
    /// A pool of `size` decodes at once.
    pub fn new(size: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(size.max(1))),
            turns: Arc::default(),
        }
    }

    /// A pool as large as the machine has cores, at most four (each decode may take a few
    /// hundred MB).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores.min(4))
    }

    /// Waits until `session` has no other upload in hand.
    pub async fn turn(&self, session: &str) -> Turn {
        let lock = self
            .turns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(session.to_owned())
            .or_default()
            .clone();
        Turn {
            guard: Some(lock.lock_owned().await),
            session: session.to_owned(),
            turns: self.turns.clone(),
        }
    }

    /// Runs `decode` on a blocking thread once the pool has room (first come, first served);
    /// `None` if it panicked or the host is going down.
    pub async fn run<T: Send + 'static>(
        &self,
        decode: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let out = decode();
            drop(permit);
            out
        })
        .await
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_session_has_one_turn_at_a_time_and_others_are_not_held_up() {
        let pool = DecodePool::new(2);
        let first = pool.turn("a").await;
        let second = tokio::time::timeout(Duration::from_millis(50), pool.turn("a")).await;
        assert!(second.is_err(), "the session's second upload waits");
        let other = tokio::time::timeout(Duration::from_millis(50), pool.turn("b")).await;
        assert!(other.is_ok(), "another session does not");
        drop(other);
        drop(first);
        let again = pool.turn("a").await;
        drop(again);
        assert!(pool.turns.lock().unwrap().is_empty(), "turns are forgotten");
    }

    #[tokio::test]
    async fn no_more_decodes_run_at_once_than_the_pool_has_room_for() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pool = Arc::new(DecodePool::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    pool.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(30));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
