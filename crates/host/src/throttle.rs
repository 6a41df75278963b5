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
    /// The key of a user name: trimmed, lower case, at most [`MAX_NAME_CHARS`] characters (a
    /// guesser's megabyte-long names must not become megabyte-long keys; no account has a
    /// longer name).
    pub fn account(username: &str) -> Self {
        Self::Account(
            username
                .trim()
                .chars()
                .take(MAX_NAME_CHARS)
                .flat_map(char::to_lowercase)
                .collect(),
        )
    }

    /// The key of a client address: an IPv4 address (also written as IPv6-mapped) as itself,
    /// an IPv6 address by its /64, since one machine or home usually has a whole /64 to
    /// choose from.
    pub fn address(attempt: Attempt, ip: IpAddr) -> Self {
        Self::Address(attempt, client_network(ip))
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
/// Keys kept before blocks long over and budgets back to full are forgotten.
const PRUNE_ABOVE: usize = 10_000;
/// How often at most a prune runs (each scans every key).
const PRUNE_EVERY: Duration = Duration::from_secs(10);
/// Characters of a user name that count (longer names are not user names).
const MAX_NAME_CHARS: usize = 100;
/// Attempts checked at once for one user name, and from one address: guesses sent in parallel
/// would otherwise all be checked before the first failure counts. People sign in one at a
/// time; an office behind one address has a few at once.
const IN_FLIGHT_PER_ACCOUNT: u32 = 1;
const IN_FLIGHT_PER_ADDRESS: u32 = 4;

/// The address by which a client is counted (see [`Key::address`]).
pub fn client_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

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
    in_flight: std::sync::Arc<Mutex<HashMap<Key, u32>>>,
    last_prune: Mutex<Instant>,
    clock: DefaultClock,
}

/// Attempts of some keys being checked; dropping it ends them.
#[must_use]
pub struct InFlight {
    keys: Vec<Key>,
    table: std::sync::Arc<Mutex<HashMap<Key, u32>>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(n) = table.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    table.remove(key);
                }
            }
        }
    }
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
            in_flight: std::sync::Arc::default(),
            last_prune: Mutex::new(Instant::now()),
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

    /// Starts checking an attempt by `keys`: `Err(wait)` when one of them is blocked, or has
    /// as many attempts being checked as it may (parallel guesses wait for the verdict of the
    /// ones before). Keep the [`InFlight`] until [`Throttle::failed`] or
    /// [`Throttle::succeeded`] has been called.
    pub fn begin(&self, keys: &[Key]) -> Result<InFlight, Duration> {
        self.check(keys)?;
        let mut table = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let full = keys.iter().any(|k| {
            let cap = if k.is_account() {
                IN_FLIGHT_PER_ACCOUNT
            } else {
                IN_FLIGHT_PER_ADDRESS
            };
            table.get(k).copied().unwrap_or(0) >= cap
        });
        if full {
            return Err(FIRST_BLOCK);
        }
        for key in keys {
            *table.entry(key.clone()).or_insert(0) += 1;
        }
        Ok(InFlight {
            keys: keys.to_vec(),
            table: self.in_flight.clone(),
        })
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
        let keys_kept = blocks.len() + self.by_address.len() + self.by_account.len();
        let mut last_prune = self.last_prune.lock().unwrap_or_else(|p| p.into_inner());
        if keys_kept > PRUNE_ABOVE && now.saturating_duration_since(*last_prune) >= PRUNE_EVERY {
            *last_prune = now;
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

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_and_a_mapped_ipv4_as_itself() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let key = |s: &str| Key::address(Attempt::SignIn, ip(s));
        assert_eq!(key("2001:db8::1"), key("2001:db8::ffff:abcd:1"));
        assert_ne!(key("2001:db8::1"), key("2001:db8:0:1::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }

    #[test]
    fn one_attempt_per_name_is_checked_at_once_and_names_are_cut_short() {
        let t = Throttle::default();
        let keys = [Key::account("Alice")];
        let first = t.begin(&keys).unwrap();
        assert!(
            t.begin(&[Key::account(" alice ")]).is_err(),
            "a parallel guess waits"
        );
        drop(first);
        let _again = t.begin(&keys).unwrap();
        let address = |n: u8| Key::address(Attempt::SignIn, IpAddr::from([192, 0, 2, n]));
        let office: Vec<_> = (0..4)
            .map(|n| {
                t.begin(&[Key::account(&format!("e{n}")), address(1)])
                    .unwrap()
            })
            .collect();
        assert!(t.begin(&[Key::account("e9"), address(1)]).is_err());
        assert!(t.begin(&[Key::account("e9"), address(2)]).is_ok());
        drop(office);
        let long = "x".repeat(70_000);
        assert_eq!(
            Key::account(&long),
            Key::account(&"X".repeat(MAX_NAME_CHARS))
        );
    }

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
