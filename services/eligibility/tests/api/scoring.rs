//! The worker end to end: verified registrations in, scored or rejected
//! registrations with their events out, once.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use lonjak_domain::verification::Occupation;
use lonjak_domain::{EmploymentStatus, RegistrationStatus, RejectionReason, Wave};
use time::macros::date;

use lonjak_domain::RegistrationId;
use lonjak_domain::events::ScoreExplanation;

use crate::helpers::{Applicant, TestApp, spawn_app};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[tokio::test]
async fn a_verified_applicant_is_scored_with_its_parts_stored_and_announced() {
    let app = spawn_app().await;
    let applicant = Applicant {
        employment: EmploymentStatus::Furloughed,
        ..Applicant::new(1)
    };
    let id = app.verified(&applicant).await;

    app.publish_verified(id, &applicant).await;
    let view = app.decided(id).await;

    assert_eq!(view.status, RegistrationStatus::Scored);
    let explained = app
        .store
        .explain(&id)
        .await
        .expect("explain")
        .expect("stored");
    let score = explained.score.expect("a score");
    assert_eq!(score.total, 45);
    let parts: Vec<(&str, i32)> = score
        .parts
        .iter()
        .map(|p| (p.rule.as_str(), p.points))
        .collect();
    assert_eq!(
        parts,
        [("employment.furloughed", 40), ("social_aid.none", 5)]
    );
    assert_eq!(app.published(id, "registration.scored").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_social_aid_recipient_scores_below_a_non_recipient_of_the_same_situation() {
    let app = spawn_app().await;
    let with_aid = Applicant {
        aid: Some("pkh"),
        ..Applicant::new(2)
    };
    let without = Applicant::new(3);
    let (a, b) = (app.verified(&with_aid).await, app.verified(&without).await);
    app.publish_verified(a, &with_aid).await;
    app.publish_verified(b, &without).await;
    app.decided(a).await;
    app.decided(b).await;

    let (sa, sb) = (score(&app, a).await, score(&app, b).await);
    assert!(sb.total > sa.total);
    assert_eq!(sa.parts[1].rule, "social_aid.receiving");
    app.stop().await;
}

async fn score(app: &TestApp, id: RegistrationId) -> ScoreExplanation {
    app.store
        .explain(&id)
        .await
        .expect("explain")
        .expect("stored")
        .score
        .expect("score")
}

#[tokio::test]
async fn each_ineligibility_rule_rejects_with_its_reason() {
    let app = spawn_app().await;
    let cases = [
        (
            Applicant {
                registered_birth_date: Some(date!(2002 - 05 - 02)),
                ..Applicant::new(10)
            },
            RejectionReason::Under18,
        ),
        (
            Applicant {
                enrolled: true,
                registered_birth_date: Some(date!(1990 - 01 - 01)),
                ..Applicant::new(11)
            },
            RejectionReason::InEducation,
        ),
        (
            Applicant {
                occupation: "police_military",
                registered_birth_date: Some(date!(1990 - 01 - 01)),
                ..Applicant::new(12)
            },
            RejectionReason::IneligibleOccupation,
        ),
    ];
    let mut ids = Vec::new();
    for (applicant, _) in &cases {
        ids.push(app.verified(applicant).await);
    }
    // The wave closes on 1 May 2020: someone born 2 May 2002 is 17 then.
    app.sql(
        "UPDATE waves SET closes_at = '2020-05-01T00:00:00+07:00' WHERE id = $2 AND $1 <> ''",
        "x",
        1,
    )
    .await;
    for ((applicant, _), id) in cases.iter().zip(&ids) {
        app.publish_verified(*id, applicant).await;
    }
    for ((_, reason), id) in cases.iter().zip(&ids) {
        let view = app.decided(*id).await;
        assert_eq!(
            (view.status, view.reason),
            (RegistrationStatus::Rejected, Some(*reason))
        );
    }
    assert!(Occupation::PoliceMilitary.is_ineligible());
    for id in &ids {
        assert_eq!(app.published(*id, "registration.rejected").await, 1);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_kk_with_two_members_selected_in_an_earlier_wave_rejects_a_third() {
    let app = spawn_app().await;
    let first = Applicant::new(20);
    let second = Applicant {
        kk_of: Some(20),
        ..Applicant::new(21)
    };
    // The first selected as a registration row (waves selected before
    // decision prefixes), the second by a decision row beside a row left
    // `scored` (selection today).
    let id = app.verified(&first).await;
    app.sql(
        "UPDATE registrations SET status = 'selected' WHERE id = $1 AND $2 = 1",
        &id.to_string(),
        1,
    )
    .await;
    let id = app.verified(&second).await;
    app.sql(
        "UPDATE registrations SET status = 'scored' WHERE id = $1 AND $2 = 1",
        &id.to_string(),
        1,
    )
    .await;
    app.sql(
        "INSERT INTO selection_decisions (wave_id, rank, registration_id, decision)
         SELECT wave_id, $2, id, 'selected' FROM registrations WHERE id = $1",
        &id.to_string(),
        1,
    )
    .await;
    let third = Applicant {
        kk_of: Some(20),
        wave: Wave::new(2).expect("wave"),
        ..Applicant::new(22)
    };
    let id = app.verified(&third).await;

    app.publish_verified(id, &third).await;

    let view = app.decided(id).await;
    assert_eq!(view.reason, Some(RejectionReason::KkCapReached));
    app.stop().await;
}

#[tokio::test]
async fn a_redelivered_verified_event_is_scored_once_and_announced_once() {
    let app = spawn_app().await;
    let applicant = Applicant::new(30);
    let id = app.verified(&applicant).await;

    app.publish_verified(id, &applicant).await;
    app.decided(id).await;
    app.published(id, "registration.scored").await;
    app.publish_verified(id, &applicant).await;
    app.settled("duplicate", 1).await;

    let history: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM status_history WHERE registration_id = $1 AND to_status = 'scored'",
    )
    .bind::<Text, _>(id.to_string())
    .get_result(&mut app.raw().await)
    .await
    .expect("count");
    assert_eq!(history.n, 1);
    assert_eq!(app.published(id, "registration.scored").await, 1);
    app.stop().await;
}
