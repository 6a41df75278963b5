//! Rebuilding VP8 frames from RTP packets that may arrive late, twice, out of order or never.
//!
//! Sans-IO: [`Vp8Assembler::push`] takes a packet and the time it arrived, [`Vp8Assembler::poll`]
//! returns complete frames in order, or asks for a keyframe. A gap waits for the NACK responder on
//! the far side to resend the packet: [`LOSS_WAIT`], or 3.5 round trips of the media path once one
//! is known ([`Vp8Assembler::set_round_trip`]: time for three asks of the NACK list, 1.25 round
//! trips apart, and the last one's copy). After that the frame is written off, and since later
//! frames reference it, everything up to the next keyframe is dropped and a keyframe is requested
//! (PLI), again every [`KEYFRAME_REPEAT`] (or two round trips and 100 ms, if longer) until one
//! arrives.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::rtp::codec::vp8::Vp8Packet;
use rtc::rtp::packetizer::Depacketizer;

use super::seq::SeqUnwrapper;

/// How long a missing packet is waited for before its frame is given up, at least.
pub const LOSS_WAIT: Duration = Duration::from_millis(200);
/// The longest a missing packet is waited for, however long the path.
const MAX_LOSS_WAIT: Duration = Duration::from_millis(2_000);
/// How often a keyframe is asked for again while one is needed, at least.
pub const KEYFRAME_REPEAT: Duration = Duration::from_millis(500);
/// Packets held at most; more means the stream is broken beyond waiting.
const MAX_PACKETS: usize = 4_000;

/// What the assembler has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled {
    /// A whole frame, ready for the decoder.
    Frame {
        /// The VP8 bitstream of the frame.
        data: Vec<u8>,
        /// Whether it is a keyframe (decodable on its own).
        keyframe: bool,
        /// Its RTP timestamp (90 kHz).
        timestamp: u32,
    },
    /// Send a picture loss indication: frames were lost and the decoder needs a keyframe.
    RequestKeyframe,
}

struct Piece {
    timestamp: u32,
    start: bool,
    marker: bool,
    payload: Bytes,
    arrived: Instant,
}

/// VP8 frame assembly for one received stream.
#[derive(Default)]
pub struct Vp8Assembler {
    pieces: BTreeMap<u64, Piece>,
    /// The extended sequence number the next frame starts at, once known.
    next: Option<u64>,
    seqs: SeqUnwrapper,
    need_keyframe: bool,
    last_request: Option<Instant>,
    round_trip: Option<Duration>,
    /// Frames given up because a packet never came.
    pub frames_lost: u64,
}

impl Vp8Assembler {
    /// An assembler that waits for the stream's first frame.
    pub fn new() -> Self {
        Self {
            need_keyframe: true,
            ..Self::default()
        }
    }

    /// The media path's round trip, as the NACK list measured it: waits for lost packets and
    /// keyframes grow with it.
    pub fn set_round_trip(&mut self, round_trip: Option<Duration>) {
        self.round_trip = round_trip;
    }

    /// How long a missing packet is waited for: enough for three asks (the NACK list repeats
    /// one every 1.25 round trips) and the last one's copy to come back.
    pub fn loss_wait(&self) -> Duration {
        self.round_trip.map_or(LOSS_WAIT, |rtt| {
            (rtt * 7 / 2 + Duration::from_millis(50)).clamp(LOSS_WAIT, MAX_LOSS_WAIT)
        })
    }

    /// How long a keyframe request is given before it is sent again.
    fn keyframe_repeat(&self) -> Duration {
        self.round_trip.map_or(KEYFRAME_REPEAT, |rtt| {
            (rtt * 2 + Duration::from_millis(100)).clamp(KEYFRAME_REPEAT, MAX_LOSS_WAIT)
        })
    }

