//! Each channel has its own queue and consume loop: a provider at capacity
//! holds back its own channel only. Judged by what the servers received and
//! in which order, not by how long anything took.

use lonjak_bus::WorkQueue;
use lonjak_domain::Language;
use lonjak_notifier::config::{LoopSettings, NotifierSettings};
use lonjak_sms_sim::SmsSimConfig;
use lonjak_worker::WorkerSettings;

use crate::helpers::{Options, sent_to, spawn_app_with, verified};

const APPLICANTS: u64 = 20;

/// With the events acked once both channels had ended, the email of the
/// third event waited for the SMS of the first two (batches of two, one at
/// a time): the emails would have come about as slowly as the SMS, one a
/// second. Here every email is at the mail server before the SMS provider
/// has taken half of the SMS, and every SMS arrives in the end.
#[tokio::test]
async fn an_sms_provider_at_capacity_holds_back_no_email() {
    let app = spawn_app_with(Options {
        sim: SmsSimConfig {
            latency_ms: 0,
            latency_jitter_ms: 0,
            // One a second: far below our own SMS rate, so the provider's
            // 429s and Retry-After are what pace the SMS.
            capacity_per_sec: 1,
            burst: 1,
            workers: 2,
            ..SmsSimConfig::default()
        },
        // Small batches, one at a time, on both loops: nothing in hand
        // hides which channel waits for which.
        worker: WorkerSettings {
            batch_size: 2,
            concurrency: 1,
            linger_ms: 5,
            backoff_max_ms: 500,
            shutdown_grace_ms: 10_000,
            ..WorkerSettings::default()
        },
        sms_worker: LoopSettings {
            prefetch: Some(2),
            ..LoopSettings::default()
        },
        // Every SMS waits for the provider within its deadline, none goes
        // through the retry queues.
        notifier: NotifierSettings {
            send_deadline_ms: 40_000,
            claim_lease_ms: 45_000,
        },
        retry_delays_ms: vec![30_000, 30_000],
        ..Options::default()
    })
    .await;
    let mut applicants = Vec::new();
    for n in 0..APPLICANTS {
        applicants.push(app.applicant(200 + n, Language::Id, None).await);
    }
    for who in &applicants {
        app.publish(&verified(who)).await;
    }

    let mut emails = 0;
    app.eventually("every email is at the mail server", async || {
        let all = app.all_emails().await;
        emails = applicants
            .iter()
            .map(|who| all.iter().filter(|m| sent_to(m, &who.email)).count())
            .sum();
        emails >= applicants.len()
    })
    .await;
    let sms_then = app.sim.stats().accepted;
    let sms_waiting = app.depth(WorkQueue::NotifySms).await;
    assert!(
        sms_then < APPLICANTS / 2,
        "the emails came no faster than the SMS: {sms_then} SMS accepted when the last email arrived"
    );
    assert!(
        sms_waiting > 0,
        "the SMS queue had drained as fast as the email queue"
    );
    // Each email went out once and is marked sent.
    assert_eq!(emails, applicants.len());
    for who in &applicants {
        assert_eq!(
            app.state_of(who, "verified", "email").await.as_deref(),
            Some("sent")
        );
    }

    for who in &applicants {
        app.expect_messages(who, 1, 1).await;
    }
    assert!(
        app.sim.stats().throttled > 0,
        "the provider was never at capacity"
    );
    assert_eq!(app.sim.stats().accepted, APPLICANTS);
    assert_eq!(app.settled_count("retried"), 0, "an SMS ran out of time");
}
