//! Every refusal of the admin API as RFC 9457 problem+json, naming the field
//! and the rule where a field is at fault. Internal errors are logged once,
//! here, with their cause chain, and answered with a reference to that line.

use std::error::Error as StdError;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use lonjak_domain::FieldError;
use lonjak_ops::wire::{FieldProblem, ProblemBody};
use lonjak_store::{StoreError, WaveChangeError};

use crate::auth::Role;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// Why a request was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// No bearer token, or not one of the configured tokens.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// A valid token whose role does not allow the request.
    #[error("role {role:?} may not do what needs {needed:?}")]
    Forbidden { role: Role, needed: Role },
    /// Fields that break a rule (422).
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldProblem>),
    /// The thing named by a field does not exist (404).
    #[error("not found: {detail}")]
    NotFound { field: &'static str, detail: String },
    /// The request conflicts with the current state (409).
    #[error("conflict ({slug}): {detail}")]
    Conflict {
        slug: &'static str,
        field: &'static str,
        rule: &'static str,
        detail: String,
    },
    /// The caller's bound is used up for now (429 with `Retry-After`).
    #[error("too many requests ({field}): retry in {retry_after}s")]
    TooMany {
        field: &'static str,
        detail: String,
        retry_after: u64,
    },
    /// The database or broker is unavailable now (503, retry).
    #[error("dependency unavailable")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// Anything else (500 with a reference).
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl AdminError {
    pub fn internal_message(message: &'static str) -> Self {
        AdminError::Internal(message.into())
    }

    pub fn invalid_field(field: &str, rule: &str, message: impl Into<String>) -> Self {
        AdminError::Invalid(vec![FieldProblem {
            field: field.to_owned(),
            rule: rule.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<FieldError> for AdminError {
    fn from(e: FieldError) -> Self {
        // Operators read the admin API in English.
        AdminError::invalid_field(e.field, e.rule, e.message.en())
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => AdminError::Conflict {
                slug: "concurrent-change",
                field: "wave",
                rule: "unchanged",
                detail: "Another request changed it at the same time; read it again.".to_owned(),
            },
            e if e.is_unavailable() => AdminError::Unavailable(Box::new(e)),
            e => AdminError::Internal(Box::new(e)),
        }
    }
}

impl From<WaveChangeError> for AdminError {
    fn from(e: WaveChangeError) -> Self {
        match e {
            WaveChangeError::NotFound(wave) => AdminError::NotFound {
                field: "wave",
                detail: format!("Wave {wave} does not exist."),
            },
            WaveChangeError::Exists { wave } => AdminError::Conflict {
                slug: "wave-exists",
                field: "wave",
                rule: "unique",
                detail: format!("Wave {wave} already exists."),
            },
            WaveChangeError::Transition(t) => AdminError::Conflict {
                slug: "wave-state",
                field: "wave",
                rule: "state",
                detail: format!("The wave is {}; it cannot move to {}.", t.from, t.to),
            },
            e @ WaveChangeError::InFlight { .. } => AdminError::Conflict {
                slug: "wave-not-drained",
                field: "wave",
                rule: "drained",
                detail: format!("{e}."),
            },
            WaveChangeError::Store(e) => e.into(),
            other => AdminError::Internal(Box::new(other)),
        }
    }
}

/// The cause chain of an error, for the one log line.
fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            AdminError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AdminError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AdminError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AdminError::NotFound { .. } => StatusCode::NOT_FOUND,
            AdminError::Conflict { .. } => StatusCode::CONFLICT,
            AdminError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AdminError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AdminError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let field = |field: &str, rule: &str, message: &str| {
            vec![FieldProblem {
                field: field.to_owned(),
                rule: rule.to_owned(),
                message: message.to_owned(),
            }]
        };
        let (slug, title, detail, errors, reference) = match self {
            AdminError::Unauthenticated(detail) => (
                "unauthenticated",
                "Authentication required",
                (*detail).to_owned(),
                field("authorization", "bearer", detail),
                None,
            ),
            AdminError::Forbidden { role, needed } => {
                let detail = format!(
                    "The {} role may not do this; it needs the {} role.",
                    role.as_str(),
                    needed.as_str()
                );
                let errors = field("authorization", "role", &detail);
                (
                    "forbidden",
                    "Not allowed for this role",
                    detail,
                    errors,
                    None,
                )
            }
            AdminError::Invalid(errors) => (
                "invalid-request",
                "The request has invalid fields",
                format!("{} field(s) failed validation; see `errors`.", errors.len()),
                errors.clone(),
                None,
            ),
            AdminError::NotFound { field: f, detail } => (
                "not-found",
                "Not found",
                detail.clone(),
                field(f, "exists", detail),
                None,
            ),
            AdminError::Conflict {
                slug,
                field: f,
                rule,
                detail,
            } => (
                *slug,
                "Conflicts with the current state",
                detail.clone(),
                field(f, rule, detail),
                None,
            ),
            AdminError::TooMany {
                field: f, detail, ..
            } => (
                "too-many-requests",
                "Too many requests",
                detail.clone(),
                field(f, "rate", detail),
                None,
            ),
            AdminError::Unavailable(cause) => {
                tracing::warn!(error = %chain(cause.as_ref()), "admin request: dependency unavailable");
                (
                    "unavailable",
                    "Temporarily unavailable",
                    "The database or the broker is not answering; try again.".to_owned(),
                    Vec::new(),
                    None,
                )
            }
            AdminError::Internal(cause) => {
                let reference = uuid::Uuid::new_v4().to_string();
                tracing::error!(error = %chain(cause.as_ref()), reference = %reference, "admin request failed");
                (
                    "internal",
                    "Internal error",
                    "The request failed; the log has the reference.".to_owned(),
                    Vec::new(),
                    Some(reference),
                )
            }
        };
        let body = ProblemBody {
            kind: format!("https://lonjak.dev/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            errors,
            reference,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)));
        match self {
            AdminError::Unauthenticated(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"lonjak-admin\""));
            }
            AdminError::Forbidden { .. } => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"lonjak-admin\", error=\"insufficient_scope\"",
                ));
            }
            AdminError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            AdminError::TooMany { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            _ => {}
        }
        // Strings and numbers only: serialising cannot fail.
        response.body(serde_json::to_vec(&body).unwrap_or_default())
    }
}

/// Unknown path: 404 problem+json.
pub async fn not_found() -> HttpResponse {
    AdminError::NotFound {
        field: "path",
        detail: "No such resource.".to_owned(),
    }
    .error_response()
}

/// A known path asked with another method: 405 with `Allow`.
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    actix_web::web::to(move || async move {
        let body = ProblemBody {
            kind: "https://lonjak.dev/problems/method-not-allowed".to_owned(),
            title: "Method not allowed".to_owned(),
            status: 405,
            detail: format!("This resource answers {allow} only."),
            errors: Vec::new(),
            reference: None,
        };
        HttpResponse::MethodNotAllowed()
            .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
            .insert_header((header::ALLOW, allow))
            .body(serde_json::to_vec(&body).unwrap_or_default())
    })
}
