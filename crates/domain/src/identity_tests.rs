//! Tests of the keyed identifiers.

use super::*;
use crate::testing::{identity_key, valid_nik};

fn nik(seed: u64) -> Nik {
    Nik::parse(&valid_nik(seed)).expect("valid nik")
}

fn wave(n: u32) -> Wave {
    Wave::new(n).expect("valid wave")
}

#[test]
fn keys_shorter_than_32_bytes_are_refused() {
    assert_eq!(
        IdentityKey::from_bytes(&[7; 31]).map(|_| ()),
        Err(IdentityKeyError::TooShort { len: 31 })
    );
    assert!(IdentityKey::from_bytes(&[7; 32]).is_ok());
    assert!(IdentityKey::from_hex(&"ab".repeat(32)).is_ok());
    assert_eq!(
        IdentityKey::from_hex("zz").map(|_| ()),
        Err(IdentityKeyError::NotHex)
    );
    assert_eq!(
        IdentityKey::from_hex(&"ab".repeat(31)).map(|_| ()),
        Err(IdentityKeyError::TooShort { len: 31 })
    );
}

#[test]
fn the_key_is_never_printed() {
    let key = IdentityKey::from_bytes(b"0123456789abcdef0123456789abcdef").expect("key");
    assert_eq!(format!("{key:?}"), "IdentityKey(<redacted>)");
}

#[test]
fn the_registration_id_follows_the_documented_rule() {
    // Recompute the README's formula independently.
    let key_bytes = b"lonjak test identity key, never used in production";
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key_bytes).expect("hmac");
    mac.update(b"lonjak.registration-id\x003174015708900001\x0042");
    let body = mac.finalize().into_bytes()[..12].to_vec();
    let mut tag = <HmacSha256 as Mac>::new_from_slice(key_bytes).expect("hmac");
    tag.update(b"lonjak.registration-tag\x00");
    tag.update(&body);
    let expected = format!(
        "{}{}",
        hex::encode(&body),
        hex::encode(&tag.finalize().into_bytes()[..4])
    );

    let nik = Nik::parse("3174015708900001").expect("nik");
    let id = RegistrationId::derive(&identity_key(), &nik, wave(42));
    assert_eq!(id.to_string(), expected);
    assert_eq!(id.to_string().len(), 32);
}

#[test]
fn an_id_is_recognised_only_by_the_key_that_issued_it() {
    let key = identity_key();
    let id = RegistrationId::derive(&key, &nik(1), wave(1));
    let other_key = IdentityKey::from_bytes(&[1; 32]).expect("key");
    assert!(id.is_issued_by(&key));
    assert!(!id.is_issued_by(&other_key));
    let mut forged = *id.as_bytes();
    forged[0] ^= 1;
    assert!(!RegistrationId::from_bytes(forged).is_issued_by(&key));
}

#[test]
fn the_same_person_and_wave_always_get_the_same_id() {
    let key = identity_key();
    assert_eq!(
        RegistrationId::derive(&key, &nik(1), wave(1)),
        RegistrationId::derive(&key, &nik(1), wave(1))
    );
    assert_ne!(
        RegistrationId::derive(&key, &nik(1), wave(1)),
        RegistrationId::derive(&key, &nik(1), wave(2))
    );
    assert_ne!(
        RegistrationId::derive(&key, &nik(1), wave(1)),
        RegistrationId::derive(&key, &nik(2), wave(1))
    );
    let other_key = IdentityKey::from_bytes(&[1; 32]).expect("key");
    assert_ne!(
        RegistrationId::derive(&key, &nik(1), wave(1)),
        RegistrationId::derive(&other_key, &nik(1), wave(1))
    );
}

#[test]
fn wave_digits_cannot_collide_with_nik_digits() {
    // The separator keeps (NIK, wave 11) apart from any other split.
    let key = identity_key();
    let ids: std::collections::HashSet<_> = (1..=200)
        .map(|w| RegistrationId::derive(&key, &nik(5), wave(w)))
        .collect();
    assert_eq!(ids.len(), 200);
}

