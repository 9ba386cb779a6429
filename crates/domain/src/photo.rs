//! Photos: the two kinds an applicant uploads, the object keys the server
//! chooses for them, the `photo.uploaded` event and the outcome of a check.
//! Keys name the registration id (a keyed hash, never the NIK) and a random
//! part, so nobody can guess another upload's key.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::RegistrationId;
use crate::events::Event;

/// Where uploads land. The bucket's lifecycle rule deletes anything under it
/// a day after upload: accepted photos are copied out to [`KEPT_PREFIX`].
pub const INCOMING_PREFIX: &str = "incoming/";
/// Where accepted photos are kept.
pub const KEPT_PREFIX: &str = "kept/";

/// What a photo shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    /// The identity card (KTP).
    Ktp,
    /// The applicant's face.
    Selfie,
}

impl PhotoKind {
    pub const ALL: [PhotoKind; 2] = [Self::Ktp, Self::Selfie];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ktp => "ktp",
            Self::Selfie => "selfie",
        }
    }

    /// Parses `ktp` or `selfie`; anything else is refused.
    pub fn parse(input: &str) -> Result<Self, UnknownPhotoKind> {
        match input {
            "ktp" => Ok(Self::Ktp),
            "selfie" => Ok(Self::Selfie),
            _ => Err(UnknownPhotoKind),
        }
    }
}

impl fmt::Display for PhotoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be one of: ktp, selfie")]
pub struct UnknownPhotoKind;

/// An upload's object key: `incoming/{registration id}/{kind}/{32 hex}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhotoKey {
    registration_id: RegistrationId,
    kind: PhotoKind,
    nonce: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a photo key issued by this service")]
pub struct PhotoKeyError;

impl PhotoKey {
    /// A key for `kind` of `registration_id` with a random part `nonce`.
    pub fn new(registration_id: RegistrationId, kind: PhotoKind, nonce: [u8; 16]) -> Self {
        Self {
            registration_id,
            kind,
            nonce: hex::encode(nonce),
        }
    }

    pub fn parse(input: &str) -> Result<Self, PhotoKeyError> {
        let rest = input.strip_prefix(INCOMING_PREFIX).ok_or(PhotoKeyError)?;
        let mut parts = rest.split('/');
        let (Some(id), Some(kind), Some(nonce), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(PhotoKeyError);
        };
        let registration_id = RegistrationId::parse(id).map_err(|_| PhotoKeyError)?;
        let kind = PhotoKind::parse(kind).map_err(|_| PhotoKeyError)?;
        let ok = nonce.len() == 32
            && nonce
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !ok {
            return Err(PhotoKeyError);
        }
        Ok(Self {
            registration_id,
            kind,
            nonce: nonce.to_owned(),
        })
    }

    pub fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }

    pub fn kind(&self) -> PhotoKind {
        self.kind
    }

    /// Where the photo is kept once accepted (outside the lifecycle rule).
    pub fn kept(&self) -> String {
        format!(
            "{KEPT_PREFIX}{}/{}/{}",
            self.registration_id, self.kind, self.nonce
        )
    }
}

impl fmt::Display for PhotoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{INCOMING_PREFIX}{}/{}/{}",
            self.registration_id, self.kind, self.nonce
        )
    }
}

impl From<PhotoKey> for String {
    fn from(key: PhotoKey) -> Self {
        key.to_string()
    }
}

impl TryFrom<String> for PhotoKey {
    type Error = PhotoKeyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// The applicant says a photo is uploaded. It carries only the key (which
/// names the registration and the kind): never image bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoUploaded {
    pub key: PhotoKey,
}

impl Event for PhotoUploaded {
    const ROUTING_KEY: &'static str = "photo.uploaded";

    fn registration_id(&self) -> RegistrationId {
        self.key.registration_id()
    }
}

/// Where a photo stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoState {
    /// URLs issued (or upload confirmed) and not checked yet.
    Pending,
    Accepted,
    Rejected,
}

impl PhotoState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// Why a photo was refused; each tells the applicant what to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoRejection {
    /// Confirmed, but nothing was uploaded under the key (or the URL expired).
    NotUploaded,
    TooLarge,
    /// Neither JPEG nor PNG.
    NotAnImage,
    /// The header or the data ends early.
    Unreadable,
    TooSmall,
    TooBig,
}

