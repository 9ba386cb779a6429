//! Unit and property tests of `Registration::parse` and `to_request`.

use proptest::prelude::*;
use time::Month;
use time::macros::{date, datetime};

use super::*;
use crate::testing::{SAMPLE_TODAY, nik_for, sample_request};

const TODAY: Date = SAMPLE_TODAY;

fn valid() -> RegistrationRequest {
    RegistrationRequest {
        nik: Some("3174015708900001".into()),
        kk_number: Some("3174010101090002".into()),
        full_name: Some("  Siti   Rahayu ".into()),
        birth_date: Some("1990-08-17".into()),
        email: Some("Siti@Example.ID".into()),
        phone: Some("0812-3456-7890".into()),
        employment_status: Some("laid_off".into()),
        in_education: Some(false),
        wave: None,
        language: None,
    }
}

fn rules(req: &RegistrationRequest) -> Vec<(&'static str, &'static str)> {
    Registration::parse(req, TODAY, Wave::FIRST)
        .expect_err("should be invalid")
        .errors()
        .iter()
        .map(|e| (e.field, e.rule))
        .collect()
}

#[test]
fn a_valid_request_parses_into_normalised_values() {
    let reg = Registration::parse(&valid(), TODAY, Wave::FIRST).expect("valid");
    assert_eq!(reg.nik().as_str(), "3174015708900001");
    assert_eq!(reg.kk_number().as_str(), "3174010101090002");
    assert_eq!(reg.full_name().as_str(), "Siti Rahayu");
    assert_eq!(reg.birth_date().date(), date!(1990 - 08 - 17));
    assert_eq!(reg.email().as_str(), "Siti@example.id");
    assert_eq!(reg.phone().as_str(), "+6281234567890");
    assert_eq!(reg.employment_status(), EmploymentStatus::LaidOff);
    assert!(!reg.in_education());
    assert_eq!(reg.wave(), Wave::FIRST);
}

#[test]
fn the_stated_wave_wins_over_the_default() {
    let req = RegistrationRequest {
        wave: Some(3),
        ..valid()
    };
    let reg = Registration::parse(&req, TODAY, Wave::FIRST).expect("valid");
    assert_eq!(reg.wave().get(), 3);
}

#[test]
fn an_empty_request_reports_every_missing_field_but_wave() {
    assert_eq!(
        rules(&RegistrationRequest::default()),
        [
            ("nik", "required"),
            ("kk_number", "required"),
            ("full_name", "required"),
            ("birth_date", "required"),
            ("email", "required"),
            ("phone", "required"),
            ("employment_status", "required"),
            ("in_education", "required"),
        ]
    );
}

#[test]
fn every_invalid_field_is_reported_in_field_order() {
    let req = RegistrationRequest {
        nik: Some("0074015708900001".into()),
        full_name: Some("X".into()),
        email: Some("nope".into()),
        phone: Some("021555".into()),
        employment_status: Some("retired".into()),
        wave: Some(0),
        language: Some("fr".into()),
        ..valid()
    };
    assert_eq!(
        rules(&req),
        [
            ("nik", "province"),
            ("full_name", "length"),
            ("email", "format"),
            ("phone", "format"),
            ("employment_status", "one_of"),
            ("wave", "range"),
            ("language", "one_of"),
        ]
    );
}

#[test]
fn the_language_is_indonesian_unless_english_is_chosen() {
    let reg = Registration::parse(&valid(), TODAY, Wave::FIRST).expect("valid");
    assert_eq!(reg.language(), Language::Id);
    // The default is left out of the normalised form.
    assert_eq!(reg.to_request().language, None);
    let english = RegistrationRequest {
        language: Some("en".into()),
        ..valid()
    };
    let reg = Registration::parse(&english, TODAY, Wave::FIRST).expect("valid");
    assert_eq!(reg.language(), Language::En);
    assert_eq!(reg.to_request().language.as_deref(), Some("en"));
    for other in ["EN", "english", "", "fr"] {
        let req = RegistrationRequest {
            language: Some(other.into()),
            ..valid()
        };
        assert_eq!(rules(&req), [("language", "one_of")], "{other:?}");
    }
}

#[test]
fn a_nik_that_disagrees_with_the_birth_date_is_reported_on_nik() {
    for birth_date in ["1990-08-18", "1990-09-17", "1991-08-17"] {
        let req = RegistrationRequest {
            birth_date: Some(birth_date.into()),
            ..valid()
        };
        assert_eq!(
            rules(&req),
            [("nik", "birth_date_mismatch")],
            "{birth_date}"
        );
    }
    // The mismatch is reported before errors on later fields.
    let req = RegistrationRequest {
        birth_date: Some("1990-08-18".into()),
        email: Some("x".into()),
        ..valid()
    };
    assert_eq!(
        rules(&req),
        [("nik", "birth_date_mismatch"), ("email", "format")]
    );
}

