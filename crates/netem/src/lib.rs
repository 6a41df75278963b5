//! A network fault harness for calls on bad networks, for our peers and Chromium alike.
//!
//! This kernel has no `sch_netem`, so nothing in it can hold a packet back; but it has
//! iptables' `NFQUEUE`, which hands packets to a process and waits for its verdict. The
//! delayer ([`delayer`]) holds each verdict for the packet's delay, or drops the packet, with
//! one [`impairment::Impairment`] per queue number — per direction, since iptables rules decide
//! which packets enter which queue. A [`probe`] measures what the network then does.
//!
//! `scripts/netem.sh` puts a command in a network namespace of its own whose loopback is
//! impaired this way (so nothing else on the machine is touched). Everything here needs root.

pub mod delayer;
pub mod impairment;
pub mod probe;
