//! Resending a lost DTLS handshake flight quickly, without waiting for the DTLS layer.
//!
//! The webrtc crate's DTLS (`rtc-dtls` 0.21) resends an unanswered handshake flight after a
//! fixed second, and its settings expose no way to change that: at 5 % loss one call in about
//! ten starts a second late. Chromium instead starts from the ICE round trip (its DTLS timeout
//! is twice the round trip, at least 20 ms) and doubles it on each resend (RFC 6347 §4.2.4.1;
//! RFC 9147 §5.8 recommends starting well below a second).
//!
//! This guard does the same one layer down, where the project owns the code: it watches the
//! datagrams of one UDP socket (RFC 7983 tells them apart by their first byte), keeps our
//! latest handshake flight — the DTLS datagrams we sent since the other side last sent one —
//! and, when the other side stays silent for the timeout, sends those datagrams again,
//! byte for byte. A duplicate that arrives after all is harmless: the record layer's replay
//! check drops it, or the other side takes it for a resend of ours and repeats its own flight,
//! which is what DTLS does anyway. The DTLS layer's own one-second timer stays as a backstop.
//!
//! The other direction too: when the other side sends again a handshake message we already
//! answered (its resend timer fired: our answer was lost), our answer goes again at once
//! (RFC 6347 §4.2.4: a retransmitted flight is answered with a retransmission). The DTLS layer
//! only resends on its own one-second timer, so without this a lost answer cost a second
//! however fast the other side resent. Messages are known by their epoch-0 handshake header
//! (message sequence and fragment offset), which a resend keeps while its record number
//! changes.
//!
//! The round trip comes from the ICE connectivity checks on the same socket (STUN binding
//! request → response). Guarding ends when media arrives (the handshake is done on both
//! sides), or after [`MAX_RESENDS`] resends of one flight. Sans-IO: every method takes `now`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The shortest resend timeout. Chromium's floor for DTLS is 50 ms; on a path of a few
/// milliseconds (a LAN, one computer) that floor is all of a lost flight's cost, and a resend
/// that comes too early costs one duplicate flight the peer answers or drops.
const MIN_TIMEOUT: Duration = Duration::from_millis(10);
/// The longest first timeout: beyond it the DTLS layer's own second is as good.
const MAX_TIMEOUT: Duration = Duration::from_millis(1000);
/// Before any round trip is known (RFC 9147's recommended initial value).
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);
/// Resends of one flight, the timeout doubling each time up to [`MAX_TIMEOUT`].
pub(crate) const MAX_RESENDS: u32 = 6;
/// Datagrams kept of one flight (ours are two or three; the DTLS layer's own resends add more).
const MAX_FLIGHT: usize = 16;
/// STUN transactions remembered for round-trip samples.
const STUN_MEMORY: usize = 32;

/// What a datagram is, by its first byte (RFC 7983 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Stun,
    /// A DTLS record that is part of the handshake (content types: change cipher spec 20,
    /// handshake 22).
    DtlsHandshake,
    /// Any other DTLS record (alert, application data).
    DtlsOther,
    /// SRTP or SRTCP.
    Media,
    Other,
}

pub(crate) fn classify(datagram: &[u8]) -> Kind {
    match datagram.first() {
        Some(0..=3) => Kind::Stun,
        Some(20 | 22) => Kind::DtlsHandshake,
        Some(21 | 23..=63) => Kind::DtlsOther,
        Some(128..=191) => Kind::Media,
        _ => Kind::Other,
    }
}

/// The guard of one UDP socket.
#[derive(Debug)]
pub(crate) struct FlightGuard {
    /// Our latest flight: the DTLS handshake datagrams sent since the other side last spoke.
    flight: Vec<(SocketAddr, Vec<u8>)>,
    /// The other side sent DTLS since our last datagram: our next one starts a new flight.
    answered: bool,
    /// When to resend the flight, if the other side is still silent.
    deadline: Option<Instant>,
    resends: u32,
    /// Latest round trip of an ICE check on this socket.
    rtt: Option<Duration>,
    stun: VecDeque<([u8; 12], Instant)>,
    /// Handshake messages the other side sent that our latest flight answers.
    answered_messages: Vec<MessageKey>,
    /// Handshake messages the other side sent since our latest flight.
    pending_messages: Vec<MessageKey>,
    done: bool,
}

