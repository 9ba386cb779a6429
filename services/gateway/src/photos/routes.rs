//! `POST /v1/registrations/{id}/photos` (upload URLs) and
//! `POST /v1/registrations/{id}/photos/{kind}/complete` (the confirmation).
// Early answers travel as `Err(HttpResponse)` on the cold path only.
#![allow(clippy::result_large_err)]

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use lonjak_bus::Envelope;
use lonjak_domain::photo::PhotoUploaded;
use lonjak_domain::{Message, PhotoKey, PhotoKind, RegistrationId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Photos;
use super::accepted::refuse_accepted;
use crate::language::AnswerLanguage;
use crate::problem::{FieldProblem, Problem, chain, failed_fields};
use crate::state::AppState;

/// Content types an upload may be signed for.
const CONTENT_TYPES: [&str; 2] = ["image/jpeg", "image/png"];

/// Which photos to upload.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// One entry per photo (`ktp`, `selfie`), each kind at most once.
    pub photos: Vec<UploadRequestItem>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequestItem {
    /// `ktp` (identity card) or `selfie`.
    #[schema(example = "ktp")]
    pub kind: String,
    /// `image/jpeg` or `image/png`; signed into the URL.
    #[schema(example = "image/jpeg")]
    pub content_type: String,
}

/// Where to PUT each photo.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadUrls {
    pub registration_id: String,
    /// When the URLs stop working (at most 15 minutes away).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// Largest file the check accepts, in bytes.
    pub max_bytes: u64,
    pub uploads: Vec<Upload>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Upload {
    pub kind: String,
    /// The object key; send it back when confirming.
    pub key: String,
    /// Always `PUT`.
    pub method: String,
    /// The presigned URL (SigV4).
    pub url: String,
    /// The `Content-Type` header the PUT must carry (it is signed).
    pub content_type: String,
}

/// The confirmation of one upload.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteRequest {
    /// The key from the upload answer.
    pub key: String,
}

/// The answer to a confirmation: the photo is waiting for its check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompleteReceipt {
    pub registration_id: String,
    pub kind: String,
    /// `pending` until the check; then see the status endpoint.
    pub state: String,
    pub status_url: String,
}

fn invalid(errors: Vec<FieldProblem>, language: AnswerLanguage) -> HttpResponse {
    let n = errors.len();
    Problem::translated(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-photo-request",
        Message::new(
            "The photo request has invalid fields",
            "Ada isian permintaan foto yang tidak valid",
        ),
        failed_fields(n),
    )
    .with_errors(errors)
    .into_response_in(language)
}

fn unavailable() -> HttpResponse {
    Problem::unavailable(
        "photos-unavailable",
        "Photo upload is temporarily unavailable.",
        5,
    )
    .into_response()
}

/// The registration named in the path, if this deployment issued it.
fn registration(path: &str, state: &AppState) -> Result<RegistrationId, HttpResponse> {
    match RegistrationId::parse(path) {
        Ok(id) if id.is_issued_by(&state.identity) => Ok(id),
        _ => Err(Problem::not_found("No registration with this id.").into_response()),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, HttpResponse> {
    // The message names the position and the kind of fault, never a value.
    serde_json::from_slice(body).map_err(|e| {
        Problem::malformed(format!(
            "line {}, column {}: {}",
            e.line(),
            e.column(),
            kind(&e)
        ))
        .into_response()
    })
}

fn kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Data => "a field is missing, unknown or of the wrong type",
        serde_json::error::Category::Eof => "the body ends early",
        _ => "not JSON",
    }
}

/// Parses the request into (kind, content type) pairs, or field problems.
fn validate(request: &UploadRequest) -> Result<Vec<(PhotoKind, &'static str)>, Vec<FieldProblem>> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut wanted = Vec::new();
    if request.photos.is_empty() || request.photos.len() > PhotoKind::ALL.len() {
        errors.push(FieldProblem::new(
            "photos",
            "count",
            "name one or two photos: ktp and/or selfie",
            "Sebutkan satu atau dua foto: ktp dan/atau selfie",
        ));
    }
    for (i, item) in request.photos.iter().enumerate() {
        let kind = PhotoKind::parse(&item.kind);
        let content_type = CONTENT_TYPES.iter().find(|c| **c == item.content_type);
        match kind {
            Err(_) => errors.push(FieldProblem::new(
                format!("photos[{i}].kind"),
                "one_of",
                "must be one of: ktp, selfie",
                "Harus salah satu dari: ktp, selfie",
            )),
            Ok(kind) if !seen.insert(kind) => errors.push(FieldProblem::new(
                format!("photos[{i}].kind"),
                "unique",
                "each kind may be named once",
                "Setiap jenis foto hanya boleh disebut sekali",
            )),
            Ok(_) => {}
        }
        if content_type.is_none() {
            errors.push(FieldProblem::new(
                format!("photos[{i}].content_type"),
                "one_of",
                "must be one of: image/jpeg, image/png",
                "Harus salah satu dari: image/jpeg, image/png",
            ));
        }
        if let (Ok(kind), Some(content_type)) = (kind, content_type) {
            wanted.push((kind, *content_type));
        }
    }
    if errors.is_empty() {
        Ok(wanted)
    } else {
        Err(errors)
    }
}

fn nonce() -> [u8; 16] {
    *uuid::Uuid::new_v4().as_bytes()
}

