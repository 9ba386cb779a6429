use super::*;

fn key(byte: u8) -> DataKey {
    DataKey::from_bytes(&[byte; 32]).expect("32 bytes")
}

fn ring(version: u8) -> KeyRing {
    KeyRing::new(version, key(version), []).expect("ring")
}

#[test]
fn sealed_value_opens_back_to_the_plaintext() {
    let sealed = seal(&ring(1), Field::Nik, "ab", "3171234567890123").expect("seal");
    assert_eq!(
        open(&ring(1), Field::Nik, "ab", &sealed).expect("open"),
        "3171234567890123"
    );
}

#[test]
fn a_ciphertext_carries_the_version_that_sealed_it() {
    let sealed = seal(&ring(7), Field::Email, "ab", "siti@example.id").expect("seal");
    assert_eq!(version_of(&sealed), Some(7));
    // After rotation, the ring seals under 8 and still reads 7.
    let rotated = KeyRing::new(8, key(8), [(7, key(7))]).expect("ring");
    assert_eq!(
        open(&rotated, Field::Email, "ab", &sealed).expect("open"),
        "siti@example.id"
    );
    let resealed = seal(&rotated, Field::Email, "ab", "siti@example.id").expect("seal");
    assert_eq!(version_of(&resealed), Some(8));
    // A ring without version 7 cannot read it, and says which version.
    let err = open(&ring(8), Field::Email, "ab", &sealed).expect_err("no key 7");
    assert!(err.to_string().contains("version 7"), "{err}");
}

#[test]
fn a_relabelled_version_does_not_open() {
    let both = KeyRing::new(2, key(9), [(1, key(9))]).expect("ring");
    let mut sealed = seal(&both, Field::Phone, "ab", "+6281234567890").expect("seal");
    sealed[0] = 1;
    assert!(open(&both, Field::Phone, "ab", &sealed).is_err());
}

#[test]
fn sealing_twice_gives_different_ciphertexts() {
    let a = seal(&ring(1), Field::Nik, "ab", "3171234567890123").expect("seal");
    let b = seal(&ring(1), Field::Nik, "ab", "3171234567890123").expect("seal");
    assert_ne!(a, b);
}

#[test]
fn ciphertext_moved_to_another_row_or_field_does_not_open() {
    let sealed = seal(&ring(1), Field::Nik, "ab", "3171234567890123").expect("seal");
    assert!(open(&ring(1), Field::Nik, "cd", &sealed).is_err());
    assert!(open(&ring(1), Field::KkNumber, "ab", &sealed).is_err());
}

#[test]
fn wrong_key_does_not_open() {
    let sealed = seal(&ring(1), Field::Nik, "ab", "3171234567890123").expect("seal");
    let other = KeyRing::single(key(8));
    assert!(open(&other, Field::Nik, "ab", &sealed).is_err());
}

#[test]
fn a_ciphertext_from_before_versions_opens_with_key_one() {
    // What the store wrote before versioned keys: nonce ‖ ciphertext, no
    // version in the associated data.
    let legacy = seal(&ring(1), Field::Nik, "ab", "3171234567890123").expect("seal");
    let headerless = seal_legacy(&key(1), Field::Nik, "ab", "3171234567890123").expect("seal");
    let both = KeyRing::new(2, key(2), [(1, key(1))]).expect("ring");
    assert_eq!(
        open_legacy(&both, Field::Nik, "ab", &headerless).expect("legacy"),
        "3171234567890123"
    );
    assert!(open_legacy(&both, Field::Nik, "ab", &legacy).is_err());
    assert!(open_legacy(&ring(2), Field::Nik, "ab", &headerless).is_err());
}

#[test]
fn key_must_be_exactly_32_bytes() {
    assert!(DataKey::from_bytes(&[0; 31]).is_err());
    assert!(DataKey::from_bytes(&[0; 33]).is_err());
    assert!(DataKey::from_hex(&"ab".repeat(32)).is_ok());
    assert!(DataKey::from_hex("zz").is_err());
}

#[test]
fn debug_never_shows_the_key() {
    let shown = format!("{:?}", DataKey::from_hex(&"ab".repeat(32)).expect("hex"));
    assert!(!shown.to_lowercase().contains("ab"), "{shown}");
}