/// A handshake message of epoch 0 by its place in the handshake: message sequence and
/// fragment offset (RFC 6347 §4.2.2). Later epochs are encrypted: no key.
type MessageKey = (u16, u32);

fn message_key(datagram: &[u8]) -> Option<MessageKey> {
    // Record header: type, version (2), epoch (2), sequence (6), length (2); then the
    // handshake header: type, length (3), message sequence (2), fragment offset (3), ….
    if datagram.len() < 25 || datagram[0] != 22 || datagram[3..5] != [0, 0] {
        return None;
    }
    let seq = u16::from_be_bytes([datagram[17], datagram[18]]);
    let offset = u32::from_be_bytes([0, datagram[19], datagram[20], datagram[21]]);
    Some((seq, offset))
}

impl Default for FlightGuard {
    fn default() -> Self {
        Self {
            flight: Vec::new(),
            answered: true,
            deadline: None,
            resends: 0,
            rtt: None,
            stun: VecDeque::new(),
            answered_messages: Vec::new(),
            pending_messages: Vec::new(),
            done: false,
        }
    }
}

impl FlightGuard {
    /// Whether guarding is over (media flows, or it gave up): nothing more to watch.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The first resend timeout of a flight: twice the ICE round trip, within bounds.
    pub fn timeout(&self) -> Duration {
        self.rtt.map_or(DEFAULT_TIMEOUT, |rtt| {
            (rtt * 2).clamp(MIN_TIMEOUT, MAX_TIMEOUT)
        })
    }

    /// We sent `datagram` to `to`. Returns whether the deadline changed (the timer must look).
    pub fn on_send(&mut self, now: Instant, to: SocketAddr, datagram: &[u8]) -> bool {
        if self.done {
            return false;
        }
        match classify(datagram) {
            Kind::Stun if is_binding(datagram, 0x0001) => {
                if self.stun.len() == STUN_MEMORY {
                    self.stun.pop_front();
                }
                self.stun.push_back((transaction(datagram), now));
                false
            }
            Kind::DtlsHandshake => {
                if self.answered {
                    self.flight.clear();
                    self.answered = false;
                    self.resends = 0;
                    self.answered_messages = std::mem::take(&mut self.pending_messages);
                }
                if self.flight.len() == MAX_FLIGHT {
                    self.flight.remove(0);
                }
                self.flight.push((to, datagram.to_vec()));
                self.deadline = Some(now + self.timeout());
                true
            }
            _ => false,
        }
    }

    /// We received `datagram`. Returns whether the deadline changed (the timer must look).
    pub fn on_receive(&mut self, now: Instant, datagram: &[u8]) -> bool {
        if self.done {
            return false;
        }
        match classify(datagram) {
            Kind::Stun if is_binding(datagram, 0x0101) => {
                let id = transaction(datagram);
                if let Some(i) = self.stun.iter().position(|(t, _)| *t == id) {
                    let (_, sent) = self.stun.remove(i).expect("found");
                    self.rtt = Some(now.saturating_duration_since(sent));
                }
            }
            Kind::DtlsHandshake => {
                let key = message_key(datagram);
                let resent = key.is_some_and(|k| self.answered_messages.contains(&k));
                if resent && !self.flight.is_empty() && self.resends < MAX_RESENDS {
                    // Our answer to this was lost: send it again now, then back off as usual.
                    self.deadline = Some(now);
                    return true;
                }
                if let Some(k) = key {
                    if !self.pending_messages.contains(&k)
                        && self.pending_messages.len() < MAX_FLIGHT
                    {
                        self.pending_messages.push(k);
                    }
                }
                self.answered = true;
                self.deadline = None;
            }
            Kind::DtlsOther => {
                self.answered = true;
                self.deadline = None;
            }
            Kind::Media => self.finish(),
            _ => {}
        }
        false
    }

