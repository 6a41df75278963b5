//! Text from people (chat, names, notes, comments): normalised to NFC, and control
//! characters, terminal escapes and text-direction overrides refused with a clear error, on
//! the socket and on every REST body, so that none of them reach the others or the records
//! the export is made from.

mod support;

use instant_share_protocol::*;
use support::*;

fn chat(text: &str, id: &str) -> ClientMessage {
    ClientMessage::Chat {
        text: text.into(),
        client_msg_id: id.into(),
    }
}

/// What people could type to hurt the others: NUL, a terminal escape that clears the screen,
/// C1 controls, and the bidirectional override and isolate that reorder what follows.
const HOSTILE: &[&str] = &[
    "nul\0here",
    "\u{1b}[2J\u{1b}[Hcleared",
    "c1\u{9b}31m",
    "invoice_\u{202E}fdp.exe",
    "isolate \u{2067}x\u{2069}",
];

async fn refusal(r: reqwest::Response) -> ApiError {
    assert_eq!(r.status(), 400);
    r.json().await.unwrap()
}

#[tokio::test]
async fn chat_is_normalised_and_hostile_text_refused_before_anyone_sees_it() {
    let host = TestHost::start(Timers::default()).await;
    let mut l = live(&host).await;
    for (i, text) in HOSTILE.iter().enumerate() {
        l.requester.send(&chat(text, &format!("bad{i}"))).await;
        let e = l
            .requester
            .until("refusal", is_error(ErrorCode::BadRequest))
            .await;
        let ServerMessage::Error { error } = e else {
            unreachable!()
        };
        assert!(
            error.message.contains("control characters"),
            "{}",
            error.message
        );
    }
    // Combining accent, Windows line ending and a tab: NFC, `\n`, the tab kept.
    l.requester
        .send(&chat("  Jose\u{301} here\r\n\tline two ", "ok"))
        .await;
    let got = l
        .expert
        .until("chat", |m| matches!(m, ServerMessage::Chat { .. }))
        .await;
    let ServerMessage::Chat { message } = got else {
        unreachable!()
    };
    assert_eq!(message.text, "Jos\u{e9} here\n\tline two");

    // The export is made from the session's snapshot: it holds the one clean message only.
    let (_again, snapshot) = Ws::join(host.addr, &l.expert_token).await;
    let texts: Vec<&str> = snapshot.chat.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["Jos\u{e9} here\n\tline two"]);
    for p in &snapshot.participants {
        assert!(!p.display_name.chars().any(char::is_control));
    }
}

#[tokio::test]
async fn names_notes_and_comments_refuse_controls_and_overrides() {
    let host = TestHost::start(Timers::default()).await;
    let l = live(&host).await;
    let guests = format!("/api/v1/sessions/{}/guests", l.session_id);
    for name in HOSTILE.iter().chain(&["two\nlines", "tab\there"]) {
        let req = GuestInviteRequest {
            display_name: (*name).into(),
            may_draw: false,
        };
        let e = refusal(host.post(&guests, &req, Some(&l.expert_token)).await).await;
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert!(e.message.contains("a guest's name"), "{}", e.message);
    }
    // NFC: sixty code points as sent, thirty characters once composed.
    let req = GuestInviteRequest {
        display_name: "e\u{301}".repeat(30),
        may_draw: false,
    };
    let r = host.post(&guests, &req, Some(&l.expert_token)).await;
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let (_watch, snapshot) = Ws::join(host.addr, &l.expert_token).await;
    assert!(snapshot
        .participants
        .iter()
        .any(|p| p.display_name == "\u{e9}".repeat(30)));

    let code = host.enrolment_code("Bo").await;
    let e = refusal(
        host.post(
            "/api/v1/enrol",
            &EnrolRequest {
                code: code.clone(),
                device_name: "laptop\u{1b}]0;pwned\u{7}".into(),
            },
            None,
        )
        .await,
    )
    .await;
    assert!(e.message.contains("device name"), "{}", e.message);
    // Refused before the code was spent.
    let r = host
        .post(
            "/api/v1/enrol",
            &EnrolRequest {
                code,
                device_name: "laptop".into(),
            },
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let credential: EnrolResponse = r.json().await.unwrap();

    let share = |note: Option<&str>, os: &str| ShareRequest {
        topic: "network".into(),
        note: note.map(Into::into),
        app_version: "0.1.0".into(),
        os_version: os.into(),
    };
    let e = refusal(
        host.post(
            "/api/v1/shares",
            &share(Some("help \u{202E}now"), "Debian"),
            Some(&credential.credential),
        )
        .await,
    )
    .await;
    assert!(e.message.contains("the note"), "{}", e.message);
    let e = refusal(
        host.post(
            "/api/v1/shares",
            &share(None, "Debian\0"),
            Some(&credential.credential),
        )
        .await,
    )
    .await;
    assert!(e.message.contains("version"), "{}", e.message);
    // A note may have several lines.
    let r = host
        .post(
            "/api/v1/shares",
            &share(Some("line one\nline two"), "Debian"),
            Some(&credential.credential),
        )
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn feedback_and_wrap_up_refuse_escapes() {
    let host = TestHost::start(Timers::default()).await;
    let mut l = live(&host).await;
    l.expert.send(&ClientMessage::EndSession).await;
    l.requester
        .until("ended", |m| matches!(m, ServerMessage::Ended { .. }))
        .await;
    let path = format!("/api/v1/sessions/{}/feedback", l.session_id);
    let bad = Feedback {
        solved: true,
        rating: Some(5),
        comment: Some("great\u{1b}[31m".into()),
    };
    let e = refusal(host.post(&path, &bad, Some(&l.requester_token)).await).await;
    assert!(e.message.contains("the comment"), "{}", e.message);
    let good = Feedback {
        comment: Some("great,\nthanks".into()),
        ..bad
    };
    assert_eq!(
        host.post(&path, &good, Some(&l.requester_token))
            .await
            .status(),
        204
    );
    let path = format!("/api/v1/sessions/{}/wrap-up", l.session_id);
    let bad = WrapUp {
        outcome: Outcome::Solved,
        note: Some("fixed \u{2066}it".into()),
    };
    let e = refusal(host.post(&path, &bad, Some(&l.expert_token)).await).await;
    assert!(e.message.contains("the note"), "{}", e.message);
}
