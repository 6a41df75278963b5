//! Bounds on what unauthenticated requests may cost: password guessing is throttled per
//! account and per address, and password hashing (argon2, 19 MiB and tens of milliseconds
//! each) runs at most as many at once as there are cores.
//!
//! Only failures count: an office behind one address where everyone signs in or enrols
//! correctly is never slowed. Each key (an address, a user name) has a budget of failures that
//! refills over time ([`governor`]'s keyed limiter); a failure beyond it blocks the key for a
//! while, and each further strike doubles the wait up to a ceiling. A success clears the
//! key's strikes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What was attempted, so that mistyped enrolment codes do not block sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attempt {
    /// A console sign-in.
    SignIn,
    /// An enrolment.
    Enrol,
}

/// Whose failures are counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// The client's address (the TCP peer's).
    Address(Attempt, IpAddr),
    /// A user name as typed (trimmed, lower case).
    Account(String),
}

impl Key {
    /// The key of a user name.
    pub fn account(username: &str) -> Self {
        Self::Account(username.trim().to_lowercase())
    }

    fn is_account(&self) -> bool {
        matches!(self, Self::Account(_))
    }
}

/// How fast an address's budget of failures refills (its size is a setting,
/// `Limits::failed_sign_ins_per_address`).
const ADDRESS_REFILL: Duration = Duration::from_secs(20);
/// The same for an account: slower, since guesses at one account are what passwords fear.
const ACCOUNT_REFILL: Duration = Duration::from_secs(60);
/// The first block; each strike doubles it, up to the ceilings. An account's ceiling is short,
/// since anyone can make its owner wait by failing in their name.
const FIRST_BLOCK: Duration = Duration::from_secs(1);
const ADDRESS_CEILING: Duration = Duration::from_secs(15 * 60);
const ACCOUNT_CEILING: Duration = Duration::from_secs(60);
/// Keys kept before blocks long over are forgotten.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Block {
    strikes: u32,
    until: Instant,
}

/// Failure budgets and blocks per key (see the module docs).
pub struct Throttle {
    by_address: DefaultKeyedRateLimiter<Key>,
    by_account: DefaultKeyedRateLimiter<Key>,
    blocks: Mutex<HashMap<Key, Block>>,
    clock: DefaultClock,
}

impl Default for Throttle {
    /// The budgets of the default limits.
    fn default() -> Self {
        let d = crate::limits::Limits::default();
        Self::new(d.failed_sign_ins_per_address, d.failed_sign_ins_per_account)
    }
}

fn quota(burst: u32, refill: Duration) -> Quota {
    Quota::with_period(refill)
        .expect("a refill period is not zero")
        .allow_burst(NonZeroU32::new(burst).expect("a burst is not zero"))
}

impl Throttle {
    /// A throttle letting an address fail `per_address` times and a user name `per_account`
    /// times before blocking them (each at least once).
    pub fn new(per_address: u32, per_account: u32) -> Self {
        Self {
            by_address: RateLimiter::keyed(quota(per_address.max(1), ADDRESS_REFILL)),
            by_account: RateLimiter::keyed(quota(per_account.max(1), ACCOUNT_REFILL)),
            blocks: Mutex::default(),
            clock: DefaultClock::default(),
        }
    }

