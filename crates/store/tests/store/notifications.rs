//! The notifier's idempotency keys and the email-verification queries.

use std::time::Duration;

use lonjak_domain::Wave;
use lonjak_store::{Channel, Claim, NotificationKey, Resend, Settlement, email_verified_among};
use time::OffsetDateTime;

use crate::helpers::{TestStore, record, registration, verified};

fn key(reg: &lonjak_store::NewRegistration, event: &str, channel: Channel) -> NotificationKey {
    NotificationKey {
        registration_id: reg.id,
        event: event.to_owned(),
        channel,
    }
}

const LEASE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_key_is_claimed_once_released_for_a_retry_and_never_sent_twice() {
    let app = TestStore::spawn().await;
    let reg = registration(70);
    record(&app, reg.clone(), verified()).await;
    let email = key(&reg, "verified", Channel::Email);
    let sms = key(&reg, "verified", Channel::Sms);
    let keys = [email.clone(), sms.clone()];

    let first = app
        .store
        .claim_notifications(&keys, LEASE)
        .await
        .expect("claim");
    assert_eq!(first, vec![Claim::Claimed { attempts: 1 }; 2]);
    // Another notifier, while the lease runs: busy.
    let second = app
        .store
        .claim_notifications(&keys, LEASE)
        .await
        .expect("claim");
    assert_eq!(second, vec![Claim::Busy; 2]);

    app.store
        .settle_notifications(&[
            (
                email.clone(),
                Settlement::Sent {
                    provider_id: Some("m1".into()),
                },
            ),
            (
                sms.clone(),
                Settlement::Released {
                    reason: "sms unavailable",
                },
            ),
        ])
        .await
        .expect("settle");
    let third = app
        .store
        .claim_notifications(&keys, LEASE)
        .await
        .expect("claim");
    assert_eq!(third, vec![Claim::Sent, Claim::Claimed { attempts: 2 }]);

    app.store
        .settle_notifications(&[(
            sms.clone(),
            Settlement::Failed {
                reason: "sms refused",
            },
        )])
        .await
        .expect("settle");
    let fourth = app
        .store
        .claim_notifications(&keys, LEASE)
        .await
        .expect("claim");
    assert_eq!(fourth, vec![Claim::Sent, Claim::Failed]);
}

#[tokio::test]
async fn a_claim_whose_lease_ran_out_is_taken_over() {
    let app = TestStore::spawn().await;
    let reg = registration(71);
    record(&app, reg.clone(), verified()).await;
    let keys = [key(&reg, "selected", Channel::Sms)];
    app.store
        .claim_notifications(&keys, Duration::from_millis(200))
        .await
        .expect("claim");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = app
        .store
        .claim_notifications(&keys, LEASE)
        .await
        .expect("claim");
    assert_eq!(again, vec![Claim::Claimed { attempts: 2 }]);
}

#[tokio::test]
async fn contact_details_come_back_with_the_language_chosen_at_intake() {
    let app = TestStore::spawn().await;
    let reg = registration(72);
    let mut english = registration(75);
    english.language = lonjak_domain::Language::En;
    record(&app, reg.clone(), verified()).await;
    record(&app, english.clone(), verified()).await;
    let contacts = app
        .store
        .contacts(&[reg.id, english.id])
        .await
        .expect("contacts");
    let contact = &contacts[&reg.id];
    assert_eq!(contact.email, reg.email);
    assert_eq!(contact.phone, reg.phone);
    assert_eq!(contact.language, lonjak_domain::Language::Id);
    assert_eq!(contacts[&english.id].language, lonjak_domain::Language::En);
    assert!(contact.email_verified_at.is_none());
    assert!(!format!("{contact:?}").contains(&reg.email));
}

#[tokio::test]
async fn an_address_is_verified_once_resends_are_limited_per_day_and_the_funnel_counts() {
    let app = TestStore::spawn().await;
    let reg = registration(73);
    let other = registration(74);
    record(&app, reg.clone(), verified()).await;
    record(&app, other.clone(), verified()).await;
    let day = time::macros::date!(2020 - 04 - 11);

    assert_eq!(
        app.store
            .count_resend(&reg.id, day, 2)
            .await
            .expect("count"),
        Resend::Allowed(1)
    );
    assert_eq!(
        app.store
            .count_resend(&reg.id, day, 2)
            .await
            .expect("count"),
        Resend::Allowed(2)
    );
    assert_eq!(
        app.store
            .count_resend(&reg.id, day, 2)
            .await
            .expect("count"),
        Resend::LimitReached
    );
    let next_day = day.next_day().expect("a next day");
    assert_eq!(
        app.store
            .count_resend(&reg.id, next_day, 2)
            .await
            .expect("count"),
        Resend::Allowed(1)
    );
    let stranger = lonjak_domain::RegistrationId::from_bytes([4; 16]);
    assert_eq!(
        app.store
            .count_resend(&stranger, day, 2)
            .await
            .expect("count"),
        Resend::Unknown
    );

    let at = OffsetDateTime::now_utc();
    let first = app
        .store
        .mark_email_verified(&reg.id, at)
        .await
        .expect("verify");
    let later = at + time::Duration::hours(1);
    assert_eq!(
        app.store
            .mark_email_verified(&reg.id, later)
            .await
            .expect("again"),
        first
    );
    assert_eq!(
        app.store
            .count_resend(&reg.id, next_day, 2)
            .await
            .expect("count"),
        Resend::AlreadyVerified
    );
    let status = app
        .store
        .registration_status(&reg.id)
        .await
        .expect("status")
        .expect("found");
    assert!(status.email_verified);

    let funnel = app.store.email_funnel().await.expect("funnel");
    assert_eq!(funnel.len(), 1);
    assert_eq!((funnel[0].registrations, funnel[0].email_verified), (2, 1));

    let mut conn = app.raw().await;
    let verified_ids = email_verified_among(&mut conn, Wave::FIRST, &[reg.id, other.id])
        .await
        .expect("filter");
    assert_eq!(verified_ids.into_iter().collect::<Vec<_>>(), vec![reg.id]);
}
