//! The one definition of lonjak's exchanges, queues and bindings.

use std::time::Duration;

use lapin::{
    Channel, Connection, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, LongString},
};
use lonjak_domain::events::{
    EmailVerificationRequested, Event, RegistrationRejected, RegistrationScored,
    RegistrationSelected, RegistrationSubmitted, RegistrationVerified, RegistrationWaitlisted,
    SelectionDecided,
};
use lonjak_domain::photo::PhotoUploaded;

use crate::{BusConfig, BusError, link::close_channel, timed};

/// The consumers that own a work queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WorkQueue {
    /// Consumes `registration.submitted` (the intake queue).
    Verifier,
    /// Consumes `registration.verified`.
    Eligibility,
    /// The notifier's email channel: every state-change event.
    NotifyEmail,
    /// The notifier's SMS channel: the state changes told by SMS. A queue
    /// of its own, so that a slow SMS provider holds back no email.
    NotifySms,
    /// Consumes `photo.uploaded`.
    PhotoCheck,
}

impl WorkQueue {
    /// Every work queue, in declaration order.
    pub const ALL: [WorkQueue; 5] = [
        Self::Verifier,
        Self::Eligibility,
        Self::NotifyEmail,
        Self::NotifySms,
        Self::PhotoCheck,
    ];

    /// The notifier's queue that every event it consumes reaches (the
    /// email channel's): where tools and tests count what was published
    /// for the notifier.
    #[allow(non_upper_case_globals)]
    pub const Notifier: WorkQueue = Self::NotifyEmail;

    /// The name without prefix.
    #[must_use]
    pub fn base_name(self) -> &'static str {
        match self {
            Self::Verifier => "verifier",
            Self::Eligibility => "eligibility",
            Self::NotifyEmail => "notify.email",
            Self::NotifySms => "notify.sms",
            Self::PhotoCheck => "photo-check",
        }
    }

    /// Routing keys bound to this queue on the events exchange: those of the
    /// event types its consumer handles.
    #[must_use]
    pub fn routing_keys(self) -> &'static [&'static str] {
        match self {
            Self::Verifier => &[RegistrationSubmitted::ROUTING_KEY],
            Self::Eligibility => &[RegistrationVerified::ROUTING_KEY],
            // Every state change an applicant hears about. Eligibility
            // publishes scored, selected and waitlisted with `mandatory`, so
            // they need a bound queue to be routable at all.
            Self::NotifyEmail => &[
                RegistrationVerified::ROUTING_KEY,
                RegistrationRejected::ROUTING_KEY,
                RegistrationScored::ROUTING_KEY,
                RegistrationSelected::ROUTING_KEY,
                RegistrationWaitlisted::ROUTING_KEY,
                // The gateway's "send my link again".
                EmailVerificationRequested::ROUTING_KEY,
                // A page of a selection's decisions, fanned out per applicant.
                SelectionDecided::ROUTING_KEY,
            ],
            // Only what is told by SMS (the notifier's tests hold the two
            // lists to its templates): no score, no email link.
            Self::NotifySms => &[
                RegistrationVerified::ROUTING_KEY,
                RegistrationRejected::ROUTING_KEY,
                RegistrationSelected::ROUTING_KEY,
                RegistrationWaitlisted::ROUTING_KEY,
                // Its selected and waitlisted news go by SMS too.
                SelectionDecided::ROUTING_KEY,
            ],
            Self::PhotoCheck => &[PhotoUploaded::ROUTING_KEY],
        }
    }
}

/// Names and arguments derived from a [`BusConfig`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Topology {
    prefix: String,
    intake_max_length: Option<u32>,
    delivery_limit: u32,
    retry_delays: Vec<Duration>,
    call_timeout: Duration,
}

impl Topology {
    /// Derive the topology from the configuration.
    #[must_use]
    pub fn new(config: &BusConfig) -> Self {
        Self {
            prefix: config.prefix.clone(),
            intake_max_length: config.intake_max_length,
            delivery_limit: config.delivery_limit,
            retry_delays: config.retry_delays.clone(),
            call_timeout: config.connect_timeout,
        }
    }