/// Ask for upload URLs.
#[utoipa::path(
    post,
    path = "/v1/registrations/{id}/photos",
    params(("id" = String, Path, description = "Registration id from the 202 receipt")),
    request_body = UploadRequest,
    responses(
        (status = 200, description = "Presigned PUT URLs, one per photo", body = UploadUrls),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A kind named is accepted already (`photo-already-accepted`): an accepted photo is not replaced; in the language of `Accept-Language`", body = Problem, content_type = "application/problem+json",
            headers(("Content-Language" = String, description = "`en` or `id`: the language of `title`, `detail` and every `message`"))),
        (status = 422, description = "A field is invalid (a third kind, another content type); `errors` names it; in the language of `Accept-Language`", body = Problem, content_type = "application/problem+json",
            headers(("Content-Language" = String, description = "`en` or `id`: the language of `title`, `detail` and every `message`"))),
        (status = 429, description = "Too many URL requests from this client, or in all; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Photo upload unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(name = "photo_urls", skip_all, fields(registration.id = %path))]
pub async fn upload_urls(
    path: web::Path<String>,
    language: AnswerLanguage,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let id = match registration(&path, &state) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let Some(photos) = &state.photos else {
        return unavailable();
    };
    let request: UploadRequest = match parse(&body) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let wanted = match validate(&request) {
        Ok(wanted) => wanted,
        Err(errors) => return invalid(errors, language),
    };
    let kinds: Vec<PhotoKind> = wanted.iter().map(|(kind, _)| *kind).collect();
    if let Err(response) = refuse_accepted(&state, &id, &kinds, language).await {
        return response;
    }
    HttpResponse::Ok().json(issue(photos, id, &wanted, OffsetDateTime::now_utc()))
}

fn issue(
    photos: &Photos,
    id: RegistrationId,
    wanted: &[(PhotoKind, &'static str)],
    now: OffsetDateTime,
) -> UploadUrls {
    let ttl = photos.settings.url_ttl();
    let uploads = wanted
        .iter()
        .map(|(kind, content_type)| {
            let key = PhotoKey::new(id, *kind, nonce()).to_string();
            Upload {
                kind: kind.as_str().to_owned(),
                url: photos.objects.presign_put(&key, content_type, ttl, now),
                key,
                method: "PUT".to_owned(),
                content_type: (*content_type).to_owned(),
            }
        })
        .collect();
    UploadUrls {
        registration_id: id.to_string(),
        expires_at: now + ttl,
        max_bytes: photos.limits.max_bytes,
        uploads,
    }
}

/// Confirm an upload.
#[utoipa::path(
    post,
    path = "/v1/registrations/{id}/photos/{kind}/complete",
    params(
        ("id" = String, Path, description = "Registration id from the 202 receipt"),
        ("kind" = String, Path, description = "`ktp` or `selfie`"),
    ),
    request_body = CompleteRequest,
    responses(
        (status = 202, description = "Confirmed; the photo is checked next (see the status endpoint)", body = CompleteReceipt),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing was uploaded under this key (or the URL expired before the upload), or this kind is accepted already (`photo-already-accepted`, in the language of `Accept-Language`)", body = Problem, content_type = "application/problem+json",
            headers(("Content-Language" = String, description = "`en` or `id`: the language of `title`, `detail` and every `message`"))),
        (status = 422, description = "Another kind, or a key not issued for this photo; `errors` names the field; in the language of `Accept-Language`", body = Problem, content_type = "application/problem+json",
            headers(("Content-Language" = String, description = "`en` or `id`: the language of `title`, `detail` and every `message`"))),
        (status = 429, description = "Too many requests from this client; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Photo upload unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(name = "photo_complete", skip_all, fields(registration.id = %path.0))]
pub async fn complete(
    path: web::Path<(String, String)>,
    language: AnswerLanguage,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (id, kind) = path.into_inner();
    let id = match registration(&id, &state) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let Ok(kind) = PhotoKind::parse(&kind) else {
        let error = FieldProblem::new(
            "kind",
            "one_of",
            "must be one of: ktp, selfie",
            "Harus salah satu dari: ktp, selfie",
        );
        return invalid(vec![error], language);
    };
    let Some(photos) = &state.photos else {
        return unavailable();
    };
    let request: CompleteRequest = match parse(&body) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let key = match PhotoKey::parse(&request.key) {
        Ok(key) if key.registration_id() == id && key.kind() == kind => key,
        _ => {
            let error = FieldProblem::new(
                "key",
                "issued_for_this_photo",
                "must be the key issued for this registration's photo of this kind",
                "Harus kunci yang diberikan untuk foto jenis ini dari pendaftaran ini",
            );
            return invalid(vec![error], language);
        }
    };
    if let Err(response) = refuse_accepted(&state, &id, &[kind], language).await {
        return response;
    }
    // One HEAD answers "nothing was uploaded" at once, without a check.
    match photos.objects.head(&key.to_string()).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Problem::new(
                StatusCode::CONFLICT,
                "photo-not-uploaded",
                "Nothing was uploaded under this key",
                "Upload the photo with the URL first (it may have expired: ask for a new one), then confirm.",
            )
            .into_response();
        }
        Err(error) => {
            tracing::warn!(error = %chain(&error), "object store HEAD failed");
            return unavailable();
        }
    }
    let Some(bus) = state.bus.get() else {
        return unavailable();
    };
    let envelope = Envelope::event(format!("photo-{id}-{kind}"), PhotoUploaded { key });
    match bus.publisher().publish_event(&envelope, None).await {
        Ok(()) => HttpResponse::Accepted().json(CompleteReceipt {
            registration_id: id.to_string(),
            kind: kind.as_str().to_owned(),
            state: "pending".to_owned(),
            status_url: format!("/v1/registrations/{id}"),
        }),
        Err(error) => {
            tracing::warn!(error = %chain(&error), "publishing photo.uploaded failed");
            unavailable()
        }
    }
}
