//! A broker that accepts TCP and then never answers the AMQP handshake (as
//! RabbitMQ does when it runs out of file descriptors): a connect that times
//! out must not leave its socket open behind it, or every retry leaks one.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use lonjak_bus::{Bus, BusConfig, BusError};
use tokio::net::TcpListener;

use crate::helpers::PATIENCE;

/// Accepts connections, reads whatever arrives, never writes; counts the
/// sockets the client still holds open.
async fn stalled_broker() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let open = Arc::new(AtomicUsize::new(0));
    let counter = open.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buffer = [0_u8; 1024];
                // Ends when the client closes its end (0) or resets it.
                loop {
                    if socket.readable().await.is_err() {
                        break;
                    }
                    match socket.try_read(&mut buffer) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(_) => break,
                    }
                }
                counter.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (format!("amqp://guest:guest@{address}/%2f"), open)
}

#[tokio::test]
async fn a_timed_out_connect_closes_its_socket() {
    let (url, open) = stalled_broker().await;
    let config = BusConfig {
        url,
        connect_timeout: Duration::from_millis(200),
        ..BusConfig::default()
    };
    for _ in 0..5 {
        let Err(error) = Bus::connect(config.clone()).await else {
            panic!("a stalled broker never completes the handshake");
        };
        assert!(
            matches!(
                error,
                BusError::Timeout {
                    operation: "connect",
                    ..
                }
            ),
            "{error}"
        );
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while open.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        open.load(Ordering::SeqCst),
        0,
        "sockets left open by timed-out connects"
    );
}
