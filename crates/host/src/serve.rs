//! Serving HTTP connections: the accept loop, with the limits a host on the open internet
//! needs and `axum::serve` does not offer.
//!
//! - A request's head must arrive within [`Limits::header_read_timeout`] (hyper's own timer,
//!   which also runs while a kept-alive connection waits for its next request), so a client
//!   that sends headers a byte at a time holds its connection only that long.
//! - A request body that stalls for [`Limits::body_read_timeout`] fails (tower-http's
//!   `TimeoutBody`, reset at every chunk: slow but moving uploads go through).
//! - A connection on which nothing moves for [`Limits::connection_idle_timeout`] is closed
//!   ([`Watched`]), unless it was upgraded to a WebSocket, which has its own ping.
//! - At most [`Limits::max_connections_per_address`] connections (upgraded ones included) from
//!   one TCP peer address; more are closed as they arrive, before a byte is read. The address
//!   is the peer's own: a forwarded-for header is never trusted.
//! - On shutdown the listener closes, every connection finishes the request under way, and
//!   the loop returns when they are done (at most [`DRAIN`] later).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use crate::limits::Limits;

/// How long requests under way may take to finish once the host shuts down.
pub const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` resolves, then drains (see the module docs).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let caps = AddressCaps::new(limits.max_connections_per_address);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Every connection task holds a sender; when all are gone, the drain is over.
    let (alive_tx, mut alive_rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut refused_logged: Option<Instant> = None;
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to close.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = caps.admit(peer.ip()) else {
            if refused_logged.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                refused_logged = Some(Instant::now());
                tracing::warn!(
                    address = %peer.ip(),
                    cap = caps.max,
                    "refusing connections from an address over its cap (--max-connections-per-address)"
                );
            }
            continue;
        };
        // Small messages (a ring, a chat line) must not wait for Nagle's algorithm.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let upgraded = Arc::new(AtomicBool::new(false));
        let io = Watched::new(tcp, limits.connection_idle_timeout, upgraded.clone(), slot);
        let service = hyper::service::service_fn({
            let app = app.clone();
            let body_timeout = limits.body_read_timeout;
            move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let req =
                    req.map(|body| axum::body::Body::new(TimeoutBody::new(body_timeout, body)));
                let app = app.clone();
                let upgraded = upgraded.clone();
                async move {
                    let response = app.oneshot(req).await?;
                    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                        upgraded.store(true, Ordering::Relaxed);
                    }
                    Ok::<_, std::convert::Infallible>(response)
                }
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        let mut stop = stop_rx.clone();
        let alive = alive_tx.clone();
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(peer = %peer, error = %e, "connection ended");
            }
            drop(alive);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(alive_tx);
    if tokio::time::timeout(DRAIN, alive_rx.recv()).await.is_err() {
        tracing::warn!("requests still under way after {DRAIN:?}; stopping anyway");
    }
}

/// How many connections each address has open.
struct AddressCaps {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl AddressCaps {
    fn new(max: usize) -> Self {
        Self {
            max,
            open: Arc::default(),
        }
    }

    /// A slot for one more connection from `ip`, unless it has `max` open.
    fn admit(&self, ip: IpAddr) -> Option<AddressSlot> {
        // Counted as the throttle counts clients: an IPv6 /64 is one.
        let ip = crate::throttle::client_network(ip);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            ip,
            open: self.open.clone(),
        })
    }
}

/// One open connection of an address; gives its place back when dropped.
struct AddressSlot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A TCP stream that fails once no byte has moved either way for `idle` (until `exempt` is
/// set), and that holds its address's slot for as long as it lives (an upgraded WebSocket
/// keeps the stream after the HTTP connection is done with it).
struct Watched {
    io: TcpStream,
    idle: Duration,
    last: Instant,
    timer: Pin<Box<Sleep>>,
    exempt: Arc<AtomicBool>,
    _slot: AddressSlot,
}

impl Watched {
    fn new(io: TcpStream, idle: Duration, exempt: Arc<AtomicBool>, slot: AddressSlot) -> Self {
        let now = Instant::now();
        Self {
            io,
            idle,
            last: now,
            timer: Box::pin(tokio::time::sleep_until(now + idle)),
            exempt,
            _slot: slot,
        }
    }

    /// What a read or write of the stream answered, seen by the idle clock: bytes that moved
    /// reset it; a stream with nothing to give fails once the idle time has passed.
    fn after<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
        moved: bool,
    ) -> Poll<io::Result<T>> {
        if moved {
            self.last = Instant::now();
        }
        match polled {
            Poll::Pending => self.idle_check(cx).map(Err),
            ready => ready,
        }
    }

    /// Called when the stream has nothing to give: fails once the idle time has passed.
    /// The timer is moved only when it fires, not at every byte.
    fn idle_check(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if self.exempt.load(Ordering::Relaxed) {
            return Poll::Pending;
        }
        loop {
            let deadline = self.last + self.idle;
            if deadline <= Instant::now() {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no byte moved for {:?}: connection closed", self.idle),
                ));
            }
            if self.timer.deadline() != deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        let moved = buf.filled().len() > before;
        this.after(cx, polled, moved)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        let moved = matches!(polled, Poll::Ready(Ok(n)) if n > 0);
        this.after(cx, polled, moved)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        let moved = matches!(polled, Poll::Ready(Ok(n)) if n > 0);
        this.after(cx, polled, moved)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// The address a request came from, for per-address limits.
pub fn peer_of(req: &axum::http::request::Parts) -> Option<SocketAddr> {
    req.extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a)
}
