//! Round trip, tampering and key rotation of sealed applicants.

use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
use time::macros::datetime;

use super::*;
use crate::SealPrivateKey;

fn sealed(key: &SealPublicKey, i: u64) -> (Registration, RegistrationSubmitted) {
    let reg = sample_registration(i, SAMPLE_TODAY);
    let id = RegistrationId::derive(&identity_key(), reg.nik(), reg.wave());
    let event = seal_submitted(key, id, &reg, datetime!(2020-04-11 03:00:00.123456789 UTC))
        .expect("sealed");
    (reg, event)
}

fn ring(keys: &[&SealPrivateKey]) -> OpeningKeys {
    OpeningKeys::new(keys.iter().map(|k| (*k).clone()).collect())
}

#[test]
fn a_sealed_applicant_opens_to_the_same_registration_and_shows_no_field() {
    let key = SealPrivateKey::generate();
    let (reg, event) = sealed(key.public(), 7);
    let json = serde_json::to_string(&event).expect("json");
    for field in [
        reg.nik().as_str(),
        reg.kk_number().as_str(),
        reg.full_name().as_str(),
        reg.email().as_str(),
        reg.phone().as_str(),
        &reg.birth_date().to_iso_string(),
    ] {
        assert!(!json.contains(field), "clear field in {json}");
    }
    let back: RegistrationSubmitted = serde_json::from_str(&json).expect("parse");
    let request = open_submitted(&ring(&[&key]), &back).expect("opens");
    let reopened = Registration::parse_submitted(&request, back.wave).expect("valid");
    assert_eq!(reopened, reg);
}

#[test]
fn one_window_shares_its_encapsulation_but_no_key_salt_or_ciphertext() {
    let key = SealPrivateKey::generate();
    let (_, a) = sealed(key.public(), 7);
    let (_, b) = sealed(key.public(), 7);
    assert_eq!(a.applicant.enc, b.applicant.enc, "one context per window");
    assert_ne!(a.applicant.salt, b.applicant.salt);
    assert_ne!(a.applicant.ct, b.applicant.ct);
    let keys = ring(&[&key]);
    assert!(open_submitted(&keys, &a).is_ok());
    assert!(open_submitted(&keys, &b).is_ok());

    // Another gateway (another copy of the key from configuration) has a
    // context of its own; the worker opens both.
    let other_gateway = SealPublicKey::from_base64(&key.public().to_base64()).expect("key");
    let (_, c) = sealed(&other_gateway, 7);
    assert_ne!(a.applicant.enc, c.applicant.enc);
    assert!(open_submitted(&keys, &c).is_ok());
}

#[test]
fn a_changed_envelope_or_ciphertext_is_refused() {
    let key = SealPrivateKey::generate();
    let keys = ring(&[&key]);
    let (_, event) = sealed(key.public(), 7);
    let (_, other) = sealed(key.public(), 8);

    let mut moved = other.clone();
    moved.applicant = event.applicant.clone();
    assert_eq!(open_submitted(&keys, &moved), Err(OpenError::Refused));

    let mut rewaved = event.clone();
    rewaved.wave = Wave::try_from(2_i64).expect("wave");
    assert_eq!(open_submitted(&keys, &rewaved), Err(OpenError::Refused));

    let mut retimed = event.clone();
    retimed.submitted_at += time::Duration::nanoseconds(1);
    assert_eq!(open_submitted(&keys, &retimed), Err(OpenError::Refused));

    let mut flipped = event.clone();
    let mut ct = URL_SAFE_NO_PAD.decode(&flipped.applicant.ct).expect("b64");
    ct[3] ^= 1;
    flipped.applicant.ct = URL_SAFE_NO_PAD.encode(ct);
    assert_eq!(open_submitted(&keys, &flipped), Err(OpenError::Refused));

    let mut resalted = event.clone();
    resalted.applicant.salt = other.applicant.salt.clone();
    assert_eq!(open_submitted(&keys, &resalted), Err(OpenError::Refused));

    // Another context's encapsulated key: a different key agreement.
    let other_gateway = SealPublicKey::from_base64(&key.public().to_base64()).expect("key");
    let (_, foreign) = sealed(&other_gateway, 7);
    let mut reencapped = event.clone();
    reencapped.applicant.enc = foreign.applicant.enc.clone();
    assert_eq!(open_submitted(&keys, &reencapped), Err(OpenError::Refused));

    let mut garbled = event.clone();
    garbled.applicant.enc = "not base64!".into();
    assert_eq!(open_submitted(&keys, &garbled), Err(OpenError::Malformed));
    let mut short_salt = event.clone();
    short_salt.applicant.salt = "c2FsdA".into();
    assert_eq!(
        open_submitted(&keys, &short_salt),
        Err(OpenError::Malformed)
    );
}

#[test]
fn the_key_id_picks_the_key_of_the_ring_and_an_unknown_one_is_named() {
    let previous = SealPrivateKey::generate();
    let current = SealPrivateKey::generate();
    let (_, old) = sealed(previous.public(), 7);
    let (_, new) = sealed(current.public(), 7);
    let both = ring(&[&current, &previous]);
    assert!(open_submitted(&both, &old).is_ok());
    assert!(open_submitted(&both, &new).is_ok());
    assert_eq!(
        open_submitted(&ring(&[&current]), &old),
        Err(OpenError::UnknownKey)
    );

    // A key id pointed at another key of the ring does not help.
    let mut relabelled = old.clone();
    relabelled.applicant.key_id = current.key_id().to_string();
    assert_eq!(open_submitted(&both, &relabelled), Err(OpenError::Refused));
}

#[test]
fn keys_round_trip_through_base64_and_the_private_key_never_prints() {
    let key = SealPrivateKey::generate();
    let text = secrecy::ExposeSecret::expose_secret(&key.to_base64()).to_owned();
    assert_eq!(text.len(), 43);
    let back = SealPrivateKey::from_base64(&text).expect("parses");
    assert_eq!(back.key_id(), key.key_id());
    let public = SealPublicKey::from_base64(&key.public().to_base64()).expect("parses");
    assert_eq!(public.key_id(), key.key_id());
    let debug = format!("{key:?} {:?}", ring(&[&key]));
    assert!(!debug.contains(&text), "{debug}");
    assert!(debug.contains(&key.key_id().to_string()));
    assert!(SealPublicKey::from_base64("c2hvcnQ").is_err());
    assert!(SealPrivateKey::from_base64(&format!("{text}A")).is_err());
}

#[test]
fn the_development_keys_are_a_pair() {
    let private = SealPrivateKey::from_base64(crate::DEVELOPMENT_PRIVATE_KEY).expect("parses");
    assert_eq!(private.public().to_base64(), crate::DEVELOPMENT_PUBLIC_KEY);
}
