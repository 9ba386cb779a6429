//! `spawn_app()`: a gateway on port 0 against the real broker, with its own
//! queue-name prefix so tests never see each other's messages.

use lonjak_domain::{IdentityKey, IdentitySettings};
use std::time::Duration;

use lapin::options::BasicGetOptions;
use lapin::{Connection, ConnectionProperties};
use lonjak_bus::{BusConfig, Topology};
use lonjak_gateway::app::Application;
use lonjak_gateway::config::Settings;
use rand::Rng;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

pub struct TestApp {
    pub base: String,
    /// The ops listener: `/metrics`, `/healthz`, `/readyz`.
    pub ops_base: String,
    pub client: reqwest::Client,
    pub prefix: String,
    pub settings: Settings,
    shutdown: CancellationToken,
}

/// Defaults for tests: generous limits (tests that exercise a limit lower it),
/// no database (status look-ups are tested in the pipeline tests).
/// The local pipeline's development key (`deploy/local/env.sh`).
pub const DEVELOPMENT_IDENTITY_KEY: &str =
    "6c6f6e6a616b2d646576656c6f706d656e742d6b65792d6e6f742d7365637265";

pub fn test_settings() -> Settings {
    let mut s = Settings::with_defaults(
        IdentitySettings {
            key: IdentityKey::from_hex(DEVELOPMENT_IDENTITY_KEY).expect("a valid key"),
            // The gateway never holds the look-up key.
            lookup_key: None,
        },
        lonjak_seal::SealingSettings {
            public_key: lonjak_seal::SealPublicKey::from_base64(
                lonjak_seal::DEVELOPMENT_PUBLIC_KEY,
            )
            .expect("a valid key"),
        },
    );
    s.http.addr = "127.0.0.1:0".to_owned();
    s.http.workers = 2;
    s.http.drain_delay_ms = 0;
    s.ops.addr = "127.0.0.1:0".to_owned();
    s.bus.prefix = format!("test-{:08x}-", rand::rng().random::<u32>());
    s.bus.publish_timeout_ms = 3_000;
    s.database.url = String::new().into();
    s.admission.client_per_sec = 10_000;
    s.admission.client_burst = 10_000;
    s
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    lonjak_telemetry::init_test_tracing();
    let shutdown = CancellationToken::new();
    let app = Application::build(settings.clone(), shutdown.clone())
        .await
        .expect("gateway builds");
    let base = format!("http://{}", app.addr());
    let ops_base = format!("http://{}", app.ops_addr());
    let expect_broker = settings.bus.url.expose() == AMQP_URL;
    if expect_broker {
        // Generous: another suite may be restarting the shared broker.
        for _ in 0..600 {
            if app.broker_connected() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            app.broker_connected(),
            "gateway did not connect to the broker"
        );
    }
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        ops_base,
        client: reqwest::Client::new(),
        prefix: settings.bus.prefix.clone(),
        settings,
        shutdown,
    }
}

trait Expose {
    fn expose(&self) -> &str;
}
impl Expose for secrecy::SecretString {
    fn expose(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(self)
    }
}

impl TestApp {
    pub async fn post_json(&self, body: &Value) -> reqwest::Response {
        self.post_from(body, None).await
    }

    pub async fn post_from(&self, body: &Value, forwarded_for: Option<&str>) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}/v1/registrations", self.base))
            .json(body);
        if let Some(xff) = forwarded_for {
            req = req.header("X-Forwarded-For", xff);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request sent")
    }

    pub fn topology(&self) -> Topology {
        Topology::new(&BusConfig {
            prefix: self.prefix.clone(),
            ..BusConfig::default()
        })
    }

    pub fn intake_queue(&self) -> String {
        self.topology().queue(lonjak_bus::WorkQueue::Verifier)
    }

    /// Takes every message off the intake queue (acknowledging them).
    pub async fn drain_intake(&self) -> Vec<lapin::message::Delivery> {
        let conn = Connection::connect(AMQP_URL, ConnectionProperties::default())
            .await
            .unwrap();
        let channel = conn.create_channel().await.unwrap();
        let mut out = Vec::new();
        while let Some(msg) = channel
            .basic_get(
                self.intake_queue().as_str().into(),
                BasicGetOptions { no_ack: true },
            )
            .await
            .unwrap()
        {
            out.push(msg.delivery);
        }
        let _ = conn.close(200, "done".into()).await;
        out
    }

    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.ops_base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Stops the gateway and deletes this test's queues and exchanges.
    pub async fn cleanup(self) {
        self.shutdown.cancel();
        let config = BusConfig {
            prefix: self.prefix.clone(),
            ..BusConfig::default()
        };
        let _ = lonjak_bus::delete_topology(&config).await;
    }
}

/// A valid registration body for applicant `i` (unique NIK per `i`).
pub fn valid_body(i: u64) -> Value {
    let today = time::OffsetDateTime::now_utc().date();
    serde_json::to_value(lonjak_domain::testing::sample_request(i, today)).unwrap()
}

/// Runs `rabbitmqctl` with arguments, returning whether it succeeded.
pub async fn rabbitmqctl(args: &[&str]) -> bool {
    tokio::process::Command::new("rabbitmqctl")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// Restarts the broker's application; the guard makes sure it is running
/// again even if the test fails half-way.
pub struct BrokerRestart;

impl BrokerRestart {
    pub async fn run() -> Self {
        assert!(
            rabbitmqctl(&["stop_app"]).await,
            "rabbitmqctl stop_app failed"
        );
        assert!(
            rabbitmqctl(&["start_app"]).await,
            "rabbitmqctl start_app failed"
        );
        Self
    }
}

impl Drop for BrokerRestart {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["start_app"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Sets a memory watermark so low that the broker raises its memory alarm;
/// the guard restores the default (0.4) when dropped.
pub struct MemoryAlarm;

impl MemoryAlarm {
    pub async fn raise() -> Self {
        assert!(rabbitmqctl(&["set_vm_memory_high_watermark", "0.0000001"]).await);
        Self
    }

    pub async fn clear(self) {
        assert!(rabbitmqctl(&["set_vm_memory_high_watermark", "0.4"]).await);
    }
}

impl Drop for MemoryAlarm {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["set_vm_memory_high_watermark", "0.4"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Opens the sealed applicant of a `registration.submitted` message with the
/// development private key, as the verifier would.
pub fn open_applicant(data: &[u8]) -> lonjak_domain::RegistrationRequest {
    let envelope: lonjak_bus::Envelope<lonjak_domain::events::RegistrationSubmitted> =
        serde_json::from_slice(data).expect("a registration.submitted envelope");
    let key = lonjak_seal::SealPrivateKey::from_base64(lonjak_seal::DEVELOPMENT_PRIVATE_KEY)
        .expect("the development key");
    lonjak_seal::open_submitted(&lonjak_seal::OpeningKeys::new(vec![key]), &envelope.payload)
        .expect("opens with the development key")
}
