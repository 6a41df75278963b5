//! A UDP probe that measures what the network does to datagrams: an echo socket and a sender
//! in one process, on one clock, so each direction's delay and loss are measured on its own
//! (the echo stamps when it received each datagram).

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// How a probe run is made.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Where the echo socket listens (iptables rules match its port).
    pub echo: SocketAddr,
    /// Datagrams to send.
    pub count: u64,
    /// Time between two datagrams.
    pub interval: Duration,
    /// How long to wait for late echoes after the last datagram.
    pub drain: Duration,
}

/// What the probe measured. Delays in milliseconds.
#[derive(Debug, Clone)]
pub struct Report {
    /// Datagrams sent.
    pub sent: u64,
    /// Datagrams the echo received.
    pub echoed: u64,
    /// Echoes the sender received.
    pub received: u64,
    /// One-way delays out (sender → echo), in arrival order.
    pub out_ms: Vec<f64>,
    /// One-way delays back (echo → sender).
    pub back_ms: Vec<f64>,
    /// Round trips.
    pub rtt_ms: Vec<f64>,
    /// Echoes that came back after one with a higher number.
    pub reordered: u64,
}

/// The p-th quantile (0–1) of `values`, or 0 when there are none.
pub fn quantile(values: &[f64], p: f64) -> f64 {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(((s.len() as f64 * p) as usize).min(s.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

impl Report {
    /// Loss on the way out, in percent.
    pub fn loss_out_percent(&self) -> f64 {
        100.0 * (self.sent - self.echoed) as f64 / self.sent.max(1) as f64
    }
    /// Loss on the way back, in percent of what the echo sent.
    pub fn loss_back_percent(&self) -> f64 {
        100.0 * (self.echoed - self.received) as f64 / self.echoed.max(1) as f64
    }

    /// The report as one JSON object (the figures, not the samples).
    pub fn to_json(&self) -> serde_json::Value {
        let q = |v: &[f64]| serde_json::json!({ "p50": quantile(v, 0.5), "p95": quantile(v, 0.95), "min": quantile(v, 0.0), "max": quantile(v, 1.0) });
        serde_json::json!({
            "sent": self.sent,
            "echoed": self.echoed,
            "received": self.received,
            "loss_out_percent": self.loss_out_percent(),
            "loss_back_percent": self.loss_back_percent(),
            "out_ms": q(&self.out_ms),
            "back_ms": q(&self.back_ms),
            "rtt_ms": q(&self.rtt_ms),
            "reordered": self.reordered,
        })
    }
}

fn micros_since(t0: Instant) -> u64 {
    t0.elapsed().as_micros() as u64
}

/// Sends `count` numbered datagrams to an echo of its own and measures what comes back.
pub fn run(config: &ProbeConfig) -> Result<Report> {
    let t0 = Instant::now();
    let echo = UdpSocket::bind(config.echo).with_context(|| format!("binding {}", config.echo))?;
    echo.set_read_timeout(Some(Duration::from_millis(50)))?;
    let sender = UdpSocket::bind(SocketAddr::new(config.echo.ip(), 0))?;
    sender.set_read_timeout(Some(Duration::from_millis(20)))?;
    let done = Arc::new(AtomicBool::new(false));
    let echoed = Arc::new(AtomicU64::new(0));
    let echo_thread = {
        let (done, echoed) = (done.clone(), echoed.clone());
        std::thread::spawn(move || -> std::io::Result<()> {
            let mut buf = [0u8; 64];
            while !done.load(Ordering::Relaxed) {
                let (n, from) = match echo.recv_from(&mut buf) {
                    Ok(r) => r,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        continue
                    }
                    Err(e) => return Err(e),
                };
                if n < 16 {
                    continue;
                }
                echoed.fetch_add(1, Ordering::Relaxed);
                buf[16..24].copy_from_slice(&micros_since(t0).to_le_bytes());
                echo.send_to(&buf[..24], from)?;
            }
            Ok(())
        })
    };
    let mut report = Report {
        sent: 0,
        echoed: 0,
        received: 0,
        out_ms: Vec::new(),
        back_ms: Vec::new(),
        rtt_ms: Vec::new(),
        reordered: 0,
    };
    let mut highest = None::<u64>;
    let mut receive = |report: &mut Report, until: Instant| -> Result<()> {
        let mut buf = [0u8; 64];
        while Instant::now() < until {
            sender.set_read_timeout(Some(
                until
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_micros(100)),
            ))?;
            match sender.recv_from(&mut buf) {
                Ok((24, _)) => {
                    let now = micros_since(t0);
                    let word =
                        |i: usize| u64::from_le_bytes(buf[i..i + 8].try_into().expect("8 bytes"));
                    let (seq, sent, at_echo) = (word(0), word(8), word(16));
                    report.received += 1;
                    report
                        .out_ms
                        .push(at_echo.saturating_sub(sent) as f64 / 1e3);
                    report
                        .back_ms
                        .push(now.saturating_sub(at_echo) as f64 / 1e3);
                    report.rtt_ms.push(now.saturating_sub(sent) as f64 / 1e3);
                    if highest.is_some_and(|h| seq < h) {
                        report.reordered += 1;
                    }
                    highest = highest.max(Some(seq));
                }
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    };
    let start = Instant::now();
    for seq in 0..config.count {
        let mut packet = [0u8; 24];
        packet[..8].copy_from_slice(&seq.to_le_bytes());
        packet[8..16].copy_from_slice(&micros_since(t0).to_le_bytes());
        sender.send_to(&packet, config.echo)?;
        report.sent += 1;
        receive(&mut report, start + config.interval * (seq as u32 + 1))?;
    }
    receive(&mut report, Instant::now() + config.drain)?;
    done.store(true, Ordering::Relaxed);
    echo_thread.join().expect("echo thread")?;
    report.echoed = echoed.load(Ordering::Relaxed);
    Ok(report)
}