    /// The name prefix (empty in production).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The events exchange (topic, durable).
    #[must_use]
    pub fn exchange(&self) -> String {
        format!("{}lonjak.events", self.prefix)
    }

    /// The dead-letter exchange (direct, durable).
    #[must_use]
    pub fn dlx(&self) -> String {
        format!("{}lonjak.dlx", self.prefix)
    }

    /// Full name of a work queue.
    #[must_use]
    pub fn queue(&self, queue: WorkQueue) -> String {
        format!("{}{}", self.prefix, queue.base_name())
    }

    /// Full name of a work queue's dead-letter queue.
    #[must_use]
    pub fn dlq(&self, queue: WorkQueue) -> String {
        format!("{}.dlq", self.queue(queue))
    }

    /// Full name of the retry queue holding messages for `delay`.
    #[must_use]
    pub fn retry_queue(&self, queue: WorkQueue, delay: Duration) -> String {
        let base = self.queue(queue);
        if delay.subsec_millis() == 0 {
            format!("{base}.retry.{}s", delay.as_secs())
        } else {
            format!("{base}.retry.{}ms", delay.as_millis())
        }
    }

    /// The retry delays, in attempt order.
    #[must_use]
    pub fn retry_delays(&self) -> &[Duration] {
        &self.retry_delays
    }

    /// Every queue name this topology declares (work, retry and dead-letter queues).
    #[must_use]
    pub fn all_queues(&self) -> Vec<String> {
        let mut names = Vec::new();
        for queue in WorkQueue::ALL {
            names.push(self.queue(queue));
            names.push(self.dlq(queue));
            for delay in &self.retry_delays {
                names.push(self.retry_queue(queue, *delay));
            }
        }
        names
    }

