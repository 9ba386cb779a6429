//! Deleting a topology: the counterpart of declaring it, for test clean-up,
//! benchmarks and decommissioning a prefixed deployment.

use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::{Connection, ConnectionProperties};

use crate::{BusConfig, BusError, Topology, timed};

/// Deletes every queue (with its messages) and exchange of the topology that
/// `config` names, on a short-lived connection of its own. Queues that do
/// not exist are skipped. Refuses the empty prefix: the production topology
/// is never removed by accident.
pub async fn delete_topology(config: &BusConfig) -> Result<usize, BusError> {
    if config.prefix.is_empty() {
        return Err(BusError::Refused(
            "deleting the unprefixed (production) topology",
        ));
    }
    let within = config.connect_timeout;
    let connection = match tokio::time::timeout(
        within,
        Connection::connect(&config.url, ConnectionProperties::default()),
    )
    .await
    {
        Ok(Ok(connection)) => connection,
        Ok(Err(error)) => return Err(BusError::Connect(error)),
        Err(_) => {
            return Err(BusError::Timeout {
                operation: "connect",
                after: within,
            });
        }
    };
    let topology = Topology::new(config);
    let mut deleted = 0;
    let mut channel = timed("channel.open", within, connection.create_channel()).await?;
    for queue in topology.all_queues() {
        let options = QueueDeleteOptions::default();
        match timed(
            "queue.delete",
            within,
            channel.queue_delete(queue.as_str().into(), options),
        )
        .await
        {
            Ok(_) => deleted += 1,
            // An error closes the channel: carry on with a fresh one.
            Err(_) => channel = timed("channel.open", within, connection.create_channel()).await?,
        }
    }
    for exchange in [topology.exchange(), topology.dlx()] {
        let _ = timed(
            "exchange.delete",
            within,
            channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()),
        )
        .await;
    }
    let _ = timed(
        "connection.close",
        within,
        connection.close(200, "teardown".into()),
    )
    .await;
    Ok(deleted)
}