#[test]
fn applicants_must_be_eighteen_on_the_submission_date() {
    let req = RegistrationRequest {
        nik: Some("3174011104020001".into()),
        birth_date: Some("2002-04-11".into()),
        ..valid()
    };
    assert!(Registration::parse(&req, date!(2020 - 04 - 11), Wave::FIRST).is_ok());
    let errors =
        Registration::parse(&req, date!(2020 - 04 - 10), Wave::FIRST).expect_err("under age");
    assert_eq!(errors.errors().len(), 1);
    assert_eq!(errors.errors()[0].rule, "min_age");
    assert_eq!(errors.errors()[0].field, "birth_date");
}

#[test]
fn a_birth_date_in_the_future_fails_the_age_rule() {
    let req = RegistrationRequest {
        nik: Some("3174010101300001".into()),
        birth_date: Some("2030-01-01".into()),
        ..valid()
    };
    assert_eq!(rules(&req), [("birth_date", "min_age")]);
}

#[test]
fn the_submission_date_is_the_day_in_western_indonesian_time() {
    assert_eq!(
        submission_date(datetime!(2020-04-10 16:59:59 UTC)),
        date!(2020 - 04 - 10)
    );
    assert_eq!(
        submission_date(datetime!(2020-04-10 17:00:00 UTC)),
        date!(2020 - 04 - 11)
    );
    assert_eq!(
        submission_date(datetime!(2020-04-11 00:30:00 +07:00)),
        date!(2020 - 04 - 11)
    );
}

#[test]
fn to_request_is_the_normalised_wire_form_and_parses_back() {
    let reg = Registration::parse(&valid(), TODAY, Wave::FIRST).expect("valid");
    let wire = reg.to_request();
    assert_eq!(wire.full_name.as_deref(), Some("Siti Rahayu"));
    assert_eq!(wire.email.as_deref(), Some("Siti@example.id"));
    assert_eq!(wire.phone.as_deref(), Some("+6281234567890"));
    assert_eq!(wire.wave, Some(1));
    assert_eq!(
        Registration::parse(&wire, TODAY, Wave::new(9).expect("wave")),
        Ok(reg)
    );
}

#[test]
fn debug_of_a_registration_hides_personal_data() {
    let reg = Registration::parse(&valid(), TODAY, Wave::FIRST).expect("valid");
    let debug = format!("{reg:?}");
    for secret in [
        "3174015708900001",
        "3174010101090002",
        "Siti",
        "1990",
        "example",
        "812",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked in {debug}");
    }
}

// ---- property tests ----

/// Arbitrary text, biased towards the characters parsers look at.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9+@. -]{0,40}",
        "\\PC{0,120}",
        "[ \\t]{0,3}[0-9]{14,18}[ \\n]{0,3}",
    ]
}

proptest! {
    #[test]
    fn no_parser_panics_on_any_string(s in text()) {
        let _ = Nik::parse(&s);
        let _ = KkNumber::parse(&s);
        let _ = FullName::parse(&s);
        let _ = BirthDate::parse(&s);
        let _ = Email::parse(&s);
        let _ = Phone::parse(&s);
        let _ = EmploymentStatus::parse(&s);
        let _ = Wave::parse(&s);
        let _ = crate::RegistrationId::parse(&s);
        let req = RegistrationRequest {
            nik: Some(s.clone()), kk_number: Some(s.clone()), full_name: Some(s.clone()),
            birth_date: Some(s.clone()), email: Some(s.clone()), phone: Some(s.clone()),
            employment_status: Some(s.clone()), in_education: Some(true), wave: None,
            language: Some(s.clone()),
        };
        let _ = Registration::parse(&req, TODAY, Wave::FIRST);
    }

    #[test]
    fn every_parser_is_idempotent_on_its_own_output(s in text()) {
        if let Ok(v) = FullName::parse(&s) { prop_assert_eq!(FullName::parse(v.as_str()), Ok(v)); }
        if let Ok(v) = Email::parse(&s) { prop_assert_eq!(Email::parse(v.as_str()), Ok(v)); }
        if let Ok(v) = Phone::parse(&s) { prop_assert_eq!(Phone::parse(v.as_str()), Ok(v)); }
        if let Ok(v) = Nik::parse(&s) { prop_assert_eq!(Nik::parse(v.as_str()), Ok(v)); }
        if let Ok(v) = BirthDate::parse(&s) { prop_assert_eq!(BirthDate::parse(&v.to_iso_string()), Ok(v)); }
    }

    #[test]
    fn names_from_any_script_parse_and_are_stable(
        words in prop::collection::vec("[\\p{L}\\p{M}]{1,8}", 1..5),
        sep in "[ \u{a0}\u{3000}]{1,3}",
        pad in " {0,3}",
    ) {
        let input = format!("{pad}{}{pad}", words.join(&sep));
        if let Ok(name) = FullName::parse(&input) {
            prop_assert!(!name.as_str().contains("  "));
            prop_assert_eq!(FullName::parse(name.as_str()), Ok(name));
        }
    }
}

/// Inputs for a valid registration, written in any accepted form.
#[derive(Debug, Clone)]
struct Valid {
    req: RegistrationRequest,
    today: Date,
    wave: Wave,
}

