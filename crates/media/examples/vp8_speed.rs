//! VP8 encode and decode cost of the stamped test pattern (or of a Y4M file's pictures) at each
//! libvpx `cpu-used`:
//! milliseconds per frame, the bitrate reached, and the picture's fidelity (luma PSNR against
//! the source), each the best of three rounds. The figures behind `vp8::speed_for` and
//! `vp8::profile_for` (BENCHMARKS.md, "VP8 speed").
//!
//!   cargo run --release -p instant-share-media --example vp8_speed -- [WxH] [kbit/s] [frames] [file.y4m]
//!
//! With a file, its first `frames` pictures (from the start again if it has fewer) are encoded
//! and the size is the file's. With `PACE_MS=33` the encoder waits that long before each frame,
//! as in a call (frames arrive one every 33 ms at 30 fps), instead of running flat out; the
//! "encode CPU" column is the encoding thread's own CPU time, so waiting does not count.

use std::time::{Duration, Instant};

use instant_share_media::files::Y4mReader;
use instant_share_media::synthetic::{read_stamp, Frame, TestPattern};
use instant_share_media::vp8::{profile_for, speed_for, EncoderConfig, Vp8Decoder, Vp8Encoder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = args.first().map_or("1280x720", String::as_str);
    let (w, h) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or_else(|| format!("size `{size}` is not WxH"))?;
    let kbps: u32 = args.get(1).map_or(Ok(1500), |a| a.parse())?;
    let frames: u32 = args.get(2).map_or(Ok(300), |a| a.parse())?;
    let fps = 30;
    // The same pictures for every setting, made or read before any clock runs.
    let (w, h, pictures) = match args.get(3) {
        Some(path) => {
            let read = |path: &str| -> Result<Vec<Frame>, Box<dyn std::error::Error>> {
                let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
                let mut reader = Y4mReader::new(std::io::BufReader::new(file))?;
                let mut all = Vec::new();
                while all.len() < frames as usize {
                    match reader.next_frame()? {
                        Some(f) => all.push(f),
                        None => break,
                    }
                }
                Ok(all)
            };
            let mut pictures = read(path)?;
            let first = pictures.first().ok_or(format!("{path} has no pictures"))?;
            let (fw, fh) = (first.width as u32, first.height as u32);
            let had = pictures.len();
            while pictures.len() < frames as usize {
                pictures.push(pictures[pictures.len() - had].clone());
            }
            println!("pictures from {path} ({had} looped)");
            (fw, fh, pictures)
        }
        None => {
            let mut pattern = TestPattern::new(w as usize, h as usize)?;
            (w, h, (0..frames).map(|_| pattern.next_frame()).collect())
        }
    };
    println!(
        "{w}x{h} at {fps} fps, {kbps} kbit/s target, {frames} frames; the engine uses cpu-used {} and profile {}",
        speed_for(w, h),
        profile_for(w, h)
    );
    let pace = Duration::from_millis(
        std::env::var("PACE_MS")
            .ok()
            .map_or(Ok(0), |v| v.parse())
            .map_err(|e| format!("PACE_MS: {e}"))?,
    );
    if !pace.is_zero() {
        println!("paced: {} ms before each frame", pace.as_millis());
    }
    println!("| profile | cpu-used | encode ms/frame | encode CPU ms/frame | decode ms/frame | kbit/s | luma PSNR dB | stamps read |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let settings: Vec<(u32, i32)> = [0, 1]
        .into_iter()
        .flat_map(|profile| [-6, -8, -10, -12, -16].map(move |speed| (profile, speed)))
        .collect();
    // Rounds over every setting in turn; each figure is its best round, so that a moment when
    // the machine was busy elsewhere (a shared VM) does not count against one setting.
    let mut best: Vec<Option<Run>> = vec![None; settings.len()];
    for _ in 0..ROUNDS {
        for (i, &(profile, speed)) in settings.iter().enumerate() {
            let config = EncoderConfig {
                width: w,
                height: h,
                bitrate_kbps: kbps,
                fps,
                speed,
                profile,
            };
            let run = measure(config, &pictures, pace)?;
            best[i] = Some(match best[i].take() {
                Some(b) => Run {
                    encode_ms: b.encode_ms.min(run.encode_ms),
                    encode_cpu_ms: b.encode_cpu_ms.min(run.encode_cpu_ms),
                    decode_ms: b.decode_ms.min(run.decode_ms),
                    ..run
                },
                None => run,
            });
        }
    }
    for (&(profile, speed), run) in settings.iter().zip(best.into_iter().flatten()) {
        println!(
            "| {profile} | {speed} | {:.2} | {:.2} | {:.2} | {:.0} | {:.1} | {}/{frames} |",
            run.encode_ms, run.encode_cpu_ms, run.decode_ms, run.kbps, run.psnr, run.stamps,
        );
    }
    Ok(())
}

/// Rounds over all settings; each figure is the best of them.
const ROUNDS: usize = 3;

/// One setting's figures.
#[derive(Debug, Clone, Copy)]
struct Run {
    encode_ms: f64,
    encode_cpu_ms: f64,
    decode_ms: f64,
    kbps: f64,
    psnr: f64,
    stamps: u32,
}

/// Encodes and decodes `pictures` with `config`: milliseconds per frame each way, the bitrate
/// reached, the mean luma PSNR and how many decoded stamps read back.
fn measure(
    config: EncoderConfig,
    pictures: &[Frame],
    pace: Duration,
) -> Result<Run, Box<dyn std::error::Error>> {
    let mut enc = Vp8Encoder::new(config)?;
    let mut dec = Vp8Decoder::new()?;
    let (mut enc_time, mut dec_time) = (Duration::ZERO, Duration::ZERO);
    let mut enc_cpu = Duration::ZERO;
    let (mut bytes, mut psnr_sum, mut decoded_count, mut stamps) = (0usize, 0.0, 0u32, 0u32);
    for source in pictures {
        if !pace.is_zero() {
            std::thread::sleep(pace);
        }
        let started = Instant::now();
        let cpu = thread_cpu();
        let packets = enc.encode(source, false)?;
        enc_time += started.elapsed();
        enc_cpu += thread_cpu().saturating_sub(cpu);
        for packet in packets {
            bytes += packet.data.len();
            let started = Instant::now();
            let decoded = dec.decode(&packet.data)?;
            dec_time += started.elapsed();
            for picture in decoded {
                psnr_sum += psnr(&source.y, &picture.y);
                decoded_count += 1;
                stamps +=
                    u32::from(read_stamp(&picture.y, picture.width, picture.height).is_some());
            }
        }
    }
    let n = pictures.len().max(1) as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / n;
    Ok(Run {
        encode_ms: ms(enc_time),
        encode_cpu_ms: ms(enc_cpu),
        decode_ms: ms(dec_time),
        kbps: bytes as f64 * 8.0 / 1000.0 / (n / f64::from(config.fps)),
        psnr: psnr_sum / f64::from(decoded_count.max(1)),
        stamps,
    })
}

/// The CPU time this thread has used (zero where it cannot be read).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if ok {
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    } else {
        Duration::ZERO
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn thread_cpu() -> Duration {
    Duration::ZERO
}

/// Peak signal-to-noise ratio of `b` against `a`, in dB (100 for identical planes).
fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let se: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| u64::from(x.abs_diff(y)).pow(2))
        .sum();
    if se == 0 {
        return 100.0;
    }
    let mse = se as f64 / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}
