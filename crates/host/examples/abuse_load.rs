//! Figures for BENCHMARKS.md ("The host under abuse"), against a running host.
//!
//! ```text
//! abuse_load sign-in-burst --url http://127.0.0.1:8080 --pid 1234 --count 300
//! abuse_load decode-fairness --url http://127.0.0.1:8080 --database host.sqlite3 \
//!     --host-bin instant-share-host --large 12
//! ```
//! `sign-in-burst`: `--count` wrong-password console sign-ins at once, each from its own
//! loopback address (127.1.x.y) and user name, so that no throttle applies and only the bound
//! on password checks does. Prints the host's resident memory (`VmRSS` of `--pid`) before,
//! at its peak during the burst (sampled every 10 ms), and 5 s after the last answer, and how
//! the sign-ins were answered.
//!
//! `decode-fairness`: two waiting requests (a requester may share pictures before an expert
//! comes); in the first, the requester uploads `--large` large
//! pictures (6000×4000 PNGs, a row in 16 of noise, about 7 MiB each and 72 MB decoded), four at a time; meanwhile, in
//! the second, a small picture (64×64) is uploaded every 500 ms. Prints the small uploads'
//! latency and how long the large ones took.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use instant_share_protocol::*;

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

/// Resident memory of `pid`, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn sign_in_burst(args: &[String]) -> anyhow::Result<()> {
    let url = arg(args, "--url", "http://127.0.0.1:8080");
    let pid: u32 = arg(args, "--pid", "0").parse()?;
    let count: usize = arg(args, "--count", "300").parse()?;
    anyhow::ensure!(pid > 0, "give the host's process id with --pid");
    let clients: Vec<reqwest::Client> = (0..count)
        .map(|i| {
            let from = IpAddr::from([127, 1, (i / 200) as u8, (i % 200 + 1) as u8]);
            reqwest::Client::builder().local_address(from).build()
        })
        .collect::<Result<_, _>>()?;
    let before = rss_mib(pid);
    let peak = Arc::new(AtomicU64::new(before.to_bits()));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (peak, done) = (peak.clone(), done.clone());
        async move {
            while !done.load(Ordering::Relaxed) {
                let now = rss_mib(pid);
                if now > f64::from_bits(peak.load(Ordering::Relaxed)) {
                    peak.store(now.to_bits(), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, client)| {
            let url = format!("{url}/api/v1/expert/login");
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .json(&LoginRequest {
                        username: format!("nobody-{i}"),
                        password: "not the password".into(),
                    })
                    .send()
                    .await;
                match r {
                    Ok(r) => r.status().as_u16().to_string(),
                    Err(e) => format!("error: {e}"),
                }
            })
        })
        .collect();
    let mut answers: BTreeMap<String, usize> = BTreeMap::new();
    for t in tasks {
        *answers.entry(t.await?).or_default() += 1;
    }
    let took = start.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    done.store(true, Ordering::Relaxed);
    sampler.await?;
    let after = rss_mib(pid);
    println!(
        "sign-in burst: {count} at once from {count} addresses, answered in {:.2}s: {answers:?}",
        took.as_secs_f64()
    );
    println!(
        "host RSS: before {before:.0} MiB, peak {:.0} MiB, 5 s after {after:.0} MiB",
        f64::from_bits(peak.load(Ordering::Relaxed))
    );
    Ok(())
}

/// A PNG of noise (it does not compress): `seed` makes each one different.
fn noise_png(width: u32, height: u32, seed: u32) -> Vec<u8> {
    striped_png(width, height, seed, 1)
}

/// A PNG whose every `every`-th row is noise and the rest a gradient: as many pixels to decode
/// as its size says, in a file small enough to upload (a 24-megapixel picture of noise would
/// be 70 MiB, past the 15 MiB limit).
fn striped_png(width: u32, height: u32, seed: u32, every: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let img = image::ImageBuffer::from_fn(width, height, |x, y| {
        if y % every != 0 {
            return image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]);
        }
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let b = state.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("PNG encodes");
    out
}

async fn upload(
    http: &reqwest::Client,
    url: &str,
    session: &str,
    token: &str,
    png: Vec<u8>,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let r = http
        .post(format!("{url}/api/v1/sessions/{session}/images"))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await?;
    let status = r.status();
    let body = r.text().await?;
    anyhow::ensure!(status == 201, "upload answered {status}: {body}");
    Ok(start.elapsed())
}