    fn blocks(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Block>> {
        self.blocks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(wait)` when any of `keys` is blocked now: how long until it is not.
    pub fn check(&self, keys: &[Key]) -> Result<(), Duration> {
        let now = Instant::now();
        let blocks = self.blocks();
        let wait = keys
            .iter()
            .filter_map(|k| blocks.get(k))
            .map(|b| b.until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    /// An attempt by `keys` failed: spends their budgets and, beyond them, blocks them.
    pub fn failed(&self, keys: &[Key]) {
        let now = Instant::now();
        let mut blocks = self.blocks();
        for key in keys {
            let (limiter, ceiling) = if key.is_account() {
                (&self.by_account, ACCOUNT_CEILING)
            } else {
                (&self.by_address, ADDRESS_CEILING)
            };
            let Err(refill) = limiter.check_key(key) else {
                continue;
            };
            let refill = refill.wait_time_from(self.clock.now());
            let block = blocks.entry(key.clone()).or_insert(Block {
                strikes: 0,
                until: now,
            });
            // A key quiet for a whole ceiling since its last block starts over.
            if now > block.until + ceiling {
                block.strikes = 0;
            }
            let doubling = FIRST_BLOCK
                .saturating_mul(1u32 << block.strikes.min(16))
                .min(ceiling);
            block.strikes += 1;
            block.until = now + doubling.max(refill);
        }
        if blocks.len() > PRUNE_ABOVE {
            blocks.retain(|k, b| {
                let ceiling = if k.is_account() {
                    ACCOUNT_CEILING
                } else {
                    ADDRESS_CEILING
                };
                b.until + ceiling > now
            });
            self.by_address.retain_recent();
            self.by_account.retain_recent();
        }
    }

    /// An attempt by `keys` succeeded: their strikes are forgiven.
    pub fn succeeded(&self, keys: &[Key]) {
        let mut blocks = self.blocks();
        for key in keys {
            blocks.remove(key);
        }
    }
}

/// At most as many password hashes at once as there are cores; others wait a little, then are
/// told the host is busy rather than queue up (each waiting hash would hold its memory).
pub struct HashGate {
    permits: std::sync::Arc<Semaphore>,
    wait: Duration,
}

impl HashGate {
    /// A gate with `concurrency` permits; a caller waits at most `wait` for one.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        Self {
            permits: std::sync::Arc::new(Semaphore::new(concurrency.max(1))),
            wait,
        }
    }

    /// A gate sized to the machine's cores.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores, Duration::from_secs(2))
    }

    /// A permit to hash, or `None` when none came free in time.
    pub async fn enter(&self) -> Option<OwnedSemaphorePermit> {
        tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(n: u8) -> Key {
        Key::Address(Attempt::SignIn, IpAddr::from([10, 0, 0, n]))
    }

    #[test]
    fn failures_within_the_budget_block_nothing_and_beyond_it_blocks_double() {
        let t = Throttle::default();
        let keys = [address(1)];
        for _ in 0..crate::limits::Limits::default().failed_sign_ins_per_address {
            t.failed(&keys);
            assert_eq!(t.check(&keys), Ok(()));
        }
        t.failed(&keys);
        let first = t.check(&keys).unwrap_err();
        // The block is at least the budget's refill, here longer than the first doubling.
        assert!(first > ADDRESS_REFILL - Duration::from_secs(1), "{first:?}");
        assert_eq!(
            t.check(&[address(2)]),
            Ok(()),
            "another address is not blocked"
        );
        let strikes = |t: &Throttle| t.blocks().get(&keys[0]).unwrap().strikes;
        assert_eq!(strikes(&t), 1);
        t.failed(&keys);
        assert_eq!(strikes(&t), 2);
        t.succeeded(&keys);
        assert_eq!(t.check(&keys), Ok(()), "a success forgives");
    }

    #[test]
    fn an_account_is_blocked_whichever_address_guesses() {
        let t = Throttle::default();
        for n in 0..=crate::limits::Limits::default().failed_sign_ins_per_account as u8 {
            t.failed(&[address(n), Key::account(" Ana ")]);
        }
        let wait = t.check(&[address(99), Key::account("ana")]).unwrap_err();
        assert!(wait <= ACCOUNT_REFILL.max(ACCOUNT_CEILING), "{wait:?}");
        assert_eq!(t.check(&[address(99), Key::account("bob")]), Ok(()));
    }

    #[test]
    fn the_doubling_stops_at_the_ceiling() {
        let t = Throttle::default();
        let keys = [Key::account("carol")];
        for _ in 0..40 {
            t.failed(&keys);
        }
        let wait = t.check(&keys).unwrap_err();
        assert!(wait <= ACCOUNT_CEILING, "{wait:?}");
        assert!(wait > ACCOUNT_CEILING / 2, "{wait:?}");
    }

    #[tokio::test]
    async fn the_gate_lets_through_as_many_as_it_has_permits_then_says_busy() {
        let gate = HashGate::new(2, Duration::from_millis(50));
        let a = gate.enter().await.unwrap();
        let _b = gate.enter().await.unwrap();
        assert!(
            gate.enter().await.is_none(),
            "a third waits, then is turned away"
        );
        drop(a);
        assert!(gate.enter().await.is_some());
    }
}
