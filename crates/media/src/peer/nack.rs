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
//! The round trip is learnt from the asks themselves: the time from a packet's ask to its
//! arrival. That is the round trip of the media path, which is the one that counts (the ICE
//! checks' may take another way through a relay or a shaper). Three rules keep the samples
//! honest:
//!
//! - a sample under [`MIN_RESEND`] says only "short", and every wait is at its floor on a short
//!   path anyway: it is dropped (a packet that was only reordered, or the second copy of a call's
//!   first keyframe, `first_frame`, comes a millisecond after its ask);
//! - a packet asked for once gives the round trip exactly (Karn's rule); the round trip is the
//!   largest such sample of the last [`SAMPLES_WINDOW`];
//! - a packet asked for more than once gives only an upper bound (which ask did its copy
//!   answer?). Upper bounds are used only while no exact sample is known — the smallest of the
//!   window — or a lost ask would lengthen the round trip, the longer round trip space the next
//!   asks wider, and the wait run away.
//!
//! Asks back off whatever is known: 20, 40, 80 … ms at least between two asks for one packet, so
//! a short path recovers a lost ask at once and a long one is not flooded.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;
use std::time::Instant;

use super::seq::SeqUnwrapper;

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
/// How long a round-trip sample counts.
pub const SAMPLES_WINDOW: Duration = Duration::from_secs(10);
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
    /// Packets given up after being asked for: when each was first asked for, and how often.
    given_up: BTreeMap<u64, (Instant, u8)>,
    /// Exact samples (when, sample), decreasing: the largest of the window is at the front.
    exact: VecDeque<(Instant, Duration)>,
    /// Upper bounds (when, sample), increasing: the smallest of the window is at the front.
    bounds: VecDeque<(Instant, Duration)>,
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
                self.learn(now, now.saturating_duration_since(first), ask.asks);
            }
        } else if let Some((first, asks)) = self.given_up.remove(&ext) {
            self.learn(now, now.saturating_duration_since(first), asks);
        }
    }

    /// The packets to ask for now (each at most once per call). Packets missing for `give_up`
    /// or longer are no longer asked for: the assembler has written their frames off by then;
    /// nor is a packet whose copy could not come back before that.
    pub fn due(&mut self, now: Instant, give_up: Duration) -> Vec<u16> {
        self.forget_samples(now);
        let round_trip = self.round_trip();
        let given_up = &mut self.given_up;
        self.missing.retain(|seq, ask| {
            let keep = ask.asks < MAX_ASKS && now.saturating_duration_since(ask.since) < give_up;
            if let (false, Some(first)) = (keep, ask.first) {
                given_up.insert(*seq, (first, ask.asks));
            }
            keep
        });
        self.given_up
            .retain(|_, (first, _)| now.saturating_duration_since(*first) < REMEMBER);
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
            let in_time =
                now.saturating_duration_since(ask.since) + round_trip.unwrap_or_default() < give_up;
            if ready && in_time {
                ask.first.get_or_insert(now);
                ask.last = Some(now);
                ask.asks += 1;
                due.push(*seq as u16);
            }
        }
        due
    }

    /// The round trip of the media path as the asks measured it: the largest exact sample of
    /// the last [`SAMPLES_WINDOW`], else the smallest upper bound; `None` while nothing longer
    /// than [`MIN_RESEND`] was measured.
    pub fn round_trip(&self) -> Option<Duration> {
        self.exact.front().or(self.bounds.front()).map(|(_, s)| *s)
    }

    /// Stops asking for what is missing: the path was down (an ICE restart), what was sent
    /// meanwhile is not worth asking for, and the receiver asks for a keyframe instead. The
    /// round trip learnt so far is kept.
    pub fn clear_missing(&mut self) {
        self.missing.clear();
        self.given_up.clear();
    }

    /// How many packets are being waited for.
    #[cfg(test)]
    pub fn missing(&self) -> usize {
        self.missing.len()
    }

    /// A sample from a packet asked for `asks` times: see the module's rules.
    fn learn(&mut self, now: Instant, sample: Duration, asks: u8) {
        if sample < MIN_RESEND {
            return;
        }
        if asks == 1 {
            // A sliding-window maximum.
            while self.exact.back().is_some_and(|(_, s)| *s <= sample) {
                self.exact.pop_back();
            }
            self.exact.push_back((now, sample));
        } else {
            // A sliding-window minimum.
            while self.bounds.back().is_some_and(|(_, s)| *s >= sample) {
                self.bounds.pop_back();
            }
            self.bounds.push_back((now, sample));
        }
        self.forget_samples(now);
    }

    fn forget_samples(&mut self, now: Instant) {
        for samples in [&mut self.exact, &mut self.bounds] {
            while samples
                .front()
                .is_some_and(|(at, _)| now.saturating_duration_since(*at) > SAMPLES_WINDOW)
            {
                samples.pop_front();
            }
        }
    }
}

