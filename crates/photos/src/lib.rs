//! The object store, as lonjak uses it: SigV4-presigned URLs (`rusty-s3`
//! signs, nothing more) sent with `reqwest`. The gateway presigns uploads;
//! the photo-check worker reads, copies and deletes. No SDK.

use std::time::Duration;

use reqwest::StatusCode;
use rusty_s3::actions::{DeleteObject, GetObject, HeadObject, PutObject, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;

/// The longest an upload URL may live (the promise).
pub const MAX_UPLOAD_URL_TTL: Duration = Duration::from_secs(15 * 60);
/// Requests the worker signs live this long: enough for one call.
const CALL_URL_TTL: Duration = Duration::from_secs(60);

/// `object_store.*`: where photos go and the credentials to sign with.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ObjectStoreSettings {
    /// S3 endpoint; empty disables photos.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: SecretString,
    /// Path-style URLs (`endpoint/bucket/key`), as local servers want.
    pub path_style: bool,
    /// Per-request deadline, in ms.
    pub timeout_ms: u64,
}

impl Default for ObjectStoreSettings {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            bucket: "lonjak-photos".to_owned(),
            region: "us-east-1".to_owned(),
            access_key: String::new(),
            secret_key: SecretString::from(""),
            path_style: true,
            timeout_ms: 5_000,
        }
    }
}

impl ObjectStoreSettings {
    pub fn is_enabled(&self) -> bool {
        !self.endpoint.trim().is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ObjectStoreError {
    #[error("object_store settings: {0}")]
    Config(String),
    #[error("object store request failed")]
    Request(#[from] reqwest::Error),
    #[error("object store answered {0}")]
    Status(StatusCode),
}

/// What a HEAD found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    pub size: u64,
    pub content_type: Option<String>,
}

/// A bucket with credentials and an HTTP client. Cheap to clone.
#[derive(Clone)]
pub struct ObjectStore {
    bucket: Bucket,
    credentials: Credentials,
    http: reqwest::Client,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore")
            .field("bucket", &self.bucket.name())
            .finish_non_exhaustive()
    }
}

impl ObjectStore {
    pub fn new(settings: &ObjectStoreSettings) -> Result<Self, ObjectStoreError> {
        let endpoint = settings
            .endpoint
            .parse()
            .map_err(|e| ObjectStoreError::Config(format!("endpoint: {e}")))?;
        let style = if settings.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(
            endpoint,
            style,
            settings.bucket.clone(),
            settings.region.clone(),
        )
        .map_err(|e| ObjectStoreError::Config(format!("bucket: {e}")))?;
        let credentials = Credentials::new(
            settings.access_key.clone(),
            settings.secret_key.expose_secret().to_owned(),
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms.max(100)))
            .build()?;
        Ok(Self {
            bucket,
            credentials,
            http,
        })
    }

    /// A presigned PUT of `key` valid for `ttl` (at most 15 minutes) from
    /// `signed_at`. Content type and length limit are signed headers: an
    /// upload with another content type is refused by the store itself.
    pub fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        ttl: Duration,
        signed_at: OffsetDateTime,
    ) -> String {
        let mut action = PutObject::new(&self.bucket, Some(&self.credentials), key);
        action
            .headers_mut()
            .insert("content-type", content_type.to_owned());
        let ttl = ttl.min(MAX_UPLOAD_URL_TTL);
        let at = jiff::Timestamp::from_second(signed_at.unix_timestamp())
            .unwrap_or_else(|_| jiff::Timestamp::now());
        action.sign_with_time(ttl, &at).to_string()
    }

    /// HEAD: `None` if there is no such object.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectHead>, ObjectStoreError> {
        let url = HeadObject::new(&self.bucket, Some(&self.credentials), key).sign(CALL_URL_TTL);
        let response = self.http.head(url).send().await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(ObjectHead {
                size: response.content_length().unwrap_or(0),
                content_type: response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            })),
            s => Err(ObjectStoreError::Status(s)),
        }
    }

    /// GET of the first `len` bytes (all of them when `len` is `None`);
    /// `None` if there is no such object.
    pub async fn get(
        &self,
        key: &str,
        len: Option<u64>,
    ) -> Result<Option<Vec<u8>>, ObjectStoreError> {
        let url = GetObject::new(&self.bucket, Some(&self.credentials), key).sign(CALL_URL_TTL);
        let mut request = self.http.get(url);
        if let Some(len) = len {
            request = request.header(
                reqwest::header::RANGE,
                format!("bytes=0-{}", len.saturating_sub(1)),
            );
        }
        let response = request.send().await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            // An empty object cannot satisfy a range.
            StatusCode::RANGE_NOT_SATISFIABLE => Ok(Some(Vec::new())),
            s if s.is_success() => Ok(Some(response.bytes().await?.to_vec())),
            s => Err(ObjectStoreError::Status(s)),
        }
    }

    /// PUT of `body` (tests and load generators upload like an applicant
    /// would, through a presigned URL; this is for server-side copies).
    pub async fn put(
        &self,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), ObjectStoreError> {
        let url = self.presign_put(key, content_type, CALL_URL_TTL, OffsetDateTime::now_utc());
        let response = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(ObjectStoreError::Status(response.status()))
        }
    }

    /// DELETE; deleting what is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), ObjectStoreError> {
        let url = DeleteObject::new(&self.bucket, Some(&self.credentials), key).sign(CALL_URL_TTL);
        let response = self.http.delete(url).send().await?;
        match response.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            s => Err(ObjectStoreError::Status(s)),
        }
    }

    /// Is the bucket there and are the credentials good (readiness)?
    pub async fn ping(&self) -> Result<(), ObjectStoreError> {
        let url = rusty_s3::actions::HeadBucket::new(&self.bucket, Some(&self.credentials))
            .sign(CALL_URL_TTL);
        let response = self.http.head(url).send().await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(ObjectStoreError::Status(response.status()))
        }
    }
}
