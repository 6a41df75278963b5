//! Bad input: typed errors, and connections that stay usable.

mod support;

use instant_share_host::store::Store;
use instant_share_protocol::*;
use support::*;

async fn error_of(r: reqwest::Response) -> (u16, ApiError) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn enrolment_codes_work_once() {
    let host = TestHost::start(Timers::default()).await;
    let code = host.enrolment_code("Ana").await;
    let req = EnrolRequest {
        code: code.to_lowercase(),
        device_name: "laptop".into(),
    };
    let r = host.post("/api/v1/enrol", &req, None).await;
    assert_eq!(r.status(), 200, "codes are case-insensitive");
    let (status, e) = error_of(host.post("/api/v1/enrol", &req, None).await).await;
    assert_eq!((status, e.code), (401, ErrorCode::EnrolmentCodeUsed));
    let wrong = EnrolRequest {
        code: "AAAA-BBBB-CCCC".into(),
        device_name: "laptop".into(),
    };
    let (status, e) = error_of(host.post("/api/v1/enrol", &wrong, None).await).await;
    assert_eq!((status, e.code), (401, ErrorCode::EnrolmentCodeInvalid));
}

#[tokio::test]
async fn shares_need_a_valid_unrevoked_device() {
    let host = TestHost::start(Timers::default()).await;
    let req = ShareRequest {
        topic: "email".into(),
        note: None,
        app_version: "1".into(),
        os_version: "x".into(),
    };
    let (status, e) = error_of(host.post("/api/v1/shares", &req, None).await).await;
    assert_eq!((status, e.code), (401, ErrorCode::Unauthenticated));
    let (status, e) = error_of(host.post("/api/v1/shares", &req, Some("made-up")).await).await;
    assert_eq!((status, e.code), (401, ErrorCode::Unauthenticated));

    let code = host.enrolment_code("Ana").await;
    let r: EnrolResponse = host
        .post(
            "/api/v1/enrol",
            &EnrolRequest {
                code,
                device_name: "laptop".into(),
            },
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let bad_topic = ShareRequest {
        topic: "astrology".into(),
        ..req.clone()
    };
    let (status, e) = error_of(
        host.post("/api/v1/shares", &bad_topic, Some(&r.credential))
            .await,
    )
    .await;
    assert_eq!((status, e.code), (400, ErrorCode::UnknownTopic));
    let long_note = ShareRequest {
        note: Some("x".repeat(MAX_NOTE_CHARS + 1)),
        ..req.clone()
    };
    let (status, e) = error_of(
        host.post("/api/v1/shares", &long_note, Some(&r.credential))
            .await,
    )
    .await;
    assert_eq!((status, e.code), (400, ErrorCode::BadRequest));
    let r2 = host
        .http()
        .post(format!("{}/api/v1/shares", host.base))
        .bearer_auth(&r.credential)
        .header("content-type", "application/json")
        .body("{\"topic\":")
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r2).await;
    assert_eq!((status, e.code), (400, ErrorCode::BadRequest));

    assert!(host.store.revoke_device(&r.device_id, 1).await.unwrap());
    let (status, e) = error_of(host.post("/api/v1/shares", &req, Some(&r.credential)).await).await;
    assert_eq!((status, e.code), (401, ErrorCode::DeviceRevoked));
}