    /// When [`FlightGuard::on_timeout`] wants to run.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The deadline passed: the datagrams to send again (none if it has not, or if the other
    /// side spoke meanwhile).
    pub fn on_timeout(&mut self, now: Instant) -> Vec<(SocketAddr, Vec<u8>)> {
        match self.deadline {
            Some(d) if d <= now && !self.done => {}
            _ => return Vec::new(),
        }
        if self.resends == MAX_RESENDS {
            // Enough: the DTLS layer's own timer goes on; keep out of its way.
            self.finish();
            return Vec::new();
        }
        self.resends += 1;
        let wait = (self.timeout() * 2u32.pow(self.resends)).min(MAX_TIMEOUT);
        self.deadline = Some(now + wait);
        self.flight.clone()
    }

    fn finish(&mut self) {
        self.done = true;
        self.deadline = None;
        self.flight = Vec::new();
        self.stun = VecDeque::new();
    }
}

/// A STUN binding message of this type (0x0001 request, 0x0101 success response)?
fn is_binding(datagram: &[u8], kind: u16) -> bool {
    datagram.len() >= 20 && u16::from_be_bytes([datagram[0], datagram[1]]) == kind
}

fn transaction(datagram: &[u8]) -> [u8; 12] {
    datagram[8..20].try_into().expect("checked length")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
        std::net::Ipv4Addr::LOCALHOST,
        9,
    ));

    fn stun(kind: u16, id: u8) -> Vec<u8> {
        let mut d = vec![0u8; 20];
        d[..2].copy_from_slice(&kind.to_be_bytes());
        d[8..20].fill(id);
        d
    }
    fn dtls(content_type: u8, tag: u8) -> Vec<u8> {
        vec![
            content_type,
            0xfe,
            0xfd,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            tag,
            0,
            1,
            tag,
        ]
    }

    /// An epoch-0 handshake record in a datagram of its own: record number `record`, handshake
    /// message sequence `message`.
    fn handshake(record: u8, message: u16) -> Vec<u8> {
        let mut d = vec![
            22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, record, 0, 12, 1, 0, 0, 0,
        ];
        d.extend_from_slice(&message.to_be_bytes());
        d.extend_from_slice(&[0; 6]);
        d
    }

    #[test]
    fn a_resent_message_we_answered_gets_our_answer_again_at_once() {
        let t0 = Instant::now();
        let mut g = FlightGuard::default();
        // Their ClientHello (message 1), our answer (two datagrams).
        assert!(!g.on_receive(t0, &handshake(1, 1)));
        g.on_send(t0, PEER, &handshake(1, 1));
        g.on_send(t0, PEER, &handshake(2, 2));
        // They send message 1 again (with a new record number: the DTLS layer's resend): our
        // answer was lost, and goes again now rather than at our deadline.
        let t1 = t0 + Duration::from_millis(30);
        assert!(g.on_receive(t1, &handshake(9, 1)));
        assert_eq!(g.next_deadline(), Some(t1));
        assert_eq!(
            g.on_timeout(t1),
            vec![(PEER, handshake(1, 1)), (PEER, handshake(2, 2))]
        );
        // Something new from them is an answer: no resend.
        assert!(!g.on_receive(t1, &handshake(10, 3)));
        assert_eq!(g.next_deadline(), None);
        // A message that is not one we answered is not a resend either.
        let mut fresh = FlightGuard::default();
        fresh.on_send(t0, PEER, &handshake(1, 0));
        assert!(!fresh.on_receive(t1, &handshake(1, 0)));
        assert_eq!(fresh.next_deadline(), None);
    }

    #[test]
    fn tells_the_datagrams_apart() {
        assert_eq!(classify(&stun(1, 0)), Kind::Stun);
        assert_eq!(classify(&dtls(22, 0)), Kind::DtlsHandshake);
        assert_eq!(classify(&dtls(20, 0)), Kind::DtlsHandshake);
        assert_eq!(classify(&dtls(23, 0)), Kind::DtlsOther);
        assert_eq!(classify(&[0x80, 96]), Kind::Media);
        assert_eq!(classify(&[]), Kind::Other);
    }

    #[test]
    fn resends_an_unanswered_flight_after_twice_the_ice_round_trip_then_backs_off() {
        let t0 = Instant::now();
        let mut g = FlightGuard::default();
        g.on_send(t0, PEER, &stun(0x0001, 7));
        g.on_receive(t0 + Duration::from_millis(40), &stun(0x0101, 7));
        assert_eq!(g.timeout(), Duration::from_millis(80));
        let t1 = t0 + Duration::from_millis(50);
        assert!(g.on_send(t1, PEER, &dtls(22, 1)));
        assert!(g.on_send(t1, PEER, &dtls(22, 2)));
        assert_eq!(g.next_deadline(), Some(t1 + Duration::from_millis(80)));
        assert!(
            g.on_timeout(t1 + Duration::from_millis(79)).is_empty(),
            "not yet"
        );
        let again = g.on_timeout(t1 + Duration::from_millis(80));
        assert_eq!(again, vec![(PEER, dtls(22, 1)), (PEER, dtls(22, 2))]);
        assert_eq!(
            g.next_deadline(),
            Some(t1 + Duration::from_millis(80 + 160))
        );
    }

    #[test]
    fn an_answer_stops_the_resend_and_the_next_flight_replaces_the_last() {
        let t0 = Instant::now();
        let mut g = FlightGuard::default();
        g.on_send(t0, PEER, &dtls(22, 1));
        g.on_receive(t0 + Duration::from_millis(10), &dtls(22, 9));
        assert_eq!(g.next_deadline(), None);
        assert!(g.on_timeout(t0 + Duration::from_secs(1)).is_empty());
        g.on_send(t0 + Duration::from_millis(20), PEER, &dtls(20, 3));
        g.on_send(t0 + Duration::from_millis(20), PEER, &dtls(22, 4));
        let again = g.on_timeout(t0 + Duration::from_millis(20) + DEFAULT_TIMEOUT);
        assert_eq!(again, vec![(PEER, dtls(20, 3)), (PEER, dtls(22, 4))]);
    }

    #[test]
    fn media_ends_the_guard_and_so_does_a_flight_nobody_answers() {
        let t0 = Instant::now();
        let mut g = FlightGuard::default();
        g.on_send(t0, PEER, &dtls(22, 1));
        g.on_receive(t0, &[0x80, 96, 0, 1]);
        assert!(g.is_done());
        assert!(!g.on_send(t0, PEER, &dtls(22, 2)));
        assert_eq!(g.next_deadline(), None);

        let mut g = FlightGuard::default();
        g.on_send(t0, PEER, &dtls(22, 1));
        let mut resent = 0;
        let mut now = t0;
        while let Some(d) = g.next_deadline() {
            now = d;
            resent += g.on_timeout(now).len();
        }
        assert_eq!(resent, MAX_RESENDS as usize);
        assert!(g.is_done());
        // 100 ms doubling, at most a second: 100 + 200 + 400 + 800 + 3 × 1000 ms.
        assert_eq!(now - t0, Duration::from_millis(4500));
    }

    #[test]
    fn round_trips_come_only_from_answered_binding_requests() {
        let t0 = Instant::now();
        let mut g = FlightGuard::default();
        g.on_receive(t0, &stun(0x0101, 3)); // an answer to nothing we asked
        assert_eq!(g.timeout(), DEFAULT_TIMEOUT);
        g.on_send(t0, PEER, &stun(0x0001, 4));
        g.on_receive(t0 + Duration::from_millis(1), &stun(0x0101, 4));
        assert_eq!(g.timeout(), MIN_TIMEOUT, "loopback: the floor");
        g.on_send(t0, PEER, &stun(0x0001, 5));
        g.on_receive(t0 + Duration::from_millis(900), &stun(0x0101, 5));
        assert_eq!(g.timeout(), MAX_TIMEOUT, "a slow path: the ceiling");
    }
}
