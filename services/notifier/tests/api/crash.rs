//! The real notifier binary, killed (SIGKILL) after the provider has the
//! message and before the broker has the ack: after a restart, exactly one
//! message per channel at the servers.

use lonjak_domain::Language;
use secrecy::ExposeSecret;
use tokio::process::{Child, Command};

use crate::helpers::{Options, TestApp, spawn_app_with, verified};

/// The environment that makes a notifier binary one of this test's.
fn child_env(app: &TestApp) -> Vec<(&'static str, String)> {
    let s = &app.settings;
    let delays: Vec<String> = s.bus.retry_delays_ms.iter().map(u64::to_string).collect();
    vec![
        ("LONJAK_BUS__URL", s.bus.url.expose_secret().to_owned()),
        ("LONJAK_BUS__PREFIX", s.bus.prefix.clone()),
        (
            "LONJAK_BUS__INTAKE_MAX_LENGTH",
            s.bus.intake_max_length.to_string(),
        ),
        (
            "LONJAK_BUS__DELIVERY_LIMIT",
            s.bus.delivery_limit.to_string(),
        ),
        ("LONJAK_BUS__RETRY_DELAYS_MS", delays.join(",")),
        (
            "LONJAK_DATABASE__URL",
            s.database.url.expose_secret().to_owned(),
        ),
        (
            "LONJAK_DATABASE__DATA_KEY",
            s.database
                .data_key
                .as_ref()
                .map(|key| key.expose_secret().to_owned())
                .unwrap_or_default(),
        ),
        ("LONJAK_EMAIL_VERIFICATION__KEY", app.key_hex.clone()),
        (
            "LONJAK_EMAIL__SMTP_URL",
            s.email.smtp_url.expose_secret().to_owned(),
        ),
        (
            "LONJAK_EMAIL__MESSAGE_ID_DOMAIN",
            s.email.message_id_domain.clone(),
        ),
        ("LONJAK_SMS__URL", s.sms.url.clone()),
        (
            "LONJAK_SMS__TIMEOUT_MS",
            s.notifier.send_deadline_ms.to_string(),
        ),
        (
            "LONJAK_NOTIFIER__SEND_DEADLINE_MS",
            s.notifier.send_deadline_ms.to_string(),
        ),
        (
            "LONJAK_NOTIFIER__CLAIM_LEASE_MS",
            s.notifier.claim_lease_ms.to_string(),
        ),
        ("LONJAK_WORKER__BATCH_SIZE", s.worker.batch_size.to_string()),
        ("LONJAK_OPS__ADDR", "127.0.0.1:0".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ]
}

fn start_notifier(app: &TestApp) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lonjak-notifier"))
        .envs(child_env(app))
        .kill_on_drop(true)
        .spawn()
        .expect("start the notifier binary")
}

/// Sends SIGTERM, as Kubernetes does to stop a pod.
fn terminate(child: &Child) {
    let pid = child.id().expect("a running child");
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
}

/// The email is at the SMTP server and marked sent (its copy of the event,
/// on the email queue, acked then or about to be); the SMS is on its way to
/// a provider that takes a minute to answer, so the SMS queue's copy is not
/// acked. The kill lands there: in or after the mark-to-ack window for the
/// email, and in the send-to-mark window for the SMS, which the provider
/// closes with the idempotency key. The restarted notifier sends no email
/// again (found sent if redelivered); it sends the SMS once the dead
/// notifier's claim has run out.
#[tokio::test]
async fn a_notifier_killed_between_send_and_ack_sends_nothing_twice_after_restart() {
    let mut options = Options {
        start: false,
        ..Options::default()
    };
    // The SMS provider holds every request: the kill always comes first.
    options.sim.latency_ms = 60_000;
    options.sim.latency_jitter_ms = 0;
    // Room for a loaded machine (a CI run's tests share two cores) between
    // the email's mark and the kill, before the held SMS times out; the
    // retries outlast the lease (the notifier refuses settings where they
    // do not). The restart waits the lease out, so this is the test's cost.
    options.notifier.send_deadline_ms = 10_000;
    options.notifier.claim_lease_ms = 12_000;
    options.retry_delays_ms = vec![1_000; 16];
    let app = spawn_app_with(options).await;
    let siti = app.applicant(33, Language::Id, None).await;

    let mut first = start_notifier(&app);
    app.publish(&verified(&siti)).await;
    app.eventually("the email is at the server and marked sent", async || {
        app.state_of(&siti, "verified", "email").await.as_deref() == Some("sent")
            && app.emails_to(&siti.email).await.len() == 1
    })
    .await;
    first.start_kill().expect("SIGKILL the notifier");
    first.wait().await.expect("reap the killed notifier");
    // Still claimed: the SMS never ended, so its event was never acked.
    assert_eq!(
        app.state_of(&siti, "verified", "sms").await.as_deref(),
        Some("claimed"),
        "the kill came after the event was settled"
    );

    app.sim
        .reconfigure(serde_json::json!({"latency_ms": 5}))
        .expect("a fast provider again");
    let mut second = start_notifier(&app);
    app.eventually("the SMS is marked sent", async || {
        app.state_of(&siti, "verified", "sms").await.as_deref() == Some("sent")
    })
    .await;
    app.expect_messages(&siti, 1, 1).await;
    terminate(&second);
    let status = second.wait().await.expect("reap the notifier");
    assert!(status.success(), "SIGTERM is a clean shutdown: {status}");
}
