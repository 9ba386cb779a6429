//! The support desk's look-up: by NIK, email or phone, every wave, masked
//! for agents; refusals (no reason, wrong role, bad token) answered and
//! logged; the access log append-only.

use lonjak_ops::client::AdminClient;
use lonjak_ops::support_wire::{LookupRequest, SupportLookupBody};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{problem, spawn_app};

fn by(kind: &str, value: &str) -> LookupRequest {
    let value = Some(value.to_owned());
    let reason = Some("ticket 4711: caller asks about her registration".to_owned());
    match kind {
        "nik" => LookupRequest {
            nik: value,
            reason,
            ..LookupRequest::default()
        },
        "email" => LookupRequest {
            email: value,
            reason,
            ..LookupRequest::default()
        },
        _ => LookupRequest {
            phone: value,
            reason,
            ..LookupRequest::default()
        },
    }
}

#[tokio::test]
async fn a_lookup_by_nik_email_or_phone_finds_every_wave_of_that_person_masked_for_an_agent() {
    let app = spawn_app().await;
    let first = app.record(300, 1).await;
    let second = app.record(300, 2).await;
    let other = app.record(301, 1).await;
    app.sent(&first.id, "verified", "email").await;
    let agent = AdminClient::new(&app.base, &app.agent_token).unwrap();
    let reg = &first.reg;
    let nik = reg.nik().as_str();
    let email = reg.email().as_str();
    let phone = reg.phone().as_str();

    // The domain's case does not matter (the gateway lower-cases it).
    let (local, domain) = email.split_once('@').unwrap();
    let shouted = format!("{local}@{}", domain.to_uppercase());
    let mut answers = Vec::new();
    for (kind, value) in [("nik", nik), ("email", shouted.as_str()), ("phone", phone)] {
        answers.push(agent.support_lookup(&by(kind, value)).await.unwrap());
    }

    for answer in &answers {
        let ids: Vec<&str> = answer
            .registrations
            .iter()
            .map(|r| r.registration_id.as_str())
            .collect();
        assert_eq!(
            ids,
            [first.id.to_string(), second.id.to_string()],
            "{}",
            answer.lookup_kind
        );
        assert!(answer.masked);
        let text = serde_json::to_string(answer).unwrap();
        for clear in [
            nik,
            email,
            phone,
            reg.full_name().as_str(),
            reg.kk_number().as_str(),
        ] {
            assert!(
                !text.contains(clear),
                "a clear personal field in the agent's answer"
            );
        }
        assert!(!text.contains(&other.id.to_string()));
        assert!(
            !text.contains("name_match") && !text.contains("pkh"),
            "a registry's raw answer"
        );
    }
    let one = &answers[0].registrations[0];
    let personal = one.personal.as_ref().unwrap();
    assert_eq!(personal.nik, format!("************{}", &nik[12..]));
    assert!(
        personal
            .email
            .ends_with(&format!("@{}", email.split_once('@').unwrap().1))
    );
    assert!(personal.email.contains("***@"));
    assert_eq!(personal.birth_date, "****-**-**");
    assert_eq!(one.status, "verified");
    assert!(!one.status_words.is_empty());
    let verdicts: Vec<(&str, &str)> = one
        .verifications
        .iter()
        .map(|v| (v.registry.as_str(), v.outcome.as_str()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("dukcapil", "identity_confirmed"),
            ("dapodik", "not_enrolled"),
            ("dtks", "receives_social_aid")
        ]
    );
    assert_eq!(one.notifications.len(), 1);
    assert_eq!(
        (
            one.notifications[0].event.as_str(),
            one.notifications[0].state.as_str()
        ),
        ("verified", "sent")
    );
    assert_eq!(answers[0].registrations[1].wave, 2);
    // As `lonjak-ops support lookup` prints it: masked, in plain words,
    // each notification with the flags that re-send it.
    let printed = lonjak_ops::support_text::render(&answers[0]);
    assert!(printed.starts_with("2 registration(s) by nik, masked"));
    assert!(printed.contains(&personal.nik) && !printed.contains(nik));
    assert!(printed.contains(&one.status_words));
    assert!(printed.contains("--event verified --channel email: "));
    assert!(printed.contains("registry dukcapil: "));
    let logged = app.access_rows().await;
    let ids = format!("{},{}", first.id, second.id);
    assert_eq!(
        logged,
        ["nik", "email", "phone"]
            .map(|kind| format!("budi|lookup|ok|{kind}|{ids}|2 registration(s)"))
    );
    let log = app
        .count("SELECT count(*) AS n FROM access_log WHERE reason LIKE 'ticket 4711%'")
        .await;
    assert_eq!(log, 3);
}

