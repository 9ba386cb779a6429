//! Opening a connection: connect, declare the topology (leaving existing
//! queues' arguments alone), open the confirm-mode publishing channel.

use std::{sync::Arc, time::Duration};

use lapin::{
    Channel, Connection, ConnectionProperties,
    options::{ConfirmSelectOptions, QueueDeclareOptions},
    types::FieldTable,
};

use crate::{BusConfig, BusError, Topology, bus::Link, timed};

pub(crate) async fn open_link(config: &BusConfig, topology: &Topology) -> Result<Link, BusError> {
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
