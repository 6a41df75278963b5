//! Quotas of one enrolled device: open share requests, pictures and their bytes per session
//! and per device, and the host's disk budget for pictures; each refusal says which limit.

mod support;

use std::io::Cursor;

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use instant_share_protocol::*;
use support::*;

/// A PNG of `width`×`height` pixels; `seed` makes it a different picture. Noise does not
/// compress: the kept PNG is about 3 bytes a pixel.
fn picture(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let img = ImageBuffer::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let b = state.to_le_bytes();
        Rgb([b[0], b[1], b[2]])
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// Shares `png` into `session` as the holder of `token`.
async fn share(host: &TestHost, session: &str, token: &str, png: Vec<u8>) -> reqwest::Response {
    upload_picture(host, session, token, png, "").await
}

fn kept_files(host: &TestHost) -> usize {
    let mut dir = host.db.clone().into_os_string();
    dir.push(".images");
    std::fs::read_dir(std::path::PathBuf::from(dir))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_device_may_have_so_many_requests_open_and_another_once_one_ends() {
    let host = TestHost::start_with(Timers::default(), |a| {
        a.max_open_shares_per_device = Some(2);
    })
    .await;
    let credential = host.enrol("Ana").await;
    let first = host.share(&credential, "network").await;
    host.share(&credential, "email").await;
    let req = ShareRequest {
        topic: "printing".into(),
        note: None,
        app_version: "0.1.0".into(),
        os_version: "Debian 12".into(),
    };
    let (status, code, message) =
        refusal_of(host.post("/api/v1/shares", &req, Some(&credential)).await).await;
    assert_eq!((status, code), (429, ErrorCode::QuotaExceeded), "{message}");
    assert!(
        message.contains("2 help requests open"),
        "the message names the limit: {message}"
    );
    // Another device is not held back by this one.
    let other = host.enrol("Bo").await;
    host.share(&other, "network").await;
    // Once one of the two ends, the device may ask again.
    let (mut ws, _) = Ws::join(host.addr, &first.participant_token).await;
    ws.send(&ClientMessage::EndSession).await;
    ws.until("ended", |m| matches!(m, ServerMessage::Ended { .. }))
        .await;
    host.share(&credential, "printing").await;
}

#[tokio::test]
async fn a_session_may_share_so_many_pictures() {
    let host = TestHost::start_with(Timers::default(), |a| {
        a.max_pictures_per_session = Some(2);
    })
    .await;
    let l = live(&host).await;
    for seed in 0..2 {
        let r = share(
            &host,
            &l.session_id,
            &l.requester_token,
            picture(40, 30, seed),
        )
        .await;
        assert_eq!(r.status(), 201);
    }
    let r = share(&host, &l.session_id, &l.expert_token, picture(40, 30, 9)).await;
    let (status, code, message) = refusal_of(r).await;
    assert_eq!((status, code), (429, ErrorCode::QuotaExceeded), "{message}");
    assert!(message.contains("this session has 2 pictures"), "{message}");
    assert_eq!(kept_files(&host), 2, "the refused picture is not kept");
}

#[tokio::test]
async fn a_session_may_share_so_many_bytes() {
    let host = TestHost::start_with(Timers::default(), |a| {
        a.max_picture_mb_per_session = Some(1);
    })
    .await;
    let l = live(&host).await;
    // About 0.7 MiB kept: one fits, the second would pass 1 MiB.
    let r = share(
        &host,
        &l.session_id,
        &l.requester_token,
        picture(500, 500, 1),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = share(
        &host,
        &l.session_id,
        &l.requester_token,
        picture(500, 500, 2),
    )
    .await;
    let (status, code, message) = refusal_of(r).await;
    assert_eq!((status, code), (429, ErrorCode::QuotaExceeded), "{message}");
    assert!(message.contains("past 1 MiB"), "{message}");
    // A small one still fits.
    let r = share(&host, &l.session_id, &l.requester_token, picture(20, 20, 3)).await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn a_device_may_share_so_many_pictures_a_day() {
    let host = TestHost::start_with(Timers::default(), |a| {
        a.max_pictures_per_device_per_day = Some(2);
        a.max_picture_mb_per_device_per_day = Some(1);
    })
    .await;
    let l = live(&host).await;
    // The expert's pictures count against the device that asked for the session too.
    let r = share(&host, &l.session_id, &l.expert_token, picture(40, 30, 1)).await;
    assert_eq!(r.status(), 201);
    // About 1.03 MiB kept: with the first, past the day's 1 MiB.
    let r = share(
        &host,
        &l.session_id,
        &l.requester_token,
        picture(600, 600, 2),
    )
    .await;
    let (status, code, message) = refusal_of(r).await;
    assert_eq!((status, code), (429, ErrorCode::QuotaExceeded), "{message}");
    assert!(message.contains("a device may share in a day"), "{message}");
    assert!(message.contains("1 MiB"), "{message}");
    let r = share(&host, &l.session_id, &l.requester_token, picture(40, 30, 3)).await;
    assert_eq!(r.status(), 201);
    let r = share(&host, &l.session_id, &l.requester_token, picture(40, 30, 4)).await;
    let (status, code, message) = refusal_of(r).await;
    assert_eq!((status, code), (429, ErrorCode::QuotaExceeded), "{message}");
    assert!(message.contains("2 pictures"), "{message}");
}

#[tokio::test]
async fn pictures_past_the_disk_budget_are_refused_and_nothing_is_kept() {
    let host = TestHost::start_with(Timers::default(), |a| {
        a.picture_disk_budget_mb = Some(1);
    })
    .await;
    let l = live(&host).await;
    let r = share(
        &host,
        &l.session_id,
        &l.requester_token,
        picture(500, 500, 1),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = share(
        &host,
        &l.session_id,
        &l.requester_token,
        picture(500, 500, 2),
    )
    .await;
    let (status, code, message) = refusal_of(r).await;
    assert_eq!((status, code), (507, ErrorCode::StorageFull), "{message}");
    assert!(message.contains("operator"), "{message}");
    assert_eq!(kept_files(&host), 1);
    // Refused for the budget, the picture did not use up the session's quota.
    let r = share(&host, &l.session_id, &l.requester_token, picture(20, 20, 3)).await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn a_zero_limit_is_refused_at_start_with_its_name() {
    let args = instant_share_host::config::ServeArgs {
        max_open_shares_per_device: Some(0),
        ..Default::default()
    };
    let err = instant_share_host::config::Config::load(&args)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--max-open-shares-per-device"), "{err}");
}
