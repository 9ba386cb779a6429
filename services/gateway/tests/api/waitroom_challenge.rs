//! The proof-of-work challenge at joining, and admitted submissions passing
//! the global limit, over HTTP against the real PostgreSQL and RabbitMQ.

use std::time::Duration;

use lonjak_domain::Wave;
use lonjak_gateway::waitroom::challenge::solve;
use lonjak_gateway::waitroom::{ProofOfWork, TicketKey};
use lonjak_store::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with, valid_body};
use crate::waitroom::{TICKET_KEY, WAVE, join, register, room_settings, until_state};

async fn challenge(app: &TestApp, client: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}/v1/waves/{WAVE}/challenge", app.base))
        .header("X-Forwarded-For", client)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn join_with(
    app: &TestApp,
    client: &str,
    challenge: &str,
    nonce: &str,
) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}/v1/waves/{WAVE}/queue", app.base))
        .header("X-Forwarded-For", client)
        .header("Waitroom-Challenge", challenge)
        .header("Waitroom-Solution", nonce)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn problem_type(body: &Value) -> &str {
    body["type"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_needs_a_solved_challenge_for_this_client_when_a_difficulty_is_set() {
    let db = TestDatabase::create().await;
    let mut settings = room_settings(&db, &[WAVE]);
    settings.waitroom.challenge_bits = 8;
    let app = spawn_app_with(settings).await;
    let alice = "198.51.100.70";

    let (missing, problem) = join(&app, WAVE, alice).await;
    assert_eq!(missing, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem_type(&problem).ends_with("/challenge-required"),
        "{problem}"
    );

    let (status, c) = challenge(&app, alice).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["algorithm"], "sha256-leading-zero-bits");
    assert_eq!(c["difficulty_bits"], 8);
    let token = c["challenge"].as_str().unwrap();
    let (nonce, _) = solve(token, 8);
    let wrong = (0u64..)
        .map(|n| n.to_string())
        .find(|n| lonjak_gateway::waitroom::challenge::leading_zero_bits(token, n) < 8)
        .unwrap();

    let (refused, problem) = join_with(&app, alice, token, &wrong).await;
    assert_eq!(refused, StatusCode::FORBIDDEN);
    assert!(
        problem_type(&problem).ends_with("/challenge-failed"),
        "{problem}"
    );

    let (joined, ticket) = join_with(&app, alice, token, &nonce).await;
    assert_eq!(joined, StatusCode::CREATED, "{ticket}");
    // Replayed by the same client: the same place, nothing more.
    let (again, same) = join_with(&app, alice, token, &nonce).await;
    assert_eq!(again, StatusCode::OK);
    assert_eq!(same["ticket"], ticket["ticket"]);
    // Replayed by another client: not theirs.
    let (stolen, problem) = join_with(&app, "198.51.100.71", token, &nonce).await;
    assert_eq!(stolen, StatusCode::FORBIDDEN);
    assert!(
        problem_type(&problem).ends_with("/challenge-invalid"),
        "{problem}"
    );

    // A challenge issued (with this gateway's key) two minutes ago for a
    // one-minute lifetime.
    let key = TicketKey::new(hex_key());
    let wave = Wave::new(WAVE).unwrap();
    let bob = "198.51.100.72";
    let old = ProofOfWork::new(key.clone(), 8, Duration::from_secs(60)).issue_at(
        wave,
        &key.client_hash(wave, &format!("ip:{bob}")),
        time::OffsetDateTime::now_utc() - time::Duration::minutes(2),
    );
    let (nonce, _) = solve(&old.challenge, 8);
    let (expired, problem) = join_with(&app, bob, &old.challenge, &nonce).await;
    assert_eq!(expired, StatusCode::FORBIDDEN);
    assert!(
        problem_type(&problem).ends_with("/challenge-expired"),
        "{problem}"
    );
    app.cleanup().await;
}

fn hex_key() -> [u8; 32] {
    let bytes: Vec<u8> = (0..TICKET_KEY.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&TICKET_KEY[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admitted_submissions_pass_the_global_limit_that_refuses_direct_ones() {
    let db = TestDatabase::create().await;
    let mut settings = room_settings(&db, &[WAVE]);
    // One registration a second overall; no challenge (difficulty 0).
    settings.admission.global_per_sec = 1;
    settings.admission.global_burst = 1;
    let app = spawn_app_with(settings).await;
    let (status, _) = challenge(&app, "198.51.100.80").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "difficulty 0: no challenge");

    let mut tickets = Vec::new();
    for i in 0..3 {
        let (status, body) = join(&app, WAVE, &format!("198.51.100.8{i}")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        tickets.push(body["ticket"].as_str().unwrap().to_owned());
    }
    for ticket in &tickets {
        until_state(&app, WAVE, ticket, "admitted").await;
    }
    // Three admitted people submit in the same instant.
    for (i, ticket) in tickets.iter().enumerate() {
        let mut body = valid_body(40 + i as u64);
        body["wave"] = WAVE.into();
        let (status, answer) = register(&app, &body, Some(ticket)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    }
    // The limiter's tokens went to them: a direct submission is refused.
    let (direct, answer) = register(&app, &valid_body(50), None).await;
    assert_eq!(direct, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    app.cleanup().await;
}
