//! The running binary's logs never contain the applicant's personal data,
//! whether the registration is accepted or refused.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{AMQP_URL, valid_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_personal_data_even_at_debug_level() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let prefix = format!("test-{:08x}-", rand::random::<u32>());
    let mut child = Command::new(env!("CARGO_BIN_EXE_lonjak-gateway"))
        .env("LONJAK_HTTP__ADDR", format!("127.0.0.1:{port}"))
        .env("LONJAK_HTTP__WORKERS", "1")
        .env("LONJAK_OPS__ADDR", "127.0.0.1:0")
        .env("LONJAK_BUS__URL", AMQP_URL)
        .env(
            "LONJAK_IDENTITY__KEY",
            crate::helpers::DEVELOPMENT_IDENTITY_KEY,
        )
        .env(
            "LONJAK_SEAL__PUBLIC_KEY",
            lonjak_seal::DEVELOPMENT_PUBLIC_KEY,
        )
        .env("LONJAK_BUS__PREFIX", &prefix)
        .env("LONJAK_DATABASE__URL", "")
        .env("RUST_LOG", "debug")
        .env("LONJAK_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gateway binary starts");
    // Read the log as it is written: a full pipe would block the gateway.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut logs = String::new();
        let _ = stderr.read_to_string(&mut logs);
        logs
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "gateway binary did not become ready");

    let valid = valid_body(900);
    let mut invalid = valid_body(901);
    invalid["email"] = json!("broken-but-personal@");
    invalid["kk_number"] = json!("31710101012000XY");
    let accepted = client
        .post(format!("{base}/v1/registrations"))
        .json(&valid)
        .send()
        .await
        .unwrap();
    let refused = client
        .post(format!("{base}/v1/registrations"))
        .json(&invalid)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(refused.status(), 422);

    // SIGTERM: the gateway drains and exits, closing its log.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let logs = reader.join().unwrap();

    assert!(
        status.success(),
        "gateway did not exit cleanly on SIGTERM: {status}"
    );
    assert!(logs.contains("gateway listening"), "no logs captured");
    for body in [&valid, &invalid] {
        for field in ["nik", "kk_number", "full_name", "email", "phone"] {
            let value = body[field].as_str().unwrap();
            assert!(!logs.contains(value), "the log contains the {field}");
        }
    }
    let config = lonjak_bus::BusConfig {
        prefix,
        ..lonjak_bus::BusConfig::default()
    };
    let _ = lonjak_bus::delete_topology(&config).await;
}
