//! `instant-share-netem`: the network fault harness's command line.
//!
//! - `delay --queue 0=delay=25,loss=5 [--queue 1=…]`: the delayer for NFQUEUE queues 0, 1, …
//!   until SIGTERM or SIGINT; prints a `ready` line, then on exit one line of counts per queue.
//! - `probe --echo 127.0.0.1:9000 --count 2000 --interval-ms 1`: the UDP probe; prints its
//!   figures as one JSON line.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{anyhow, Result};
use clap::{Parser, Subcommand};
use instant_share_netem::impairment::{Impairment, Line};
use instant_share_netem::{delayer, probe};

#[derive(Parser)]
#[command(about = "Delays, drops and reorders packets queued by iptables (NFQUEUE); measures UDP")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Impair the packets iptables queues, per queue number, until SIGTERM.
    Delay {
        /// `NUM=delay=MS,jitter=MS,loss=PERCENT[,reorder]`, once per queue.
        #[arg(long = "queue", required = true)]
        queues: Vec<String>,
    },
    /// Send numbered datagrams to an echo of its own and print what came back (JSON).
    Probe {
        #[arg(long, default_value = "127.0.0.1:47000")]
        echo: SocketAddr,
        #[arg(long, default_value_t = 2000)]
        count: u64,
        #[arg(long, default_value_t = 1.0)]
        interval_ms: f64,
        #[arg(long, default_value_t = 1500)]
        drain_ms: u64,
    },
}

static STOP: AtomicBool = AtomicBool::new(false);

/// Sets [`STOP`] on SIGTERM or SIGINT, from a thread of its own (the delayer's loop is plain
/// blocking code and checks the flag between reads).
fn stop_on_signal() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let (mut term, mut int) = runtime.block_on(async {
        Ok::<_, std::io::Error>((
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        ))
    })?;
    std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        });
        STOP.store(true, Ordering::Relaxed);
    });
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Delay { queues } => {
            let mut lines = HashMap::new();
            for q in &queues {
                let (num, spec) = q
                    .split_once('=')
                    .ok_or_else(|| anyhow!("--queue {q}: expected NUM=delay=…"))?;
                let num: u16 = num
                    .parse()
                    .map_err(|_| anyhow!("--queue {q}: '{num}' is not a queue number"))?;
                let impairment: Impairment =
                    spec.parse().map_err(|e| anyhow!("--queue {q}: {e}"))?;
                lines.insert(num, Line::new(impairment));
            }
            stop_on_signal()?;
            let counts = delayer::run(lines, &STOP)?;
            for (queue, c) in counts {
                println!(
                    "{}",
                    serde_json::json!({ "event": "counts", "queue": queue, "passed": c.passed, "lost": c.lost })
                );
            }
            Ok(())
        }
        Command::Probe {
            echo,
            count,
            interval_ms,
            drain_ms,
        } => {
            let report = probe::run(&probe::ProbeConfig {
                echo,
                count,
                interval: Duration::from_secs_f64(interval_ms / 1e3),
                drain: Duration::from_millis(drain_ms),
            })?;
            println!("{}", report.to_json());
            Ok(())
        }
    }
}