#[tokio::test]
async fn cross_site_and_non_json_posts_are_refused() {
    let host = TestHost::start(Timers::default()).await;
    let login = LoginRequest {
        username: "x".into(),
        password: "y".into(),
    };
    let r = host
        .http()
        .post(format!("{}/api/v1/expert/login", host.base))
        .header("origin", "https://evil.example")
        .json(&login)
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!((status, e.code), (403, ErrorCode::CrossSite));
    let r = host
        .http()
        .post(format!("{}/api/v1/expert/login", host.base))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!((status, e.code), (403, ErrorCode::CrossSite));
    let r = host
        .http()
        .post(format!("{}/api/v1/expert/login", host.base))
        .header("origin", host.base.clone())
        .json(&login)
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e.code),
        (401, ErrorCode::BadCredentials),
        "same-origin requests pass the check"
    );
    let r = host
        .http()
        .get(format!("{}/api/v1/expert/me", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.1.code, ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn bad_tokens_are_refused_and_the_socket_closed() {
    let host = TestHost::start(Timers::default()).await;
    let mut ws = Ws::connect(host.addr).await;
    ws.hello("not-a-token", None).await;
    let m = ws.next().await.unwrap().msg;
    assert!(
        matches!(m, ServerMessage::Error { error } if error.code == ErrorCode::Unauthenticated)
    );
    assert!(ws.next().await.is_none());

    let mut ws = Ws::connect(host.addr).await;
    ws.send(&ClientMessage::Hello {
        token: "x".into(),
        protocol: 99,
        last_seq: None,
    })
    .await;
    let m = ws.next().await.unwrap().msg;
    assert!(
        matches!(m, ServerMessage::Error { error } if error.code == ErrorCode::UnsupportedVersion)
    );
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let host = TestHost::start(Timers {
        token_lifetime: 1,
        ..Timers::default()
    })
    .await;
    let credential = host.enrol("Ana").await;
    let p = host.share(&credential, "email").await;
    let (ws, _) = Ws::join(host.addr, &p.participant_token).await;
    ws.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut ws = Ws::connect(host.addr).await;
    ws.hello(&p.participant_token, None).await;
    let m = ws.next().await.unwrap().msg;
    assert!(
        matches!(&m, ServerMessage::Error { error } if error.code == ErrorCode::Unauthenticated && error.message.contains("expired")),
        "{m:?}"
    );
    assert!(ws.next().await.is_none());
}

#[tokio::test]
async fn bad_messages_get_typed_errors_and_the_connection_goes_on() {
    let host = TestHost::start(Timers::default()).await;
    let credential = host.enrol("Ana").await;
    let p = host.share(&credential, "email").await;

    // Before hello: anything else is refused, hello still works afterwards.
    let mut ws = Ws::connect(host.addr).await;
    ws.send(&ClientMessage::Ping { nonce: 1 }).await;
    ws.until("hello expected", is_error(ErrorCode::HelloExpected))
        .await;
    ws.hello(&p.participant_token, None).await;
    let w = ws.next().await.unwrap().msg;
    let ServerMessage::Welcome { seq, .. } = w else {
        panic!("{w:?}")
    };
    ws.last_seq = Some(seq);

    ws.send_text("{not json").await;
    ws.until("malformed", is_error(ErrorCode::BadRequest)).await;
    ws.send_text(r#"{"type":"teleport"}"#).await;
    ws.until("unknown type", is_error(ErrorCode::BadRequest))
        .await;
    ws.send_text(&format!(
        r#"{{"type":"chat","text":"{}","client_msg_id":"a"}}"#,
        "x".repeat(MAX_WS_MESSAGE_BYTES)
    ))
    .await;
    ws.until("too large", is_error(ErrorCode::MessageTooLarge))
        .await;
    ws.send(&ClientMessage::Chat {
        text: "y".repeat(MAX_CHAT_CHARS + 1),
        client_msg_id: "b".into(),
    })
    .await;
    ws.until("too long", is_error(ErrorCode::BadRequest)).await;
    ws.send(&ClientMessage::Chat {
        text: "   ".into(),
        client_msg_id: "c".into(),
    })
    .await;
    ws.until("empty", is_error(ErrorCode::BadRequest)).await;
    ws.send(&ClientMessage::Accept {
        session_id: p.session_id.clone(),
    })
    .await;
    ws.until(
        "console message on a session socket",
        is_error(ErrorCode::BadRequest),
    )
    .await;
    ws.send(&ClientMessage::Hello {
        token: p.participant_token.clone(),
        protocol: 1,
        last_seq: None,
    })
    .await;
    ws.until("second hello", is_error(ErrorCode::HelloExpected))
        .await;

    // Still usable, and its state intact.
    ws.send(&ClientMessage::Chat {
        text: "still here".into(),
        client_msg_id: "d".into(),
    })
    .await;
    ws.until(
        "chat works",
        |m| matches!(m, ServerMessage::Chat { message } if message.text == "still here"),
    )
    .await;

    // A flood is rate limited, and the socket survives it.
    for i in 0..100 {
        ws.send(&ClientMessage::Ping { nonce: i }).await;
    }
    ws.until("rate limited", is_error(ErrorCode::RateLimited))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    ws.send(&ClientMessage::Ping { nonce: 1000 }).await;
    ws.until("pong after the flood", |m| {
        matches!(m, ServerMessage::Pong { nonce: 1000 })
    })
    .await;
}

#[tokio::test]
async fn health_metrics_and_topics() {
    let host = TestHost::start(Timers::default()).await;
    let h: Health = host
        .http()
        .get(format!("{}/healthz", host.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h.status, "ok");
    let t: TopicList = host
        .http()
        .get(format!("{}/api/v1/topics", host.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(t.topics.iter().any(|t| t.id == "email"));
    let credential = host.enrol("Ana").await;
    host.share(&credential, "email").await;
    let m = host
        .http()
        .get(format!("{}/metrics", host.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("instant_share_shares_created_total 1"), "{m}");
    assert!(m.contains("instant_share_requests_waiting 1"), "{m}");
}