    /// Takes one RTP packet's payload. A payload that is not VP8 is refused.
    pub fn push(
        &mut self,
        now: Instant,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), rtc::shared::error::Error> {
        let mut vp8 = Vp8Packet::default();
        let data = vp8.depacketize(&Bytes::copy_from_slice(payload))?;
        let ext = self.seqs.extend(seq);
        if self.next.is_some_and(|n| ext < n) || self.pieces.contains_key(&ext) {
            return Ok(()); // late or repeated: that frame is done
        }
        if self.pieces.len() >= MAX_PACKETS {
            self.pieces.clear();
            self.next = None;
            self.need_keyframe = true;
        }
        self.pieces.insert(
            ext,
            Piece {
                timestamp,
                start: vp8.s == 1 && vp8.pid == 0,
                marker,
                payload: data,
                arrived: now,
            },
        );
        Ok(())
    }

    /// The next thing to act on, if any. Call until `None` after each push and on a timer.
    pub fn poll(&mut self, now: Instant) -> Option<Assembled> {
        loop {
            let first = *self.pieces.keys().next()?;
            let next = match self.next {
                Some(n) => n,
                None => {
                    // Nothing decoded yet: start at the first frame start we hold (what came
                    // before it is dropped, so look again from the top).
                    let start = self.pieces.iter().find(|(_, p)| p.start).map(|(s, _)| *s)?;
                    self.drop_before(start);
                    self.next = Some(start);
                    continue;
                }
            };
            if first == next && self.pieces[&first].start {
                match self.take_frame(first) {
                    Some(frame) => {
                        if let Some(out) = self.deliver(now, frame) {
                            return Some(out);
                        }
                        continue;
                    }
                    None => {
                        // Incomplete: wait for the missing piece unless it is overdue.
                        let oldest = self.pieces.values().map(|p| p.arrived).min()?;
                        if now.duration_since(oldest) < self.loss_wait() {
                            return self.keyframe_reminder(now);
                        }
                    }
                }
            } else if now.duration_since(self.pieces[&first].arrived) < self.loss_wait() {
                // The frame's first packet is missing, or something before it.
                return self.keyframe_reminder(now);
            }
            // Give up the frame at `next`: skip to the next frame start after it.
            self.frames_lost += 1;
            let after = self
                .pieces
                .iter()
                .find(|(s, p)| **s > next && p.start)
                .map(|(s, _)| *s);
            match after {
                Some(start) => {
                    self.drop_before(start);
                    self.next = Some(start);
                }
                None => {
                    self.pieces.clear();
                    self.next = None;
                }
            }
            self.need_keyframe = true;
            if let Some(req) = self.request(now) {
                return Some(req);
            }
        }
    }

    /// The frame starting at `start` if all its packets are here (removed from the buffer).
    fn take_frame(&mut self, start: u64) -> Option<(u64, u32, Vec<u8>)> {
        let mut end = start;
        loop {
            let piece = self.pieces.get(&end)?;
            if piece.marker {
                break;
            }
            let next = self.pieces.get(&(end + 1))?;
            if next.start || next.timestamp != piece.timestamp {
                // The marker was lost in a packet we never got; the frame ends before `next`.
                return None;
            }
            end += 1;
        }
        let timestamp = self.pieces[&start].timestamp;
        let mut data = Vec::new();
        for seq in start..=end {
            if let Some(p) = self.pieces.remove(&seq) {
                data.extend_from_slice(&p.payload);
            }
        }
        Some((end, timestamp, data))
    }

    fn deliver(
        &mut self,
        now: Instant,
        (end, timestamp, data): (u64, u32, Vec<u8>),
    ) -> Option<Assembled> {
        self.next = Some(end + 1);
        let keyframe = data.first().is_some_and(|b| b & 0x01 == 0);
        if keyframe {
            self.need_keyframe = false;
        } else if self.need_keyframe {
            return self.request(now);
        }
        Some(Assembled::Frame {
            data,
            keyframe,
            timestamp,
        })
    }

    fn drop_before(&mut self, seq: u64) {
        self.pieces = self.pieces.split_off(&seq);
    }

    fn request(&mut self, now: Instant) -> Option<Assembled> {
        if self
            .last_request
            .is_some_and(|at| now.duration_since(at) < self.keyframe_repeat())
        {
            return None;
        }
        self.last_request = Some(now);
        Some(Assembled::RequestKeyframe)
    }

