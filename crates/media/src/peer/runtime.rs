//! The async runtime our peer connections run on: the webrtc crate's Tokio runtime, with each
//! UDP socket it opens wrapped in a [`GuardedSocket`] that resends lost DTLS handshake flights
//! early ([`super::flights`]). Everything else is Tokio's, unchanged.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use webrtc::runtime::{
    AsyncInterval, AsyncTcpListener, AsyncTcpStream, AsyncUdpSocket, JoinHandle, RecvMeta, Runtime,
    TokioRuntime, Transmit,
};

use super::flights::FlightGuard;

/// Tokio, with UDP sockets that resend lost DTLS flights early.
#[derive(Debug)]
pub(crate) struct GuardedRuntime;

impl Runtime for GuardedRuntime {
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) -> Box<dyn JoinHandle> {
        TokioRuntime.spawn(future)
    }

    fn spawn_reactor(
        &self,
        reactor_pool_size: usize,
        future: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Box<dyn JoinHandle> {
        TokioRuntime.spawn_reactor(reactor_pool_size, future)
    }

    fn wrap_udp_socket(&self, socket: std::net::UdpSocket) -> io::Result<Arc<dyn AsyncUdpSocket>> {
        let inner = TokioRuntime.wrap_udp_socket(socket)?;
        Ok(GuardedSocket::wrap(inner))
    }

    fn wrap_tcp_listener(
        &self,
        listener: std::net::TcpListener,
    ) -> io::Result<Arc<dyn AsyncTcpListener>> {
        TokioRuntime.wrap_tcp_listener(listener)
    }

    fn connect_tcp<'a>(
        &'a self,
        remote_addr: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = io::Result<Arc<dyn AsyncTcpStream>>> + Send + 'a>> {
        TokioRuntime.connect_tcp(remote_addr)
    }

    fn resolve_host<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        TokioRuntime.resolve_host(host)
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        TokioRuntime.sleep(duration)
    }

    fn interval(&self, period: Duration) -> Box<dyn AsyncInterval> {
        TokioRuntime.interval(period)
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) {
        TokioRuntime.block_on(future)
    }

    fn name(&self) -> &'static str {
        "tokio, DTLS flights guarded"
    }
}

/// A UDP socket whose datagrams pass through a [`FlightGuard`]; a task of its own resends
/// what the guard asks for. Once the guard is done, a datagram costs one atomic load more.
pub(crate) struct GuardedSocket {
    inner: Arc<dyn AsyncUdpSocket>,
    guard: Mutex<FlightGuard>,
    done: AtomicBool,
    /// Wakes the resend task when the deadline moved or the socket went away.
    wake: Arc<Notify>,
}

impl fmt::Debug for GuardedSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedSocket")
            .field("inner", &self.inner)
            .finish()
    }
}

impl GuardedSocket {
    fn wrap(inner: Arc<dyn AsyncUdpSocket>) -> Arc<dyn AsyncUdpSocket> {
        let socket = Arc::new(Self {
            inner,
            guard: Mutex::new(FlightGuard::default()),
            done: AtomicBool::new(false),
            wake: Arc::new(Notify::new()),
        });
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(resend(Arc::downgrade(&socket), socket.wake.clone()));
            }
            // No runtime to time resends on: the DTLS layer's own timer does it.
            Err(_) => socket.done.store(true, Ordering::Relaxed),
        }
        socket
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, FlightGuard> {
        self.guard.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn deadline(&self) -> Option<Instant> {
        self.guard().next_deadline()
    }

    fn watch(&self, f: impl FnOnce(&mut FlightGuard) -> bool) {
        if self.done.load(Ordering::Relaxed) {
            return;
        }
        let mut guard = self.guard();
        let moved = f(&mut guard);
        if guard.is_done() {
            self.done.store(true, Ordering::Relaxed);
        }
        drop(guard);
        if moved || self.done.load(Ordering::Relaxed) {
            self.wake.notify_one();
        }
    }
}

impl Drop for GuardedSocket {
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

/// The resend task of one socket: sleeps until the guard's deadline, sends what it asks for
/// again; ends when the guard is done or the socket is gone (it holds the socket only while
/// it works, never while it waits).
async fn resend(socket: Weak<GuardedSocket>, wake: Arc<Notify>) {
    loop {
        let deadline = {
            let Some(s) = socket.upgrade() else { return };
            if s.done.load(Ordering::Relaxed) {
                return;
            }
            s.deadline()
        };
        let timer = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = wake.notified() => continue,
            _ = timer => {}
        }
        let Some(s) = socket.upgrade() else { return };
        let again = {
            let mut guard = s.guard();
            let again = guard.on_timeout(Instant::now());
            if guard.is_done() {
                s.done.store(true, Ordering::Relaxed);
            }
            again
        };
        if !again.is_empty() {
            tracing::debug!(
                datagrams = again.len(),
                "DTLS flight unanswered: sent again"
            );
        }
        for (to, datagram) in again {
            if let Err(e) = s.inner.send_to(&datagram, to).await {
                tracing::debug!(error = %e, "resending a DTLS flight");
            }
        }
    }
}

impl AsyncUdpSocket for GuardedSocket {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn poll_send(&self, cx: &mut Context<'_>, transmit: &Transmit<'_>) -> Poll<io::Result<usize>> {
        let sent = self.inner.poll_send(cx, transmit);
        if matches!(sent, Poll::Ready(Ok(_))) {
            let now = Instant::now();
            let size = transmit
                .segment_size
                .unwrap_or(transmit.contents.len())
                .max(1);
            self.watch(|g| {
                let mut moved = false;
                for datagram in transmit.contents.chunks(size) {
                    moved |= g.on_send(now, transmit.destination, datagram);
                }
                moved
            });
        }
        sent
    }

    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        let received = self.inner.poll_recv(cx, bufs, meta);
        if let Poll::Ready(Ok(n)) = received {
            let now = Instant::now();
            self.watch(|g| {
                let mut moved = false;
                for (buf, m) in bufs.iter().zip(meta.iter()).take(n) {
                    let stride = m.stride.max(1);
                    for datagram in buf[..m.len.min(buf.len())].chunks(stride) {
                        moved |= g.on_receive(now, datagram);
                    }
                }
                moved
            });
        }
        received
    }

    fn max_gso_segments(&self) -> usize {
        self.inner.max_gso_segments()
    }

    fn max_gro_segments(&self) -> usize {
        self.inner.max_gro_segments()
    }
}
