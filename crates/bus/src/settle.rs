//! Settling deliveries on one consumer channel: individual acks and nacks,
//! coalesced `multiple` acks, and resetting the channel.
//!
//! A `multiple` ack of tag N settles every unsettled delivery up to N, and
//! the broker closes the channel if a later frame names a tag it already
//! settled. So the channel keeps the set of tags not yet settled, and every
//! settling frame is sent under one lock: a coalesced ack covers only tags
//! that are in hand for it or were settled by frames already sent.

use std::collections::BTreeSet;
use std::sync::Mutex;

use lapin::Channel;
use lapin::options::{BasicAckOptions, BasicNackOptions};

use crate::{BusError, link::close_channel, timed};

/// One consumer channel's settlement state; shared by its deliveries.
pub(crate) struct ChannelSettler {
    channel: Channel,
    /// Delivery tags received and not yet settled.
    unsettled: Mutex<BTreeSet<u64>>,
    /// Held while a settling frame is sent, so frames go out in a known order.
    sending: tokio::sync::Mutex<()>,
    within: std::time::Duration,
}

/// How one settling call went.
pub(crate) type Settled = Result<(), BusError>;

impl ChannelSettler {
    pub(crate) fn new(channel: Channel, within: std::time::Duration) -> Self {
        Self {
            channel,
            unsettled: Mutex::new(BTreeSet::new()),
            sending: tokio::sync::Mutex::new(()),
            within,
        }
    }

    /// Records a delivery as in hand. Synchronous, so receiving stays cancel-safe.
    pub(crate) fn received(&self, tag: u64) {
        self.tags().insert(tag);
    }

    /// Acks one delivery.
    pub(crate) async fn ack(&self, acker: &lapin::Acker, tag: u64) -> Settled {
        let _sending = self.sending.lock().await;
        let sent = timed(
            "basic.ack",
            self.within,
            acker.ack(BasicAckOptions::default()),
        )
        .await;
        self.settled_if_sent(tag, sent)
    }

    /// Nacks one delivery back onto its queue.
    pub(crate) async fn requeue(&self, acker: &lapin::Acker, tag: u64) -> Settled {
        let _sending = self.sending.lock().await;
        let options = BasicNackOptions {
            multiple: false,
            requeue: true,
        };
        let sent = timed("basic.nack", self.within, acker.nack(options)).await;
        self.settled_if_sent(tag, sent)
    }

    /// A tag whose frame may not have gone out stays unsettled: no later
    /// coalesced ack may cover it (a failed requeue must not become an ack);
    /// the caller resets the channel, which requeues it.
    fn settled_if_sent(&self, tag: u64, sent: Result<bool, BusError>) -> Settled {
        let settled = stale_if_unused(sent);
        if settled.is_ok() {
            self.tags().remove(&tag);
        }
        settled
    }

    /// Acks several deliveries of this channel: one `multiple` ack for those
    /// below every unsettled tag, one ack each for the rest. `ackers` are
    /// `(tag, acker)` pairs. Returns how many frames were sent.
    pub(crate) async fn ack_many(
        &self,
        mut ackers: Vec<(u64, lapin::Acker)>,
    ) -> Result<usize, BusError> {
        if ackers.is_empty() {
            return Ok(0);
        }
        ackers.sort_unstable_by_key(|(tag, _)| *tag);
        let _sending = self.sending.lock().await;
        let floor = {
            let mut tags = self.tags();
            for (tag, _) in &ackers {
                tags.remove(tag);
            }
            tags.first().copied().unwrap_or(u64::MAX)
        };
        let covered = ackers.partition_point(|(tag, _)| *tag < floor);
        let mut frames = 0;
        if covered > 0 {
            let (_, acker) = &ackers[covered - 1];
            let options = BasicAckOptions { multiple: true };
            stale_if_unused(timed("basic.ack", self.within, acker.ack(options)).await)?;
            frames += 1;
        }
        for (_, acker) in &ackers[covered..] {
            stale_if_unused(
                timed(
                    "basic.ack",
                    self.within,
                    acker.ack(BasicAckOptions::default()),
                )
                .await,
            )?;
            frames += 1;
        }
        Ok(frames)
    }

    /// Closes the channel: the broker requeues every delivery not yet
    /// settled on it. The consumer subscribes again on a new channel.
    pub(crate) async fn reset(&self) {
        let _sending = self.sending.lock().await;
        close_channel(&self.channel, self.within).await;
    }

    fn tags(&self) -> std::sync::MutexGuard<'_, BTreeSet<u64>> {
        // A poisoned lock only means a panic elsewhere mid-insert or
        // mid-remove of a tag; the set is still a set.
        self.unsettled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// lapin answers `Ok(false)` when the acker was already used or its channel
/// is closed: nothing was sent, and the broker will redeliver.
fn stale_if_unused(sent: Result<bool, BusError>) -> Settled {
    match sent {
        Ok(true) => Ok(()),
        Ok(false) => Err(BusError::Stale),
        Err(error) => Err(error),
    }
}
