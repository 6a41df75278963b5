//! Asking again for lost video packets (RTCP generic NACK, RFC 4585 §6.2.1), at the pace of the
//! path's round trip.
//!
//! Sans-IO: [`NackList::received`] takes each packet's sequence number as it arrives and the
//! time; [`NackList::due`] says which packets to ask for now. A gap is asked for the moment the
//! packet after it arrives (as Chromium's NACK module does) rather than at the next scan, and an
//! ask that brought nothing is repeated one round trip later, not on a fixed interval: a fixed
//! 20 ms interval with a few asks per packet spends every ask before the first retransmission of a
//! 300 ms path could arrive, and then the frame is written off.
//!
//! The round trip is learnt from the asks themselves: the time from a packet's first ask to its
//! arrival. That is the round trip of the media path, which is the one that counts (the ICE
//! checks' may take another way through a relay or a shaper), and an upper bound of it when the
//! first ask was lost, which only makes the list more patient. Until the first sample the asks
//! are repeated after 20, 40, 80 … ms: a short path recovers a lost ask at once, a long one is not
//! flooded.

use std::collections::BTreeMap;
use std::time::Duration;
use std::time::Instant;

use super::assembler::SeqUnwrapper;

/// The soonest an ask is repeated, and the first wait before a round trip is known.
pub const MIN_RESEND: Duration = Duration::from_millis(20);
/// The longest wait between two asks for one packet.
const MAX_RESEND: Duration = Duration::from_millis(1_000);
/// How many times one packet is asked for at most.
const MAX_ASKS: u8 = 10;
/// Packets missing at once at most; beyond it the oldest are let go (the assembler asks for a
/// keyframe when their frames are written off).
const MAX_MISSING: usize = 500;
/// A jump in sequence numbers this large is a new start (the sender restarted), not loss.
const MAX_GAP: u64 = 3_000;
/// How long a packet no longer asked for is still remembered, so that its retransmission, if it
/// comes after all, still teaches the round trip: on a path longer than the first loss wait
/// (200 ms) every packet is given up before its copy can come, and without this the round trip
/// would never be learnt and the wait never grow.
const REMEMBER: Duration = Duration::from_millis(3_000);

struct Ask {
    /// When the gap was seen.
    since: Instant,
    first: Option<Instant>,
    last: Option<Instant>,
    asks: u8,
}

/// The missing packets of one received stream, and the round trip learnt from asking for them.
#[derive(Default)]
pub struct NackList {
    seqs: SeqUnwrapper,
    highest: Option<u64>,
    missing: BTreeMap<u64, Ask>,
    /// Packets given up after being asked for: when each was first asked for.
    given_up: BTreeMap<u64, Instant>,
    round_trip: Option<Duration>,
}

impl NackList {
    /// An empty list, the round trip not yet known.
    pub fn new() -> Self {
        Self::default()
    }

    /// A packet arrived.
    pub fn received(&mut self, now: Instant, seq: u16) {
        let ext = self.seqs.extend(seq);
        let Some(highest) = self.highest else {
            self.highest = Some(ext);
            return;
        };
        if ext > highest {
            let gap = ext - highest - 1;
            if gap > MAX_GAP {
                self.missing.clear();
                self.given_up.clear();
            } else {
                for lost in highest + 1..ext {
                    self.missing.insert(
                        lost,
                        Ask {
                            since: now,
                            first: None,
                            last: None,
                            asks: 0,
                        },
                    );
                }
                while self.missing.len() > MAX_MISSING {
                    self.missing.pop_first();
                }
            }
            self.highest = Some(ext);
        } else if let Some(ask) = self.missing.remove(&ext) {
            if let Some(first) = ask.first {
                self.learn(now.saturating_duration_since(first));
            }
        } else if let Some(first) = self.given_up.remove(&ext) {
            self.learn(now.saturating_duration_since(first));
        }
    }

    /// The packets to ask for now (each at most once per call). Packets missing for `give_up`
    /// or longer are no longer asked for: the assembler has written their frames off by then.
    pub fn due(&mut self, now: Instant, give_up: Duration) -> Vec<u16> {
        let round_trip = self.round_trip;
        let given_up = &mut self.given_up;
        self.missing.retain(|seq, ask| {
            let keep = ask.asks < MAX_ASKS && now.saturating_duration_since(ask.since) < give_up;
            if let (false, Some(first)) = (keep, ask.first) {
                given_up.insert(*seq, first);
            }
            keep
        });
        self.given_up
            .retain(|_, first| now.saturating_duration_since(*first) < REMEMBER);
        while self.given_up.len() > MAX_MISSING {
            self.given_up.pop_first();
        }
        let mut due = Vec::new();
        for (seq, ask) in &mut self.missing {
            let ready = match ask.last {
                None => true,
                Some(last) => {
                    now.saturating_duration_since(last) >= resend_after(round_trip, ask.asks)
                }
            };
            if ready {
                ask.first.get_or_insert(now);
                ask.last = Some(now);
                ask.asks += 1;
                due.push(*seq as u16);
            }
        }
        due
    }

    /// The round trip of the media path as the asks measured it, smoothed; `None` until a
    /// packet that was asked for came.
    pub fn round_trip(&self) -> Option<Duration> {
        self.round_trip
    }

    /// How many packets are being waited for.
    #[cfg(test)]
    pub fn missing(&self) -> usize {
        self.missing.len()
    }

    fn learn(&mut self, sample: Duration) {
        self.round_trip = Some(match self.round_trip {
            None => sample,
            // RFC 6298's smoothing (α = 1/8).
            Some(rtt) => (rtt * 7 + sample) / 8,
        });
    }
}

