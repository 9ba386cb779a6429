//! Opening a connection: connect, declare (or check) the topology, open the
//! confirm-mode publishing channel.

use std::{
    os::fd::{AsFd, OwnedFd},
    sync::{Arc, Mutex},
    time::Duration,
};

use async_compat::Compat;
use lapin::{
    Channel, Connection, ConnectionProperties,
    options::ConfirmSelectOptions,
    tcp::{AsyncTcpStream, TLSConfig},
    uri::{AMQPScheme, AMQPUri},
};

use crate::{BusConfig, BusError, Topology, bus::Link, timed};

pub(crate) async fn open_link(config: &BusConfig, topology: &Topology) -> Result<Link, BusError> {
    let within = config.connect_timeout;
    let connection = connect(&config.url, within).await?;
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

/// TCP and the AMQP handshake, bounded by `within`. lapin's I/O loop owns
/// the socket from the TCP connect on; dropping a handshake that never
/// finishes (a broker out of file descriptors accepts TCP and then says
/// nothing) would leave that socket open, one more on every retry. So the
/// socket is connected here, a duplicate of it is kept, and a timed-out
/// handshake shuts it down.
async fn connect(url: &str, within: Duration) -> Result<Connection, BusError> {
    let uri: AMQPUri = url.parse().map_err(|error: String| {
        BusError::Connect(std::io::Error::new(std::io::ErrorKind::InvalidInput, error).into())
    })?;
    let runtime = lapin::runtime::default_runtime().map_err(BusError::Connect)?;
    let properties = ConnectionProperties::default().with_connection_name("lonjak".into());
    let socket: Arc<Mutex<Option<OwnedFd>>> = Arc::default();
    let held = socket.clone();
    let handshake = Connection::connector(
        uri,
        runtime,
        async move |uri: AMQPUri, _runtime| {
            let host = uri.authority.host.as_str();
            let stream = tokio::net::TcpStream::connect((host, uri.authority.port)).await?;
            stream.set_nodelay(true)?;
            let duplicate = stream.as_fd().try_clone_to_owned()?;
            *held.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(duplicate);
            let plain = AsyncTcpStream::Plain(Compat::new(stream));
            match uri.scheme {
                AMQPScheme::AMQP => Ok(plain),
                AMQPScheme::AMQPS => Ok(plain.into_tls(host, TLSConfig::default()).await?),
            }
        },
        properties,
    );
    let outcome = tokio::time::timeout(within, handshake).await;
    let duplicate = socket
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    match outcome {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(BusError::Connect(error)),
        Err(_) => {
            if let Some(duplicate) = duplicate {
                // Both descriptors share one socket: shutting it down ends
                // lapin's I/O loop too, which then drops its own.
                let _ = std::net::TcpStream::from(duplicate).shutdown(std::net::Shutdown::Both);
            }
            Err(BusError::Timeout {
                operation: "connect",
                after: within,
            })
        }
    }
}

pub(crate) async fn close_channel(channel: &Channel, within: Duration) {
    if channel.status().connected() {
        let _ = timed("channel.close", within, channel.close(200, "done".into())).await;
    }
}
