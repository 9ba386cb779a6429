//! Tests of the registry contracts and of `decide`.

use time::macros::date;

use super::*;
use crate::testing::SAMPLE_TODAY;
use crate::{Registration, RegistrationRequest, Wave};

fn reg(in_education: bool) -> Registration {
    let req = RegistrationRequest {
        in_education: Some(in_education),
        ..crate::testing::sample_request(1, SAMPLE_TODAY)
    };
    Registration::parse(&req, SAMPLE_TODAY, Wave::FIRST).expect("valid")
}

fn identity() -> IdentityCheck {
    IdentityCheck {
        found: true,
        name_match: true,
        birth_date_match: true,
        registered_birth_date: None,
        occupation: Some(Occupation::Unemployed),
    }
}

fn not_enrolled() -> EducationCheck {
    EducationCheck {
        enrolled: false,
        institution_type: None,
    }
}

fn no_aid() -> WelfareCheck {
    WelfareCheck {
        recipient: false,
        programme: None,
    }
}

/// `reg` is what the applicant declared: the decision never reads it.
fn decide_with(
    _reg: &Registration,
    id: &IdentityCheck,
    edu: &EducationCheck,
    welfare: &WelfareCheck,
) -> Decision {
    decide(id, edu, welfare)
}

fn rejected(reason: RejectionReason) -> Decision {
    Decision::Rejected(reason)
}

#[test]
fn a_clean_applicant_is_verified_without_social_aid() {
    assert_eq!(
        decide_with(&reg(false), &identity(), &not_enrolled(), &no_aid()),
        Decision::Verified {
            social_aid_programme: None
        }
    );
}

#[test]
fn a_social_aid_recipient_is_verified_carrying_the_programme() {
    let pkh = WelfareCheck {
        recipient: true,
        programme: Some("pkh".into()),
    };
    assert_eq!(
        decide_with(&reg(false), &identity(), &not_enrolled(), &pkh),
        Decision::Verified {
            social_aid_programme: Some("pkh".into())
        }
    );
    let unnamed = WelfareCheck {
        recipient: true,
        programme: None,
    };
    assert_eq!(
        decide_with(&reg(false), &identity(), &not_enrolled(), &unnamed),
        Decision::Verified {
            social_aid_programme: Some(UNNAMED_SOCIAL_AID_PROGRAMME.into())
        }
    );
    // A programme named for a non-recipient is ignored.
    let stale = WelfareCheck {
        recipient: false,
        programme: Some("pkh".into()),
    };
    assert_eq!(
        decide_with(&reg(false), &identity(), &not_enrolled(), &stale),
        Decision::Verified {
            social_aid_programme: None
        }
    );
}

#[test]
fn each_rule_rejects_with_its_reason() {
    let r = reg(false);
    let not_found = IdentityCheck {
        found: false,
        ..identity()
    };
    assert_eq!(
        decide_with(&r, &not_found, &not_enrolled(), &no_aid()),
        rejected(RejectionReason::IdentityNotFound)
    );
    let wrong_name = IdentityCheck {
        name_match: false,
        ..identity()
    };
    assert_eq!(
        decide_with(&r, &wrong_name, &not_enrolled(), &no_aid()),
        rejected(RejectionReason::IdentityMismatch)
    );
    let wrong_birth = IdentityCheck {
        birth_date_match: false,
        ..identity()
    };
    assert_eq!(
        decide_with(&r, &wrong_birth, &not_enrolled(), &no_aid()),
        rejected(RejectionReason::IdentityMismatch)
    );
    let official = IdentityCheck {
        occupation: Some(Occupation::CivilServant),
        ..identity()
    };
    assert_eq!(
        decide_with(&r, &official, &not_enrolled(), &no_aid()),
        rejected(RejectionReason::IneligibleOccupation)
    );
    let enrolled = EducationCheck {
        enrolled: true,
        institution_type: Some("university".into()),
    };
    assert_eq!(
        decide_with(&r, &identity(), &enrolled, &no_aid()),
        rejected(RejectionReason::InEducation)
    );
}

#[test]
fn education_is_what_dapodik_says_not_what_the_applicant_declared() {
    let verified = Decision::Verified {
        social_aid_programme: None,
    };
    assert_eq!(
        decide_with(&reg(true), &identity(), &not_enrolled(), &no_aid()),
        verified
    );
    let enrolled = EducationCheck {
        enrolled: true,
        institution_type: None,
    };
    assert_eq!(
        decide_with(&reg(false), &identity(), &enrolled, &no_aid()),
        rejected(RejectionReason::InEducation)
    );
}

