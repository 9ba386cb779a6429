//! Several gateways on one queue, and the admission rate against a drain
//! rate that changes, on the real PostgreSQL.

use std::time::Duration;

use lonjak_domain::Wave;
use lonjak_gateway::waitroom::{PacingInput, PacingLimits, pace};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{Store, StoreConfig};
use reqwest::StatusCode;

use crate::helpers::spawn_app_with;
use crate::waitroom::{WAVE, check, join, register, room_settings, until_state};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_share_one_queue_in_one_order() {
    let db = TestDatabase::create().await;
    let mut settings = room_settings(&db, &[WAVE]);
    settings.admission.global_per_sec = 5;
    settings.waitroom.min_admit_per_sec = 1.0;
    let a = spawn_app_with(settings.clone()).await;
    let mut other = settings;
    other.bus.prefix = a.prefix.clone();
    let b = spawn_app_with(other).await;

    // Joins alternate between the gateways; each client asks both.
    let mut tickets = Vec::new();
    for i in 0..16 {
        let (via, again) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let client = format!("198.51.100.{i}");
        let (status, body) = join(via, WAVE, &client).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status_again, body_again) = join(again, WAVE, &client).await;
        assert_eq!(
            status_again,
            StatusCode::OK,
            "one ticket per client across gateways"
        );
        assert_eq!(body["ticket"], body_again["ticket"]);
        tickets.push(body["ticket"].as_str().unwrap().to_owned());
    }

    // One order for both: the positions the shared store gave follow the
    // order of joining, whichever gateway took the join.
    let store = Store::connect(StoreConfig::without_personal_data(&db.url))
        .await
        .unwrap();
    let mut positions = Vec::new();
    for ticket in &tickets {
        // The ticket id is bytes 5..21 of the signed ticket.
        let id = uuid::Uuid::parse_str(&ticket[10..42]).unwrap();
        let state = store
            .waitroom_ticket(Wave::new(WAVE).unwrap(), id)
            .await
            .unwrap()
            .unwrap();
        positions.push(state.position.unwrap());
    }
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    // Both gateways answer for every ticket.
    for ticket in &tickets {
        assert_eq!(check(&a, WAVE, ticket).await.0, StatusCode::OK);
        assert_eq!(check(&b, WAVE, ticket).await.0, StatusCode::OK);
    }

    // A ticket from one gateway registers through the other.
    let last = tickets.last().unwrap();
    until_state(&b, WAVE, last, "admitted").await;
    let mut body = crate::helpers::valid_body(3);
    body["wave"] = WAVE.into();
    let (status, _) = register(&a, &body, Some(last)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    b.cleanup().await;
    a.cleanup().await;
}

/// The admission loop run against the real store, with the drain played by
/// a model: the backlog grows by what is admitted and shrinks at the drain
/// rate, which halves half-way. The rate let in must follow it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admitted_rate_follows_a_drain_rate_that_changes() {
    let db = TestDatabase::create().await;
    let store = Store::connect(StoreConfig::without_personal_data(&db.url))
        .await
        .unwrap();
    let wave = Wave::new(WAVE).unwrap();
    let opens = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    store.waitroom_ensure_wave(wave, Some(opens)).await.unwrap();
    // A crowd bigger than both phases will let in.
    for i in 0..2_500u32 {
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(&i.to_be_bytes());
        store
            .waitroom_join(wave, &key, Duration::ZERO, Duration::from_secs(600), |_| {
                None
            })
            .await
            .unwrap();
    }
    let limits = PacingLimits {
        target_backlog_secs: 10.0,
        min_per_sec: 1.0,
        max_per_sec: 3_000.0,
        permit_secs: 600.0,
    };
    let period = Duration::from_millis(20);
    let mut backlog: f64 = 0.0;
    let mut per_phase = Vec::new();
    // Model seconds per tick: 1, whatever the real tick took, so the test
    // does not depend on this machine's speed.
    for drain in [20.0, 10.0] {
        let mut admitted = 0u64;
        for _ in 0..60 {
            tokio::time::sleep(period).await;
            let Some(claim) = store
                .waitroom_claim_tick(wave, period, Duration::from_secs(600))
                .await
                .unwrap()
            else {
                continue;
            };
            let pacing = pace(
                PacingInput {
                    drain_per_sec: drain,
                    backlog,
                    previous_per_sec: claim.admit_per_sec,
                    outstanding: 0.0,
                    elapsed_secs: 1.0,
                    credit: claim.admit_credit,
                },
                limits,
            );
            let result = store
                .waitroom_advance(
                    wave,
                    &claim,
                    pacing.count,
                    pacing.per_sec,
                    pacing.credit,
                    Duration::from_secs(600),
                )
                .await
                .unwrap();
            admitted += result.admitted;
            backlog = (backlog + result.admitted as f64 - drain).max(0.0);
        }
        per_phase.push(admitted);
    }

    // Each phase: 60 model seconds. The first starts empty and probes up;
    // both should let in about drain × 60 (the second also works off the
    // backlog the first built).
    let (first, second) = (per_phase[0] as f64, per_phase[1] as f64);
    assert!((1_000.0..=1_600.0).contains(&first), "{per_phase:?}");
    assert!((400.0..=800.0).contains(&second), "{per_phase:?}");
    assert!(second < first * 0.75, "{per_phase:?}");
}
