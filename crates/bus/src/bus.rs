//! The [`Bus`] handle: the shared connection state every publisher and
//! consumer reads, and the operations on it.

use std::sync::{
    Arc, RwLock,
    atomic::{AtomicBool, Ordering},
};

use lapin::{Channel, Connection, options::QueueDeclareOptions, types::FieldTable};
use tokio::sync::{Notify, watch};

use crate::{
    BusConfig, BusError, Consumer, Publisher, Topology, WorkQueue,
    link::{self, close_channel},
    supervisor, timed,
};

/// A handle on the broker connection. Cheap to clone; all clones share one
/// connection and one supervisor.
#[derive(Clone)]
pub struct Bus {
    pub(crate) shared: Arc<Shared>,
}

/// Messages depth of a queue, as the broker reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    /// Messages ready for delivery (not counting unacknowledged ones).
    pub messages: u32,
    /// Active consumers.
    pub consumers: u32,
}

pub(crate) struct Shared {
    pub(crate) config: BusConfig,
    pub(crate) topology: Topology,
    link: RwLock<Option<Arc<Link>>>,
    closed: AtomicBool,
    /// Wakes the supervisor early (a publish saw a dead channel).
    pub(crate) wake: Notify,
    /// Bumped on every new link, so consumers know when to re-subscribe.
    pub(crate) generation: watch::Sender<u64>,
}

/// One live connection and its confirm-mode publishing channel.
pub(crate) struct Link {
    pub(crate) connection: Arc<Connection>,
    pub(crate) publish: Channel,
}

impl Bus {
    /// Connect (bounded by `connect_timeout`), declare the topology and start
    /// supervising the connection. Fails fast when the broker is unreachable:
    /// callers decide whether to retry.
    pub async fn connect(config: BusConfig) -> Result<Bus, BusError> {
        let topology = Topology::new(&config);
        let link = link::open_link(&config, &topology).await?;
        let (generation, _) = watch::channel(1);
        let shared = Arc::new(Shared {
            config,
            topology,
            link: RwLock::new(Some(Arc::new(link))),
            closed: AtomicBool::new(false),
            wake: Notify::new(),
            generation,
        });
        tokio::spawn(supervisor::supervise(Arc::downgrade(&shared)));
        tracing::info!("connected to the broker");
        Ok(Bus { shared })
    }

    /// Names of exchanges and queues.
    #[must_use]
    pub fn topology(&self) -> &Topology {
        &self.shared.topology
    }

    /// The configuration this bus was built from.
    #[must_use]
    pub fn config(&self) -> &BusConfig {
        &self.shared.config
    }

    /// A publisher on the shared confirm channel.
    #[must_use]
    pub fn publisher(&self) -> Publisher {
        Publisher { bus: self.clone() }
    }

    /// Whether a connection with a usable publishing channel is up (readiness).
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.shared.link().is_some_and(|link| {
            link.connection.status().connected() && link.publish.status().connected()
        })
    }

    /// Whether the broker blocked the connection (memory or disk alarm) and
    /// has not unblocked it yet. Publishing now would hang.
    #[must_use]
    pub fn is_blocked(&self) -> bool {
        self.shared
            .link()
            .is_some_and(|link| link.connection.status().blocked())
    }

    /// Ready messages and consumers of `queue` (a full name), by a passive
    /// declare on a short-lived channel.
    pub async fn queue_depth(&self, queue: &str) -> Result<QueueDepth, BusError> {
        let channel = self.open_channel().await?;
        let within = self.shared.config.connect_timeout;
        let result = timed(
            "queue.declare",
            within,
            channel.queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            ),
        )
        .await;
        close_channel(&channel, within).await;
        let declared = result?;
        Ok(QueueDepth {
            messages: declared.message_count(),
            consumers: declared.consumer_count(),
        })
    }

    /// Subscribe to a work queue with manual acks and `prefetch` unacknowledged
    /// deliveries at most. The consumer re-subscribes after reconnects.
    pub async fn consumer(
        &self,
        queue: WorkQueue,
        prefetch: u16,
        tag: &str,
    ) -> Result<Consumer, BusError> {
        Consumer::subscribe(self.clone(), queue, prefetch, tag).await
    }

    /// Close the connection and stop supervising. Consumers end; publishes fail.
    pub async fn close(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
        let link = self.shared.take_link();
        // Wake consumers waiting for a reconnection so they see `closed`.
        self.shared.generation.send_modify(|g| *g += 1);
        if let Some(link) = link {
            let within = self.shared.config.connect_timeout;
            let _ = timed(
                "connection.close",
                within,
                link.connection.close(200, "closing".into()),
            )
            .await;
        }
    }

    /// A fresh channel on the current connection.
    pub(crate) async fn open_channel(&self) -> Result<Channel, BusError> {
        if self.shared.is_closed() {
            return Err(BusError::Closed);
        }
        let link = self.shared.link().ok_or(BusError::NotConnected)?;
        timed(
            "channel.open",
            self.shared.config.connect_timeout,
            link.connection.create_channel(),
        )
        .await
        .inspect_err(|_| self.shared.wake.notify_one())
    }
}

impl Shared {
    pub(crate) fn link(&self) -> Option<Arc<Link>> {
        // A poisoned lock only means a panic elsewhere while swapping an Arc;
        // the value inside is still consistent.
        self.link
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_link(&self, link: Option<Arc<Link>>) {
        *self
            .link
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = link;
    }

    fn take_link(&self) -> Option<Arc<Link>> {
        self.link
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Ask the supervisor to check the connection now.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn subscribe_generation(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("prefix", &self.shared.topology.prefix())
            .field("connected", &self.is_connected())
            .field("blocked", &self.is_blocked())
            .finish_non_exhaustive()
    }
}