async fn decode_fairness(args: &[String]) -> anyhow::Result<()> {
    let url = arg(args, "--url", "http://127.0.0.1:8080");
    let db = arg(args, "--database", "instant-share.sqlite3");
    let host_bin = arg(args, "--host-bin", "instant-share-host");
    let large: u32 = arg(args, "--large", "12").parse()?;
    let http = reqwest::Client::new();
    // Waiting requests: their requesters may share pictures before an expert comes.
    let (big_session, big_token) = waiting_session(&http, &url, &host_bin, &db, "Big").await?;
    let (small_session, small_token) =
        waiting_session(&http, &url, &host_bin, &db, "Small").await?;
    println!("preparing {large} large pictures (6000x4000, a row in 16 noise) and the small ones");
    let bigs: Vec<Vec<u8>> = (0..large)
        .map(|i| striped_png(6000, 4000, i + 1, 16))
        .collect();
    println!(
        "large pictures: {:.1} MiB each",
        bigs[0].len() as f64 / 1024.0 / 1024.0
    );
    // At most 24: a board holds no more (the 25th upload would be refused as conflict).
    let smalls: Vec<Vec<u8>> = (0..24).map(|i| noise_png(64, 64, 1000 + i)).collect();

    // Alone first: the small upload with nothing else going on.
    let mut alone = Vec::new();
    for png in smalls.iter().take(5) {
        alone.push(upload(&http, &url, &small_session, &small_token, png.clone()).await?);
    }
    let big_start = Instant::now();
    let big_done = Arc::new(AtomicBool::new(false));
    let bigs = Arc::new(tokio::sync::Mutex::new(bigs));
    let uploaders: Vec<_> = (0..4)
        .map(|_| {
            let (http, url, s, t, bigs) = (
                http.clone(),
                url.clone(),
                big_session.clone(),
                big_token.clone(),
                bigs.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let Some(png) = bigs.lock().await.pop() else {
                        return Ok::<_, anyhow::Error>(());
                    };
                    upload(&http, &url, &s, &t, png).await?;
                }
            })
        })
        .collect();
    let watcher = {
        let big_done = big_done.clone();
        tokio::spawn(async move {
            for u in uploaders {
                u.await??;
            }
            big_done.store(true, Ordering::Relaxed);
            Ok::<_, anyhow::Error>(big_start.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut during = Vec::new();
    for png in smalls.iter().skip(5) {
        if big_done.load(Ordering::Relaxed) {
            break;
        }
        during.push(upload(&http, &url, &small_session, &small_token, png.clone()).await?);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let big_took = watcher.await??;
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let summary = |mut v: Vec<Duration>| {
        v.sort();
        if v.is_empty() {
            return "none".to_owned();
        }
        format!(
            "n={} p50={:.0}ms max={:.0}ms",
            v.len(),
            ms(&v[v.len() / 2]),
            ms(v.last().unwrap())
        )
    };
    println!("small upload alone: {}", summary(alone));
    println!(
        "small upload while another session uploads {large} large pictures: {}",
        summary(during)
    );
    println!(
        "the {large} large pictures took {:.1}s in all",
        big_took.as_secs_f64()
    );
    Ok(())
}

/// A request nobody has taken yet: its requester may already share pictures.
async fn waiting_session(
    http: &reqwest::Client,
    url: &str,
    host_bin: &str,
    db: &str,
    name: &str,
) -> anyhow::Result<(String, String)> {
    let out = std::process::Command::new(host_bin)
        .args(["enrolment-code", "--database", db, "--employee", name])
        .output()?;
    anyhow::ensure!(out.status.success(), "enrolment-code failed");
    let code = String::from_utf8(out.stdout)?
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let enrolled: EnrolResponse = http
        .post(format!("{url}/api/v1/enrol"))
        .json(&EnrolRequest {
            code,
            device_name: name.into(),
        })
        .send()
        .await?
        .json()
        .await?;
    let pointer: SharePointer = http
        .post(format!("{url}/api/v1/shares"))
        .bearer_auth(&enrolled.credential)
        .json(&ShareRequest {
            topic: "email".into(),
            note: None,
            app_version: "bench".into(),
            os_version: "bench".into(),
        })
        .send()
        .await?
        .json()
        .await?;
    Ok((pointer.session_id, pointer.participant_token))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("sign-in-burst") => sign_in_burst(&args).await,
        Some("decode-fairness") => decode_fairness(&args).await,
        _ => anyhow::bail!("usage: abuse_load sign-in-burst|decode-fairness [--url U] ..."),
    }
}
