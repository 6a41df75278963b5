//! A call's first keyframe sent twice.
//!
//! The first picture is what a person waits for after pressing the button, and the first
//! keyframe is the largest frame of a call: tens of packets, so on a path that loses a few percent
//! one of them is usually lost, and its NACK and retransmission add a round trip to the wait — and
//! more when the ask or the copy is lost too. Sending every packet of that one frame a second time,
//! right after the frame, makes a packet missing only when both copies are lost, for the price of
//! one keyframe's bytes once per call. The receiver drops the copy it does not need (the
//! assembler and the NACK list see a sequence number they already have; a receiver with SRTP
//! replay protection drops it earlier).
//!
//! The copies are made wire-ward of the transport-wide sequence numbering (and of the NACK
//! responder, whose history holds each packet once), so that each copy is byte for byte its
//! original: same header, same payload, so the same SRTP packet. A copy with another header
//! (another transport-wide number) under the same SRTP packet index would reuse an AES-GCM nonce
//! over different authenticated data, which gives away the authentication key. Congestion
//! control records both under the one number; the receiver reports it once.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;

/// A first frame longer than this is not copied past it (the copy would be a burst of its own).
const MAX_PACKETS: usize = 256;

enum First {
    /// Nothing sent on the stream yet.
    Waiting,
    /// The first frame's packets so far.
    Collecting {
        timestamp: u32,
        copies: Vec<TaggedPacket>,
    },
    /// Sent twice, or not a keyframe: nothing more to do on this stream.
    Done,
}

/// The interceptor: see the module's documentation.
#[derive(Default)]
pub(crate) struct FirstFrameTwice {
    /// Per local video stream (SSRC) bound.
    streams: HashMap<u32, First>,
    read_queue: VecDeque<TaggedPacket>,
    write_queue: VecDeque<TaggedPacket>,
}

/// Whether a VP8 RTP payload begins a keyframe: the start of partition 0, and the frame tag's
/// P bit clear (RFC 7741 §4.2–4.3).
fn starts_vp8_keyframe(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    let start = first & 0x10 != 0 && first & 0x07 == 0;
    let mut at = 1;
    if first & 0x80 != 0 {
        // Extension bits: I, L, T, K.
        let Some(&ext) = payload.get(1) else {
            return false;
        };
        at = 2;
        if ext & 0x80 != 0 {
            // PictureID: one byte, or two when its M bit is set.
            let Some(&pid) = payload.get(at) else {
                return false;
            };
            at += if pid & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            at += 1;
        }
        if ext & 0x30 != 0 {
            at += 1;
        }
    }
    start && payload.get(at).is_some_and(|tag| tag & 0x01 == 0)
}

impl FirstFrameTwice {
    pub fn new() -> Self {
        Self::default()
    }

