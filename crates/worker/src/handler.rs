//! What a worker writes: a [`Handler`] that turns a batch of decoded items
//! into one [`Outcome`] per item. The runtime does everything else.

use std::error::Error;
use std::future::Future;

use lonjak_bus::{Envelope, TraceContext};
use lonjak_store::{OutboxEvent, StoreError};
use time::OffsetDateTime;

use crate::Consumed;

/// A boxed error kept with its cause chain until it is logged, once.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// The work of one worker.
pub trait Handler: Send + Sync + 'static {
    /// What it consumes.
    type Event: Consumed;

    /// Processes `batch` and returns one outcome per item, in order. The
    /// effects of every `Done` item must be committed before it returns,
    /// together with the downstream events it lists (transactional outbox),
    /// ideally in one transaction for the whole batch. Must be idempotent: an
    /// item may come again after a crash, a redelivery or a duplicate publish.
    ///
    /// An `Err` fails the whole batch: [`FailureKind::Unavailable`] keeps the
    /// deliveries and runs the batch again after a pause; any other kind
    /// splits the batch to find the item at fault.
    fn handle(
        &self,
        batch: &[Item<Self::Event>],
    ) -> impl Future<Output = Result<Vec<Outcome>, Failure>> + Send;
}

/// One decoded delivery.
#[derive(Debug)]
pub struct Item<E> {
    pub envelope: Envelope<E>,
    /// 1 for the first attempt, more after delayed retries.
    pub attempt: u32,
    /// The broker delivered it before (a consumer died with it in hand).
    pub redelivered: bool,
    /// When this worker received it.
    pub received_at: OffsetDateTime,
    /// The publisher's trace context, if any.
    pub trace: Option<TraceContext>,
}

/// How one item ended.
#[derive(Debug)]
pub enum Outcome {
    /// The effect is committed (or was found committed). `events` are its
    /// downstream events as written in the outbox: published with confirms,
    /// then marked, then the delivery is acked. `label` names the outcome in
    /// metrics (`verified`, `duplicate`, …).
    Done {
        label: &'static str,
        events: Vec<OutboxEvent>,
    },
    /// A transient failure of this item only: through a retry queue.
    Retry(Reason),
    /// Can never succeed: to the dead-letter queue with the reason.
    DeadLetter(Reason),
}

impl Outcome {
    /// Done, with nothing to publish.
    pub fn done(label: &'static str) -> Self {
        Self::Done {
            label,
            events: Vec::new(),
        }
    }
}

/// Why an item was retried or dead-lettered: a short label for headers and
/// metrics (no personal data), and the error with its cause chain for the log.
#[derive(Debug)]
pub struct Reason {
    pub label: &'static str,
    pub source: Option<BoxError>,
}

impl Reason {
    pub fn new(label: &'static str) -> Self {
        Self {
            label,
            source: None,
        }
    }

    pub fn with_source(label: &'static str, source: impl Into<BoxError>) -> Self {
        Self {
            label,
            source: Some(source.into()),
        }
    }
}

/// A failure of a whole batch.
#[derive(Debug)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: Reason,
}

/// What a batch failure means for its deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A dependency every item needs is down (the database): hold the
    /// deliveries unacked, back off, try the batch again.
    Unavailable,
    /// Something in the batch failed and may succeed later: split the batch;
    /// a single item left is retried through a retry queue.
    Transient,
    /// Something in the batch can never succeed: split the batch; a single
    /// item left is dead-lettered.
    Permanent,
}

impl Failure {
    pub fn new(kind: FailureKind, label: &'static str, source: impl Into<BoxError>) -> Self {
        Self {
            kind,
            reason: Reason::with_source(label, source),
        }
    }

    /// The usual reading of a store error: connection, pool and timeout
    /// problems mean the database is unavailable; stored data this build
    /// cannot read, or a key that does not work, is permanent; anything else
    /// (a constraint, a conflict) may be one item's fault.
    pub fn from_store(label: &'static str, error: StoreError) -> Self {
        let kind = if error.is_unavailable() {
            FailureKind::Unavailable
        } else if matches!(
            error,
            StoreError::Crypto | StoreError::Config(_) | StoreError::Decode(_)
        ) {
            FailureKind::Permanent
        } else {
            FailureKind::Transient
        };
        Self::new(kind, label, error)
    }
}
