//! The ordered pipeline from the hub to the database and the sockets.
//!
//! Everything the hub decides is an [`Effects`]: writes for the store and frames for sockets.
//! The hub hands them over while it still holds its lock, so they leave in the order they were
//! made. The writer task commits a batch of writes in one transaction and only then delivers
//! that batch's frames: nobody sees an event that a crash could take back.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::store::{Store, StoreError, Write};

/// What goes to one socket.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A serialized `ServerFrame`.
    Frame(Arc<str>),
    /// Close the socket after what was sent before.
    Close,
}

/// The sending half of one socket's queue.
pub type ConnTx = mpsc::UnboundedSender<Outbound>;

/// Writes and deliveries decided together.
#[derive(Debug, Default)]
pub struct Effects {
    /// Store writes, in order.
    pub writes: Vec<Write>,
    /// Frames for sockets, in order.
    pub out: Vec<(ConnTx, Outbound)>,
}

impl Effects {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.out.is_empty()
    }
}

struct Batch {
    effects: Effects,
    ack: Option<oneshot::Sender<Result<(), Arc<StoreError>>>>,
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::UnboundedSender<Batch>,
}

/// Wait for this to learn that a batch is committed.
pub type Ack = oneshot::Receiver<Result<(), Arc<StoreError>>>;

impl Writer {
    /// Starts the writer task. It ends when every [`Writer`] is dropped, after the last batch.
    pub fn start(
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(store, rx, metrics));
        (Self { tx }, task)
    }

    /// Queues effects. Call while holding the hub's lock.
    pub fn submit(&self, effects: Effects) {
        if !effects.is_empty() {
            let _ = self.tx.send(Batch { effects, ack: None });
        }
    }

    /// Queues effects and returns a receiver that resolves once they are committed.
    pub fn submit_acked(&self, effects: Effects) -> Ack {
        let (ack, rx) = oneshot::channel();
        let _ = self.tx.send(Batch {
            effects,
            ack: Some(ack),
        });
        rx
    }
}

/// Most batches merged into one transaction.
const MAX_MERGE: usize = 256;

async fn run(store: Arc<dyn Store>, mut rx: mpsc::UnboundedReceiver<Batch>, metrics: Arc<Metrics>) {
    let mut batches = Vec::with_capacity(MAX_MERGE);
    while rx.recv_many(&mut batches, MAX_MERGE).await > 0 {
        let writes: Vec<Write> = batches
            .iter_mut()
            .flat_map(|b| std::mem::take(&mut b.effects.writes))
            .collect();
        let result = if writes.is_empty() {
            Ok(())
        } else {
            match store.apply(&writes).await {
                Ok(()) => Ok(()),
                Err(e) => {
                    metrics.store_errors.inc();
                    tracing::error!(error = %e, writes = writes.len(), "could not store session records");
                    Err(Arc::new(e))
                }
            }
        };
        for batch in batches.drain(..) {
            for (conn, msg) in batch.effects.out {
                // A closed socket has nobody to tell.
                let _ = conn.send(msg);
            }
            if let Some(ack) = batch.ack {
                let _ = ack.send(result.clone());
            }
        }
    }
}
