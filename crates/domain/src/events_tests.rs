//! Tests of the event payloads' JSON form.

use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::Registration;
use crate::testing::{SAMPLE_TODAY, identity_key, sample_registration};

fn id_and_registration() -> (RegistrationId, Registration) {
    let reg = sample_registration(11, SAMPLE_TODAY);
    (
        RegistrationId::derive(&identity_key(), reg.nik(), reg.wave()),
        reg,
    )
}

#[test]
fn routing_keys_match_the_architecture() {
    assert_eq!(RegistrationSubmitted::ROUTING_KEY, "registration.submitted");
    assert_eq!(RegistrationVerified::ROUTING_KEY, "registration.verified");
    assert_eq!(RegistrationRejected::ROUTING_KEY, "registration.rejected");
    assert_eq!(RegistrationScored::ROUTING_KEY, "registration.scored");
    assert_eq!(RegistrationSelected::ROUTING_KEY, "registration.selected");
    assert_eq!(
        RegistrationWaitlisted::ROUTING_KEY,
        "registration.waitlisted"
    );
}

fn submitted(id: RegistrationId, at: OffsetDateTime) -> RegistrationSubmitted {
    RegistrationSubmitted {
        registration_id: id,
        wave: Wave::FIRST,
        submitted_at: at,
        applicant: SealedApplicant {
            key_id: "0a1b2c3d".into(),
            enc: "ZW5j".into(),
            salt: "c2FsdA".into(),
            ct: "Y3Q".into(),
        },
    }
}

#[test]
fn a_submitted_event_round_trips_with_only_ids_wave_and_time_in_clear() {
    let (id, _) = id_and_registration();
    let event = submitted(id, datetime!(2020-04-11 03:00:00 UTC));
    let json = serde_json::to_value(&event).expect("json");
    assert_eq!(json["registration_id"], id.to_string());
    assert_eq!(json["wave"], 1);
    assert_eq!(json["submitted_at"], "2020-04-11T03:00:00Z");
    assert_eq!(
        json["applicant"],
        serde_json::json!({"key_id": "0a1b2c3d", "enc": "ZW5j", "salt": "c2FsdA", "ct": "Y3Q"})
    );
    let back: RegistrationSubmitted = serde_json::from_value(json).expect("parse");
    assert_eq!(back, event);
}

#[test]
fn a_submitted_event_with_a_clear_applicant_is_refused() {
    let (id, reg) = id_and_registration();
    let mut json =
        serde_json::to_value(submitted(id, datetime!(2020-04-11 03:00:00 UTC))).expect("json");
    json["applicant"] = serde_json::to_value(reg.to_request()).expect("json");
    assert!(serde_json::from_value::<RegistrationSubmitted>(json).is_err());
}

#[test]
fn the_submission_date_of_an_event_is_the_wib_calendar_day() {
    let (id, _) = id_and_registration();
    let event = submitted(id, datetime!(2020-04-10 18:00:00 UTC));
    assert_eq!(event.submitted_on(), time::macros::date!(2020 - 04 - 11));
}

#[test]
fn verified_and_rejected_events_use_snake_case_names_and_rfc3339_times() {
    let (id, _) = id_and_registration();
    let verified = RegistrationVerified {
        registration_id: id,
        wave: Wave::FIRST,
        verified_at: datetime!(2020-04-11 03:00:01.5 UTC),
        employment_status: EmploymentStatus::MicroBusinessLostIncome,
        social_aid_programme: Some("pkh".into()),
    };
    let json = serde_json::to_value(&verified).expect("json");
    assert_eq!(json["employment_status"], "micro_business_lost_income");
    assert_eq!(json["verified_at"], "2020-04-11T03:00:01.5Z");
    assert_eq!(
        serde_json::from_value::<RegistrationVerified>(json).expect("parse"),
        verified
    );

    let rejected = RegistrationRejected {
        registration_id: id,
        wave: Wave::FIRST,
        rejected_at: datetime!(2020-04-11 03:00:02 +07:00),
        reason: RejectionReason::Under18,
    };
    let json = serde_json::to_value(&rejected).expect("json");
    assert_eq!(json["reason"], "under_18");
    assert_eq!(json["rejected_at"], "2020-04-11T03:00:02+07:00");
    assert_eq!(
        serde_json::from_value::<RegistrationRejected>(json).expect("parse"),
        rejected
    );
}