    fn keyframe_reminder(&mut self, now: Instant) -> Option<Assembled> {
        if self.need_keyframe && self.next.is_some() && self.last_request.is_some() {
            self.request(now)
        } else {
            None
        }
    }

    /// Whether frames are being dropped until a keyframe comes.
    pub fn needs_keyframe(&self) -> bool {
        self.need_keyframe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A VP8 RTP payload: a one-byte descriptor (S bit on the first packet) and VP8 data whose
    /// first byte says keyframe or not.
    fn packet(first: bool, keyframe: bool, body: u8) -> Vec<u8> {
        let descriptor = if first { 0x10 } else { 0x00 };
        let vp8 = if first {
            if keyframe {
                0x00
            } else {
                0x01
            }
        } else {
            body
        };
        vec![descriptor, vp8, body, body]
    }

    /// Pushes a frame of `n` packets starting at `seq`.
    fn frame(a: &mut Vp8Assembler, now: Instant, seq: u16, ts: u32, n: u16, key: bool) {
        for i in 0..n {
            a.push(
                now,
                seq.wrapping_add(i),
                ts,
                i == n - 1,
                &packet(i == 0, key, i as u8),
            )
            .unwrap();
        }
    }

    fn frames(a: &mut Vp8Assembler, now: Instant) -> Vec<Assembled> {
        std::iter::from_fn(|| a.poll(now)).collect()
    }

    #[test]
    fn whole_frames_come_out_in_order_even_when_packets_do_not() {
        let t = Instant::now();
        let mut a = Vp8Assembler::new();
        frame(&mut a, t, 10, 0, 3, true);
        // The second frame's packets arrive reversed.
        for i in (0..3u16).rev() {
            a.push(t, 13 + i, 3000, i == 2, &packet(i == 0, false, i as u8))
                .unwrap();
        }
        let out = frames(&mut a, t);
        assert_eq!(out.len(), 2);
        assert!(matches!(
            &out[0],
            Assembled::Frame {
                keyframe: true,
                timestamp: 0,
                ..
            }
        ));
        assert!(matches!(
            &out[1],
            Assembled::Frame {
                keyframe: false,
                timestamp: 3000,
                ..
            }
        ));
        // A repeated packet (a retransmission that raced the original) changes nothing.
        a.push(t, 14, 3000, false, &packet(false, false, 1))
            .unwrap();
        assert!(frames(&mut a, t).is_empty());
    }

    #[test]
    fn a_stream_whose_first_packet_was_lost_starts_at_the_next_frame() {
        // The first frame's first packet never came (lost on the way, the call just begun):
        // its other packet is dropped and the next frame is the start.
        let t = Instant::now();
        let mut a = Vp8Assembler::new();
        a.push(t, 11, 0, true, &packet(false, true, 1)).unwrap();
        frame(&mut a, t, 12, 3000, 2, true);
        let out = frames(&mut a, t);
        assert!(
            matches!(
                out.first(),
                Some(Assembled::Frame {
                    keyframe: true,
                    timestamp: 3000,
                    ..
                })
            ),
            "{out:?}"
        );
    }

    #[test]
    fn a_gap_waits_for_the_retransmission() {
        let t = Instant::now();
        let mut a = Vp8Assembler::new();
        frame(&mut a, t, 100, 0, 2, true);
        a.push(t, 102, 3000, false, &packet(true, false, 0))
            .unwrap();
        // 103 is lost for now; 104 ends the frame.
        a.push(t, 104, 3000, true, &packet(false, false, 2))
            .unwrap();
        assert_eq!(frames(&mut a, t).len(), 1, "only the keyframe so far");
        let later = t + Duration::from_millis(40);
        assert!(
            frames(&mut a, later).is_empty(),
            "still waiting, no keyframe request"
        );
        a.push(later, 103, 3000, false, &packet(false, false, 1))
            .unwrap();
        let out = frames(&mut a, later);
        assert!(
            matches!(&out[..], [Assembled::Frame { data, keyframe: false, .. }] if data.len() == 9)
        );
        assert_eq!(a.frames_lost, 0);
    }

    #[test]
    fn a_packet_that_never_comes_costs_frames_until_a_keyframe_and_asks_for_one() {
        let t = Instant::now();
        let mut a = Vp8Assembler::new();
        frame(&mut a, t, 1, 0, 2, true);
        assert_eq!(frames(&mut a, t).len(), 1);
        // Frame at ts 3000: packets 3 and (lost) 4. Frame at 6000: packets 5, 6.
        a.push(t, 3, 3000, false, &packet(true, false, 0)).unwrap();
        frame(&mut a, t, 5, 6000, 2, false);
        assert!(frames(&mut a, t).is_empty());
        let late = t + LOSS_WAIT;
        let out = frames(&mut a, late);
        assert_eq!(
            out,
            vec![Assembled::RequestKeyframe],
            "inter frames are dropped"
        );
        assert_eq!(a.frames_lost, 1);
        assert!(a.needs_keyframe());
        // No keyframe yet: asked again, but not more often than KEYFRAME_REPEAT.
        frame(&mut a, late, 7, 9000, 1, false);
        assert!(frames(&mut a, late).is_empty());
        let again = late + KEYFRAME_REPEAT;
        frame(&mut a, again, 8, 12000, 1, false);
        assert_eq!(frames(&mut a, again), vec![Assembled::RequestKeyframe]);
        // The keyframe arrives: decoding resumes.
        frame(&mut a, again, 9, 15000, 2, true);
        let out = frames(&mut a, again);
        assert!(matches!(
            &out[..],
            [Assembled::Frame {
                keyframe: true,
                timestamp: 15000,
                ..
            }]
        ));
        assert!(!a.needs_keyframe());
    }

    #[test]
    fn a_long_path_waits_longer_for_a_lost_packet_and_for_a_keyframe() {
        let t = Instant::now();
        let mut a = Vp8Assembler::new();
        a.set_round_trip(Some(Duration::from_millis(300)));
        assert_eq!(a.loss_wait(), Duration::from_millis(1_100));
        frame(&mut a, t, 1, 0, 2, true);
        assert_eq!(frames(&mut a, t).len(), 1);
        a.push(t, 3, 3000, false, &packet(true, false, 0)).unwrap();
        frame(&mut a, t, 5, 6000, 2, false);
        // Past the short path's wait, packet 4's retransmission is still on its way.
        assert!(frames(&mut a, t + LOSS_WAIT).is_empty());
        let late = t + Duration::from_millis(1_100);
        assert_eq!(frames(&mut a, late), vec![Assembled::RequestKeyframe]);
        frame(&mut a, late, 7, 9000, 1, false);
        let short = late + KEYFRAME_REPEAT;
        frame(&mut a, short, 8, 12000, 1, false);
        assert!(
            frames(&mut a, short).is_empty(),
            "a keyframe takes 700 ms to come"
        );
        let again = late + Duration::from_millis(700);
        frame(&mut a, again, 9, 15000, 1, false);
        assert_eq!(frames(&mut a, again), vec![Assembled::RequestKeyframe]);
        // A short path or an unknown one keeps the floor.
        a.set_round_trip(Some(Duration::from_millis(5)));
        assert_eq!(a.loss_wait(), LOSS_WAIT);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let t = Instant::now();
        let mut a = Vp8Assembler::new();
        frame(&mut a, t, 65534, 0, 3, true);
        frame(&mut a, t, 1, 3000, 2, false);
        assert_eq!(frames(&mut a, t).len(), 2);
    }

    #[test]
    fn a_stream_joined_midway_waits_for_a_keyframe() {
        let t = Instant::now();
        let mut a = Vp8Assembler::new();
        frame(&mut a, t, 50, 0, 2, false);
        let out = frames(&mut a, t);
        assert_eq!(out, vec![Assembled::RequestKeyframe]);
        frame(&mut a, t, 52, 3000, 2, true);
        assert!(matches!(
            &frames(&mut a, t)[..],
            [Assembled::Frame { keyframe: true, .. }]
        ));
    }

    #[test]
    fn garbage_is_refused() {
        let mut a = Vp8Assembler::new();
        assert!(a.push(Instant::now(), 1, 0, true, &[]).is_err());
    }
}
