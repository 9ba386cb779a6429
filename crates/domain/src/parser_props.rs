//! Property tests of every field parser, one by one: any input parses or is
//! refused with an error naming the field and a rule, never a panic; what
//! parses round-trips through its canonical form; digit-field errors never
//! echo the input. `scripts/proptest.sh` runs them long.

use proptest::prelude::*;

use crate::{
    BirthDate, Email, EmploymentStatus, FieldError, FullName, KkNumber, Nik, Phone, RegistrationId,
    Wave,
};

/// Any string, and strings shaped like each field so that many parse.
fn input(shaped: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), shaped, "\\PC{0,80}"]
}

fn refused_properly(error: &FieldError, field: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(error.field, field);
    prop_assert!(!error.rule.is_empty());
    prop_assert!(!error.message.en().is_empty());
    prop_assert!(!error.message.id().is_empty());
    Ok(())
}

/// An error message of a digits field must not contain the submitted digits.
fn no_echo(error: &FieldError, input: &str) -> Result<(), TestCaseError> {
    let input = input.trim();
    if input.len() >= 6 {
        for text in [error.message.en(), error.message.id()] {
            prop_assert!(!text.contains(input), "{} echoed", error.field);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn nik_parses_round_trips_or_names_its_rule(s in input("[ ]?[0-9]{15,17}[ ]?")) {
        match Nik::parse(&s) {
            Ok(nik) => prop_assert_eq!(Nik::parse(nik.as_str()), Ok(nik.clone())),
            Err(e) => { refused_properly(&e, "nik")?; no_echo(&e, &s)?; }
        }
    }

    #[test]
    fn kk_number_parses_round_trips_or_names_its_rule(s in input("[0-9]{14,18}")) {
        match KkNumber::parse(&s) {
            Ok(kk) => prop_assert_eq!(KkNumber::parse(kk.as_str()), Ok(kk.clone())),
            Err(e) => { refused_properly(&e, "kk_number")?; no_echo(&e, &s)?; }
        }
    }

    #[test]
    fn full_name_parses_round_trips_or_names_its_rule(s in input("[A-Za-z .'-]{0,110}")) {
        match FullName::parse(&s) {
            Ok(name) => prop_assert_eq!(FullName::parse(name.as_str()), Ok(name.clone())),
            Err(e) => refused_properly(&e, "full_name")?,
        }
    }

    #[test]
    fn birth_date_parses_round_trips_or_names_its_rule(s in input("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
        match BirthDate::parse(&s) {
            Ok(date) => prop_assert_eq!(BirthDate::parse(&date.to_iso_string()), Ok(date)),
            Err(e) => refused_properly(&e, "birth_date")?,
        }
    }

    #[test]
    fn email_parses_round_trips_or_names_its_rule(
        s in input("[A-Za-z0-9._%+-]{1,30}@[A-Za-z0-9.-]{1,30}\\.[a-z]{2,6}")
    ) {
        match Email::parse(&s) {
            Ok(email) => prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone())),
            Err(e) => refused_properly(&e, "email")?,
        }
    }

    #[test]
    fn phone_parses_round_trips_or_names_its_rule(s in input("(\\+62|62|0)8[0-9 -]{6,14}")) {
        match Phone::parse(&s) {
            Ok(phone) => prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone())),
            Err(e) => { refused_properly(&e, "phone")?; no_echo(&e, &s)?; }
        }
    }

    #[test]
    fn employment_status_parses_round_trips_or_names_its_rule(
        s in input("(laid_off|furloughed|micro_business_lost_income|job_seeker|employed|[a-z_]{0,12})")
    ) {
        match EmploymentStatus::parse(&s) {
            Ok(status) => prop_assert_eq!(EmploymentStatus::parse(status.as_str()), Ok(status)),
            Err(e) => refused_properly(&e, "employment_status")?,
        }
    }

    #[test]
    fn wave_parses_round_trips_or_names_its_rule(s in input("-?[0-9]{1,12}")) {
        match Wave::parse(&s) {
            Ok(wave) => prop_assert_eq!(Wave::parse(&wave.to_string()), Ok(wave)),
            Err(e) => refused_properly(&e, "wave")?,
        }
    }

    #[test]
    fn registration_ids_parse_and_round_trip_or_are_refused(s in input("[0-9a-f]{30,34}")) {
        if let Ok(id) = RegistrationId::parse(&s) {
            prop_assert_eq!(RegistrationId::parse(&id.to_string()).ok(), Some(id));
        }
    }
}
