//! Connection supervision: notice a dead connection or publishing channel
//! and replace it, with backoff.
//!
//! lapin 4 has auto-recovery, but we supervise ourselves: a reconnect here
//! re-declares the topology (the broker may have lost nothing, or everything),
//! rebuilds the confirm channel from scratch and never replays a publish that
//! a caller may already have reported as failed.

use std::{
    sync::{Arc, Weak},
    time::Duration,
};

use lapin::options::ConfirmSelectOptions;

use crate::{
    bus::{Link, Shared},
    link::open_link,
    timed,
};

/// How often the supervisor looks at the connection when nothing woke it.
const CHECK_INTERVAL: Duration = Duration::from_millis(250);
/// Reconnect backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Keeps a usable link in `shared` until the bus is closed or dropped.
pub(crate) async fn supervise(shared: Weak<Shared>) {
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
