//! `instant-share-host`: the help host.
//!
//! Contract:
//! - [`Host::start`] opens the store, brings back open sessions and starts the writer and the
//!   timer task; [`Host::serve`] serves HTTP and WebSockets on a listener it is given until the
//!   shutdown future resolves, then closes every socket and flushes the writer.
//! - [`router`] is the whole HTTP surface, testable without a socket.
//! - Handlers are thin: they check input, take the [`hub::Hub`] lock, call one method, hand the
//!   resulting effects to the [`writer::Writer`] under the lock.

pub mod api;
pub mod browser;
pub mod config;
pub mod decode;
pub mod error;
pub mod hub;
mod image_api;
pub mod images;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod quota;
pub mod report;
pub mod secrets;
pub mod serve;
pub mod store;
pub mod throttle;
pub mod updates;
pub mod writer;
mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

use crate::config::Config;
use crate::hub::{Hub, HubConfig, Now};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::writer::{Effects, Writer};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    hub: Mutex<Hub>,
    writer: Writer,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    /// Wakes the timer task when deadlines may have moved.
    timers: Notify,
    /// Flips to `true` when the host shuts down; sockets close.
    shutdown: watch::Receiver<bool>,
    config: Config,
    public_url: String,
    /// Shared pictures, by content.
    images: images::ImageStore,
    next_conn: std::sync::atomic::AtomicU64,
    /// Failed sign-ins and enrolments, per account and address.
    throttle: throttle::Throttle,
    /// Password hashes under way.
    hashing: throttle::HashGate,
    /// Where uploaded pictures are decoded.
    decoder: decode::DecodePool,
    /// Pictures per session and per device.
    pictures: quota::PictureLedger,
}

impl AppState {
    /// Runs `f` on the hub and submits its effects in order, under the lock.
    pub fn with_hub<R>(&self, f: impl FnOnce(&mut Hub, Now, &mut Effects) -> R) -> R {
        let mut hub = self.lock();
        let mut fx = Effects::default();
        let r = f(&mut hub, Now::get(), &mut fx);
        self.inner.writer.submit(fx);
        drop(hub);
        self.inner.timers.notify_one();
        r
    }

    /// Reads the hub under the lock: no effects, no timers to move.
    pub fn read_hub<R>(&self, f: impl FnOnce(&Hub) -> R) -> R {
        f(&self.lock())
    }