    fn write(&mut self, msg: TaggedPacket) {
        let Packet::Rtp(rtp) = &msg.message.packet else {
            self.write_queue.push_back(msg);
            return;
        };
        let Some(state) = self.streams.get_mut(&rtp.header.ssrc) else {
            self.write_queue.push_back(msg);
            return;
        };
        let timestamp = rtp.header.timestamp;
        let marker = rtp.header.marker;
        match state {
            First::Waiting => {
                *state = if starts_vp8_keyframe(&rtp.payload) {
                    First::Collecting {
                        timestamp,
                        copies: Vec::new(),
                    }
                } else {
                    First::Done
                };
            }
            First::Collecting { timestamp: t, .. } if *t != timestamp => {
                // A new frame before the first one's marker: leave it there.
                *state = First::Done;
            }
            _ => {}
        }
        if let First::Collecting { copies, .. } = state {
            copies.push(TaggedPacket {
                now: msg.now,
                transport: msg.transport,
                message: msg.message.clone(),
            });
            self.write_queue.push_back(msg);
            if marker || copies.len() >= MAX_PACKETS {
                let copies = std::mem::take(copies);
                *state = First::Done;
                if marker {
                    tracing::debug!(packets = copies.len(), "first keyframe sent twice");
                    self.write_queue.extend(copies);
                }
            }
        } else {
            self.write_queue.push_back(msg);
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for FirstFrameTwice {
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
        self.write(msg);
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

impl Interceptor for FirstFrameTwice {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.eq_ignore_ascii_case("video/vp8") {
            self.streams.insert(info.ssrc, First::Waiting);
        }
    }
    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.streams.remove(&info.ssrc);
    }
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::interceptor::AttributedPacket;
    use rtc::rtp::{Header, Packet as RtpPacket};
    use rtc::shared::TransportContext;

    fn rtp(ssrc: u32, seq: u16, timestamp: u32, marker: bool, payload: &[u8]) -> TaggedPacket {
        TaggedPacket {
            now: Instant::now(),
            transport: TransportContext::default(),
            message: AttributedPacket::new(Packet::Rtp(RtpPacket {
                header: Header {
                    ssrc,
                    sequence_number: seq,
                    timestamp,
                    marker,
                    ..Header::default()
                },
                payload: bytes::Bytes::copy_from_slice(payload),
            })),
        }
    }

    fn video(kind: &str, ssrc: u32) -> StreamInfo {
        StreamInfo {
            ssrc,
            mime_type: kind.to_owned(),
            ..StreamInfo::default()
        }
    }

    fn sent(i: &mut FirstFrameTwice) -> Vec<u16> {
        std::iter::from_fn(|| i.poll_write())
            .map(|m| match m.message.packet {
                Packet::Rtp(p) => p.header.sequence_number,
                _ => u16::MAX,
            })
            .collect()
    }

    const KEY_START: &[u8] = &[0x10, 0x00, 0x9d];
    const DELTA_START: &[u8] = &[0x10, 0x01, 0x9d];
    const MIDDLE: &[u8] = &[0x00, 0xaa];

    #[test]
    fn the_first_keyframe_goes_again_after_its_last_packet_and_nothing_else_does() {
        let mut i = FirstFrameTwice::new();
        i.bind_local_stream(&video("video/VP8", 7));
        for (seq, payload, marker) in [(1, KEY_START, false), (2, MIDDLE, false), (3, MIDDLE, true)]
        {
            i.handle_write(rtp(7, seq, 100, marker, payload)).unwrap();
        }
        assert_eq!(sent(&mut i), vec![1, 2, 3, 1, 2, 3]);
        i.handle_write(rtp(7, 4, 200, true, DELTA_START)).unwrap();
        i.handle_write(rtp(7, 5, 300, true, KEY_START)).unwrap();
        assert_eq!(sent(&mut i), vec![4, 5], "only the first keyframe");
    }

    #[test]
    fn a_stream_that_begins_with_a_delta_frame_or_is_not_video_is_left_alone() {
        let mut i = FirstFrameTwice::new();
        i.bind_local_stream(&video("video/VP8", 7));
        i.bind_local_stream(&video("audio/opus", 8));
        i.handle_write(rtp(7, 1, 100, true, DELTA_START)).unwrap();
        i.handle_write(rtp(7, 2, 200, true, KEY_START)).unwrap();
        i.handle_write(rtp(8, 1, 100, true, KEY_START)).unwrap();
        i.handle_write(rtp(9, 1, 100, true, KEY_START)).unwrap();
        assert_eq!(sent(&mut i), vec![1, 2, 1, 1]);
    }

    #[test]
    fn keyframes_are_recognised_behind_the_extended_descriptor() {
        // X, then I with a two-byte picture ID, then the frame tag.
        assert!(starts_vp8_keyframe(&[0x90, 0x80, 0x81, 0x23, 0x50]));
        assert!(!starts_vp8_keyframe(&[0x90, 0x80, 0x81, 0x23, 0x51]));
        // One-byte picture ID, TL0PICIDX and TID/KEYIDX.
        assert!(starts_vp8_keyframe(&[0x90, 0xf0, 0x05, 0x01, 0x02, 0x00]));
        // Not the start of partition 0, or cut short.
        assert!(!starts_vp8_keyframe(&[0x00, 0x00]));
        assert!(!starts_vp8_keyframe(&[0x11, 0x00]));
        assert!(!starts_vp8_keyframe(&[0x90]));
        assert!(!starts_vp8_keyframe(&[]));
    }
}
