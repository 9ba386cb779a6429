//! Every rule of every field speaks both languages: a representative bad
//! input per rule, parsed field by field and as a whole registration, must
//! give an English and an Indonesian message, each non-empty, each in its
//! own language, and neither repeating the input.

use std::collections::BTreeSet;

use time::macros::date;

use crate::{
    BirthDate, Email, EmploymentStatus, FieldError, FullName, KkNumber, Language, Nik, Phone,
    Registration, RegistrationRequest, Wave,
};

/// One bad input per rule of each field parser: (field, rule, input).
const BAD_INPUTS: &[(&str, &str, &str)] = &[
    ("nik", "length", "317401170890001"),
    ("nik", "digits", "31740117089000x1"),
    ("nik", "province", "1074011708900001"),
    ("nik", "date", "3174013208900001"),
    ("nik", "serial", "3174011708900000"),
    ("kk_number", "length", "31740101010900021"),
    ("kk_number", "digits", "317401010109000a"),
    ("kk_number", "province", "1074010101090002"),
    ("full_name", "length", "S"),
    ("full_name", "characters", "Siti Rahayu 2nd"),
    ("full_name", "characters", "Siti\tRahayu"),
    ("full_name", "letters", "..."),
    ("birth_date", "format", "17-08-1990"),
    ("birth_date", "date", "1990-02-30"),
    ("birth_date", "range", "1899-12-31"),
    ("email", "format", "siti.example.id"),
    ("email", "local_part", "@example.id"),
    ("email", "local_part", "si ti@example.id"),
    ("email", "domain", "siti@localhost"),
    ("phone", "characters", "(0812) 3456 7890"),
    ("phone", "format", "0215551234"),
    ("phone", "length", "08123456"),
    ("employment_status", "one_of", "unemployed"),
    ("wave", "format", "one"),
    ("wave", "range", "0"),
    ("language", "one_of", "fr"),
];

fn parse(field: &str, input: &str) -> Result<(), FieldError> {
    match field {
        "nik" => Nik::parse(input).map(drop),
        "kk_number" => KkNumber::parse(input).map(drop),
        "full_name" => FullName::parse(input).map(drop),
        "birth_date" => BirthDate::parse(input).map(drop),
        "email" => Email::parse(input).map(drop),
        "phone" => Phone::parse(input).map(drop),
        "employment_status" => EmploymentStatus::parse(input).map(drop),
        "wave" => Wave::parse(input).map(drop),
        "language" => Language::parse(input).map(drop),
        other => panic!("no parser for {other}"),
    }
}

/// Both texts present, each in its language, and the input not repeated.
fn assert_speaks_both(error: &FieldError, input: &str) {
    let (en, id) = (error.message.en(), error.message.id());
    let what = format!("{} {}: {en:?} / {id:?}", error.field, error.rule);
    assert!(!en.trim().is_empty() && !id.trim().is_empty(), "{what}");
    assert_ne!(en, id, "{what}");
    // A sentence on a form: Indonesian messages begin with a capital.
    assert!(id.starts_with(char::is_uppercase), "{what}");
    for english in ["must", " is ", " only ", " the "] {
        assert!(
            !id.contains(english),
            "English in the Indonesian text: {what}"
        );
    }
    for indonesian in ["harus", "wajib", "boleh", "tidak"] {
        assert!(
            !en.contains(indonesian),
            "Indonesian in the English text: {what}"
        );
    }
    let input = input.trim();
    if input.len() >= 4 {
        assert!(!en.contains(input) && !id.contains(input), "echoed: {what}");
    }
}

#[test]
fn every_field_rule_has_an_english_and_an_indonesian_message() {
    for &(field, rule, input) in BAD_INPUTS {
        let error = parse(field, input).expect_err(input);
        assert_eq!((error.field, error.rule), (field, rule), "{input:?}");
        assert_speaks_both(&error, input);
        assert_eq!(error.message.get(Language::En), error.message.en());
        assert_eq!(error.message.get(Language::Id), error.message.id());
    }
}

#[test]
fn far_too_long_input_is_refused_in_both_languages() {
    let long = "1".repeat(5_000);
    for field in [
        "nik",
        "kk_number",
        "full_name",
        "birth_date",
        "email",
        "phone",
    ] {
        let error = parse(field, &long).expect_err(field);
        assert_eq!(error.rule, "length", "{field}");
        assert_speaks_both(&error, &long);
    }
}

#[test]
fn rules_across_fields_and_missing_fields_speak_both_languages() {
    let today = date!(2020 - 04 - 11);
    let mismatch_and_minor = RegistrationRequest {
        // Born 17 August 1990 by the NIK, but 2005 by birth_date: a minor.
        nik: Some("3174011708900001".into()),
        birth_date: Some("2005-08-17".into()),
        ..RegistrationRequest::default()
    };
    let errors = Registration::parse(&mismatch_and_minor, today, Wave::FIRST)
        .expect_err("invalid")
        .into_iter()
        .collect::<Vec<_>>();
    let named: BTreeSet<(&str, &str)> = errors.iter().map(|e| (e.field, e.rule)).collect();
    for expected in [
        ("nik", "birth_date_mismatch"),
        ("birth_date", "min_age"),
        ("kk_number", "required"),
        ("full_name", "required"),
        ("email", "required"),
        ("phone", "required"),
        ("employment_status", "required"),
        ("in_education", "required"),
    ] {
        assert!(named.contains(&expected), "{expected:?} in {named:?}");
    }
    for error in &errors {
        assert_speaks_both(error, "3174011708900001");
    }
}

#[test]
fn the_indonesian_texts_read_as_a_form_would_say_them() {
    let short_nik = Nik::parse("317401170890001").expect_err("too short");
    assert_eq!(short_nik.message.id(), "NIK harus 16 digit angka");
    assert_eq!(short_nik.message.en(), "nik must be exactly 16 digits");
    assert_eq!(
        FieldError::required("phone").message.id(),
        "Nomor HP wajib diisi"
    );
}
