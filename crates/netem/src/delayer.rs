//! The delayer: takes the packets iptables queues (`-j NFQUEUE --queue-num N`), and gives each
//! its verdict — drop, or accept once its time has come — according to the [`Line`] of its
//! queue. Holding the verdict is what delays the packet: the kernel keeps it meanwhile.
//!
//! One queue number per direction gives each direction its own impairment (iptables decides
//! which packets go to which queue). The `nfq` crate offers no descriptor to wait on, so the
//! loop reads without blocking and naps at most [`NAP`] between reads: delays are exact to
//! about that much.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nfq::{Message, Queue, Verdict};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::impairment::Line;

/// The longest nap between two reads of the queue (the delay's granularity).
const NAP: Duration = Duration::from_micros(250);

/// Packets the kernel may hold for us per queue before it drops new ones (a 300 ms delay at a
/// few Mbit/s of 1200-byte packets is well under this).
const QUEUE_MAX_LEN: u32 = 16_384;

/// A packet waiting for its release time; ordered so that the earliest comes out first, and
/// among equal times the first admitted.
struct Held {
    at: Instant,
    seq: u64,
    message: Message,
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Held {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reversed, the earliest release is on top.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// What one queue did, printed when the delayer stops.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Packets passed on (after their delay).
    pub passed: u64,
    /// Packets dropped as lost.
    pub lost: u64,
}

/// Runs until `stop` is set: binds every queue of `lines`, prints one `ready` line on stdout,
/// then delays and drops. Returns what each queue did.
pub fn run(lines: HashMap<u16, Line>, stop: &AtomicBool) -> Result<HashMap<u16, Counts>> {
    let mut queue = Queue::open().context("opening the netfilter queue socket (needs root)")?;
    for &num in lines.keys() {
        queue
            .bind(num)
            .with_context(|| format!("binding NFQUEUE {num}"))?;
        queue.set_queue_max_len(num, QUEUE_MAX_LEN)?;
        // The verdict needs no payload: copy none (a held message keeps its receive buffer).
        queue.set_copy_range(num, 0)?;
    }
    queue.set_nonblocking(true);
    let mut lines = lines;
    let mut counts: HashMap<u16, Counts> = lines.keys().map(|&n| (n, Counts::default())).collect();
    let mut held = BinaryHeap::new();
    let mut seq = 0u64;
    let mut rng = StdRng::from_entropy();
    {
        let mut out = std::io::stdout().lock();
        let queues: Vec<_> = lines
            .iter()
            .map(|(n, l)| serde_json::json!({ "queue": n, "impairment": l.impairment().to_string() }))
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::json!({ "event": "ready", "queues": queues })
        )?;
        out.flush()?;
    }
    while !stop.load(AtomicOrdering::Relaxed) {
        loop {
            match queue.recv() {
                Ok(mut message) => {
                    let now = Instant::now();
                    let num = message.get_queue_num();
                    let Some(line) = lines.get_mut(&num) else {
                        message.set_verdict(Verdict::Accept);
                        queue.verdict(message)?;
                        continue;
                    };
                    let count = counts.entry(num).or_default();
                    match line.admit(now, &mut rng) {
                        None => {
                            count.lost += 1;
                            message.set_verdict(Verdict::Drop);
                            queue.verdict(message)?;
                        }
                        Some(at) if at <= now => {
                            count.passed += 1;
                            message.set_verdict(Verdict::Accept);
                            queue.verdict(message)?;
                        }
                        Some(at) => {
                            count.passed += 1;
                            seq += 1;
                            held.push(Held { at, seq, message });
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e).context("reading the netfilter queue"),
            }
        }
        let now = Instant::now();
        while held.peek().is_some_and(|h| h.at <= now) {
            let mut h = held.pop().expect("peeked");
            h.message.set_verdict(Verdict::Accept);
            queue.verdict(h.message)?;
        }
        let nap = held.peek().map_or(NAP, |h| {
            h.at.saturating_duration_since(Instant::now()).min(NAP)
        });
        std::thread::sleep(nap);
    }
    // Whatever is still held goes on: a packet of a stopped network is not lost.
    while let Some(mut h) = held.pop() {
        h.message.set_verdict(Verdict::Accept);
        queue.verdict(h.message)?;
    }
    Ok(counts)
}