/// How long after its last ask a packet is asked for again.
fn resend_after(round_trip: Option<Duration>, asks: u8) -> Duration {
    match round_trip {
        // A quarter more than the round trip, for the retransmission's own queueing.
        Some(rtt) => (rtt + rtt / 4).clamp(MIN_RESEND, MAX_RESEND),
        None => (MIN_RESEND * (1u32 << asks.saturating_sub(1).min(6))).min(MAX_RESEND),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(10);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_gap_is_asked_for_the_moment_the_packet_after_it_arrives() {
        let t = Instant::now();
        let mut n = NackList::new();
        n.received(t, 10);
        n.received(t, 11);
        assert!(n.due(t, LONG).is_empty());
        n.received(t + ms(1), 14);
        assert_eq!(n.due(t + ms(1), LONG), vec![12, 13]);
        // Not again before the resend wait.
        assert!(n.due(t + ms(10), LONG).is_empty());
        // 12 comes: only 13 is still asked for, after 20 ms (no round trip known yet).
        n.received(t + ms(5), 12);
        assert_eq!(n.round_trip(), Some(ms(4)));
        assert_eq!(n.missing(), 1);
    }

    #[test]
    fn without_a_round_trip_asks_back_off_from_twenty_milliseconds() {
        let t = Instant::now();
        let mut n = NackList::new();
        n.received(t, 1);
        n.received(t, 3);
        let mut asked_at = Vec::new();
        for step in 0..=400u64 {
            let now = t + ms(step);
            if !n.due(now, LONG).is_empty() {
                asked_at.push(step);
            }
        }
        assert_eq!(asked_at, vec![0, 20, 60, 140, 300]);
    }

    #[test]
    fn once_the_round_trip_is_known_asks_are_repeated_a_round_trip_apart() {
        let t = Instant::now();
        let mut n = NackList::new();
        n.received(t, 1);
        n.received(t, 3);
        assert_eq!(n.due(t, LONG), vec![2]);
        // The retransmission took 300 ms: the path is long.
        n.received(t + ms(300), 2);
        assert_eq!(n.round_trip(), Some(ms(300)));
        let t = t + ms(400);
        n.received(t, 5);
        let mut asked_at = Vec::new();
        for step in 0..=1_200u64 {
            if !n.due(t + ms(step), LONG).is_empty() {
                asked_at.push(step);
            }
        }
        assert_eq!(asked_at, vec![0, 375, 750, 1_125]);
    }

    #[test]
    fn a_packet_is_let_go_after_the_give_up_time_or_ten_asks() {
        let t = Instant::now();
        let mut n = NackList::new();
        n.received(t, 1);
        n.received(t, 3);
        assert_eq!(n.due(t, ms(200)), vec![2]);
        assert!(n.due(t + ms(200), ms(200)).is_empty());
        assert_eq!(n.missing(), 0);

        let mut n = NackList::new();
        n.received(t, 1);
        n.received(t, 3);
        let asks = (0..100_000u64)
            .filter(|s| !n.due(t + ms(*s), LONG).is_empty())
            .count();
        assert_eq!(asks, usize::from(MAX_ASKS));
        assert_eq!(n.missing(), 0);
    }

    #[test]
    fn a_retransmission_that_comes_after_the_give_up_still_teaches_the_round_trip() {
        // A 300 ms path, and the first loss wait of 200 ms: the packet is given up before its
        // copy comes, but the copy's time is learnt, so the next wait can be long enough.
        let t = Instant::now();
        let mut n = NackList::new();
        n.received(t, 1);
        n.received(t, 3);
        assert_eq!(n.due(t, ms(200)), vec![2]);
        assert!(n.due(t + ms(200), ms(200)).is_empty());
        assert_eq!(n.missing(), 0);
        n.received(t + ms(300), 2);
        assert_eq!(n.round_trip(), Some(ms(300)));
        // Forgotten after a while: a very late copy teaches nothing.
        n.received(t + ms(300), 5);
        n.due(t + ms(300), ms(200));
        n.due(t + ms(600), ms(200));
        n.due(t + ms(3_400), ms(200));
        n.received(t + ms(3_400), 4);
        assert_eq!(n.round_trip(), Some(ms(300)));
    }

    #[test]
    fn smoothing_follows_the_path_slowly() {
        let t = Instant::now();
        let mut n = NackList::new();
        let mut seq = 0u16;
        let mut now = t;
        for rtt in [100u64, 100, 200] {
            n.received(now, seq);
            n.received(now, seq + 2);
            n.due(now, LONG);
            now += ms(rtt);
            n.received(now, seq + 1);
            seq += 3;
        }
        // 100, then 100, then 7/8 × 100 + 1/8 × 200.
        assert_eq!(n.round_trip(), Some(ms(112) + Duration::from_micros(500)));
    }

    #[test]
    fn a_huge_jump_is_a_new_start_and_sequence_numbers_wrap() {
        let t = Instant::now();
        let mut n = NackList::new();
        n.received(t, 100);
        n.received(t, 30_000);
        assert_eq!(n.missing(), 0);
        let mut n = NackList::new();
        n.received(t, 65_534);
        n.received(t, 1);
        assert_eq!(n.due(t, LONG), vec![65_535, 0]);
    }

    #[test]
    fn a_late_packet_already_counted_changes_nothing() {
        let t = Instant::now();
        let mut n = NackList::new();
        n.received(t, 5);
        n.received(t, 6);
        n.received(t, 5);
        n.received(t, 4);
        assert!(n.due(t, LONG).is_empty());
        assert_eq!(n.round_trip(), None);
    }
}
