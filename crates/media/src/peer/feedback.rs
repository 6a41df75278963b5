//! The interceptor that hands the application what only it can act on: keyframe requests
//! (PLI, FIR) for the streams it encodes, and the bandwidth estimate for its encoder.
//!
//! Inbound RTCP stops at the end of the `rtc` interceptor chain unless something marks it
//! `DeliverToApplication`; the congestion controller's estimate rides inbound feedback packets
//! as an attribute. This stage sits application-most, sees both, marks keyframe requests and
//! publishes the estimate into a shared cell the encoder reads.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rtc::interceptor::{Attribute, Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;

/// The latest send-side bandwidth estimate of one connection, in bits per second (0 = none yet).
#[derive(Debug, Default, Clone)]
pub struct Estimate(Arc<AtomicU64>);

impl Estimate {
    /// The estimate, if the congestion controller has made one.
    pub fn get(&self) -> Option<u64> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            v => Some(v),
        }
    }

    fn set(&self, bits_per_second: f64) {
        self.0
            .store(bits_per_second.max(1.0) as u64, Ordering::Relaxed);
    }
}

/// Marks inbound PLI and FIR for the application; records the bandwidth estimate.
pub struct AppFeedback {
    estimate: Estimate,
    read_queue: VecDeque<TaggedPacket>,
    write_queue: VecDeque<TaggedPacket>,
}

impl AppFeedback {
    /// A stage that publishes into `estimate`.
    pub fn new(estimate: Estimate) -> Self {
        Self {
            estimate,
            read_queue: VecDeque::new(),
            write_queue: VecDeque::new(),
        }
    }
}

#[allow(clippy::borrowed_box)]
fn is_keyframe_request(packet: &Box<dyn rtc::rtcp::Packet>) -> bool {
    let any = packet.as_any();
    any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>()
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for AppFeedback {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Self::Error> {
        if let Some(Attribute::TargetBitrateChanged { bits_per_second }) =
            msg.message.get(&Attribute::TargetBitrateChanged {
                bits_per_second: 0.0,
            })
        {
            self.estimate.set(*bits_per_second);
        }
        if let Packet::Rtcp(packets) = &msg.message.packet {
            if packets.iter().any(is_keyframe_request) {
                msg.message.add(Attribute::DeliverToApplication);
            }
        }
        self.read_queue.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<Self::Rout> {
        self.read_queue.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.write_queue.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<Self::Wout> {
        self.write_queue.pop_front()
    }

    fn handle_timeout(&mut self, _now: Instant) -> Result<(), Self::Error> {
        Ok(())
    }

    fn poll_timeout(&mut self) -> Option<Self::Time> {
        None
    }
}

impl Interceptor for AppFeedback {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