#[test]
fn rules_apply_in_the_documented_order() {
    let everything_wrong = IdentityCheck {
        found: false,
        name_match: false,
        birth_date_match: false,
        registered_birth_date: Some(date!(2010 - 01 - 01)),
        occupation: Some(Occupation::Legislator),
    };
    let enrolled = EducationCheck {
        enrolled: true,
        institution_type: None,
    };
    let r = reg(false);
    // Identity comes first: nothing the applicant declared is acted on before
    // Dukcapil confirms who they are (a NIK's owner cannot be locked out by
    // someone who types it with `in_education: true`).
    assert_eq!(
        decide_with(&reg(true), &everything_wrong, &enrolled, &no_aid()),
        rejected(RejectionReason::IdentityNotFound)
    );
    assert_eq!(
        decide_with(&r, &everything_wrong, &enrolled, &no_aid()),
        rejected(RejectionReason::IdentityNotFound)
    );
    let found = IdentityCheck {
        found: true,
        ..everything_wrong.clone()
    };
    assert_eq!(
        decide_with(&r, &found, &enrolled, &no_aid()),
        rejected(RejectionReason::IdentityMismatch)
    );
    assert_eq!(
        decide_with(&reg(true), &found, &enrolled, &no_aid()),
        rejected(RejectionReason::IdentityMismatch)
    );
    let matching = IdentityCheck {
        name_match: true,
        birth_date_match: true,
        ..found
    };
    // A registered birth date under 18 is left to the eligibility rules
    // (the wave's closing day).
    assert_eq!(
        decide_with(&r, &matching, &enrolled, &no_aid()),
        rejected(RejectionReason::IneligibleOccupation)
    );
    let eligible = IdentityCheck {
        occupation: Some(Occupation::Other),
        ..matching
    };
    assert_eq!(
        decide_with(&r, &eligible, &enrolled, &no_aid()),
        rejected(RejectionReason::InEducation)
    );
}

#[test]
fn age_is_not_judged_by_verification_but_on_the_waves_closing_day() {
    // Under 18 on the submission day by the civil record: verification
    // leaves them to the eligibility rules, which know the wave's closing day.
    let minor = IdentityCheck {
        registered_birth_date: Some(date!(2005 - 01 - 01)),
        ..identity()
    };
    assert_eq!(
        decide(&minor, &not_enrolled(), &no_aid()),
        Decision::Verified {
            social_aid_programme: None
        }
    );
}

#[test]
fn only_state_officials_are_ineligible_occupations() {
    use Occupation::*;
    let ineligible = [
        CivilServant,
        PoliceMilitary,
        StateEnterpriseDirector,
        VillageHead,
        Legislator,
    ];
    for o in [
        Unemployed,
        PrivateEmployee,
        Entrepreneur,
        Student,
        Housekeeper,
        Other,
    ] {
        assert!(!o.is_ineligible(), "{o:?}");
    }
    for o in ineligible {
        assert!(o.is_ineligible(), "{o:?}");
    }
}

#[test]
fn registry_answers_use_the_documented_json() {
    let json = r#"{"found": true, "name_match": true, "birth_date_match": false,
        "registered_birth_date": "1990-08-17", "occupation": "state_enterprise_director"}"#;
    let check: IdentityCheck = serde_json::from_str(json).expect("parse");
    assert_eq!(check.registered_birth_date, Some(date!(1990 - 08 - 17)));
    assert_eq!(check.occupation, Some(Occupation::StateEnterpriseDirector));
    let back = serde_json::to_value(&check).expect("json");
    assert_eq!(back["registered_birth_date"], "1990-08-17");
    assert_eq!(back["occupation"], "state_enterprise_director");

    let minimal: IdentityCheck =
        serde_json::from_str(r#"{"found": false, "name_match": false, "birth_date_match": false}"#)
            .expect("parse");
    assert_eq!(
        (minimal.registered_birth_date, minimal.occupation),
        (None, None)
    );
    let nulls: IdentityCheck = serde_json::from_str(
        r#"{"found": false, "name_match": false, "birth_date_match": false, "registered_birth_date": null, "occupation": null}"#,
    )
    .expect("parse");
    assert_eq!(nulls, minimal);
    assert!(serde_json::from_str::<IdentityCheck>(
        r#"{"found": true, "name_match": true, "birth_date_match": true, "registered_birth_date": "17-08-1990"}"#
    )
    .is_err());

    let edu: EducationCheck =
        serde_json::from_str(r#"{"enrolled": true, "institution_type": "sma"}"#).expect("parse");
    assert_eq!(
        edu,
        EducationCheck {
            enrolled: true,
            institution_type: Some("sma".into())
        }
    );
    let welfare: WelfareCheck = serde_json::from_str(r#"{"recipient": false}"#).expect("parse");
    assert_eq!(welfare, no_aid());
}

#[test]
fn debug_of_an_identity_check_hides_the_registered_birth_date() {
    let check = IdentityCheck {
        registered_birth_date: Some(date!(1990 - 08 - 17)),
        ..identity()
    };
    assert!(!format!("{check:?}").contains("1990"));
}

#[test]
fn the_identity_answer_alone_decides_every_rule_before_the_other_registries() {
    assert_eq!(decide_on_identity(&identity()), None);
    let unknown = IdentityCheck {
        found: false,
        ..identity()
    };
    assert_eq!(
        decide_on_identity(&unknown),
        Some(RejectionReason::IdentityNotFound)
    );
    let official = IdentityCheck {
        occupation: Some(Occupation::CivilServant),
        ..identity()
    };
    assert_eq!(
        decide_on_identity(&official),
        Some(RejectionReason::IneligibleOccupation)
    );
}

#[test]
fn registry_and_outcome_names_are_the_stored_ones() {
    let names: Vec<&str> = Registry::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(names, ["dukcapil", "dapodik", "dtks"]);
    for registry in Registry::ALL {
        assert_eq!(
            serde_json::to_value(registry).expect("json"),
            registry.as_str()
        );
    }
    assert_eq!(CheckOutcome::Answered.as_str(), "answered");
    assert_eq!(
        serde_json::to_value(CheckOutcome::Skipped).expect("json"),
        "skipped"
    );
}
