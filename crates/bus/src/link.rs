//! Opening a connection: connect, declare (or check) the topology, open the
//! confirm-mode publishing channel.

use std::{sync::Arc, time::Duration};

use lapin::{Channel, Connection, ConnectionProperties, options::ConfirmSelectOptions};

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
    let checked = if config.declare_topology {
        topology.declare(&connection).await
    } else {
        topology.verify(&connection).await
    };
    if let Err(error) = checked {
        let _ = timed(
            "connection.close",
            within,
            connection.close(200, "topology".into()),
        )
        .await;
        return Err(error);
    }
    let channel = timed("channel.open", within, connection.create_channel()).await?;
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

pub(crate) async fn close_channel(channel: &Channel, within: Duration) {
    if channel.status().connected() {
        let _ = timed("channel.close", within, channel.close(200, "done".into())).await;
    }
}
