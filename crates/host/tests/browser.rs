//! What browsers are told and whom the host trusts: security headers on every kind of response,
//! errors as `{code, message}` also where axum answers by itself, and origins judged by the
//! configured public URL, never by the request's own `Host` header.

mod support;

use instant_share_protocol::*;
use reqwest::header::HeaderMap;
use support::*;

fn assert_hardened(what: &str, headers: &HeaderMap, page: bool) {
    let get = |name: &str| {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    let csp = get("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    if page {
        assert!(csp.contains("script-src 'self';"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
        assert!(
            !csp.split(';')
                .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")),
            "{what}: {csp}"
        );
    } else {
        assert!(csp.starts_with("default-src 'none'"), "{what}: {csp}");
    }
}

async fn ui_host() -> (TestHost, tempfile::TempDir) {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(
        ui.path().join("index.html"),
        "<!doctype html><title>t</title>",
    )
    .unwrap();
    std::fs::create_dir(ui.path().join("assets")).unwrap();
    std::fs::write(ui.path().join("assets/app.js"), "console.log(1)").unwrap();
    let dir = ui.path().to_owned();
    let host = TestHost::start_with(Timers::default(), move |a| a.ui_dir = Some(dir)).await;
    (host, ui)
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let (host, _ui) = ui_host().await;
    let l = live(&host).await;
    let http = host.http();
    let get = |path: &str| http.get(format!("{}{path}", host.base)).send();

    for (what, path, status) in [
        ("the console", "/console", 200),
        ("a console route", "/console/queue", 200),
        ("the co-browse site", &*format!("/s/{}", l.session_id), 200),
    ] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), status, "{what}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_hardened(what, r.headers(), true);
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        // The console's socket goes to the address the host gives out.
        assert!(
            csp.contains(&format!("connect-src 'self' ws://{}", host.addr)),
            "{csp}"
        );
    }
    let r = get("/assets/app.js").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_hardened("a script", r.headers(), false);
    let r = get("/api/v1/topics").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_hardened("JSON", r.headers(), false);
    let r = get("/healthz").await.unwrap();
    assert_hardened("health", r.headers(), false);
    let r = http
        .get(format!("{}/api/v1/desk", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_hardened("a refusal", r.headers(), false);
    let r = get("/api/v1/nothing-here").await.unwrap();
    assert_hardened("an unknown address", r.headers(), false);
    // A picture: the header the upload code sets itself is kept, the others are added.
    let r = http
        .get(format!(
            "{}/api/v1/sessions/{}/images/{}",
            host.base,
            l.session_id,
            "0".repeat(64)
        ))
        .bearer_auth(&l.expert_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_hardened("a missing picture", r.headers(), false);
}

/// A reload revalidates the page: the 304 must not carry the sandboxed policy of a resource,
/// whose headers would replace the cached page's and stop its scripts.
#[tokio::test]
async fn a_page_revalidated_on_reload_keeps_its_own_policy() {
    let (host, _ui) = ui_host().await;
    let l = live(&host).await;
    let http = host.http();
    let url = format!("{}/s/{}", host.base, l.session_id);
    let first = http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let modified = first.headers()["last-modified"].clone();
    let again = http
        .get(&url)
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(
        again.headers().get("content-security-policy").is_none(),
        "{:?}",
        again.headers()
    );
    assert_eq!(again.headers()["x-content-type-options"], "nosniff");
}

async fn api_error(r: reqwest::Response, status: u16) -> ApiError {
    assert_eq!(r.status(), status);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    r.json().await.unwrap()
}

#[tokio::test]
async fn what_axum_answers_by_itself_is_an_api_error_too() {
    let host = TestHost::start(Timers::default()).await;
    let http = host.http();
    let url = |p: &str| format!("{}{p}", host.base);

    let e = api_error(http.get(url("/api/v1/nope")).send().await.unwrap(), 404).await;
    assert_eq!(e.code, ErrorCode::NotFound);

    let r = http.delete(url("/api/v1/topics")).send().await.unwrap();
    let allow = r.headers()["allow"].to_str().unwrap().to_owned();
    let e = api_error(r, 405).await;
    assert_eq!(e.code, ErrorCode::MethodNotAllowed);
    assert!(allow.contains("GET"), "{allow}");
    // A POST to an address that takes none is 405 as well, not a CSRF refusal.
    let e = api_error(http.post(url("/healthz")).send().await.unwrap(), 405).await;
    assert_eq!(e.code, ErrorCode::MethodNotAllowed);

    let credential = host.enrol("Ana").await;
    let p = host.share(&credential, "email").await;
    let e = api_error(
        http.post(url(&format!(
            "/api/v1/sessions/{}/images?source=painting",
            p.session_id
        )))
        .bearer_auth(&p.participant_token)
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap(),
        400,
    )
    .await;
    assert_eq!(e.code, ErrorCode::BadRequest);
    assert!(e.message.contains("painting"), "{}", e.message);

    // A body over the limit, a body that is not an object, a body that is not JSON.
    let huge = format!(
        "{{\"code\":\"{}\",\"device_name\":\"x\"}}",
        "a".repeat(70_000)
    );
    let post = |body: String| {
        http.post(url("/api/v1/enrol"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let e = api_error(post(huge).await.unwrap(), 413).await;
    assert_eq!(e.code, ErrorCode::MessageTooLarge);
    let e = api_error(post("[\"ABCD\", \"laptop\"]".into()).await.unwrap(), 400).await;
    assert!(e.message.contains("object"), "{}", e.message);
    let e = api_error(post("{".into()).await.unwrap(), 400).await;
    assert_eq!(e.code, ErrorCode::BadRequest);
}

#[tokio::test]
async fn a_dns_rebinding_page_is_refused_though_its_origin_matches_its_host_header() {
    let host = TestHost::start(Timers::default()).await;
    let http = host.http();
    let login = LoginRequest {
        username: "x".into(),
        password: "y".into(),
    };
    // evil.example resolves to the host's address: the browser sends both headers alike.
    let r = http
        .post(format!("{}/api/v1/expert/login", host.base))
        .header("host", "evil.example")
        .header("origin", "http://evil.example")
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(r, 403).await.code, ErrorCode::CrossSite);
    // The same for a port-qualified name and for the WebSocket.
    let evil = format!("evil.example:{}", host.addr.port());
    let r = http
        .post(format!("{}/api/v1/expert/login", host.base))
        .header("host", &evil)
        .header("origin", format!("http://{evil}"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(r, 403).await.code, ErrorCode::CrossSite);
    let r = http
        .get(format!("{}/api/v1/ws", host.base))
        .header("host", &evil)
        .header("origin", format!("http://{evil}"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(r, 403).await.code, ErrorCode::CrossSite);

    // The host's own pages, under its public URL or another loopback name of it, pass.
    for origin in [
        host.base.clone(),
        format!("http://localhost:{}", host.addr.port()),
    ] {
        let r = http
            .post(format!("{}/api/v1/expert/login", host.base))
            .header("origin", &origin)
            .json(&login)
            .send()
            .await
            .unwrap();
        assert_eq!(
            api_error(r, 401).await.code,
            ErrorCode::BadCredentials,
            "{origin}"
        );
    }
}

#[tokio::test]
async fn a_host_with_a_public_url_trusts_only_that_origin() {
    let host = TestHost::start_with(Timers::default(), |a| {
        a.public_url = Some("https://help.example.com".into())
    })
    .await;
    let http = host.http();
    for (origin, status) in [
        ("https://help.example.com", 401),
        ("http://help.example.com", 403),
        (&*host.base, 403),
        ("http://localhost", 403),
    ] {
        let r = http
            .post(format!("{}/api/v1/expert/login", host.base))
            .header("origin", origin)
            .json(&LoginRequest {
                username: "x".into(),
                password: "y".into(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{origin}");
    }
}