/// How long after its last ask (the `asks`-th) a packet is asked for again: a quarter more than
/// the round trip (for the retransmission's own queueing), and never sooner than the backoff.
fn resend_after(round_trip: Option<Duration>, asks: u8) -> Duration {
    let backoff = MIN_RESEND * (1u32 << asks.saturating_sub(1).min(6));
    let rtt = round_trip.map_or(Duration::ZERO, |r| r + r / 4);
    rtt.max(backoff).min(MAX_RESEND)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(10);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Packets `first` and `first + 2` arrive at `t`: `first + 1` is missing.
    fn gap(n: &mut NackList, t: Instant, first: u16) {
        n.received(t, first);
        n.received(t, first + 2);
    }

    /// Packet `first + 1` lost at `t` (between `first` and `first + 2`) and asked for at
    /// once; its copy comes `took` ms later.
    fn lose(n: &mut NackList, t: Instant, first: u16, took: u64) {
        gap(n, t, first);
        assert_eq!(n.due(t, LONG), vec![first + 1]);
        n.received(t + ms(took), first + 1);
    }

    /// A list that saw one loss at `t`, its copy `took` ms later.
    fn one_loss(t: Instant, took: u64) -> NackList {
        let mut n = NackList::new();
        lose(&mut n, t, 1, took);
        n
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
        // 12 comes: only 13 is still asked for, after 20 ms. Its 4 ms say only "short".
        n.received(t + ms(5), 12);
        assert_eq!(n.round_trip(), None);
        assert_eq!(n.missing(), 1);
    }

    #[test]
    fn without_a_round_trip_asks_back_off_from_twenty_milliseconds() {
        let t = Instant::now();
        let mut n = NackList::new();
        gap(&mut n, t, 1);
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
        // The retransmission took 300 ms: the path is long.
        let mut n = one_loss(t, 300);
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
        gap(&mut n, t, 1);
        assert_eq!(n.due(t, ms(200)), vec![2]);
        assert!(n.due(t + ms(200), ms(200)).is_empty());
        assert_eq!(n.missing(), 0);

        let mut n = NackList::new();
        gap(&mut n, t, 1);
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
        gap(&mut n, t, 1);
        assert_eq!(n.due(t, ms(200)), vec![2]);
        assert!(n.due(t + ms(200), ms(200)).is_empty());
        assert_eq!(n.missing(), 0);
        n.received(t + ms(300), 2);
        assert_eq!(n.round_trip(), Some(ms(300)));
    }

    #[test]
    fn a_packet_asked_for_twice_bounds_the_round_trip_only_while_nothing_exact_is_known() {
        let t = Instant::now();
        // Nothing known: asks at 0 and 20 ms, the copy at 300 ms (it answered the first).
        let mut n = NackList::new();
        gap(&mut n, t, 1);
        n.due(t, LONG);
        n.due(t + ms(20), LONG);
        n.received(t + ms(300), 2);
        assert_eq!(
            n.round_trip(),
            Some(ms(300)),
            "an upper bound, for want of better"
        );
        // An exact 250 ms sample wins over the bound.
        lose(&mut n, t + ms(400), 4, 250);
        assert_eq!(n.round_trip(), Some(ms(250)));
        // A packet whose first ask was lost: asked again at 1.25 × 250 ms, its copy 250 ms
        // after that. Counted from the first ask that is 562 ms; it must not lengthen the round
        // trip, or the next asks would be spaced wider and the wait would run away.
        let t2 = t + ms(1_000);
        gap(&mut n, t2, 7);
        assert_eq!(n.due(t2, LONG), vec![8]);
        assert_eq!(n.due(t2 + ms(313), LONG), vec![8]);
        n.received(t2 + ms(563), 8);
        assert_eq!(n.round_trip(), Some(ms(250)));
    }

    #[test]
    fn a_copy_later_than_three_seconds_teaches_nothing() {
        let t = Instant::now();
        let mut n = NackList::new();
        gap(&mut n, t, 1);
        n.due(t, ms(200));
        n.due(t + ms(200), ms(200));
        n.due(t + ms(3_100), ms(200));
        n.received(t + ms(3_100), 2);
        assert_eq!(n.round_trip(), None);
    }

    #[test]
    fn a_reordered_packet_or_a_first_keyframe_copy_does_not_shorten_the_round_trip() {
        let t = Instant::now();
        // A real retransmission: 300 ms; then a packet that was only late by a millisecond.
        let mut n = one_loss(t, 300);
        lose(&mut n, t + ms(400), 4, 1);
        assert_eq!(n.round_trip(), Some(ms(300)), "the largest sample counts");
        // Ten seconds on, the long sample is forgotten, and a short one teaches nothing.
        lose(&mut n, t + ms(10_350), 7, 1);
        assert_eq!(n.round_trip(), None);
    }

    #[test]
    fn a_round_trip_learnt_too_short_still_backs_off_and_nothing_is_asked_too_late() {
        let t = Instant::now();
        let mut n = one_loss(t, 1); // a reordered packet: 1 ms
        let t = t + ms(10);
        n.received(t, 5);
        let mut asked_at = Vec::new();
        for step in 0..=400u64 {
            if !n.due(t + ms(step), ms(1_000)).is_empty() {
                asked_at.push(step);
            }
        }
        assert_eq!(asked_at, vec![0, 20, 60, 140, 300]);
        // With a 300 ms round trip and a 600 ms loss wait, only asks whose copy can come back
        // before the wait ends go out.
        let mut n = one_loss(t, 300);
        let t = t + ms(400);
        n.received(t, 5);
        let asks = (0..2_000u64)
            .filter(|s| !n.due(t + ms(*s), ms(600)).is_empty())
            .count();
        assert_eq!(
            asks, 1,
            "the second ask (at 375 ms) could not be answered by 600 ms"
        );
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
