//! Screenshot taken → visible to the expert, as the app does it: a native screenshot of the X
//! screen (the media engine's, as the app's "Screenshot" button), written as PNG, uploaded with
//! the requester's token, checked and kept by the host and put on the board; the expert's
//! socket hears of it, the expert fetches the picture and decodes it. The user's time in the
//! black-out dialog is not counted. Prints p50 and p95 of each step and of the whole.
//!
//!   scripts/headless.sh cargo run --release -p instant-share-host --example screenshot_latency -- [runs]
//!
//! Needs a display (`scripts/headless.sh` starts Xvfb). What is on the screen is a real one:
//! Chromium in kiosk mode showing the host's expert console. Each run's screenshot carries its
//! run number in its first pixels (the same screen twice would be the same picture, which the
//! board refuses as already shared).

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Cursor;
use std::time::{Duration, Instant};

use instant_share_protocol::*;
use support::{live, Live, TestHost, Timers};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map_or(20, |a| a.parse().expect("runs"));
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "needs a display: run under scripts/headless.sh"
    );
    // The host serves the UI build (scripts/test.sh and the benchmark scripts build it).
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist");
    assert!(
        ui.join("index.html").exists(),
        "build the UI first: (cd ui && npm run build)"
    );
    let host = TestHost::start_with(Timers::default(), |args| args.ui_dir = Some(ui)).await;
    let profile = tempfile::tempdir().unwrap();
    let mut browser = std::process::Command::new("chromium")
        .args(["--no-sandbox", "--kiosk", "--no-first-run", "--disable-gpu"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("{}/console", host.base))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium (scripts/deps.sh installs it)");
    tokio::time::sleep(Duration::from_secs(4)).await;

    let Live {
        session_id,
        mut requester,
        mut expert,
        requester_token,
        expert_token,
        ..
    } = live(&host).await;
    let http = reqwest::Client::new();
    let mut steps: [Vec<f64>; 5] = Default::default();
    let mut sizes = Vec::new();
    let mut screen = (0, 0);
    for run in 0..runs {
        let t0 = Instant::now();
        let shot = tokio::task::spawn_blocking(instant_share_media::capture::screenshot)
            .await
            .unwrap()
            .expect("a screenshot");
        let t1 = Instant::now();
        screen = (shot.width, shot.height);
        let mut rgb = shot.rgb;
        rgb[..3].copy_from_slice(&[run as u8, (run >> 8) as u8, 7]);
        let picture =
            image::RgbImage::from_raw(shot.width as u32, shot.height as u32, rgb).unwrap();
        let mut png = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let t2 = Instant::now();
        sizes.push(png.len());
        let r = http
            .post(format!(
                "{}/api/v1/sessions/{session_id}/images?source=screenshot",
                host.base
            ))
            .bearer_auth(&requester_token)
            .body(png)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        let image: BoardImage = r.json().await.unwrap();
        let t3 = Instant::now();
        expert
            .until("the picture on the expert's board", |m| {
                matches!(m, ServerMessage::Board { event: BoardEvent::ImageAdded { image: i }, .. } if i.id == image.id)
            })
            .await;
        let bytes = http
            .get(format!(
                "{}/api/v1/sessions/{session_id}/images/{}",
                host.base, image.id
            ))
            .bearer_auth(&expert_token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let shown = image::load_from_memory(&bytes).unwrap();
        if run + 1 == runs {
            // The last picture as the expert got it, to look at.
            let path = std::env::temp_dir().join("instant-share-screenshot-latency.png");
            std::fs::write(&path, &bytes).unwrap();
            println!("the last picture as the expert got it: {}", path.display());
        }
        assert_eq!((shown.width(), shown.height()), (image.width, image.height));
        let t5 = Instant::now();
        // Off the board again (a board shows at most 24 pictures).
        requester
            .send(&ClientMessage::Board {
                op_id: format!("remove-{run}"),
                op: BoardOp::RemoveImage {
                    image_id: image.id.clone(),
                },
            })
            .await;
        expert
            .until("the picture removed", |m| {
                matches!(
                    m,
                    ServerMessage::Board {
                        event: BoardEvent::Hidden { .. },
                        ..
                    }
                )
            })
            .await;
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
        for (i, (a, b)) in [(t0, t1), (t1, t2), (t2, t3), (t3, t5), (t0, t5)]
            .into_iter()
            .enumerate()
        {
            steps[i].push(ms(a, b));
        }
    }
    let _ = browser.kill();
    let _ = browser.wait();

    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
    };
    sizes.sort_unstable();
    println!(
        "{runs} screenshots of a {}x{} screen (Chromium showing the expert console), PNG {} KiB (median)",
        screen.0,
        screen.1,
        sizes[sizes.len() / 2] / 1024
    );
    println!("| step | p50 ms | p95 ms |");
    println!("| --- | --- | --- |");
    for (label, v) in [
        "screenshot (X11 GetImage, full screen)",
        "written as PNG",
        "upload → checked, kept, on the board (201)",
        "expert's socket hears it → picture fetched and decoded",
        "**screenshot taken → visible to the expert**",
    ]
    .into_iter()
    .zip(steps.iter_mut())
    {
        println!("| {label} | {:.1} | {:.1} |", pct(v, 0.5), pct(v, 0.95));
    }
}
