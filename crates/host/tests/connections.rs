//! Slow and greedy clients: a thousand connections that send their headers a byte at a time
//! do not make the host unreachable, and are closed after the header timeout; a quiet session
//! WebSocket is not cut by the connection idle timeout.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use instant_share_protocol::*;
use support::{TestHost, Timers, Ws};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A connection from `from` (any address of 127/8) to `to`.
async fn connect_from(from: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(to).await
}

/// Sends a request head that never ends, one header line every 300 ms, until the host closes
/// the connection; returns how long after connecting that was (`None`: still open after
/// `give_up`).
async fn slowloris(to: SocketAddr, give_up: Duration) -> Option<Duration> {
    let start = Instant::now();
    let Ok(mut tcp) = connect_from([127, 0, 0, 1], to).await else {
        return Some(start.elapsed());
    };
    if tcp
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .is_err()
    {
        return Some(start.elapsed());
    }
    let mut buf = [0u8; 256];
    while start.elapsed() < give_up {
        tokio::select! {
            read = tcp.read(&mut buf) => match read {
                // Closed (a 408 may come first: read on to the end).
                Ok(0) | Err(_) => return Some(start.elapsed()),
                Ok(_) => continue,
            },
            () = tokio::time::sleep(Duration::from_millis(300)) => {
                if tcp.write_all(b"X-Slow: a\r\n").await.is_err() {
                    return Some(start.elapsed());
                }
            }
        }
    }
    None
}

/// `GET /healthz` from `from` on a fresh connection; the time to the full answer.
async fn healthz_from(from: [u8; 4], to: SocketAddr) -> Duration {
    let start = Instant::now();
    let mut tcp = connect_from(from, to).await.expect("connects");
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_clients_leave_the_host_reachable_and_are_cut_off() {
    let header_timeout = Duration::from_secs(2);
    let mut host = TestHost::start_with(Timers::default(), |a| {
        a.header_read_timeout_secs = Some(header_timeout.as_secs());
    })
    .await;
    let give_up = Duration::from_secs(20);
    let slow: Vec<_> = (0..1000)
        .map(|_| tokio::spawn(slowloris(host.addr, give_up)))
        .collect();
    // Let them all connect and start dribbling.
    tokio::time::sleep(Duration::from_millis(700)).await;
    for _ in 0..3 {
        let took = healthz_from([127, 0, 0, 2], host.addr).await;
        assert!(
            took < Duration::from_millis(500),
            "another address is answered at once while 1,000 slow connections are open: {took:?}"
        );
    }
    let mut closed_at = Vec::new();
    for s in slow {
        closed_at.push(s.await.unwrap());
    }
    let still_open = closed_at.iter().filter(|c| c.is_none()).count();
    assert_eq!(
        still_open, 0,
        "every slow connection is closed, though it kept sending header lines"
    );
    let mut times: Vec<Duration> = closed_at.into_iter().flatten().collect();
    times.sort();
    let last = *times.last().unwrap();
    assert!(
        last < header_timeout + Duration::from_secs(3),
        "the last slow connection closed {last:?} after connecting (header timeout {header_timeout:?})"
    );
    // Those within the address's cap were held until the header timeout, no longer.
    let held = times.iter().filter(|t| **t >= header_timeout).count();
    assert!(
        (1..=256).contains(&held),
        "{held} connections were held to the header timeout; the cap is 256"
    );
    // And the address itself is welcome again once they are gone.
    healthz_from([127, 0, 0, 1], host.addr).await;
    host.stop().await;
}

#[tokio::test]
async fn connections_over_the_address_cap_are_closed_at_once_and_others_are_served() {
    let mut host = TestHost::start_with(Timers::default(), |a| {
        a.max_connections_per_address = Some(4);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from([127, 0, 0, 3], host.addr).await.unwrap());
    }
    // Give the host time to take the four.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fifth = connect_from([127, 0, 0, 3], host.addr).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(2), fifth.read(&mut buf))
        .await
        .expect("the fifth connection is closed at once");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    healthz_from([127, 0, 0, 4], host.addr).await;
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    healthz_from([127, 0, 0, 3], host.addr).await;
    host.stop().await;
}

#[tokio::test]
async fn a_quiet_session_socket_outlives_the_idle_timeout_and_a_quiet_connection_does_not() {
    let mut host = TestHost::start_with(Timers::default(), |a| {
        a.connection_idle_timeout_secs = Some(1);
        a.header_read_timeout_secs = Some(30);
    })
    .await;
    let credential = host.enrol("Quiet Employee").await;
    let pointer = host.share(&credential, "network").await;
    let (mut ws, _) = Ws::join(host.addr, &pointer.participant_token).await;

    // A plain connection that started a request and stopped: the idle timeout, not the
    // (longer) header timeout, closes it.
    let mut quiet = connect_from([127, 0, 0, 5], host.addr).await.unwrap();
    quiet.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), quiet.read(&mut buf))
        .await
        .expect("closed before the header timeout");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );

    // The session socket said nothing for three idle timeouts and still works.
    tokio::time::sleep(Duration::from_secs(3)).await;
    ws.send(&ClientMessage::Ping { nonce: 7 }).await;
    ws.until("pong", |m| matches!(m, ServerMessage::Pong { nonce: 7 }))
        .await;
    host.stop().await;
}
