//! Pictures on the board through the host: an upload by someone who may draw is checked,
//! kept as PNG without its metadata, and put on the board for everyone; bad uploads (wrong
//! type, cut short, a decompression bomb, too many bytes) get clear errors and nothing is kept;
//! only the session's participants can fetch a picture.

mod support;

use std::io::Cursor;

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use instant_share_protocol::*;
use support::*;

fn picture(format: ImageFormat) -> Vec<u8> {
    let img = ImageBuffer::from_fn(120, 80, |x, y| Rgb([x as u8 * 2, y as u8 * 3, 90]));
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Files kept in the host's picture folder.
fn kept(host: &TestHost) -> Vec<std::path::PathBuf> {
    let mut dir = host.db.clone().into_os_string();
    dir.push(".images");
    std::fs::read_dir(std::path::PathBuf::from(dir))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_shared_picture_is_cleaned_kept_and_on_everyone_s_board() {
    let host = TestHost::start(Timers::default()).await;
    let Live {
        session_id: session,
        mut requester,
        mut expert,
        requester_id,
        requester_token: token,
        expert_token,
        ..
    } = live(&host).await;

    // A JPEG carrying EXIF with a place in it.
    let mut jpeg = picture(ImageFormat::Jpeg);
    let exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 48.8584N home-address";
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    with_exif.extend_from_slice(exif);
    with_exif.extend_from_slice(&jpeg.split_off(2));

    let r = upload_picture(
        &host,
        &session,
        &token,
        with_exif,
        "?name=settings.jpg&source=file",
    )
    .await;
    assert_eq!(r.status(), 201);
    let image: BoardImage = r.json().await.unwrap();
    assert_eq!(
        (
            image.width,
            image.height,
            image.name.as_str(),
            image.by.as_str()
        ),
        (120, 80, "settings.jpg", requester_id.as_str())
    );
    for ws in [&mut requester, &mut expert] {
        let got = ws
            .until("the picture on the board", |m| {
                matches!(m, ServerMessage::Board { .. })
            })
            .await;
        assert!(
            matches!(got, ServerMessage::Board { event: BoardEvent::ImageAdded { image: ref i }, op_id: None, .. } if i.id == image.id)
        );
    }
    let files = kept(&host);
    assert_eq!(files.len(), 1);
    let stored = std::fs::read(&files[0]).unwrap();
    assert_eq!(image::guess_format(&stored).unwrap(), ImageFormat::Png);
    for needle in [&b"Exif"[..], b"GPS", b"home-address"] {
        assert!(
            !contains(&stored, needle),
            "the kept file has no {:?}",
            String::from_utf8_lossy(needle)
        );
    }

    // The expert fetches it; a stranger's token and unknown ids do not.
    let got = host
        .http()
        .get(format!(
            "{}/api/v1/sessions/{session}/images/{}",
            host.base, image.id
        ))
        .bearer_auth(&expert_token)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.unwrap().as_ref(), stored.as_slice());
    let other = host.share(&host.enrol("Bo").await, "network").await;
    let stranger = host
        .http()
        .get(format!(
            "{}/api/v1/sessions/{session}/images/{}",
            host.base, image.id
        ))
        .bearer_auth(&other.participant_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refusal_of(stranger).await.0, 401);
    let unknown = host
        .http()
        .get(format!(
            "{}/api/v1/sessions/{session}/images/{}",
            host.base,
            "ab".repeat(32)
        ))
        .bearer_auth(&expert_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refusal_of(unknown).await.0, 404);

    // The same picture again is on the board already.
    let mut again = picture(ImageFormat::Jpeg);
    let mut with_exif = again[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    with_exif.extend_from_slice(exif);
    with_exif.extend_from_slice(&again.split_off(2));
    let r = upload_picture(&host, &session, &token, with_exif, "").await;
    assert_eq!(refusal_of(r).await.1, ErrorCode::Conflict);
}

#[tokio::test]
async fn bad_uploads_get_clear_errors_and_nothing_is_kept() {
    let host = TestHost::start(Timers::default()).await;
    let Live {
        session_id: session,
        requester_token: token,
        ..
    } = live(&host).await;

    let png = picture(ImageFormat::Png);
    let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bomb.extend_from_slice(&60_000u32.to_be_bytes());
    bomb.extend_from_slice(&60_000u32.to_be_bytes());
    bomb.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("cut short", png[..png.len() / 2].to_vec(), 400, "damaged"),
        (
            "a GIF",
            b"GIF89a\x01\0\x01\0\0\0\0;".to_vec(),
            400,
            "not a PNG, JPEG or WebP",
        ),
        (
            "text",
            b"just some text".to_vec(),
            400,
            "not a PNG, JPEG or WebP",
        ),
        ("a decompression bomb", bomb, 400, "60000"),
        ("16 MiB", vec![0u8; 16 * 1024 * 1024], 413, "15 MiB"),
    ];
    for (what, body, status, says) in cases {
        let (got, _, message) =
            refusal_of(upload_picture(&host, &session, &token, body, "").await).await;
        assert_eq!(got, status, "{what}: {message}");
        assert!(message.contains(says), "{what}: {message}");
    }
    assert!(kept(&host).is_empty(), "nothing kept");

    // Who may not: no token, a guest who only looks, another site.
    let (got, code, _) =
        refusal_of(upload_picture(&host, &session, "nope", png.clone(), "").await).await;
    assert_eq!((got, code), (401, ErrorCode::Unauthenticated));
    let r = host
        .post(
            &format!("/api/v1/sessions/{session}/guests"),
            &GuestInviteRequest {
                display_name: "Sam".into(),
                may_draw: false,
            },
            Some(&token),
        )
        .await;
    let invite: GuestInvite = r.json().await.unwrap();
    let guest = invite.link.split_once("#token=").unwrap().1.to_owned();
    let (got, code, _) =
        refusal_of(upload_picture(&host, &session, &guest, png.clone(), "").await).await;
    assert_eq!((got, code), (403, ErrorCode::Forbidden));
    let cross = host
        .http()
        .post(format!("{}/api/v1/sessions/{session}/images", host.base))
        .bearer_auth(&token)
        .header("origin", "https://evil.example")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(refusal_of(cross).await.1, ErrorCode::CrossSite);
    assert!(kept(&host).is_empty(), "still nothing kept");
}
