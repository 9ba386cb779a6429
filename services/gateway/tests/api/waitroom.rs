//! The waiting room against the real PostgreSQL and RabbitMQ: FIFO order,
//! unforgeable tickets bound to one wave, one ticket per client, expiry,
//! the gate on registrations, and several gateways sharing one queue.

use std::time::Duration;

use lonjak_domain::Wave;
use lonjak_gateway::config::Settings;
use lonjak_gateway::waitroom::TicketKey;
use lonjak_store::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with, test_settings, valid_body};

pub const TICKET_KEY: &str = "7761697472306f6d2074657374206b65792c206e6f742061207365637265742e";
pub const WAVE: u32 = 7;

/// A gateway with a waiting room for `waves`, on `db`, trusting 127.0.0.1
/// to forward (each test client is an `X-Forwarded-For` address).
pub fn room_settings(db: &TestDatabase, waves: &[u32]) -> Settings {
    let mut s = test_settings();
    s.database.url = db.url.clone().into();
    s.intake.open_waves_max = 100;
    s.waitroom.waves = waves.to_vec();
    s.waitroom.ticket_key = TICKET_KEY.to_owned().into();
    s.waitroom.tick_ms = 100;
    s.waitroom.drain_period_ms = 100;
    s.waitroom.poll_secs = 1;
    s.admission.trusted_proxies = vec!["127.0.0.1".to_owned()];
    s.admission.status_per_sec = 10_000;
    s.admission.status_burst = 10_000;
    s
}