    /// Like [`AppState::with_hub`], and waits until the effects are stored.
    pub async fn with_hub_durable<R>(
        &self,
        f: impl FnOnce(&mut Hub, Now, &mut Effects) -> R,
    ) -> Result<R, error::HttpError> {
        let (r, ack) = {
            let mut hub = self.lock();
            let mut fx = Effects::default();
            let r = f(&mut hub, Now::get(), &mut fx);
            (r, self.inner.writer.submit_acked(fx))
        };
        self.inner.timers.notify_one();
        match ack.await {
            Ok(Ok(())) => Ok(r),
            Ok(Err(e)) => Err(error::HttpError::from(store::StoreError::Backend(
                e.to_string(),
            ))),
            Err(_) => Err(error::HttpError::new(
                instant_share_protocol::ErrorCode::Internal,
                "the host is shutting down",
            )),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Hub> {
        // A panic while holding the lock leaves the hub as it was between two operations,
        // each of which keeps it consistent; carry on rather than take the host down.
        self.inner.hub.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The shared pictures.
    pub fn images(&self) -> &images::ImageStore {
        &self.inner.images
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The public base address.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// Failed sign-ins and enrolments, per account and address.
    pub fn throttle(&self) -> &throttle::Throttle {
        &self.inner.throttle
    }

    /// The bound on password hashes at once.
    pub fn hashing(&self) -> &throttle::HashGate {
        &self.inner.hashing
    }

    /// Where uploaded pictures are decoded.
    pub fn decoder(&self) -> &decode::DecodePool {
        &self.inner.decoder
    }

    /// Pictures per session and per device.
    pub fn pictures(&self) -> &quota::PictureLedger {
        &self.inner.pictures
    }

    pub(crate) fn next_conn_id(&self) -> u64 {
        self.inner
            .next_conn
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.clone()
    }
}

/// How many recent sessions the desk's figures are seeded from at start.
const FIGURES_FROM: u32 = 50;

/// How long recent sessions lasted (those that ended normally) and how long experts took to
/// answer their ring, oldest first.
fn desk_figures(recent: &[store::RecentSession]) -> (Vec<Duration>, Vec<Duration>) {
    use instant_share_protocol::EndReason;
    let handling = recent
        .iter()
        .filter_map(|r| match r.ended {
            Some((at, EndReason::EndedByExpert | EndReason::EndedByRequester)) => {
                Some(Duration::from_millis(at.saturating_sub(r.active_at)))
            }
            _ => None,
        })
        .collect();
    let answers = recent
        .iter()
        .filter_map(|r| {
            Some(Duration::from_millis(
                r.active_at.saturating_sub(r.offered_at?),
            ))
        })
        .collect();
    (handling, answers)
}

/// A started host: state, and the tasks behind it.
pub struct Host {
    state: AppState,
    shutdown_tx: watch::Sender<bool>,
    writer_task: tokio::task::JoinHandle<()>,
    timer_task: tokio::task::JoinHandle<()>,
    local_addr: SocketAddr,
}

impl Host {
    /// Opens `store`, restores open sessions and starts the background tasks. `local_addr` is
    /// the address the listener is bound to (for the default public URL).
    pub async fn start(
        config: Config,
        store: Arc<dyn Store>,
        local_addr: SocketAddr,
    ) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::default());
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local_addr}"));
        let mut hub = Hub::new(
            HubConfig {
                public_url: public_url.clone(),
                topics: config.topics.clone(),
                routing: config.routing.clone(),
                token_lifetime: config.token_lifetime,
                ice: config.ice.clone(),
            },
            metrics.clone(),
        );
        let (handling, answers) = desk_figures(&store.recent_sessions(FIGURES_FROM).await?);
        hub.seed_figures(&handling, &answers);
        let open = store.open_sessions().await?;
        let restored = open.len();
        let mut fx = Effects::default();
        hub.restore(Now::get(), open, &mut fx);
        store.apply(&fx.writes).await?;
        if restored > 0 {
            tracing::info!(sessions = restored, "restored open sessions");
        }
        let (writer, writer_task) = Writer::start(store.clone(), metrics.clone());
        let (shutdown_tx, shutdown) = watch::channel(false);
        let throttle = throttle::Throttle::new(
            config.limits.failed_sign_ins_per_address,
            config.limits.failed_sign_ins_per_account,
        );
        let state = AppState {
            inner: Arc::new(Inner {
                hub: Mutex::new(hub),
                writer,
                store,
                metrics,
                timers: Notify::new(),
                shutdown,
                images: images::ImageStore::with_budget(
                    config.image_dir(),
                    config.limits.picture_disk_budget,
                ),
                decoder: decode::DecodePool::for_this_machine(),
                pictures: quota::PictureLedger::new(&config.limits),
                config,
                public_url,
                next_conn: std::sync::atomic::AtomicU64::new(1),
                throttle,
                hashing: throttle::HashGate::for_this_machine(),
            }),
        };
        let timer_task = tokio::spawn(run_timers(state.clone()));
        tokio::spawn(sweep_pictures(state.clone()));
        Ok(Self {
            state,
            shutdown_tx,
            writer_task,
            timer_task,
            local_addr,
        })
    }

    /// The shared state (for the CLI's demo set-up and for tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then closes every socket and flushes the records.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = router(self.state.clone());
        let shutdown_tx = self.shutdown_tx.clone();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: closing sockets");
            let _ = shutdown_tx.send(true);
        };
        tracing::info!(addr = %self.local_addr, "serving");
        serve::serve(listener, app, &self.state.config().limits, signal).await;
        let _ = self.shutdown_tx.send(true);
        self.timer_task.abort();
        let Host {
            state, writer_task, ..
        } = self;
        // The writer ends once every handle to it is gone: the state is the last one.
        drop(state);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), writer_task).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The whole HTTP surface. Every response carries the browser security headers
/// ([`browser::SecurityHeaders`]).
pub fn router(state: AppState) -> Router {
    let headers = browser::SecurityHeaders::new(state.public_url());
    api::routes()
        .merge(ws::routes())
        .merge(image_api::routes())
        .merge(updates::routes())
        .merge(api::ui_routes(&state.config().ui_dir))
        .with_state(state)
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::map_response(
            move |response: axum::response::Response| {
                let headers = headers.clone();
                async move { headers.apply(response) }
            },
        ))
}

/// Now and every ten minutes: deletes the pictures nobody can see any more (see
/// [`hub::Hub::pictures_in_use`]); a picture is never kept longer than its session's tokens.
async fn sweep_pictures(state: AppState) {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(600);
    const GRACE: std::time::Duration = std::time::Duration::from_secs(600);
    let mut shutdown = state.shutdown_signal();
    loop {
        let keep = state.lock().pictures_in_use(Now::get());
        {
            let hub = state.lock();
            state
                .pictures()
                .prune(|s| hub.is_open(s), std::time::Instant::now());
        }
        let store = state.images().clone();
        match tokio::task::spawn_blocking(move || store.sweep(&keep, GRACE)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(gone)) => {
                tracing::info!(pictures = gone, "deleted pictures nobody can see any more")
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot sweep the picture folder"),
            Err(e) => tracing::warn!(error = %e, "the picture sweep failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn run_timers(state: AppState) {
    let mut shutdown = state.shutdown_signal();
    loop {
        let deadline = state.lock().next_deadline();
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => state.with_hub(|hub, now, fx| hub.tick(now, fx)),
            _ = state.inner.timers.notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}