fn valid_registration() -> impl Strategy<Value = Valid> {
    let today = (2000i32..2040, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| {
        Date::from_calendar_date(y, Month::try_from(m).expect("month"), d).expect("date")
    });
    let name = (
        prop::collection::vec("[A-Za-zÀ-ÖØ-öø-ÿ一-龥][A-Za-zÀ-ÖØ-öø-ÿ一-龥ꦲ-ꦴ]{1,9}", 1..4),
        prop::sample::select(vec![" ", "  ", " . ", "-", "'", ", "]),
        "[ ]{0,2}",
    )
        .prop_map(|(words, sep, pad)| format!("{pad}{}{pad}", words.join(sep)));
    let email = (
        "[a-zA-Z0-9_+-]{1,20}(\\.[a-z0-9]{1,5})?",
        "[a-zA-Z0-9]{1,10}(-[a-z0-9]{1,5})?",
        "[a-zA-Z]{2,6}",
    )
        .prop_map(|(local, host, tld)| format!("{local}@{host}.{tld}"));
    let phone = (
        prop::sample::select(vec!["08", "628", "+628", "+62 8", "0 8"]),
        prop::collection::vec(
            ("[0-9]", prop::sample::select(vec!["", "", " ", "-"])),
            8..=11,
        ),
    )
        .prop_map(|(prefix, digits)| {
            let rest: String = digits
                .into_iter()
                .map(|(d, sep)| format!("{d}{sep}"))
                .collect();
            format!("{prefix}{}", rest.trim_end_matches([' ', '-']))
        });
    (
        today,
        any::<u64>(),
        0i32..80,
        0u16..366,
        name,
        email,
        phone,
        prop::sample::select(EmploymentStatus::ALL.to_vec()),
        any::<bool>(),
        prop::option::of(1i64..=1_000_000),
        1u32..=1_000_000,
    )
        .prop_map(
            |(
                today,
                seed,
                extra_years,
                day_of_year,
                name,
                email,
                phone,
                status,
                in_education,
                wave,
                default_wave,
            )| {
                let year = (today.year() - 18 - extra_years).max(1901);
                let birth = Date::from_ordinal_date(year, day_of_year % 365 + 1).expect("date");
                // Anyone born in a year at least 19 before `today`'s is 18; one
                // born exactly 18 years before may not be yet, so move them back.
                let birth = if birth.year() == today.year() - 18 {
                    birth
                        .replace_year(today.year() - 19)
                        // 29 February has no counterpart in a common year.
                        .or_else(|_| {
                            Date::from_calendar_date(today.year() - 19, Month::February, 28)
                        })
                        .unwrap_or(birth)
                } else {
                    birth
                };
                let base = sample_request(seed, today);
                let req = RegistrationRequest {
                    nik: Some(nik_for(seed, birth)),
                    birth_date: Some(format!(
                        "{:04}-{:02}-{:02}",
                        birth.year(),
                        u8::from(birth.month()),
                        birth.day()
                    )),
                    full_name: Some(name),
                    email: Some(email),
                    phone: Some(phone),
                    employment_status: Some(status.as_str().to_owned()),
                    in_education: Some(in_education),
                    wave,
                    ..base
                };
                Valid {
                    req,
                    today,
                    wave: Wave::new(default_wave).expect("wave"),
                }
            },
        )
}

proptest! {
    #[test]
    fn generated_valid_registrations_parse_and_round_trip_through_json(v in valid_registration()) {
        let r = Registration::parse(&v.req, v.today, v.wave)
            .map_err(|e| TestCaseError::fail(format!("{e} for {:?}", (&v.req.full_name, &v.req.email, &v.req.phone, &v.req.birth_date))))?;
        let json = serde_json::to_string(&r.to_request()).expect("serialise");
        let back: RegistrationRequest = serde_json::from_str(&json).expect("deserialise");
        // The default wave no longer matters: to_request carries the wave.
        prop_assert_eq!(Registration::parse(&back, v.today, Wave::FIRST), Ok(r.clone()));
        prop_assert_eq!(r.to_request(), back);
    }
}

#[test]
fn a_submitted_registration_parses_without_the_age_rule_and_reports_its_age() {
    let today = crate::testing::SAMPLE_TODAY;
    let mut req = crate::testing::sample_request(3, today);
    // Make the applicant 17 on the submission day, keeping the NIK consistent.
    let birth = today.replace_year(today.year() - 17).expect("date");
    req.birth_date = Some(birth.to_string());
    req.nik = Some(crate::testing::nik_for(3, birth));

    let strict = Registration::parse(&req, today, Wave::FIRST);
    let submitted =
        Registration::parse_submitted(&req, Wave::FIRST).expect("every other rule holds");

    assert!(
        strict
            .expect_err("under age")
            .find("birth_date", "min_age")
            .is_some()
    );
    assert!(!submitted.is_adult_on(today));
    assert!(submitted.is_adult_on(birth.replace_year(birth.year() + 18).expect("date")));
}
