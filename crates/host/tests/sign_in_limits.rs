//! Guessing is throttled: failed console sign-ins per user name and per address, failed
//! enrolments per address, each refused with 429, a clear code and `Retry-After`; people who
//! get it right are never slowed; password checks run a bounded number at once.

mod support;

use std::net::IpAddr;

use instant_share_protocol::*;
use support::*;

/// A client whose connections come from `from` (loopback has all of 127/8).
fn client_from(from: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(from))
        .build()
        .unwrap()
}

async fn sign_in(
    host: &TestHost,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{}/api/v1/expert/login", host.base))
        .json(&LoginRequest {
            username: username.into(),
            password: password.into(),
        })
        .send()
        .await
        .unwrap()
}

/// Status, code and `Retry-After` of a refusal.
async fn refusal(r: reqwest::Response) -> (u16, ErrorCode, Option<u64>) {
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let e: ApiError = r.json().await.unwrap();
    (status, e.code, retry)
}

#[tokio::test]
async fn guessing_one_account_blocks_it_from_every_address_for_a_while() {
    let host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["network"]).await;
    host.add_expert("bob", &["network"]).await;
    // Five wrong guesses from five addresses: each an ordinary refusal.
    for n in 0..6u8 {
        let r = sign_in(&host, &client_from([127, 0, 1, n + 1]), "alice", "wrong").await;
        assert_eq!(r.status(), 401, "guess {n}");
    }
    // The sixth spent the account's budget: now even the right password waits.
    let (status, code, retry) =
        refusal(sign_in(&host, &client_from([127, 0, 1, 20]), "Alice", "password-1").await).await;
    assert_eq!((status, code), (429, ErrorCode::RateLimited));
    let retry = retry.expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    // Another account from the same addresses is not held back.
    let r = sign_in(&host, &client_from([127, 0, 1, 1]), "bob", "password-1").await;
    assert_eq!(r.status(), 200);
}

/// The budgets are settings: an operator behind a proxy (one address for everyone) raises the
/// address's, a stricter one lowers the account's.
#[tokio::test]
async fn the_budgets_are_the_operators_to_set() {
    let host = TestHost::start_with(Timers::default(), |a| {
        a.failed_sign_ins_per_account = Some(2);
        a.failed_sign_ins_per_address = Some(50);
    })
    .await;
    host.add_expert("alice", &["network"]).await;
    let office = client_from([127, 0, 2, 1]);
    for n in 0..3 {
        let r = sign_in(&host, &office, "alice", "wrong").await;
        assert_eq!(r.status(), 401, "guess {n}");
    }
    let (status, code, _) = refusal(sign_in(&host, &office, "alice", "password-1").await).await;
    assert_eq!((status, code), (429, ErrorCode::RateLimited));
    // Twenty failures at other names from the one address stay under its budget of 50.
    for n in 0..20 {
        let r = sign_in(&host, &office, &format!("nobody{n}"), "wrong").await;
        assert_eq!(r.status(), 401, "name {n}");
    }
}

#[tokio::test]
async fn guessing_from_one_address_blocks_that_address_and_no_other() {
    let host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["network"]).await;
    let guesser = client_from([127, 0, 2, 1]);
    // Different user names each time: the address's budget (10) is what runs out.
    for n in 0..11 {
        let r = sign_in(&host, &guesser, &format!("nobody-{n}"), "wrong").await;
        assert_eq!(r.status(), 401, "guess {n}");
    }
    let (status, code, retry) =
        refusal(sign_in(&host, &guesser, "alice", "password-1").await).await;
    assert_eq!((status, code), (429, ErrorCode::RateLimited));
    assert!(retry.is_some_and(|s| s >= 1));
    let r = sign_in(&host, &client_from([127, 0, 2, 2]), "alice", "password-1").await;
    assert_eq!(r.status(), 200, "a colleague at another address signs in");
}

#[tokio::test]
async fn signing_in_correctly_is_never_throttled() {
    let host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["network"]).await;
    let office = client_from([127, 0, 3, 1]);
    for _ in 0..30 {
        let r = sign_in(&host, &office, "alice", "password-1").await;
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn guessing_enrolment_codes_blocks_the_address() {
    let host = TestHost::start(Timers::default()).await;
    let guesser = client_from([127, 0, 4, 1]);
    let enrol = |client: reqwest::Client, code: String| {
        let url = format!("{}/api/v1/enrol", host.base);
        async move {
            client
                .post(url)
                .json(&EnrolRequest {
                    code,
                    device_name: "laptop".into(),
                })
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..11 {
        let r = enrol(guesser.clone(), format!("AAAA-AAAA-AA{n:02}")).await;
        assert_eq!(r.status(), 401, "guess {n}");
    }
    let good = host.enrolment_code("Ana").await;
    let (status, code, retry) = refusal(enrol(guesser.clone(), good.clone()).await).await;
    assert_eq!((status, code), (429, ErrorCode::RateLimited));
    assert!(retry.is_some());
    // The code was not spent: from another address it works.
    let r = enrol(client_from([127, 0, 4, 2]), good).await;
    assert_eq!(r.status(), 200);
    // And enrolling many devices correctly from one address is never throttled.
    for n in 0..15 {
        let code = host.enrolment_code(&format!("Employee {n}")).await;
        let r = enrol(client_from([127, 0, 4, 3]), code).await;
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sign_ins_from_many_addresses_is_answered_401_or_503_busy() {
    let host = TestHost::start(Timers::default()).await;
    let burst: Vec<_> = (0..60u8)
        .map(|n| {
            let client = client_from([127, 0, 5, n + 1]);
            let url = format!("{}/api/v1/expert/login", host.base);
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .json(&LoginRequest {
                        username: format!("nobody-{n}"),
                        password: "wrong".into(),
                    })
                    .send()
                    .await
                    .unwrap();
                refusal(r).await
            })
        })
        .collect();
    let mut busy = 0;
    for b in burst {
        match b.await.unwrap() {
            (401, ErrorCode::BadCredentials, _) => {}
            (503, ErrorCode::Busy, Some(retry)) if retry >= 1 => busy += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    println!("{busy} of 60 were told the host is busy");
}
