//! RFC 9457 problem details: every refusal the gateway gives, in one shape.
//!
//! A problem is built once and rendered in a language when answered: the
//! field messages always exist in English and Indonesian, the title and the
//! detail in both for the problems that name fields (422 and the like) and
//! in English for the rest. An answer is in Indonesian only when every text
//! of it is, and says which in `Content-Language`.

mod render;

use std::borrow::Cow;
use std::error::Error;
use std::time::Duration;

use actix_web::http::StatusCode;
use lonjak_domain::{FieldError, Message};

pub use render::Text;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// One invalid field: which, by what rule, in words (rendered in the
/// answer's language).
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub rule: String,
    /// In the language of `Content-Language`.
    #[schema(value_type = String)]
    pub message: Message,
}

impl FieldProblem {
    /// A problem with `field` under `rule`, said in English and Indonesian.
    pub fn new(
        field: impl Into<String>,
        rule: impl Into<String>,
        en: impl Into<Cow<'static, str>>,
        id: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
            message: Message::new(en, id),
        }
    }
}

impl From<&FieldError> for FieldProblem {
    fn from(e: &FieldError) -> Self {
        Self {
            field: e.field.to_owned(),
            rule: e.rule.to_owned(),
            message: e.message.clone(),
        }
    }
}

// The schema documents the body as rendered (`render::Rendered`), which a
// test keeps in step.
/// A problem document. `type` is a stable URI naming the kind of problem.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct Problem {
    // The serde attributes shape the schema only (utoipa reads them);
    // the body is serialised from `render::Rendered`, which repeats them.
    #[serde(rename = "type")]
    pub kind: String,
    /// In the language of `Content-Language`.
    #[schema(value_type = String)]
    pub title: Text,
    pub status: u16,
    /// In the language of `Content-Language`.
    #[schema(value_type = String)]
    pub detail: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// Seconds to wait before retrying (also in the `Retry-After` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    #[serde(skip)]
    headers: Vec<(&'static str, String)>,
}

impl Problem {
    /// A problem whose title and detail are in English only.
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self::with_texts(
            status,
            slug,
            Text::En(title.to_owned()),
            Text::En(detail.into()),
        )
    }

    /// A problem whose title and detail are in every language.
    pub fn translated(status: StatusCode, slug: &str, title: Message, detail: Message) -> Self {
        Self::with_texts(status, slug, Text::All(title), Text::All(detail))
    }

    fn with_texts(status: StatusCode, slug: &str, title: Text, detail: Text) -> Self {
        Self {
            kind: format!("https://lonjak.dev/problems/{slug}"),
            title,
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
            retry_after: None,
            headers: Vec::new(),
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Self {
        self.errors = errors;
        self
    }

    /// Sets `Retry-After`; at least one second, since 0 invites a hot loop.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    pub fn header(mut self, name: &'static str, value: impl ToString) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    // The catalogue of problems the gateway answers with.

    pub fn invalid(errors: Vec<FieldProblem>) -> Self {
        let n = errors.len();
        Self::translated(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-registration",
            Message::new(
                "The registration has invalid fields",
                "Ada isian pendaftaran yang tidak valid",
            ),
            failed_fields(n),
        )
        .with_errors(errors)
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "The body is not valid JSON",
            detail,
        )
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "The body is too large",
            format!("Registration bodies are limited to {limit} bytes."),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported content type",
            "Send the registration as `Content-Type: application/json`.",
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn unavailable(slug: &str, detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            slug,
            "Registration is temporarily unavailable",
            detail,
        )
        .retry_after(retry_after_secs)
    }

    pub fn rate_limited(slug: &str, detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            slug,
            "Too many requests",
            detail,
        )
        .retry_after(retry_after_secs)
    }

    pub fn body_timeout(deadline: Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "body-timeout",
            "The body arrived too slowly",
            format!(
                "The request body must arrive within {} ms; nothing was stored.",
                deadline.as_millis()
            ),
        )
        .header("connection", "close")
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            format!("This resource answers {allow} only."),
        )
        .header("allow", allow)
    }

    /// An unexpected failure: opaque to the client, which gets a reference;
    /// the reference is logged once, here, with the error's cause chain, so a
    /// user's report can be traced to the log line.
    pub fn internal_logged(error: &(dyn Error + 'static)) -> Self {
        let reference = uuid::Uuid::new_v4().to_string();
        tracing::error!(%reference, error = %chain(error), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            format!("Something went wrong on our side; reference {reference}."),
        )
        .header("x-error-reference", reference)
    }
}

/// The detail of a 422: how many fields failed.
pub fn failed_fields(n: usize) -> Message {
    Message::new(
        format!("{n} field(s) failed validation; see `errors`."),
        format!("{n} isian tidak lolos pemeriksaan; lihat `errors`."),
    )
}

/// An error and its causes, outermost first: `a: b: c`. Our errors never
/// carry personal data in their messages, so the chain is safe to log.
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("publishing failed")]
    struct Outer(#[source] std::io::Error);

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_reference_of_a_500_is_logged_with_the_cause_chain() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let error = Outer(std::io::Error::other("socket closed"));

        let problem =
            tracing::subscriber::with_default(subscriber, || Problem::internal_logged(&error));

        let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let reference = problem
            .headers
            .iter()
            .find(|(name, _)| *name == "x-error-reference")
            .map(|(_, value)| value.clone())
            .unwrap();
        assert_eq!(problem.status, 500);
        assert!(
            problem
                .detail
                .get(lonjak_domain::Language::En)
                .contains(&reference)
        );
        assert!(logged.contains(&reference), "{logged}");
        assert!(
            logged.contains("publishing failed: socket closed"),
            "{logged}"
        );
    }
}
