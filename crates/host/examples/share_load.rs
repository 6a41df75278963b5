//! Load and latency figures for BENCHMARKS.md, against a running host.
//!
//! ```text
//! share_load shares --url http://127.0.0.1:8080 --database host.sqlite3 --concurrency 100 --requests 2000
//! share_load ring   --url http://127.0.0.1:8080 --database host.sqlite3 --expert demo --password demo-password --runs 200
//! ```
//! `shares`: `--concurrency` requesters, each enrolled with its own device, post
//! `POST /api/v1/shares` back to back until `--requests` are done; prints p50/p99 of the time
//! from sending the request to holding the pointer.
//! `ring`: an expert's console is open and available; each run posts a share and measures until
//! the console's socket receives the `offered` message (the ring), then declines it and waits
//! 60 ms (consoles are limited to 20 messages a second).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use instant_share_protocol::*;
use tokio_tungstenite::tungstenite::Message;

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(what: &str, mut samples: Vec<Duration>, total: Duration) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: n={} p50={:.2}ms p95={:.2}ms p99={:.2}ms max={:.2}ms throughput={:.0}/s",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.95)),
        ms(percentile(&samples, 0.99)),
        ms(*samples.last().unwrap()),
        samples.len() as f64 / total.as_secs_f64()
    );
}

/// Makes an enrolment code through the host binary's CLI, then enrols.
async fn enrol(
    http: &reqwest::Client,
    url: &str,
    host_bin: &str,
    db: &str,
    name: &str,
) -> anyhow::Result<String> {
    let out = std::process::Command::new(host_bin)
        .args(["enrolment-code", "--database", db, "--employee", name])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "enrolment-code failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout)?.trim().to_owned();
    let r: EnrolResponse = http
        .post(format!("{url}/api/v1/enrol"))
        .json(&EnrolRequest {
            code,
            device_name: format!("load {name}"),
        })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(r.credential)
}

fn share_request() -> ShareRequest {
    ShareRequest {
        topic: "email".into(),
        note: Some("load test".into()),
        app_version: "bench".into(),
        os_version: "linux".into(),
    }
}

async fn shares(args: &[String]) -> anyhow::Result<()> {
    let url = arg(args, "--url", "http://127.0.0.1:8080");
    let db = arg(args, "--database", "instant-share.sqlite3");
    let host_bin = arg(args, "--host-bin", "instant-share-host");
    let concurrency: usize = arg(args, "--concurrency", "100").parse()?;
    let requests: usize = arg(args, "--requests", "2000").parse()?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    // One device per requester, as in life; enrolment is not what is measured.
    let mut credentials = Vec::with_capacity(concurrency);
    for i in 0..concurrency.min(requests) {
        credentials.push(enrol(&http, &url, &host_bin, &db, &format!("requester {i}")).await?);
    }
    let per = requests / credentials.len();
    let start = Instant::now();
    let tasks: Vec<_> = credentials
        .into_iter()
        .map(|credential| {
            let http = http.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(per);
                for _ in 0..per {
                    let t = Instant::now();
                    let r = http
                        .post(format!("{url}/api/v1/shares"))
                        .bearer_auth(&credential)
                        .json(&share_request())
                        .send()
                        .await?;
                    anyhow::ensure!(r.status() == 201, "share answered {}", r.status());
                    let _: SharePointer = r.json().await?;
                    samples.push(t.elapsed());
                }
                Ok::<_, anyhow::Error>(samples)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(requests);
    for t in tasks {
        all.extend(t.await??);
    }
    report(
        &format!("POST /api/v1/shares -> pointer, concurrency {concurrency}"),
        all,
        start.elapsed(),
    );
    Ok(())
}

async fn ring(args: &[String]) -> anyhow::Result<()> {
    let url = arg(args, "--url", "http://127.0.0.1:8080");
    let db = arg(args, "--database", "instant-share.sqlite3");
    let host_bin = arg(args, "--host-bin", "instant-share-host");
    let runs: usize = arg(args, "--runs", "200").parse()?;
    let username = arg(args, "--expert", "demo");
    let password = arg(args, "--password", "demo-password");
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{url}/api/v1/expert/login"))
        .json(&LoginRequest { username, password })
        .send()
        .await?
        .error_for_status()?;
    let cookie = login.headers()["set-cookie"]
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let ticket: ConsoleTicket = http
        .post(format!("{url}/api/v1/expert/ticket"))
        .header("cookie", cookie)
        .json(&serde_json::json!({}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let (mut ws, _) = tokio_tungstenite::connect_async(ticket.ws_url.as_str()).await?;
    let send =
        |m: ClientMessage| Message::Text(serde_json::to_string(&m).unwrap_or_default().into());
    ws.send(send(ClientMessage::Hello {
        token: ticket.ticket,
        protocol: PROTOCOL_VERSION,
        last_seq: None,
    }))
    .await?;
    ws.send(send(ClientMessage::SetAvailability { available: true }))
        .await?;
    let credential = enrol(&http, &url, &host_bin, &db, "ring requester").await?;
    let mut samples = Vec::with_capacity(runs);
    let start = Instant::now();
    for _ in 0..runs {
        let t = Instant::now();
        let pointer: SharePointer = http
            .post(format!("{url}/api/v1/shares"))
            .bearer_auth(&credential)
            .json(&share_request())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        loop {
            let Some(msg) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await? else {
                anyhow::bail!("console socket closed")
            };
            if let Message::Text(text) = msg? {
                let frame: ServerFrame = serde_json::from_str(&text)?;
                if let ServerMessage::Offered { offer } = frame.msg {
                    if offer.entry.session_id == pointer.session_id {
                        samples.push(t.elapsed());
                        ws.send(send(ClientMessage::Decline {
                            session_id: pointer.session_id.clone(),
                        }))
                        .await?;
                        // An expert answers a few offers a second at most; the host limits
                        // console messages to 20 a second.
                        tokio::time::sleep(Duration::from_millis(60)).await;
                        break;
                    }
                }
            }
        }
    }
    report(
        "request -> ring on the expert console",
        samples,
        start.elapsed(),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("shares") => shares(&args).await,
        Some("ring") => ring(&args).await,
        _ => anyhow::bail!(
            "usage: share_load shares|ring [--url U] [--database F] [--host-bin B] ..."
        ),
    }
}