#[test]
fn registration_ids_round_trip_through_text_json_and_uuid() {
    let id = RegistrationId::derive(&identity_key(), &nik(3), wave(1));
    assert_eq!(RegistrationId::parse(&id.to_string()), Ok(id));
    assert_eq!(id.to_string().parse::<RegistrationId>(), Ok(id));
    let json = serde_json::to_string(&id).expect("json");
    assert_eq!(json, format!("\"{id}\""));
    assert_eq!(
        serde_json::from_str::<RegistrationId>(&json).expect("json"),
        id
    );
    assert_eq!(RegistrationId::from_uuid(id.to_uuid()), id);
    assert_eq!(RegistrationId::from_bytes(*id.as_bytes()), id);
    assert_eq!(format!("{id:?}"), format!("RegistrationId({id})"));
}

#[test]
fn malformed_registration_ids_are_refused() {
    for input in [
        "",
        "abc",
        &"A".repeat(32),
        &"g".repeat(32),
        &"0".repeat(31),
        &"0".repeat(33),
        " 0000000000000000000000000000000",
    ] {
        assert_eq!(
            RegistrationId::parse(input),
            Err(RegistrationIdError::Format),
            "{input}"
        );
    }
    assert!(serde_json::from_str::<RegistrationId>("\"xyz\"").is_err());
    assert!(serde_json::from_str::<RegistrationId>("12").is_err());
}

#[test]
fn nik_and_kk_hashes_are_keyed_and_domain_separated() {
    let key = identity_key();
    let digits = "3174015708900001";
    let nik = Nik::parse(digits).expect("nik");
    let kk = KkNumber::parse(digits).expect("kk");
    let nik_hash = NikHash::derive(&key, &nik);
    // Same digits, different purpose: different hash.
    assert_ne!(nik_hash.as_bytes(), KkHash::derive(&key, &kk).as_bytes());
    assert_eq!(nik_hash, NikHash::derive(&key, &nik));
    assert_eq!(NikHash::from_bytes(*nik_hash.as_bytes()), nik_hash);
    let other_key = IdentityKey::from_bytes(&[9; 40]).expect("key");
    assert_ne!(nik_hash, NikHash::derive(&other_key, &nik));

    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(b"lonjak test identity key, never used in production")
            .expect("hmac");
    mac.update(b"lonjak.nik\x003174015708900001");
    assert_eq!(nik_hash.as_bytes()[..], mac.finalize().into_bytes()[..]);
    assert!(!format!("{nik_hash:?}").contains(digits));
}

#[test]
fn a_submission_hash_changes_with_any_stated_field_and_only_then() {
    use crate::testing::{SAMPLE_TODAY, sample_request};
    use crate::{Registration, RegistrationRequest};

    let key = identity_key();
    let parse = |req: &RegistrationRequest| {
        Registration::parse(req, SAMPLE_TODAY, Wave::FIRST).expect("valid")
    };
    let base = sample_request(5, SAMPLE_TODAY);
    let hash = SubmissionHash::derive(&key, &parse(&base));

    assert_eq!(hash, SubmissionHash::derive(&key, &parse(&base.clone())));
    let variants = [
        RegistrationRequest {
            full_name: Some("Budi Santoso Lain".to_owned()),
            ..base.clone()
        },
        RegistrationRequest {
            email: Some("lain@example.id".to_owned()),
            ..base.clone()
        },
        RegistrationRequest {
            in_education: Some(!base.in_education.unwrap_or(false)),
            ..base.clone()
        },
    ];
    for variant in &variants {
        assert_ne!(hash, SubmissionHash::derive(&key, &parse(variant)));
    }
    // The language is how to write to the applicant, not something the
    // submission states about them: choosing another is the same submission.
    let english = RegistrationRequest {
        language: Some("en".to_owned()),
        ..base.clone()
    };
    assert_eq!(hash, SubmissionHash::derive(&key, &parse(&english)));
    let other_key = IdentityKey::from_bytes(&[9; 32]).expect("key");
    assert_ne!(hash, SubmissionHash::derive(&other_key, &parse(&base)));
}

#[test]
fn a_configured_identity_key_is_read_as_hex_and_refused_when_short() {
    let ok: IdentitySettings =
        serde_json::from_value(serde_json::json!({"key": "ab".repeat(32)})).expect("valid");
    assert_eq!(format!("{:?}", ok.key), "IdentityKey(<redacted>)");
    assert!(serde_json::from_value::<IdentitySettings>(serde_json::json!({"key": "ab"})).is_err());
    assert!(
        serde_json::from_value::<IdentitySettings>(serde_json::json!({"key": "zz".repeat(32)}))
            .is_err()
    );
}