pub async fn join(app: &TestApp, wave: u32, client: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}/v1/waves/{wave}/queue", app.base))
        .header("X-Forwarded-For", client)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn check(app: &TestApp, wave: u32, ticket: &str) -> (StatusCode, Value) {
    let res = app.get(&format!("/v1/waves/{wave}/queue/{ticket}")).await;
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Polls until the ticket is in `state` (bounded: a minute).
pub async fn until_state(app: &TestApp, wave: u32, ticket: &str, state: &str) -> Value {
    for _ in 0..600 {
        let (status, body) = check(app, wave, ticket).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["state"] == state {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("ticket never reached {state}");
}

pub async fn register(app: &TestApp, body: &Value, ticket: Option<&str>) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}/v1/registrations", app.base))
        .json(body);
    if let Some(ticket) = ticket {
        req = req.header("Waitroom-Ticket", ticket);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn body_for(i: u64, wave: u32) -> Value {
    let mut body = valid_body(i);
    body["wave"] = wave.into();
    body
}

fn ticket_of(body: &Value) -> String {
    body["ticket"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_are_admitted_in_the_order_they_joined() {
    let db = TestDatabase::create().await;
    let mut settings = room_settings(&db, &[WAVE]);
    // Ten a second at most: slow enough to watch the order.
    settings.admission.global_per_sec = 10;
    settings.waitroom.min_admit_per_sec = 2.0;
    let app = spawn_app_with(settings).await;
    let mut tickets = Vec::new();
    for i in 0..25 {
        let (status, body) = join(&app, WAVE, &format!("198.51.100.{i}")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        tickets.push(ticket_of(&body));
    }

    // Checked last-joined first: if a later ticket is admitted, every
    // earlier one, checked after it, must be too.
    loop {
        let mut admitted_seen = false;
        let mut all = true;
        for ticket in tickets.iter().rev() {
            let (_, body) = check(&app, WAVE, ticket).await;
            let admitted = body["state"] == "admitted";
            assert!(
                admitted || !admitted_seen,
                "a ticket waits while one who joined after it was let in: {body}"
            );
            admitted_seen |= admitted;
            all &= admitted;
        }
        if all {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_again_returns_the_same_place() {
    let db = TestDatabase::create().await;
    let app = spawn_app_with(room_settings(&db, &[WAVE])).await;

    let (first, a) = join(&app, WAVE, "203.0.113.5").await;
    let (again, b) = join(&app, WAVE, "203.0.113.5").await;
    let (_, other) = join(&app, WAVE, "203.0.113.6").await;

    assert_eq!(first, StatusCode::CREATED);
    assert_eq!(again, StatusCode::OK);
    assert_eq!(a["ticket"], b["ticket"]);
    assert_ne!(a["ticket"], other["ticket"]);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tickets_and_tickets_of_another_wave_are_refused() {
    let db = TestDatabase::create().await;
    let app = spawn_app_with(room_settings(&db, &[WAVE, WAVE + 1])).await;
    let (_, joined) = join(&app, WAVE, "203.0.113.7").await;
    let ticket = ticket_of(&joined);
    until_state(&app, WAVE, &ticket, "admitted").await;
    let forged = TicketKey::new([1; 32]).sign(Wave::new(WAVE).unwrap(), uuid::Uuid::new_v4());

    let (status_forged, _) = check(&app, WAVE, &forged).await;
    let (status_other_wave, _) = check(&app, WAVE + 1, &ticket).await;
    let (reg_forged, forged_problem) = register(&app, &body_for(1, WAVE), Some(&forged)).await;
    let (reg_other, other_problem) = register(&app, &body_for(2, WAVE + 1), Some(&ticket)).await;

    assert_eq!(status_forged, StatusCode::NOT_FOUND);
    assert_eq!(status_other_wave, StatusCode::NOT_FOUND);
    assert_eq!(reg_forged, StatusCode::FORBIDDEN);
    assert!(
        forged_problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/invalid-ticket")
    );
    assert_eq!(reg_other, StatusCode::FORBIDDEN);
    assert!(
        other_problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/invalid-ticket")
    );
    assert!(app.drain_intake().await.is_empty(), "nothing was published");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_needs_an_admitted_ticket_which_admits_it_once() {
    let db = TestDatabase::create().await;
    let app = spawn_app_with(room_settings(&db, &[WAVE])).await;

    let (without, problem) = register(&app, &body_for(1, WAVE), None).await;
    assert_eq!(without, StatusCode::FORBIDDEN);
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/ticket-required")
    );
    // A wave without a waiting room takes registrations directly.
    let (direct, _) = register(&app, &body_for(9, 1), None).await;
    assert_eq!(direct, StatusCode::ACCEPTED);

    let (_, joined) = join(&app, WAVE, "203.0.113.8").await;
    let ticket = ticket_of(&joined);
    let admitted = until_state(&app, WAVE, &ticket, "admitted").await;
    assert!(admitted["admitted_until"].is_string(), "{admitted}");

    let (first, receipt) = register(&app, &body_for(1, WAVE), Some(&ticket)).await;
    let (retry, again) = register(&app, &body_for(1, WAVE), Some(&ticket)).await;
    let (second, used) = register(&app, &body_for(2, WAVE), Some(&ticket)).await;

    assert_eq!(first, StatusCode::ACCEPTED, "{receipt}");
    assert_eq!(retry, StatusCode::ACCEPTED, "a retried submission passes");
    assert_eq!(receipt["registration_id"], again["registration_id"]);
    assert_eq!(second, StatusCode::CONFLICT);
    assert!(used["type"].as_str().unwrap().ends_with("/ticket-used"));
    let (_, status) = check(&app, WAVE, &ticket).await;
    assert_eq!(status["state"], "used");
    assert_eq!(status["registration_id"], receipt["registration_id"]);
    assert_eq!(app.drain_intake().await.len(), 3, "direct, first and retry");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unused_permission_expires_and_joining_again_goes_to_the_back() {
    let db = TestDatabase::create().await;
    let mut settings = room_settings(&db, &[WAVE]);
    settings.waitroom.permit_secs = 1;
    let app = spawn_app_with(settings).await;
    let (_, joined) = join(&app, WAVE, "203.0.113.9").await;
    let ticket = ticket_of(&joined);
    until_state(&app, WAVE, &ticket, "admitted").await;

    until_state(&app, WAVE, &ticket, "expired").await;
    let (late, problem) = register(&app, &body_for(1, WAVE), Some(&ticket)).await;
    let (rejoined, again) = join(&app, WAVE, "203.0.113.9").await;

    assert_eq!(late, StatusCode::FORBIDDEN);
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/permission-expired")
    );
    assert_eq!(rejoined, StatusCode::OK);
    assert_eq!(again["ticket"], ticket, "the same ticket");
    assert_ne!(again["state"], "expired", "back in the queue: {again}");
    until_state(&app, WAVE, &ticket, "admitted").await;
    let (on_time, _) = register(&app, &body_for(1, WAVE), Some(&ticket)).await;
    assert_eq!(on_time, StatusCode::ACCEPTED);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_before_the_fair_start_window_is_refused_with_retry_after() {
    let db = TestDatabase::create().await;
    let store =
        lonjak_store::Store::connect(lonjak_store::StoreConfig::without_personal_data(&db.url))
            .await
            .unwrap();
    let opens = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    store
        .waitroom_ensure_wave(Wave::new(WAVE).unwrap(), Some(opens))
        .await
        .unwrap();
    let mut settings = room_settings(&db, &[WAVE]);
    settings.waitroom.fair_start_secs = 600;
    let app = spawn_app_with(settings).await;

    let res = app
        .client
        .post(format!("{}/v1/waves/{WAVE}/queue", app.base))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::CONFLICT);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((2_900..=3_000).contains(&retry), "retry after {retry}");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pre_opening_group_is_placed_in_a_random_order_ahead_of_later_joins() {
    let db = TestDatabase::create().await;
    let store =
        lonjak_store::Store::connect(lonjak_store::StoreConfig::without_personal_data(&db.url))
            .await
            .unwrap();
    let opens = time::OffsetDateTime::now_utc() + time::Duration::seconds(8);
    store
        .waitroom_ensure_wave(Wave::new(WAVE).unwrap(), Some(opens))
        .await
        .unwrap();
    let mut settings = room_settings(&db, &[WAVE]);
    // One a second: the group is still waiting when we look at its order.
    settings.admission.global_per_sec = 1;
    settings.waitroom.min_admit_per_sec = 1.0;
    let app = spawn_app_with(settings).await;
    let mut early = Vec::new();
    for i in 0..20 {
        let (status, body) = join(&app, WAVE, &format!("198.51.100.{i}")).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["state"], "drawing", "{body}");
        early.push(ticket_of(&body));
    }

    let first = until_state(&app, WAVE, &early[0], "waiting").await;
    assert!(first["ahead"].is_u64());
    let (_, late) = join(&app, WAVE, "198.51.100.200").await;
    let mut places = Vec::new();
    for ticket in &early {
        let (_, body) = check(&app, WAVE, ticket).await;
        places.push(body["ahead"].as_u64().unwrap_or(0));
    }

    let mut sorted = places.clone();
    sorted.sort_unstable();
    assert_ne!(places, sorted, "the group was not shuffled: {places:?}");
    let late_ahead = late["ahead"].as_u64().unwrap();
    assert!(
        places.iter().all(|p| *p < late_ahead),
        "a later join was placed inside the group: {places:?} vs {late_ahead}"
    );
    app.cleanup().await;
}