    /// Arguments of a work queue.
    #[must_use]
    pub fn work_queue_arguments(&self, queue: WorkQueue) -> FieldTable {
        let mut args = dead_lettering_arguments();
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongLongInt(i64::from(self.delivery_limit)),
        );
        args.insert("x-dead-letter-exchange".into(), long_string(&self.dlx()));
        args.insert(
            "x-dead-letter-routing-key".into(),
            long_string(&self.queue(queue)),
        );
        if let (WorkQueue::Verifier, Some(max)) = (queue, self.intake_max_length) {
            args.insert(
                "x-max-length".into(),
                AMQPValue::LongLongInt(i64::from(max)),
            );
        }
        args
    }

    /// Arguments of a retry queue: messages wait `delay`, then dead-letter
    /// through the default exchange straight back to the work queue.
    #[must_use]
    pub fn retry_queue_arguments(&self, queue: WorkQueue, delay: Duration) -> FieldTable {
        let mut args = dead_lettering_arguments();
        let ttl_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        args.insert("x-message-ttl".into(), AMQPValue::LongLongInt(ttl_ms));
        args.insert("x-dead-letter-exchange".into(), long_string(""));
        args.insert(
            "x-dead-letter-routing-key".into(),
            long_string(&self.queue(queue)),
        );
        args
    }

    /// Declare everything with this deployment's arguments. Idempotent; a
    /// queue that exists with other arguments is refused by the broker and
    /// reported as [`BusError::TopologyMismatch`], so no service silently
    /// lives with another service's (or an older release's) choice.
    pub async fn declare(&self, connection: &Connection) -> Result<(), BusError> {
        let within = self.call_timeout;
        let channel = timed("channel.open", within, connection.create_channel()).await?;
        let result = self.declare_on(&channel).await;
        close_channel(&channel, within).await;
        result
    }

    async fn declare_on(&self, channel: &Channel) -> Result<(), BusError> {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        let within = self.call_timeout;
        for (name, kind) in [
            (self.exchange(), ExchangeKind::Topic),
            (self.dlx(), ExchangeKind::Direct),
        ] {
            timed(
                "exchange.declare",
                within,
                channel.exchange_declare(name.into(), kind, durable, FieldTable::default()),
            )
            .await?;
        }
        for queue in WorkQueue::ALL {
            let name = self.queue(queue);
            declare_queue(channel, within, &name, self.work_queue_arguments(queue)).await?;
            for key in queue.routing_keys() {
                bind(channel, within, &name, &self.exchange(), key).await?;
            }
            let dlq = self.dlq(queue);
            declare_queue(channel, within, &dlq, quorum_arguments()).await?;
            bind(channel, within, &dlq, &self.dlx(), &name).await?;
            for delay in &self.retry_delays {
                let retry = self.retry_queue(queue, *delay);
                let args = self.retry_queue_arguments(queue, *delay);
                declare_queue(channel, within, &retry, args).await?;
            }
        }
        Ok(())
    }

    /// Checks, without declaring anything, that every queue exists (a
    /// service that does not own the topology).
    pub async fn verify(&self, connection: &Connection) -> Result<(), BusError> {
        let within = self.call_timeout;
        for name in self.all_queues() {
            // A passive declare of a missing queue closes its channel: one
            // short-lived channel per queue keeps the answers independent.
            let channel = timed("channel.open", within, connection.create_channel()).await?;
            let found = timed(
                "queue.declare",
                within,
                channel.queue_declare(
                    name.as_str().into(),
                    QueueDeclareOptions {
                        passive: true,
                        ..QueueDeclareOptions::default()
                    },
                    FieldTable::default(),
                ),
            )
            .await;
            close_channel(&channel, within).await;
            match found {
                Ok(_) => {}
                Err(BusError::Broker { source, .. }) if protocol_error(&source) == Some(404) => {
                    return Err(BusError::TopologyMissing { queue: name });
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }
}

/// The AMQP reply code of a broker error, if it is one.
pub(crate) fn protocol_error(error: &lapin::Error) -> Option<u16> {
    match error.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => Some(amqp.get_id()),
        _ => None,
    }
}

async fn declare_queue(
    channel: &Channel,
    within: Duration,
    name: &str,
    args: FieldTable,
) -> Result<(), BusError> {
    match timed(
        "queue.declare",
        within,
        channel.queue_declare(name.into(), QueueDeclareOptions::durable(), args),
    )
    .await
    {
        Ok(_) => Ok(()),
        // 406 PRECONDITION_FAILED: the queue exists with other arguments.
        Err(BusError::Broker { source, .. }) if protocol_error(&source) == Some(406) => {
            Err(BusError::TopologyMismatch {
                queue: name.to_owned(),
                source,
            })
        }
        Err(other) => Err(other),
    }
}

async fn bind(
    channel: &Channel,
    within: Duration,
    queue: &str,
    exchange: &str,
    key: &str,
) -> Result<(), BusError> {
    timed(
        "queue.bind",
        within,
        channel.queue_bind(
            queue.into(),
            exchange.into(),
            key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        ),
    )
    .await
}

fn quorum_arguments() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), long_string("quorum"));
    args
}

/// Quorum queue whose overflow nacks publishers instead of dropping the
/// oldest messages. Dead-lettering stays at-most-once (the default): on
/// RabbitMQ 3.10 the at-least-once worker supervisor can die for good when
/// queues are deleted while the node restarts, after which the node refuses
/// to declare any at-least-once queue. The at-most-once path still delivers
/// an expiring retry into a full intake queue (the limit binds publishers,
/// not the broker's own dead-lettering); a test holds that.
fn dead_lettering_arguments() -> FieldTable {
    let mut args = quorum_arguments();
    args.insert("x-overflow".into(), long_string("reject-publish"));
    args
}

fn long_string(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value.as_bytes().to_vec()))
}

#[cfg(test)]
#[path = "topology_tests.rs"]
mod tests;
