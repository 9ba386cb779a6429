//! The bound on each token holder's look-ups: counted in PostgreSQL, so
//! concurrent look-ups (from any replica) never pass it; past it 429 with
//! `Retry-After`, logged as `limited`; other holders keep their own count.

use futures::future::join_all;
use lonjak_admin::support_config::SupportSettings;
use lonjak_ops::support_wire::LookupRequest;

use crate::helpers::{problem, spawn_app_with};

const BOUND: u32 = 5;

#[tokio::test]
async fn concurrent_lookups_past_the_hourly_bound_are_refused_429_and_logged_as_limited() {
    let app = spawn_app_with(SupportSettings {
        lookups_per_hour: BOUND,
        ..SupportSettings::default()
    })
    .await;
    let person = app.record(310, 1).await;
    let request = LookupRequest {
        nik: Some(person.reg.nik().as_str().to_owned()),
        reason: Some("ticket 99: caller asks about her registration".to_owned()),
        ..LookupRequest::default()
    };
    let lookup = |token: String| {
        let request = request.clone();
        let http = app.http.clone();
        let url = app.url("/v1/support/lookup");
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&request)
                .send()
                .await
                .unwrap()
        }
    };

    // Twelve at once: the row lock orders them; exactly the bound pass.
    // (Run across a clock hour's end, the next hour's bound would let
    // more through; the test takes well under a second.)
    let answers = join_all((0..12).map(|_| lookup(app.agent_token.clone()))).await;
    let mut passed = 0;
    let mut refused = Vec::new();
    for answer in answers {
        match answer.status().as_u16() {
            200 => passed += 1,
            429 => refused.push(answer),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(passed, BOUND);
    assert_eq!(refused.len(), 12 - BOUND as usize);
    let first = refused.pop().unwrap();
    let retry: u64 = first.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    let body = problem(first, 429).await;
    assert_eq!(body.errors[0].field, "lookups_per_hour");
    assert_eq!(body.errors[0].rule, "rate");

    let limited = app
        .count(
            "SELECT count(*) AS n FROM access_log \
              WHERE actor = 'budi' AND action = 'lookup' AND outcome = 'limited' \
                AND lookup_kind = 'nik'",
        )
        .await;
    assert_eq!(limited, 12 - i64::from(BOUND));
    let logged_ok = app
        .count("SELECT count(*) AS n FROM access_log WHERE actor = 'budi' AND outcome = 'ok'")
        .await;
    assert_eq!(logged_ok, i64::from(BOUND));

    // Another holder has a bound of their own.
    let operator = lookup(app.operator_token.clone()).await;
    assert_eq!(operator.status(), 200);
    // An invalid request is refused before it counts.
    let invalid = app
        .http
        .post(app.url("/v1/support/lookup"))
        .bearer_auth(&app.operator_token)
        .json(&serde_json::json!({ "nik": "12" , "reason": "ticket 99" }))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let counted = app
        .count("SELECT coalesce(sum(count), 0)::int8 AS n FROM support_lookup_counts WHERE actor = 'ana'")
        .await;
    assert_eq!(counted, 1);
}