impl PhotoRejection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotUploaded => "not_uploaded",
            Self::TooLarge => "too_large",
            Self::NotAnImage => "not_an_image",
            Self::Unreadable => "unreadable",
            Self::TooSmall => "dimensions_too_small",
            Self::TooBig => "dimensions_too_big",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        [
            Self::NotUploaded,
            Self::TooLarge,
            Self::NotAnImage,
            Self::Unreadable,
            Self::TooSmall,
            Self::TooBig,
        ]
        .into_iter()
        .find(|r| r.as_str() == input)
    }

    /// What the applicant should do.
    pub fn advice(self) -> &'static str {
        match self {
            Self::NotUploaded => {
                "No file arrived: ask for a new upload URL, upload the photo, then confirm."
            }
            Self::TooLarge => "The file is too large: upload a smaller JPEG or PNG.",
            Self::NotAnImage => "The file is not a JPEG or PNG photo: upload one of those.",
            Self::Unreadable => "The image is damaged or cut short: upload it again.",
            Self::TooSmall => "The image is too small to read: upload a sharper, larger photo.",
            Self::TooBig => "The image has too many pixels: upload a smaller photo.",
        }
    }
}

/// The limits a photo must meet (settings `photos.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhotoLimits {
    pub max_bytes: u64,
    pub min_side: u32,
    pub max_side: u32,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self {
            max_bytes: 2 * 1024 * 1024,
            min_side: 200,
            max_side: 8_000,
        }
    }
}

impl PhotoLimits {
    /// Judges decoded dimensions.
    pub fn check_dimensions(&self, width: u64, height: u64) -> Result<(), PhotoRejection> {
        let (short, long) = (width.min(height), width.max(height));
        if short < u64::from(self.min_side) {
            return Err(PhotoRejection::TooSmall);
        }
        if long > u64::from(self.max_side) {
            return Err(PhotoRejection::TooBig);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> RegistrationId {
        RegistrationId::parse("00112233445566778899aabbccddeeff").expect("id")
    }

    #[test]
    fn kinds_parse_and_a_third_is_refused() {
        assert_eq!(PhotoKind::parse("ktp"), Ok(PhotoKind::Ktp));
        assert_eq!(PhotoKind::parse("selfie"), Ok(PhotoKind::Selfie));
        for bad in ["KTP", "passport", "", "ktp "] {
            assert_eq!(PhotoKind::parse(bad), Err(UnknownPhotoKind));
        }
    }

    #[test]
    fn keys_round_trip_and_name_no_more_than_id_and_kind() {
        let key = PhotoKey::new(id(), PhotoKind::Selfie, [7; 16]);
        let text = key.to_string();
        assert_eq!(
            text,
            "incoming/00112233445566778899aabbccddeeff/selfie/07070707070707070707070707070707"
        );
        assert_eq!(PhotoKey::parse(&text), Ok(key.clone()));
        assert!(key.kept().starts_with("kept/00112233"));
        for bad in [
            "kept/00112233445566778899aabbccddeeff/selfie/07070707070707070707070707070707",
            "incoming/00112233445566778899aabbccddeeff/passport/07070707070707070707070707070707",
            "incoming/00112233445566778899aabbccddeeff/selfie/0707",
            "incoming/00112233445566778899aabbccddeeff/selfie/07070707070707070707070707070707/x",
            "incoming/../selfie/07070707070707070707070707070707",
        ] {
            assert_eq!(PhotoKey::parse(bad), Err(PhotoKeyError), "{bad}");
        }
    }

    #[test]
    fn dimensions_within_bounds_pass() {
        let limits = PhotoLimits::default();
        assert_eq!(limits.check_dimensions(640, 480), Ok(()));
        assert_eq!(
            limits.check_dimensions(640, 100),
            Err(PhotoRejection::TooSmall)
        );
        assert_eq!(
            limits.check_dimensions(9_000, 480),
            Err(PhotoRejection::TooBig)
        );
    }

    #[test]
    fn reasons_round_trip() {
        for r in [
            PhotoRejection::NotUploaded,
            PhotoRejection::TooLarge,
            PhotoRejection::NotAnImage,
            PhotoRejection::Unreadable,
            PhotoRejection::TooSmall,
            PhotoRejection::TooBig,
        ] {
            assert_eq!(PhotoRejection::parse(r.as_str()), Some(r));
        }
    }
}
