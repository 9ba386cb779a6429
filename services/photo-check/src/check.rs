//! Checking one uploaded object, cheapest test first: HEAD (is it there,
//! size, content type), the first bytes (JPEG or PNG magic), then the whole
//! object (at most the size limit): header dimensions, complete data, and
//! the SHA-256 that is recorded.

use lonjak_domain::{PhotoLimits, PhotoRejection};
use lonjak_photos::{ObjectStore, ObjectStoreError};
use sha2::{Digest, Sha256};

/// Bytes read to recognise the format.
const MAGIC_LEN: u64 = 16;
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
/// A PNG ends with its IEND chunk (length 0, type, fixed CRC).
const PNG_END: &[u8] = &[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
const JPEG_END: &[u8] = &[0xFF, 0xD9];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
}

impl Format {
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(JPEG_MAGIC) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(PNG_MAGIC) {
            Some(Self::Png)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    fn is_complete(self, bytes: &[u8]) -> bool {
        match self {
            // Some encoders pad after the end marker: allow a little.
            Self::Jpeg => bytes.windows(2).rev().take(64).any(|w| w == JPEG_END),
            Self::Png => bytes.ends_with(PNG_END),
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub size: Option<u64>,
    pub sha256: Option<String>,
    pub dimensions: Option<(u32, u32)>,
    pub result: Result<(), PhotoRejection>,
    /// The whole object, when accepted (to be kept).
    pub body: Option<(Vec<u8>, &'static str)>,
}

impl Checked {
    fn rejected(size: Option<u64>, reason: PhotoRejection) -> Self {
        Self {
            size,
            sha256: None,
            dimensions: None,
            result: Err(reason),
            body: None,
        }
    }
}

/// Checks the object at `key`. Errors are the object store's (retry later).
pub async fn check(
    store: &ObjectStore,
    key: &str,
    limits: &PhotoLimits,
) -> Result<Checked, ObjectStoreError> {
    let Some(head) = store.head(key).await? else {
        return Ok(Checked::rejected(None, PhotoRejection::NotUploaded));
    };
    let size = Some(head.size);
    if head.size > limits.max_bytes {
        return Ok(Checked::rejected(size, PhotoRejection::TooLarge));
    }
    let Some(first) = store.get(key, Some(MAGIC_LEN)).await? else {
        return Ok(Checked::rejected(None, PhotoRejection::NotUploaded));
    };
    let Some(format) = Format::sniff(&first) else {
        return Ok(Checked::rejected(size, PhotoRejection::NotAnImage));
    };
    // The upload URL signs the content type the applicant asked for: it
    // must name what the bytes are.
    if head.content_type.as_deref() != Some(format.content_type()) {
        return Ok(Checked::rejected(size, PhotoRejection::NotAnImage));
    }
    let Some(body) = store.get(key, None).await? else {
        return Ok(Checked::rejected(None, PhotoRejection::NotUploaded));
    };
    Ok(judge(&body, format, limits))
}

/// The verdict on a whole object whose format was sniffed as `format`.
pub fn judge(body: &[u8], format: Format, limits: &PhotoLimits) -> Checked {
    let size = Some(body.len() as u64);
    if body.len() as u64 > limits.max_bytes {
        return Checked::rejected(size, PhotoRejection::TooLarge);
    }
    let sha256 = hex::encode(Sha256::digest(body));
    let verdict = |dimensions, result| Checked {
        size,
        sha256: Some(sha256.clone()),
        dimensions,
        result,
        body: None,
    };
    let Ok(dims) = imagesize::blob_size(body) else {
        return verdict(None, Err(PhotoRejection::Unreadable));
    };
    let dimensions = Some((
        u32::try_from(dims.width).unwrap_or(u32::MAX),
        u32::try_from(dims.height).unwrap_or(u32::MAX),
    ));
    if !format.is_complete(body) {
        return verdict(dimensions, Err(PhotoRejection::Unreadable));
    }
    if let Err(reason) = limits.check_dimensions(dims.width as u64, dims.height as u64) {
        return verdict(dimensions, Err(reason));
    }
    Checked {
        body: Some((body.to_vec(), format.content_type())),
        ..verdict(dimensions, Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = PNG_MAGIC.to_vec();
        bytes.extend_from_slice(&13u32.to_be_bytes());
        bytes.extend_from_slice(b"IHDR");
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn formats_are_sniffed_from_their_magic() {
        assert_eq!(Format::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(Format::sniff(&png_header(1, 1)), Some(Format::Png));
        assert_eq!(Format::sniff(b"GIF89a"), None);
        assert_eq!(Format::sniff(b""), None);
    }

    #[test]
    fn a_png_without_its_end_is_unreadable_and_with_it_is_judged_by_size() {
        let limits = PhotoLimits::default();
        let cut = png_header(640, 480);
        assert_eq!(
            judge(&cut, Format::Png, &limits).result,
            Err(PhotoRejection::Unreadable)
        );
        let mut whole = cut.clone();
        whole.extend_from_slice(PNG_END);
        let checked = judge(&whole, Format::Png, &limits);
        assert_eq!(checked.result, Ok(()));
        assert_eq!(checked.dimensions, Some((640, 480)));
        assert_eq!(checked.sha256.as_deref().map(str::len), Some(64));
        let mut tiny = png_header(20, 20);
        tiny.extend_from_slice(PNG_END);
        assert_eq!(
            judge(&tiny, Format::Png, &limits).result,
            Err(PhotoRejection::TooSmall)
        );
    }
}
