//! Each event gives one message per channel, in the applicant's language.

use lonjak_domain::{Language, RejectionReason};

use crate::helpers::{rejected, selected, spawn_app, verified, waitlisted};

fn text(mail: &serde_json::Value) -> String {
    mail["text"].as_str().unwrap_or_default().to_owned()
}

fn subject(mail: &serde_json::Value) -> String {
    mail["subject"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn every_event_gives_one_message_per_channel_with_its_template_and_language() {
    let app = spawn_app().await;
    let siti = app.applicant(1, Language::Id, None).await;
    let john = app.applicant(2, Language::En, None).await;
    let budi = app.applicant(3, Language::Id, None).await;
    let ayu = app.applicant(4, Language::En, None).await;

    app.publish(&verified(&siti)).await;
    app.publish(&verified(&john)).await;
    app.publish(&rejected(&budi, RejectionReason::Under18))
        .await;
    app.publish(&selected(&siti, 7)).await;
    app.publish(&waitlisted(&ayu, 164_001)).await;

    app.expect_messages(&siti, 2, 2).await;
    app.expect_messages(&john, 1, 1).await;
    app.expect_messages(&budi, 1, 1).await;
    app.expect_messages(&ayu, 1, 1).await;

    // Indonesian by default, with the verification link in the first email.
    let mails = app.emails_to(&siti.email).await;
    let first = mails
        .iter()
        .find(|m| subject(m).starts_with("Pendaftaran Anda terverifikasi"))
        .expect("the verified email, in Indonesian");
    assert!(text(first).contains(&siti.name));
    // The link's token is genuine for this address, and names no address.
    let token = text(first)
        .split("/v1/email-verifications/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a verification link")
        .to_owned();
    assert!(!token.contains('@'));
    let parsed = lonjak_domain::EmailToken::parse(&token).expect("a token");
    assert_eq!(parsed.registration_id(), siti.id);
    assert_eq!(
        parsed.check(&app.key, &siti.email_hash, time::OffsetDateTime::now_utc()),
        Ok(())
    );
    let chosen = mails
        .iter()
        .find(|m| subject(m).starts_with("Selamat"))
        .expect("the selection email");
    assert!(text(chosen).contains("peringkat 7"));
    assert!(
        text(chosen).contains("terkena PHK: 50 poin"),
        "{}",
        text(chosen)
    );

    // English for who chose it.
    let english = &app.emails_to(&john.email).await[0];
    assert!(subject(english).starts_with("Your registration is verified"));
    let waiting = &app.emails_to(&ayu.email).await[0];
    assert!(text(waiting).contains("rank 164001"), "{}", text(waiting));

    // The reason in plain words, by email and SMS.
    assert!(text(&app.emails_to(&budi.email).await[0]).contains("belum 18 tahun"));
    let sms = app.sim.messages(Some(&budi.phone));
    assert!(sms[0].text.contains("belum 18 tahun"), "{}", sms[0].text);
    assert!(
        app.sim.messages(Some(&john.phone))[0]
            .text
            .contains("is verified")
    );

    // What was sent is recorded.
    assert_eq!(
        app.notification(&budi, "rejected.under_18", "sms").await.0,
        "sent"
    );
}

#[tokio::test]
async fn a_duplicate_delivery_or_a_republished_event_still_gives_one_message() {
    let app = spawn_app().await;
    let siti = app.applicant(11, Language::Id, None).await;
    let envelope = verified(&siti);
    // The same event twice (a duplicate publish), and the same news under a
    // new event id (a producer that published it again).
    app.publish(&envelope).await;
    app.publish(&envelope).await;
    app.publish(&verified(&siti)).await;

    app.expect_messages(&siti, 1, 1).await;
    // Once more after everything settled: still nothing new.
    app.publish(&envelope).await;
    app.expect_messages(&siti, 1, 1).await;
    // Three repeats on each channel's queue.
    assert!(app.settled_count("duplicate") >= 6);
}

#[tokio::test]
async fn a_score_alone_is_acknowledged_without_a_message() {
    let app = spawn_app().await;
    let siti = app.applicant(21, Language::Id, None).await;
    let scored = lonjak_bus::Envelope::event(
        "test",
        lonjak_domain::events::RegistrationScored {
            registration_id: siti.id,
            wave: lonjak_domain::Wave::FIRST,
            scored_at: time::OffsetDateTime::now_utc(),
            score: crate::helpers::score(),
        },
    );
    app.publish(&scored).await;
    // Only the email queue is bound to scores (no SMS ever tells one).
    app.eventually("the score was taken", async || {
        app.settled_count("not_notified") == 1
    })
    .await;
    app.expect_messages(&siti, 0, 0).await;
}
