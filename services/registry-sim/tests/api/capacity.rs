//! Beyond its capacity a registry pushes back like an overloaded ministry.

use lonjak_registry_sim::{Registry, RegistryConfig, SimConfig};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::helpers::{applicant, assert_problem, spawn_sim, unthrottled};

fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[tokio::test]
async fn more_concurrent_requests_than_max_concurrent_get_503_with_retry_after_one_second() {
    let app = spawn_sim(SimConfig {
        dapodik: RegistryConfig {
            latency_ms: 500,
            latency_jitter_ms: 0,
            max_concurrent: 3,
            rate_per_sec: 0,
            ..RegistryConfig::default()
        },
        ..unthrottled()
    })
    .await;

    let calls = (0..20).map(|i| {
        let (nik, _) = applicant(i);
        let app = &app;
        async move { app.dapodik(&nik).await }
    });
    let responses = futures::future::join_all(calls).await;

    let ok = responses
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    let overloaded: Vec<_> = responses
        .iter()
        .filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(ok >= 1, "some requests are served");
    assert!(ok <= 20 - overloaded.len());
    assert!(!overloaded.is_empty(), "requests past the cap are refused");
    assert!(overloaded.iter().all(|r| retry_after(r) == Some(1)));
    let stats = app.stats().await;
    assert!(stats["dapodik"].max_concurrent_seen > 3);
    assert_eq!(stats["dapodik"].overloaded, overloaded.len() as u64);
}

#[tokio::test]
async fn requests_above_rate_per_sec_get_429_with_a_retry_after_in_seconds() {
    let app = spawn_sim(SimConfig {
        dtks: RegistryConfig {
            latency_ms: 0,
            latency_jitter_ms: 0,
            max_concurrent: 0,
            rate_per_sec: 1,
            burst: 1,
            ..RegistryConfig::default()
        },
        ..unthrottled()
    })
    .await;

    let mut statuses = Vec::new();
    let mut waits = Vec::new();
    for i in 0..10 {
        let response = app.dtks(&applicant(i).0).await;
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            waits.push(retry_after(&response));
        }
    }

    assert_eq!(statuses[0], StatusCode::OK, "the bucket starts full");
    assert!(
        !waits.is_empty(),
        "ten calls in a row exceed one per second"
    );
    assert!(waits.iter().all(|w| w.is_some_and(|secs| secs >= 1)));
    let stats = app.stats().await;
    assert_eq!(stats["dtks"].rate_limited, waits.len() as u64);
    assert_eq!(stats["dtks"].requests, 10);
    // A refusal at one per second means two arrivals less than a second apart.
    assert!(stats["dtks"].max_rate_per_sec_seen >= 2);
}

#[tokio::test]
async fn a_registry_configured_down_answers_503_while_the_others_answer() {
    let app = spawn_sim(SimConfig {
        down: vec![Registry::Dukcapil],
        ..unthrottled()
    })
    .await;
    let (nik, birth_date) = applicant(7);

    assert_problem(
        app.dukcapil(&nik, &birth_date).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(app.dapodik(&nik).await.status(), StatusCode::OK);
    assert_eq!(app.dtks(&nik).await.status(), StatusCode::OK);
    assert_eq!(app.stats().await["dukcapil"].errors, 1);
}

#[tokio::test]
async fn an_error_rate_of_one_answers_every_call_with_500_or_503() {
    let app = spawn_sim(SimConfig {
        dapodik: RegistryConfig {
            error_rate: 1.0,
            ..unthrottled().dapodik
        },
        ..unthrottled()
    })
    .await;

    for i in 0..20 {
        let status = app.dapodik(&applicant(i).0).await.status();
        assert!(
            status == StatusCode::INTERNAL_SERVER_ERROR
                || status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}"
        );
    }
    assert_eq!(app.stats().await["dapodik"].errors, 20);
}
