//! The connection to the broker and its supervision: connect, declare the
//! topology, and reconnect after the broker went away.
//!
//! lapin 4 has auto-recovery, but we supervise ourselves: a reconnect here
//! re-declares the topology (the broker may have lost nothing, or everything),
//! rebuilds the confirm channel from scratch and never replays a publish that
//! a caller may already have reported as failed.

use std::{
    sync::{
        Arc, RwLock, Weak,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use lapin::{
    Channel, Connection, ConnectionProperties,
    options::{ConfirmSelectOptions, QueueDeclareOptions},
    types::FieldTable,
};
use tokio::sync::{Notify, watch};

use crate::{BusConfig, BusError, Consumer, Publisher, Topology, WorkQueue, timed};

/// How often the supervisor looks at the connection when nothing woke it.
const CHECK_INTERVAL: Duration = Duration::from_millis(250);
/// Reconnect backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

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
    wake: Notify,
    /// Bumped on every new link, so consumers know when to re-subscribe.
    generation: watch::Sender<u64>,
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
        let link = open_link(&config, &topology).await?;
        let (generation, _) = watch::channel(1);
        let shared = Arc::new(Shared {
            config,
            topology,
            link: RwLock::new(Some(Arc::new(link))),
            closed: AtomicBool::new(false),
            wake: Notify::new(),
            generation,
        });
        tokio::spawn(supervise(Arc::downgrade(&shared)));
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

    fn set_link(&self, link: Option<Arc<Link>>) {
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

async fn open_link(config: &BusConfig, topology: &Topology) -> Result<Link, BusError> {
    let within = config.connect_timeout;
    let properties = ConnectionProperties::default().with_connection_name("lonjak".into());
    let connection =
        match tokio::time::timeout(within, Connection::connect(&config.url, properties)).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => return Err(BusError::Connect(error)),
            Err(_) => {
                return Err(BusError::Timeout {
                    operation: "connect",
                    after: within,
                });
            }
        };
    let existing = existing_queues(&connection, topology, within).await?;
    let channel = timed("channel.open", within, connection.create_channel()).await?;
    topology.declare_except(&channel, &existing).await?;
    timed(
        "confirm.select",
        within,
        channel.confirm_select(ConfirmSelectOptions::default()),
    )
    .await?;
    Ok(Link {
        connection: Arc::new(connection),
        publish: channel,
    })
}

/// Queues that already exist keep the arguments they were created with; we
/// only bind them. Re-declaring with different arguments (say another
/// service's `intake_max_length`) would be refused by the broker.
async fn existing_queues(
    connection: &Connection,
    topology: &Topology,
    within: Duration,
) -> Result<Vec<String>, BusError> {
    let mut existing = Vec::new();
    // A passive declare of a missing queue closes its channel, so reuse a
    // channel only while the answers are "exists".
    let mut channel: Option<Channel> = None;
    for name in topology.all_queues() {
        let probe = match channel.take() {
            Some(channel) => channel,
            None => timed("channel.open", within, connection.create_channel()).await?,
        };
        let found = timed(
            "queue.declare",
            within,
            probe.queue_declare(
                name.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            ),
        )
        .await;
        match found {
            Ok(_) => {
                existing.push(name);
                channel = Some(probe);
            }
            // Not found (404) closed the probe channel; anything else will
            // surface again in the real declaration.
            Err(BusError::Broker { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    if let Some(channel) = channel {
        close_channel(&channel, within).await;
    }
    Ok(existing)
}

pub(crate) async fn close_channel(channel: &Channel, within: Duration) {
    if channel.status().connected() {
        let _ = timed("channel.close", within, channel.close(200, "done".into())).await;
    }
}

/// Keeps a usable link in `shared` until the bus is closed or dropped.
async fn supervise(shared: Weak<Shared>) {
    let mut backoff = BACKOFF_MIN;
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        if strong.is_closed() {
            return;
        }
        let link = strong.link();
        let healthy = match &link {
            Some(link) if link.connection.status().connected() => {
                if link.publish.status().connected() {
                    true
                } else {
                    // The connection lives but the publish channel was closed
                    // by a channel error: replace just the channel.
                    reopen_publish_channel(&strong, link).await
                }
            }
            _ => reconnect(&strong).await,
        };
        let wait = if healthy {
            backoff = BACKOFF_MIN;
            CHECK_INTERVAL
        } else {
            backoff = (backoff * 2).min(BACKOFF_MAX);
            backoff
        };
        let woken = async {
            strong.wake.notified().await;
        };
        // Hold only a weak reference while sleeping, so dropping every Bus
        // handle ends the supervisor.
        let sleep = tokio::time::sleep(wait);
        tokio::select! {
            () = woken => {}
            () = sleep => {}
        }
        drop(strong);
    }
}

async fn reopen_publish_channel(shared: &Shared, link: &Link) -> bool {
    let within = shared.config.connect_timeout;
    let channel = match timed("channel.open", within, link.connection.create_channel()).await {
        Ok(channel) => channel,
        Err(error) => {
            tracing::warn!(error = %error, "cannot reopen the publishing channel");
            return false;
        }
    };
    if let Err(error) = timed(
        "confirm.select",
        within,
        channel.confirm_select(ConfirmSelectOptions::default()),
    )
    .await
    {
        tracing::warn!(error = %error, "cannot enable confirms on the publishing channel");
        return false;
    }
    shared.set_link(Some(Arc::new(Link {
        connection: Arc::clone(&link.connection),
        publish: channel,
    })));
    tracing::info!("publishing channel reopened");
    true
}

async fn reconnect(shared: &Shared) -> bool {
    if shared.link().is_some() {
        tracing::warn!("broker connection lost; reconnecting");
        shared.set_link(None);
    }
    match open_link(&shared.config, &shared.topology).await {
        Ok(link) => {
            if shared.is_closed() {
                let _ = timed(
                    "connection.close",
                    shared.config.connect_timeout,
                    link.connection.close(200, "closing".into()),
                )
                .await;
                return true;
            }
            shared.set_link(Some(Arc::new(link)));
            shared.generation.send_modify(|g| *g += 1);
            tracing::info!("reconnected to the broker");
            true
        }
        Err(error) => {
            tracing::debug!(error = %error, "reconnect attempt failed");
            false
        }
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
