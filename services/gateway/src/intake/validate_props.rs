//! Property tests of the whole request decoding: any body, any JSON, any
//! field value gets a 202-able registration or a 400/422, never a panic or
//! a 5xx. `scripts/proptest.sh` runs them long.

use std::collections::BTreeMap;

use lonjak_domain::Wave;

use crate::waves::OpenWaves;
use lonjak_domain::testing::{SAMPLE_TODAY, sample_request};
use proptest::prelude::*;
use serde_json::Value;

use super::validate;

const KNOWN: [&str; 10] = [
    "nik",
    "kk_number",
    "full_name",
    "birth_date",
    "email",
    "phone",
    "employment_status",
    "in_education",
    "wave",
    "language",
];

fn check(body: &[u8]) -> Result<(), TestCaseError> {
    let open = OpenWaves::fixed(1..=3, Wave::FIRST);
    if let Err((_, problem)) = validate(body, SAMPLE_TODAY, &open) {
        prop_assert!(
            matches!(problem.status, 400 | 422),
            "status {}",
            problem.status
        );
        if problem.status == 422 {
            prop_assert!(!problem.errors.is_empty());
        }
    }
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[0-9]{16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Mostly the known field names, sometimes anything.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KNOWN.to_vec()).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn valid_body(i: u64) -> BTreeMap<String, Value> {
    let request = sample_request(i, SAMPLE_TODAY);
    match serde_json::to_value(request) {
        Ok(Value::Object(map)) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

proptest! {
    #[test]
    fn any_bytes_get_a_4xx_or_a_registration(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&body)?;
    }

    #[test]
    fn any_json_object_gets_a_4xx_or_a_registration(
        fields in prop::collection::btree_map(key(), json_value(), 0..12)
    ) {
        let body = serde_json::to_vec(&fields).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check(&body)?;
    }

    #[test]
    fn any_value_in_any_field_of_a_valid_body_gets_a_4xx_or_a_registration(
        i in 0u64..1_000_000,
        field in prop::sample::select(KNOWN.to_vec()),
        value in json_value(),
    ) {
        let mut body = valid_body(i);
        body.insert(field.to_owned(), value);
        let bytes = serde_json::to_vec(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check(&bytes)?;
    }

    #[test]
    fn a_valid_body_with_an_unknown_field_is_a_422_naming_it(
        i in 0u64..1_000_000,
        extra in "[a-z_]{1,20}",
        value in json_value(),
    ) {
        prop_assume!(!KNOWN.contains(&extra.as_str()));
        let mut body = valid_body(i);
        body.insert(extra.clone(), value);
        let bytes = serde_json::to_vec(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let open = OpenWaves::fixed(1..=3, Wave::FIRST);
        let refused = validate(&bytes, SAMPLE_TODAY, &open);
        let Err((_, problem)) = refused else {
            return Err(TestCaseError::fail("accepted a body with an unknown field"));
        };
        prop_assert_eq!(problem.status, 422);
        prop_assert!(problem.errors.iter().any(|e| e.field == extra && e.rule == "unknown"));
    }

    #[test]
    fn valid_bodies_are_accepted(i in 0u64..1_000_000) {
        let bytes = serde_json::to_vec(&valid_body(i)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let open = OpenWaves::fixed(1..=3, Wave::FIRST);
        prop_assert!(validate(&bytes, SAMPLE_TODAY, &open).is_ok());
    }
}
