//! A provider at capacity: lonjak stays within its own limit, honours the
//! provider's Retry-After, and every message arrives in the end.

use lonjak_domain::Language;
use lonjak_notifier::config::NotifierSettings;
use lonjak_sms_sim::SmsSimConfig;
use time::Duration;

use crate::helpers::{Options, spawn_app_with, verified};

const OUR_RATE: u32 = 10;

#[tokio::test]
async fn with_the_sms_provider_at_capacity_lonjak_stays_within_its_rate_and_everything_arrives() {
    let app = spawn_app_with(Options {
        sim: SmsSimConfig {
            latency_ms: 0,
            latency_jitter_ms: 0,
            // Below our own limit: the provider refuses some with 429.
            capacity_per_sec: 4,
            burst: 1,
            workers: 2,
            ..SmsSimConfig::default()
        },
        sms_rate: OUR_RATE,
        // Every message waits for the provider within its deadline, none
        // through the retry queues.
        notifier: NotifierSettings {
            send_deadline_ms: 30_000,
            claim_lease_ms: 35_000,
        },
        retry_delays_ms: vec![20_000, 20_000],
        ..Options::default()
    })
    .await;
    let mut applicants = Vec::new();
    for n in 0..20 {
        applicants.push(app.applicant(100 + n, Language::Id, None).await);
    }
    for who in &applicants {
        app.publish(&verified(who)).await;
    }
    for who in &applicants {
        app.expect_messages(who, 1, 1).await;
    }

    assert_eq!(app.settled_count("retried"), 0, "a message ran out of time");
    let stats = app.sim.stats();
    assert!(
        stats.throttled > 0,
        "the provider was never at capacity: {stats:?}"
    );
    assert_eq!(stats.accepted, 20);
    // Every request that reached the provider, 429s included: never more
    // than our rate per second (plus the one-message burst) in any second.
    let mut times: Vec<time::OffsetDateTime> =
        app.sim.attempts(None).into_iter().map(|a| a.at).collect();
    times.sort();
    for (i, start) in times.iter().enumerate() {
        let within = times[i..]
            .iter()
            .take_while(|t| **t - *start < Duration::seconds(1))
            .count();
        assert!(
            within <= OUR_RATE as usize + 1,
            "{within} requests within one second from {start}"
        );
    }
}
