//! Network faults on purpose, for tests of loss recovery and for benchmarks on a poor network:
//!
//! - chosen outgoing video packets dropped (once, or with every retransmission);
//! - every outgoing RTP and RTCP packet delayed by a fixed time, and dropped at random with a
//!   given probability — the same emulation as WebRTC's own `WebRTC-FakeNetworkSendConfig`
//!   (`queue_delay_ms`, `loss_percent`), used where the kernel cannot shape traffic (`tc netem`).
//!
//! It sits wire-ward of the NACK responder, so a dropped packet is still in the responder's
//! history: dropped once, it comes back when the receiver NACKs it; dropped for good, the
//! receiver must give the frame up and ask for a keyframe. ICE and DTLS are not affected.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;

/// Which outgoing video packets to drop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacketFaults {
    /// Drop the n-th video RTP packet (counted from 1 on each connection) once; its
    /// retransmission goes through.
    pub drop_once: Vec<u64>,
    /// Drop the n-th video RTP packet and every retransmission of it.
    pub drop_always: Vec<u64>,
    /// Hold every outgoing RTP and RTCP packet this long (one way; both sides set it for a
    /// round trip of twice as much).
    pub delay: Duration,
    /// Drop this share of outgoing RTP and RTCP packets at random, in percent (0–100).
    pub loss_percent: u8,
}

impl PacketFaults {
    /// Whether there is anything to drop or delay.
    pub fn is_empty(&self) -> bool {
        self.drop_once.is_empty()
            && self.drop_always.is_empty()
            && self.delay.is_zero()
            && self.loss_percent == 0
    }
}

pub(crate) struct DropPackets {
    faults: PacketFaults,
    rng: StdRng,
    /// Packets held back, each with the time it may go (in order: the delay is fixed).
    delayed: VecDeque<(Instant, TaggedPacket)>,
    /// Packets lost at random so far (logged now and then).
    lost: u64,
    video_ssrcs: HashSet<u32>,
    sent: u64,
    /// (ssrc, sequence number) of packets dropped for good.
    doomed: HashSet<(u32, u16)>,
    seen: HashSet<(u32, u16)>,
    read_queue: VecDeque<TaggedPacket>,
    write_queue: VecDeque<TaggedPacket>,
}

impl DropPackets {
    pub fn new(faults: PacketFaults) -> Self {
        Self {
            faults,
            rng: StdRng::from_entropy(),
            delayed: VecDeque::new(),
            lost: 0,
            video_ssrcs: HashSet::new(),
            sent: 0,
            doomed: HashSet::new(),
            seen: HashSet::new(),
            read_queue: VecDeque::new(),
            write_queue: VecDeque::new(),
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for DropPackets {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.read_queue.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<Self::Rout> {
        self.read_queue.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtp(rtp) = &msg.message.packet {
            let key = (rtp.header.ssrc, rtp.header.sequence_number);
            if self.video_ssrcs.contains(&key.0) {
                if self.doomed.contains(&key) {
                    tracing::info!(seq = key.1, "fault: dropping a retransmission for good");
                    return Ok(());
                }
                if self.seen.insert(key) {
                    self.sent += 1;
                    if self.faults.drop_always.contains(&self.sent) {
                        tracing::info!(
                            seq = key.1,
                            n = self.sent,
                            "fault: dropping a packet for good"
                        );
                        self.doomed.insert(key);
                        return Ok(());
                    }
                    if self.faults.drop_once.contains(&self.sent) {
                        tracing::info!(seq = key.1, n = self.sent, "fault: dropping a packet once");
                        return Ok(());
                    }
                }
            }
        }
        let p = f64::from(self.faults.loss_percent.min(100)) / 100.0;
        if p > 0.0 && self.rng.gen_bool(p) {
            self.lost += 1;
            if self.lost.is_power_of_two() {
                tracing::debug!(lost = self.lost, "fault: packets lost at random so far");
            }
            return Ok(());
        }
        if self.faults.delay.is_zero() {
            self.write_queue.push_back(msg);
        } else {
            self.delayed
                .push_back((Instant::now() + self.faults.delay, msg));
        }
        Ok(())
    }

    fn poll_write(&mut self) -> Option<Self::Wout> {
        self.write_queue.pop_front()
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Self::Error> {
        while self.delayed.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, msg)) = self.delayed.pop_front() {
                self.write_queue.push_back(msg);
            }
        }
        Ok(())
    }

    fn poll_timeout(&mut self) -> Option<Self::Time> {
        self.delayed.front().map(|(due, _)| *due)
    }
}

impl Interceptor for DropPackets {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.to_ascii_lowercase().starts_with("video/") {
            self.video_ssrcs.insert(info.ssrc);
        }
    }
    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.video_ssrcs.remove(&info.ssrc);
    }
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
