//! A page of a selection's decisions (`selection.decided`) tells each
//! applicant on it their own news, once, whatever the page is published as.

use diesel_async::RunQueryDsl;
use lonjak_bus::Envelope;
use lonjak_domain::events::{RankingPage, SelectionDecided};
use lonjak_domain::{Language, Wave};
use time::OffsetDateTime;

use crate::helpers::{Applicant, TestApp, spawn_app};

impl TestApp {
    /// Records wave 1 as selected, deciding `decided` in this rank order, as
    /// `lonjak-ops select` would.
    async fn decide(&self, decided: &[(&Applicant, &str)]) {
        let mut conn = self.connect().await;
        diesel::sql_query("UPDATE waves SET state = 'selected', selected_at = now() WHERE id = 1")
            .execute(&mut conn)
            .await
            .expect("select wave 1");
        for (rank, (who, decision)) in (1..).zip(decided) {
            let reason = (*decision == "rejected").then_some("kk_cap_reached");
            diesel::sql_query(
                "INSERT INTO selection_decisions (wave_id, rank, registration_id, decision, reason)
                 VALUES (1, $1, $2, $3, $4)",
            )
            .bind::<diesel::sql_types::Int4, _>(rank)
            .bind::<diesel::sql_types::Text, _>(who.id.to_string())
            .bind::<diesel::sql_types::Text, _>(*decision)
            .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(reason)
            .execute(&mut conn)
            .await
            .expect("record a decision");
        }
    }

    async fn publish_page(&self, first_rank: u32, last_rank: u32) {
        let page = SelectionDecided {
            wave: Wave::FIRST,
            first_rank,
            last_rank,
            decided_at: OffsetDateTime::now_utc(),
            ranking: None,
        };
        let envelope = Envelope::new(SelectionDecided::ROUTING_KEY, "selection-1", page);
        self.bus
            .publisher()
            .publish(SelectionDecided::ROUTING_KEY, &envelope, None)
            .await
            .expect("publish a page");
    }
}

#[tokio::test]
async fn a_page_of_decisions_tells_each_applicant_on_it_their_own_news_once() {
    let app = spawn_app().await;
    let siti = app.applicant(1, Language::Id, None).await;
    let john = app.applicant(2, Language::En, None).await;
    let budi = app.applicant(3, Language::Id, None).await;
    app.decide(&[
        (&siti, "selected"),
        (&john, "waitlisted"),
        (&budi, "rejected"),
    ])
    .await;

    // The whole page, the same page again, and a page overlapping it.
    app.publish_page(1, 3).await;
    app.publish_page(1, 3).await;
    app.publish_page(2, 3).await;

    app.expect_messages(&siti, 1, 1).await;
    app.expect_messages(&john, 1, 1).await;
    app.expect_messages(&budi, 1, 1).await;
    // `<[_]>::first`: diesel's `RunQueryDsl::first` is in scope too.
    let text = |mails: Vec<serde_json::Value>| {
        <[serde_json::Value]>::first(&mails)
            .and_then(|m| m["text"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(text(app.emails_to(&siti.email).await).contains("peringkat 1"));
    assert!(text(app.emails_to(&john.email).await).contains("at rank 2"));
    assert_eq!(
        app.state_of(&budi, "rejected.kk_cap_reached", "email")
            .await
            .as_deref(),
        Some("sent")
    );
}

#[tokio::test]
async fn a_page_of_the_ranking_tells_each_waitlisted_applicant_on_it_their_rank_once() {
    let app = spawn_app().await;
    let siti = app.applicant(1, Language::Id, None).await;
    let john = app.applicant(2, Language::En, None).await;
    let budi = app.applicant(3, Language::Id, None).await;
    // Scored 50, 40, 30; one place: selection decides siti as a row and
    // leaves john and budi waiting past its decided prefix.
    let mut conn = app.connect().await;
    for (who, score) in [(&siti, 50), (&john, 40), (&budi, 30)] {
        diesel::sql_query(
            "UPDATE registrations SET status = 'scored', score = $2, score_parts = '[]'
              WHERE id = $1",
        )
        .bind::<diesel::sql_types::Text, _>(who.id.to_string())
        .bind::<diesel::sql_types::Int4, _>(score)
        .execute(&mut conn)
        .await
        .expect("score an applicant");
    }
    diesel::sql_query(
        "UPDATE waves SET state = 'closed', quota = 1, email_verification_required = false
          WHERE id = 1",
    )
    .execute(&mut conn)
    .await
    .expect("close wave 1");
    app.store
        .select_wave(Wave::FIRST, None)
        .await
        .expect("select wave 1");
    let plan = app.store.selection_plan(Wave::FIRST).await.expect("plan");
    assert_eq!((plan.decided_through, plan.last_rank), (1, 3));
    let after = app
        .store
        .rank_cursor(Wave::FIRST, plan, 1)
        .await
        .expect("the prefix's last applicant");

    // The ranking after siti, twice.
    for _ in 0..2 {
        let page = SelectionDecided {
            wave: Wave::FIRST,
            first_rank: 2,
            last_rank: 3,
            decided_at: OffsetDateTime::now_utc(),
            ranking: Some(RankingPage {
                after: after.clone(),
            }),
        };
        let envelope = Envelope::new(SelectionDecided::ROUTING_KEY, "selection-1", page);
        app.bus
            .publisher()
            .publish(SelectionDecided::ROUTING_KEY, &envelope, None)
            .await
            .expect("publish a page");
    }

    app.expect_messages(&john, 1, 1).await;
    app.expect_messages(&budi, 1, 1).await;
    app.expect_messages(&siti, 0, 0).await;
    let text = |mails: Vec<serde_json::Value>| {
        <[serde_json::Value]>::first(&mails)
            .and_then(|m| m["text"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(text(app.emails_to(&john.email).await).contains("at rank 2"));
    assert!(text(app.emails_to(&budi.email).await).contains("peringkat 3"));
}
