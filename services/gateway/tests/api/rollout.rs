//! Graceful rollout against the real binary: SIGTERM turns `/readyz` false
//! while the gateway keeps serving for `http.drain_delay_ms`, then it
//! drains. A readiness-following balancer moving load from the old gateway
//! to the new one loses no request.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Mutex;

use crate::helpers::{AMQP_URL, valid_body};

const LOAD_TASKS: u64 = 8;

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// One gateway process with its public and ops addresses.
struct Gateway {
    child: Child,
    base: String,
    ops: String,
}

impl Gateway {
    fn start(prefix: &str) -> Self {
        let (port, ops_port) = (free_port(), free_port());
        let child = Command::new(env!("CARGO_BIN_EXE_lonjak-gateway"))
            .env("LONJAK_HTTP__ADDR", format!("127.0.0.1:{port}"))
            .env("LONJAK_OPS__ADDR", format!("127.0.0.1:{ops_port}"))
            .env("LONJAK_HTTP__WORKERS", "1")
            .env("LONJAK_HTTP__DRAIN_DELAY_MS", "1500")
            .env("LONJAK_BUS__URL", AMQP_URL)
            .env(
                "LONJAK_IDENTITY__KEY",
                crate::helpers::DEVELOPMENT_IDENTITY_KEY,
            )
            .env(
                "LONJAK_SEAL__PUBLIC_KEY",
                lonjak_seal::DEVELOPMENT_PUBLIC_KEY,
            )
            .env("LONJAK_BUS__PREFIX", prefix)
            .env("LONJAK_DATABASE__URL", "")
            .env("LONJAK_ADMISSION__CLIENT_PER_SEC", "100000")
            .env("LONJAK_ADMISSION__CLIENT_BURST", "100000")
            // The test is about rollouts, not admission: a fast machine
            // must not meet the whole-gateway budget either.
            .env("LONJAK_ADMISSION__GLOBAL_PER_SEC", "1000000")
            .env("LONJAK_ADMISSION__GLOBAL_BURST", "1000000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gateway binary starts");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            ops: format!("http://127.0.0.1:{ops_port}"),
        }
    }

    async fn ready(&self, client: &reqwest::Client) -> Option<u16> {
        let probe = client.get(format!("{}/readyz", self.ops)).send().await;
        probe.ok().map(|r| r.status().as_u16())
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        for _ in 0..300 {
            if self.ready(client).await == Some(200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("gateway {} did not become ready", self.base);
    }

    fn terminate(&self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_the_gateway_under_load_loses_no_request() {
    let prefix = format!("test-{:08x}-", rand::random::<u32>());
    let client = reqwest::Client::new();
    let mut old = Gateway::start(&prefix);
    let new = Gateway::start(&prefix);
    old.wait_ready(&client).await;
    new.wait_ready(&client).await;

    // The balancer: sends to the old gateway while its readiness probe
    // passes, to the new one from the first failed probe on.
    let old_ready = Arc::new(AtomicBool::new(true));
    let saw_not_ready_while_alive = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let prober = {
        let (client, old_ops) = (client.clone(), old.ops.clone());
        let (old_ready, saw, stop) = (
            old_ready.clone(),
            saw_not_ready_while_alive.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let probe = client.get(format!("{old_ops}/readyz")).send().await;
                match probe.map(|r| r.status().as_u16()) {
                    Ok(200) => {}
                    Ok(503) => {
                        saw.store(true, Ordering::SeqCst);
                        old_ready.store(false, Ordering::SeqCst);
                    }
                    _ => old_ready.store(false, Ordering::SeqCst),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let answers = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..LOAD_TASKS)
        .map(|task| {
            let (client, old_base, new_base) = (client.clone(), old.base.clone(), new.base.clone());
            let (old_ready, stop, answers, sent) = (
                old_ready.clone(),
                stop.clone(),
                answers.clone(),
                sent.clone(),
            );
            tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    let base = if old_ready.load(Ordering::SeqCst) {
                        &old_base
                    } else {
                        &new_base
                    };
                    let body = valid_body(1_000_000 + task * 100_000 + i);
                    sent.fetch_add(1, Ordering::SeqCst);
                    let answer = client
                        .post(format!("{base}/v1/registrations"))
                        .json(&body)
                        .send()
                        .await;
                    let answer = match answer {
                        Ok(resp) => {
                            let status = resp.status().as_u16();
                            let id = resp
                                .json::<Value>()
                                .await
                                .ok()
                                .and_then(|v| v["registration_id"].as_str().map(str::to_owned));
                            Ok((status, id))
                        }
                        Err(error) => Err(error.to_string()),
                    };
                    answers.lock().await.push(answer);
                    i += 1;
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    old.terminate();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }
    prober.await.unwrap();
    let old_exit = old.child.wait().unwrap();
    let mut new = new;
    new.terminate();
    let new_exit = new.child.wait().unwrap();

    let answers = answers.lock().await;
    let failures: Vec<_> = answers
        .iter()
        .filter(|a| !matches!(a, Ok((202, Some(_)))))
        .collect();
    assert!(
        failures.is_empty(),
        "{} lost or refused: {failures:?}",
        failures.len()
    );
    assert_eq!(answers.len(), sent.load(Ordering::SeqCst));
    assert!(
        saw_not_ready_while_alive.load(Ordering::SeqCst),
        "the old gateway never answered not-ready before it stopped"
    );
    assert!(old_exit.success() && new_exit.success());
    // Every 202 is on the queue, and nothing else is.
    let mut accepted: Vec<String> = answers
        .iter()
        .filter_map(|a| a.as_ref().ok().and_then(|(_, id)| id.clone()))
        .collect();
    let config = lonjak_bus::BusConfig {
        prefix: prefix.clone(),
        ..lonjak_bus::BusConfig::default()
    };
    let topology = lonjak_bus::Topology::new(&config);
    let mut queued = drain(&topology.queue(lonjak_bus::WorkQueue::Verifier)).await;
    accepted.sort_unstable();
    queued.sort_unstable();
    assert!(accepted.len() > 10, "too little load to show anything");
    assert_eq!(queued, accepted);
    let _ = lonjak_bus::delete_topology(&config).await;
}

async fn drain(queue: &str) -> Vec<String> {
    use lapin::options::BasicGetOptions;
    let conn = lapin::Connection::connect(AMQP_URL, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let channel = conn.create_channel().await.unwrap();
    let mut ids = Vec::new();
    while let Some(msg) = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
    {
        let body: Value = serde_json::from_slice(&msg.delivery.data).unwrap();
        ids.push(
            body["payload"]["registration_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let _ = conn.close(200, "done".into()).await;
    ids
}
