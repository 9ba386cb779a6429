//! `application/problem+json` answers (RFC 9457) for every non-200 response.

use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpResponse, ResponseError};

use crate::config::ConfigError;
use crate::nik::NikError;

/// Builds a problem response, with `Retry-After` when given.
pub(crate) fn problem(
    status: StatusCode,
    detail: &str,
    retry_after_secs: Option<u64>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type("application/problem+json");
    if let Some(secs) = retry_after_secs {
        response.insert_header((RETRY_AFTER, secs.to_string()));
    }
    response.json(serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    }))
}

/// Client errors of the registry and admin routes, all answered 400.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("{0}")]
    Nik(#[from] NikError),
    // The serde message may quote the client's own input; it goes back to the
    // client only, never to the logs.
    #[error("malformed JSON body: {0}")]
    Body(#[from] serde_json::Error),
    #[error("birth_date must be a date formatted YYYY-MM-DD")]
    BirthDate,
    #[error("{0}")]
    Config(#[from] ConfigError),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }

    fn error_response(&self) -> HttpResponse {
        problem(self.status_code(), &self.to_string(), None)
    }
}