#[tokio::test]
async fn a_lookup_without_a_reason_is_refused_with_422_naming_reason_and_the_refusal_is_logged() {
    let app = spawn_app().await;
    let person = app.record(310, 1).await;

    let mut answers = Vec::new();
    for body in [
        json!({"nik": person.reg.nik().as_str()}),
        json!({"nik": person.reg.nik().as_str(), "reason": "   "}),
    ] {
        let response = app
            .http
            .post(app.url("/v1/support/lookup"))
            .bearer_auth(&app.agent_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        answers.push(problem(response, 422).await);
    }

    for answer in &answers {
        assert_eq!(
            (
                answer.errors[0].field.as_str(),
                answer.errors[0].rule.as_str()
            ),
            ("reason", "required")
        );
    }
    assert_eq!(
        app.access_rows().await,
        ["budi|lookup|invalid|nik||reason: required"; 2]
    );
    let nik_logged = app
        .count(&format!(
            "SELECT count(*) AS n FROM access_log WHERE concat(reason, detail) LIKE '%{}%'",
            person.reg.nik().as_str()
        ))
        .await;
    assert_eq!(nik_logged, 0, "the looked-up value reached the access log");
}

#[tokio::test]
async fn an_agent_sees_no_unmasked_field_nor_any_operator_endpoint_and_every_refusal_is_logged() {
    let app = spawn_app().await;
    let person = app.record(320, 1).await;
    let nik = person.reg.nik().as_str().to_owned();
    let unmasked = LookupRequest {
        unmasked: true,
        ..by("nik", &nik)
    };
    let agent = Some(app.agent_token.as_str());

    let as_agent = app
        .http
        .post(app.url("/v1/support/lookup"))
        .bearer_auth(&app.agent_token)
        .json(&unmasked)
        .send()
        .await
        .unwrap();
    let refused = problem(as_agent, 403).await;
    for path in [
        "/v1/access-log".to_owned(),
        "/v1/support/replay-requests".to_owned(),
        format!("/v1/registrations/{}/explanation", person.id),
    ] {
        problem(app.send(Method::GET, &path, agent).await, 403).await;
    }
    problem(
        app.send(Method::GET, "/v1/access-log", Some("not-a-token-at-all"))
            .await,
        401,
    )
    .await;
    let operator: SupportLookupBody = app.operator.support_lookup(&unmasked).await.unwrap();

    assert_eq!(refused.errors[0].rule, "role");
    let logged = app.access_rows().await;
    assert_eq!(
        logged,
        [
            "budi|lookup|forbidden|nik||unmasked: operators only".to_owned(),
            "budi|GET /v1/access-log|forbidden|-||-".to_owned(),
            "budi|GET /v1/support/replay-requests|forbidden|-||-".to_owned(),
            format!(
                "budi|GET /v1/registrations/{{id}}/explanation|forbidden|-|{}|-",
                person.id
            ),
            "-|GET /v1/access-log|unauthenticated|-||-".to_owned(),
            format!("ana|lookup_unmasked|ok|nik|{}|1 registration(s)", person.id),
        ]
    );
    assert!(!operator.masked);
    let personal = operator.registrations[0].personal.as_ref().unwrap();
    assert_eq!(personal.nik, nik);
    assert_eq!(personal.email, person.reg.email().as_str());
}

#[tokio::test]
async fn operators_read_the_access_log_with_filters_and_the_database_refuses_to_rewrite_it() {
    let app = spawn_app().await;
    let person = app.record(330, 1).await;
    let agent = AdminClient::new(&app.base, &app.agent_token).unwrap();
    agent
        .support_lookup(&by("nik", person.reg.nik().as_str()))
        .await
        .unwrap();
    agent
        .support_lookup(&by("phone", "+6281299990000"))
        .await
        .unwrap();

    let mine = app
        .operator
        .access_log(&lonjak_ops::support_client::AccessQuery {
            registration_id: Some(person.id.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    let misses = app
        .operator
        .access_log(&lonjak_ops::support_client::AccessQuery {
            outcome: Some("not_found".to_owned()),
            actor: Some("budi".to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();

    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].lookup_kind.as_deref(), Some("nik"));
    assert_eq!(misses.len(), 1);
    assert_eq!(misses[0].lookup_kind.as_deref(), Some("phone"));
    let mut raw = app.raw().await;
    for sql in [
        "UPDATE access_log SET reason = 'nothing to see'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
    ] {
        let refused = diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), &mut raw).await;
        let message = refused.expect_err(sql).to_string();
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM access_log WHERE action LIKE 'lookup%'")
            .await,
        2
    );
}
