//! The language of an answer's text, from the request's `Accept-Language`.
//!
//! English unless the caller prefers Indonesian: English was the API's only
//! language, so clients that send nothing (or anything else) read what they
//! always read. The applicants' page sends its own language.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::http::header::{ACCEPT_LANGUAGE, HeaderMap};
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use lonjak_domain::Language;

/// The language a handler answers in; never fails to extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerLanguage(pub Language);

impl AnswerLanguage {
    /// The language negotiated from `headers`.
    pub fn of(headers: &HeaderMap) -> Self {
        let mut ranges = headers
            .get_all(ACCEPT_LANGUAGE)
            .filter_map(|value| value.to_str().ok())
            .peekable();
        if ranges.peek().is_none() {
            return Self(Language::En);
        }
        Self(negotiate(ranges.flat_map(|value| value.split(','))))
    }
}

impl FromRequest for AnswerLanguage {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req.headers())))
    }
}

/// How much a list of language ranges wants one language: its quality and
/// the position of the range that named it (`None`: only `*` did).
#[derive(Debug, Clone, Copy, Default)]
struct Want {
    quality: u16,
    position: Option<usize>,
}

/// RFC 9110 §12.5.4, for our two languages: each is weighed by the range
/// naming its primary subtag (`id-ID` counts as `id`; `in`, the withdrawn
/// code older Android browsers still send, as `id`), else by `*`. The more
/// wanted wins; between equals, the one listed first; otherwise English.
/// Malformed ranges are skipped rather than refused: the language of an
/// error message is no reason for another error.
fn negotiate<'a>(ranges: impl Iterator<Item = &'a str>) -> Language {
    let (mut id, mut en, mut any) = (None::<Want>, None::<Want>, None::<u16>);
    for (position, range) in ranges.enumerate() {
        let mut parts = range.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let Some(quality) = quality(parts) else {
            continue;
        };
        let primary = tag.split('-').next().unwrap_or_default();
        let slot = if primary.eq_ignore_ascii_case("id") || primary.eq_ignore_ascii_case("in") {
            &mut id
        } else if primary.eq_ignore_ascii_case("en") {
            &mut en
        } else {
            if tag == "*" {
                any = Some(any.map_or(quality, |q| q.max(quality)));
            }
            continue;
        };
        let want = slot.get_or_insert(Want {
            quality,
            position: Some(position),
        });
        want.quality = want.quality.max(quality);
    }
    let weigh = |want: Option<Want>| {
        want.or_else(|| {
            any.map(|quality| Want {
                quality,
                position: None,
            })
        })
        .unwrap_or_default()
    };
    let (id, en) = (weigh(id), weigh(en));
    let id_first = match (id.position, en.position) {
        (Some(i), Some(e)) => i < e,
        (Some(_), None) => true,
        _ => false,
    };
    if id.quality > en.quality || (id.quality == en.quality && id.quality > 0 && id_first) {
        Language::Id
    } else {
        Language::En
    }
}

/// The `q` parameter in thousandths (1000 when absent); `None` when it is
/// not a qvalue (`0`, `1`, `0.5`, up to three decimals).
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut quality = 1000;
    for param in params {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        let value = value.trim();
        let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
        let valid = matches!(whole, "0" | "1")
            && fraction.len() <= 3
            && fraction.bytes().all(|b| b.is_ascii_digit())
            && (whole == "0" || fraction.bytes().all(|b| b == b'0'));
        if !valid {
            return None;
        }
        let thousandths = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
        quality = if whole == "1" { 1000 } else { thousandths };
    }
    Some(quality)
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn answer(values: &[&str]) -> Language {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(ACCEPT_LANGUAGE, HeaderValue::from_str(value).unwrap());
        }
        AnswerLanguage::of(&headers).0
    }

    #[test]
    fn english_unless_indonesian_is_asked_for() {
        assert_eq!(answer(&[]), Language::En);
        assert_eq!(answer(&[""]), Language::En);
        assert_eq!(answer(&["*"]), Language::En);
        assert_eq!(answer(&["fr-FR, de;q=0.5"]), Language::En);
        assert_eq!(answer(&["en"]), Language::En);
        assert_eq!(answer(&["id"]), Language::Id);
        assert_eq!(answer(&["ID-id"]), Language::Id);
        assert_eq!(answer(&["in-ID"]), Language::Id);
    }

    #[test]
    fn qualities_decide_and_ties_go_to_the_first_listed() {
        assert_eq!(
            answer(&["id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7"]),
            Language::Id
        );
        assert_eq!(answer(&["en-US,en;q=0.9,id;q=0.8"]), Language::En);
        assert_eq!(answer(&["en;q=0.5, id;q=0.6"]), Language::Id);
        assert_eq!(answer(&["id, en"]), Language::Id);
        assert_eq!(answer(&["en, id"]), Language::En);
        assert_eq!(answer(&["fr, id;q=0.1"]), Language::Id);
        assert_eq!(answer(&["en;q=0", "*"]), Language::Id);
        assert_eq!(answer(&["id;q=0"]), Language::En);
        assert_eq!(answer(&["id;q=0, en;q=0"]), Language::En);
        assert_eq!(answer(&["en", "id;q=1.0"]), Language::En);
    }

    #[test]
    fn malformed_ranges_are_skipped() {
        assert_eq!(answer(&["id;q=2"]), Language::En);
        assert_eq!(answer(&["id;q=abc, en;q=0.1"]), Language::En);
        assert_eq!(answer(&["id;q=0.1234"]), Language::En);
        assert_eq!(answer(&[";;,,id;;"]), Language::Id);
        assert_eq!(answer(&["id;q=0.5;level=1"]), Language::Id);
    }
}