#[test]
fn a_submitted_event_with_an_invalid_wave_or_id_is_refused() {
    let (id, _) = id_and_registration();
    let mut json =
        serde_json::to_value(submitted(id, datetime!(2020-04-11 03:00:00 UTC))).expect("json");
    json["wave"] = 0.into();
    assert!(serde_json::from_value::<RegistrationSubmitted>(json.clone()).is_err());
    json["wave"] = 1.into();
    json["registration_id"] = "not-an-id".into();
    assert!(serde_json::from_value::<RegistrationSubmitted>(json).is_err());
}

fn sample_score() -> ScoreExplanation {
    ScoreExplanation {
        total: 60,
        parts: vec![
            ScorePart {
                rule: "employment.laid_off".into(),
                points: 50,
            },
            ScorePart {
                rule: "social_aid.none".into(),
                points: 10,
            },
        ],
    }
}

#[test]
fn scoring_and_selection_events_round_trip_with_their_explanation() {
    let (id, _) = id_and_registration();
    let scored = RegistrationScored {
        registration_id: id,
        wave: Wave::FIRST,
        scored_at: datetime!(2020-04-11 03:00:03 UTC),
        score: sample_score(),
    };
    let json = serde_json::to_value(&scored).expect("json");
    assert_eq!(json["scored_at"], "2020-04-11T03:00:03Z");
    assert_eq!(json["score"]["total"], 60);
    assert_eq!(json["score"]["parts"][0]["rule"], "employment.laid_off");
    assert_eq!(json["score"]["parts"][1]["points"], 10);
    assert_eq!(
        serde_json::from_value::<RegistrationScored>(json).expect("parse"),
        scored
    );

    let selected = RegistrationSelected {
        registration_id: id,
        wave: Wave::FIRST,
        decided_at: datetime!(2020-04-20 00:00:00 UTC),
        rank: 7,
        score: sample_score(),
    };
    let json = serde_json::to_value(&selected).expect("json");
    assert_eq!(json["rank"], 7);
    assert_eq!(json["decided_at"], "2020-04-20T00:00:00Z");
    assert_eq!(
        serde_json::from_value::<RegistrationSelected>(json).expect("parse"),
        selected
    );

    let waitlisted = RegistrationWaitlisted {
        registration_id: id,
        wave: Wave::FIRST,
        decided_at: datetime!(2020-04-20 00:00:00 UTC),
        rank: 164_001,
        score: sample_score(),
    };
    let json = serde_json::to_value(&waitlisted).expect("json");
    assert_eq!(json["rank"], 164_001);
    assert_eq!(
        serde_json::from_value::<RegistrationWaitlisted>(json).expect("parse"),
        waitlisted
    );
}

#[test]
fn the_kk_cap_rejection_reason_is_named_in_snake_case() {
    assert_eq!(
        serde_json::to_value(RejectionReason::KkCapReached).expect("json"),
        "kk_cap_reached"
    );
}

#[test]
fn a_resend_request_names_its_routing_key_and_round_trips() {
    let (id, _) = id_and_registration();
    let requested = EmailVerificationRequested {
        registration_id: id,
        requested_at: datetime!(2020-04-11 03:00:00 UTC),
        sequence: 2,
    };
    assert_eq!(
        EmailVerificationRequested::ROUTING_KEY,
        "registration.email_verification_requested"
    );
    let json = serde_json::to_value(&requested).expect("json");
    assert_eq!(json["sequence"], 2);
    assert_eq!(
        serde_json::from_value::<EmailVerificationRequested>(json).expect("parse"),
        requested
    );
}
