//! Rendering a problem in the answer's language: the body as sent, and the
//! `Content-Language` that says which.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder};
use lonjak_domain::{Language, Message};
use serde::Serialize;

use super::{CONTENT_TYPE, Problem};
use crate::language::AnswerLanguage;

/// A title or a detail: in English alone, or in every language.
#[derive(Debug, Clone)]
pub enum Text {
    En(String),
    All(Message),
}

impl Text {
    pub(super) fn get(&self, language: Language) -> &str {
        match self {
            Self::En(text) => text,
            Self::All(message) => message.get(language),
        }
    }

    fn has(&self, language: Language) -> bool {
        matches!(self, Self::All(_)) || language == Language::En
    }
}

/// The problem as sent, every text in one language.
#[derive(Serialize)]
struct Rendered<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<RenderedField<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct RenderedField<'a> {
    field: &'a str,
    rule: &'a str,
    message: &'a str,
}

impl Problem {
    /// The language this problem is answered in when `wanted` is asked
    /// for: `wanted` if every text has it, else English.
    pub fn language(&self, wanted: Language) -> Language {
        if self.title.has(wanted) && self.detail.has(wanted) {
            wanted
        } else {
            Language::En
        }
    }

    /// The answer in English, the API's default: for refusals made before
    /// the request's language is known, or whose texts are English only.
    pub fn into_response(self) -> HttpResponse {
        self.render(Language::En, false)
    }

    /// The answer in the language the request asked for, where this
    /// problem has it (see [`Problem::language`]).
    pub fn into_response_in(self, wanted: AnswerLanguage) -> HttpResponse {
        self.render(wanted.0, true)
    }

    fn render(self, wanted: Language, negotiated: bool) -> HttpResponse {
        let language = self.language(wanted);
        let mut builder = HttpResponseBuilder::new(self.status_code());
        builder.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)));
        builder.insert_header((
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(language.as_str()),
        ));
        if negotiated && matches!(self.title, Text::All(_)) {
            // The same request answers in another language with another
            // `Accept-Language`: caches must key on it.
            builder.insert_header((header::VARY, HeaderValue::from_static("accept-language")));
        }
        if let Some(secs) = self.retry_after {
            builder.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        for (name, value) in &self.headers {
            builder.insert_header((*name, value.as_str()));
        }
        // Serialising this struct cannot fail (strings and numbers only).
        let body = serde_json::to_vec(&self.rendered(language)).unwrap_or_default();
        builder.body(body)
    }

    fn rendered(&self, language: Language) -> Rendered<'_> {
        Rendered {
            kind: &self.kind,
            title: self.title.get(language),
            status: self.status,
            detail: self.detail.get(language),
            errors: self
                .errors
                .iter()
                .map(|e| RenderedField {
                    field: &e.field,
                    rule: &e.rule,
                    message: e.message.get(language),
                })
                .collect(),
            retry_after: self.retry_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use actix_web::http::StatusCode;
    use serde_json::{Value, json};

    use super::*;
    use crate::problem::FieldProblem;

    fn invalid_nik() -> Problem {
        Problem::invalid(vec![FieldProblem::new(
            "nik",
            "length",
            "nik must be exactly 16 digits",
            "NIK harus 16 digit angka",
        )])
        .retry_after(1)
    }

    fn keys(value: &Value) -> BTreeSet<String> {
        value.as_object().unwrap().keys().cloned().collect()
    }

    fn header(response: &HttpResponse, name: header::HeaderName) -> Option<&str> {
        response.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn the_documented_schema_is_the_rendered_body() {
        let problem = serde_json::to_value(<Problem as utoipa::PartialSchema>::schema()).unwrap();
        let field =
            serde_json::to_value(<FieldProblem as utoipa::PartialSchema>::schema()).unwrap();
        let body = serde_json::to_value(invalid_nik().rendered(Language::Id)).unwrap();

        assert_eq!(keys(&problem["properties"]), keys(&body));
        assert_eq!(keys(&field["properties"]), keys(&body["errors"][0]));
        assert_eq!(
            problem["required"],
            json!(["type", "title", "status", "detail"])
        );
        for text in ["title", "detail"] {
            assert_eq!(problem["properties"][text]["type"], "string", "{text}");
        }
        assert_eq!(field["properties"]["message"]["type"], "string");
    }

    #[test]
    fn a_translated_problem_is_answered_in_the_language_asked_for() {
        let body = serde_json::to_value(invalid_nik().rendered(Language::Id)).unwrap();
        assert_eq!(body["title"], "Ada isian pendaftaran yang tidak valid");
        assert_eq!(
            body["detail"],
            "1 isian tidak lolos pemeriksaan; lihat `errors`."
        );
        assert_eq!(
            body["errors"],
            json!([{"field": "nik", "rule": "length", "message": "NIK harus 16 digit angka"}])
        );

        let response = invalid_nik().into_response_in(AnswerLanguage(Language::Id));
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(header(&response, header::CONTENT_LANGUAGE), Some("id"));
        assert_eq!(header(&response, header::VARY), Some("accept-language"));
        assert_eq!(header(&response, header::RETRY_AFTER), Some("1"));

        let response = invalid_nik().into_response_in(AnswerLanguage(Language::En));
        assert_eq!(header(&response, header::CONTENT_LANGUAGE), Some("en"));
        let english = serde_json::to_value(invalid_nik().rendered(Language::En)).unwrap();
        assert_eq!(
            english["errors"][0]["message"],
            "nik must be exactly 16 digits"
        );
    }

    #[test]
    fn a_problem_in_english_only_is_answered_wholly_in_english() {
        let problem = Problem::new(StatusCode::CONFLICT, "x", "Taken", "Already taken.")
            .with_errors(invalid_nik().errors);

        assert_eq!(problem.language(Language::Id), Language::En);
        let body = serde_json::to_value(problem.rendered(Language::En)).unwrap();
        assert_eq!(
            body["errors"][0]["message"],
            "nik must be exactly 16 digits"
        );
        let response = problem.into_response_in(AnswerLanguage(Language::Id));
        assert_eq!(header(&response, header::CONTENT_LANGUAGE), Some("en"));
        assert_eq!(header(&response, header::VARY), None);
    }

    #[test]
    fn without_negotiation_the_answer_is_english() {
        let response = invalid_nik().into_response();
        assert_eq!(header(&response, header::CONTENT_LANGUAGE), Some("en"));
        assert_eq!(header(&response, header::VARY), None);
    }
}
