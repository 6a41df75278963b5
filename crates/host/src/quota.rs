//! What pictures cost each session and each device: counted as they are kept, refused with
//! the limit's name beyond [`Limits::per_session`] and [`Limits::per_device_per_day`].
//!
//! The counts live in memory: a restarted host starts them again (its disk budget, in
//! [`crate::images::ImageStore`], does not forget).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use instant_share_protocol::{ApiError, ErrorCode};

use crate::limits::{Limits, PictureQuota};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, Default)]
struct Books {
    /// Pictures and bytes kept per session.
    sessions: HashMap<String, (u32, u64)>,
    /// When each picture of a device's sessions was kept, and its bytes, oldest first.
    devices: HashMap<String, VecDeque<(Instant, u64)>>,
}

/// The picture counts per session and per device.
#[derive(Debug, Clone)]
pub struct PictureLedger {
    per_session: PictureQuota,
    per_device_per_day: PictureQuota,
    books: Arc<Mutex<Books>>,
}

/// A picture counted against its quotas; given back when dropped unless [`Charge::keep`]
/// says it was kept.
pub struct Charge {
    ledger: PictureLedger,
    session: String,
    device: String,
    at: Instant,
    bytes: u64,
    kept: bool,
}

impl Charge {
    /// The picture was kept: the charge stays.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let mut books = self.ledger.books();
        if let Some((n, b)) = books.sessions.get_mut(&self.session) {
            *n = n.saturating_sub(1);
            *b = b.saturating_sub(self.bytes);
        }
        if let Some(list) = books.devices.get_mut(&self.device) {
            if let Some(i) = list.iter().rposition(|e| *e == (self.at, self.bytes)) {
                list.remove(i);
            }
        }
    }
}

fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}

impl PictureLedger {
    /// Empty books with the quotas of `limits`.
    pub fn new(limits: &Limits) -> Self {
        Self {
            per_session: limits.per_session,
            per_device_per_day: limits.per_device_per_day,
            books: Arc::default(),
        }
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a picture of `bytes` for `session` (asked for by `device`), or refuses it with
    /// the quota it would break.
    pub fn charge(
        &self,
        session: &str,
        device: &str,
        bytes: u64,
        now: Instant,
    ) -> Result<Charge, ApiError> {
        let mut books = self.books();
        let (n, b) = books.sessions.get(session).copied().unwrap_or_default();
        let q = self.per_session;
        if n >= q.pictures {
            return Err(refusal(format!(
                "this session has {n} pictures, the most one session may share; \
                 take one off the board and share again in a new session if needed"
            )));
        }
        if b + bytes > q.bytes {
            return Err(refusal(format!(
                "this picture would take this session's pictures past {} MiB, the most one \
                 session may share",
                mib(q.bytes)
            )));
        }
        let list = books.devices.entry(device.to_owned()).or_default();
        while list
            .front()
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) >= DAY)
        {
            list.pop_front();
        }
        let day_bytes: u64 = list.iter().map(|(_, b)| b).sum();
        let q = self.per_device_per_day;
        if list.len() as u64 >= u64::from(q.pictures) {
            return Err(refusal(format!(
                "{} pictures were shared in this device's sessions in the last 24 hours, the \
                 most a device may share in a day",
                q.pictures
            )));
        }
        if day_bytes + bytes > q.bytes {
            return Err(refusal(format!(
                "this picture would take this device's pictures of the last 24 hours past {} \
                 MiB, the most a device may share in a day",
                mib(q.bytes)
            )));
        }
        list.push_back((now, bytes));
        let entry = books.sessions.entry(session.to_owned()).or_default();
        entry.0 += 1;
        entry.1 += bytes;
        Ok(Charge {
            ledger: self.clone(),
            session: session.to_owned(),
            device: device.to_owned(),
            at: now,
            bytes,
            kept: false,
        })
    }

    /// Forgets the sessions `open` says no (they take no more pictures) and devices with
    /// nothing in the last day.
    pub fn prune(&self, open: impl Fn(&str) -> bool, now: Instant) {
        let mut books = self.books();
        books.sessions.retain(|id, _| open(id));
        books.devices.retain(|_, list| {
            list.back()
                .is_some_and(|(at, _)| now.saturating_duration_since(*at) < DAY)
        });
    }
}

fn refusal(message: String) -> ApiError {
    ApiError::new(ErrorCode::QuotaExceeded, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(session: (u32, u64), device: (u32, u64)) -> PictureLedger {
        PictureLedger::new(&Limits {
            per_session: PictureQuota {
                pictures: session.0,
                bytes: session.1,
            },
            per_device_per_day: PictureQuota {
                pictures: device.0,
                bytes: device.1,
            },
            ..Limits::default()
        })
    }

    #[test]
    fn a_session_may_share_so_many_pictures_and_bytes() {
        let l = ledger((2, 1 << 30), (100, 1 << 40));
        let now = Instant::now();
        l.charge("s1", "d", 10, now).unwrap().keep();
        l.charge("s1", "d", 10, now).unwrap().keep();
        let e = l.charge("s1", "d", 10, now).err().unwrap();
        assert_eq!(e.code, ErrorCode::QuotaExceeded);
        assert!(e.message.contains("this session has 2 pictures"), "{e}");
        l.charge("s2", "d", 10, now).unwrap().keep();

        let l = ledger((100, 3 << 20), (100, 1 << 40));
        l.charge("s1", "d", 2 << 20, now).unwrap().keep();
        let e = l.charge("s1", "d", 2 << 20, now).err().unwrap();
        assert!(e.message.contains("past 3 MiB"), "{e}");
    }

    #[test]
    fn a_device_may_share_so_much_a_day_across_its_sessions() {
        let l = ledger((100, 1 << 40), (3, 1 << 40));
        let now = Instant::now();
        for s in ["a", "b", "c"] {
            l.charge(s, "d", 1, now).unwrap().keep();
        }
        let e = l.charge("e", "d", 1, now).err().unwrap();
        assert!(e.message.contains("last 24 hours"), "{e}");
        l.charge("e", "other device", 1, now).unwrap().keep();
        // A day later the oldest have gone out of the window.
        l.charge("e", "d", 1, now + DAY).unwrap().keep();

        let l = ledger((100, 1 << 40), (100, 5 << 20));
        l.charge("a", "d", 4 << 20, now).unwrap().keep();
        let e = l.charge("b", "d", 2 << 20, now).err().unwrap();
        assert!(e.message.contains("past 5 MiB"), "{e}");
    }

    #[test]
    fn a_picture_not_kept_is_given_back() {
        let l = ledger((1, 1 << 30), (1, 1 << 30));
        let now = Instant::now();
        drop(l.charge("s", "d", 10, now).unwrap());
        l.charge("s", "d", 10, now).unwrap().keep();
        assert!(l.charge("s", "d", 10, now).is_err());
        l.prune(|_| false, now + DAY);
        l.charge("s", "d", 10, now + DAY).unwrap().keep();
    }
}
