//! Strict JSON decoding of a registration: an object, no trailing data, no
//! field of the wrong type, and no field the API does not know.

use lonjak_domain::{RegistrationRequest, label_id};

use super::Refusal;
use crate::metrics::Outcome;
use crate::problem::{FieldProblem, Problem};

/// A decoded body, and the fields it had that a registration has not.
#[derive(Debug)]
pub struct Decoded {
    pub request: RegistrationRequest,
    /// Unknown top-level fields, in body order. They are not an error by
    /// themselves here: the caller reports them with the validation errors,
    /// so one answer names everything that is wrong.
    pub unknown: Vec<FieldProblem>,
}

/// Longest unknown field name echoed back (the rest is cut).
const MAX_ECHOED_NAME: usize = 64;

/// JSON syntax errors are 400; a field of the wrong JSON type is a 422
/// naming the field.
pub fn decode(body: &[u8]) -> Result<Decoded, Refusal> {
    // serde would read a struct from a JSON array too: insist on an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err((
            Outcome::malformed,
            Problem::malformed("The body must be a JSON object."),
        ));
    }
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    let result: Result<RegistrationRequest, _> = {
        let mut note = |path: serde_ignored::Path<'_>| {
            unknown.push(unknown_field(&path.to_string()));
        };
        let strict = serde_ignored::Deserializer::new(&mut de, &mut note);
        serde_path_to_error::deserialize(strict)
    };
    let request = match result {
        Ok(request) => request,
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            return Err(if inner.is_data() {
                let problem = wrong_type(path, &inner);
                (Outcome::invalid, Problem::invalid(vec![problem]))
            } else {
                (
                    Outcome::malformed,
                    Problem::malformed(format!(
                        "Invalid JSON at line {}, column {}.",
                        inner.line(),
                        inner.column()
                    )),
                )
            });
        }
    };
    de.end().map_err(|_| {
        (
            Outcome::malformed,
            Problem::malformed("Unexpected data after the JSON object."),
        )
    })?;
    Ok(Decoded { request, unknown })
}

fn unknown_field(name: &str) -> FieldProblem {
    let mut end = name.len().min(MAX_ECHOED_NAME);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    FieldProblem::new(
        &name[..end],
        "unknown",
        "not a field of a registration (check its spelling)",
        "Bukan isian pendaftaran (periksa ejaannya)",
    )
}

/// A field of the wrong JSON type. The English text is serde's, without
/// the echoed value (it may be personal data); the Indonesian one says what
/// the field holds, by its label on the form.
fn wrong_type(field: String, error: &serde_json::Error) -> FieldProblem {
    let text = error.to_string();
    let Some((_, expected)) = text.split_once(", expected ") else {
        return FieldProblem::new(field, "type", "wrong JSON type", "Jenis data JSON salah");
    };
    let expected = expected.split(" at line").next().unwrap_or(expected);
    let en = format!("wrong JSON type: expected {expected}");
    let holds = match field.as_str() {
        "in_education" => "true atau false",
        "wave" => "bilangan bulat",
        _ => "teks (string JSON)",
    };
    let id = format!("Jenis data JSON salah: {} harus {holds}", label_id(&field));
    FieldProblem::new(field, "type", en, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_each_named_in_order() {
        let body = br#"{"nik": "1", "wvae": 2, "favourite_colour": "blue"}"#;
        let decoded = decode(body).unwrap();
        assert_eq!(decoded.request.nik.as_deref(), Some("1"));
        let names: Vec<_> = decoded.unknown.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(names, ["wvae", "favourite_colour"]);
        assert!(decoded.unknown.iter().all(|p| p.rule == "unknown"));
    }

    #[test]
    fn a_known_body_has_no_unknown_fields() {
        let decoded = decode(br#"{"nik": "1", "wave": 2, "in_education": false}"#).unwrap();
        assert!(decoded.unknown.is_empty());
    }

    #[test]
    fn long_unknown_names_are_cut_when_echoed() {
        let name = "é".repeat(100);
        let body = format!(r#"{{"{name}": 1}}"#);
        let decoded = decode(body.as_bytes()).unwrap();
        assert!(decoded.unknown[0].field.len() <= MAX_ECHOED_NAME);
        assert!(name.starts_with(&decoded.unknown[0].field));
    }

    #[test]
    fn wrong_types_name_the_field_without_echoing_the_value() {
        let (outcome, problem) = decode(br#"{"nik": 3171014501990001}"#).unwrap_err();
        assert_eq!(outcome, Outcome::invalid);
        assert_eq!(problem.errors[0].field, "nik");
        assert_eq!(problem.errors[0].rule, "type");
        assert_eq!(
            problem.errors[0].message.en(),
            "wrong JSON type: expected a string"
        );
        assert_eq!(
            problem.errors[0].message.id(),
            "Jenis data JSON salah: NIK harus teks (string JSON)"
        );
        for text in [
            problem.errors[0].message.en(),
            problem.errors[0].message.id(),
        ] {
            assert!(!text.contains("3171014501990001"));
        }
    }

    #[test]
    fn syntax_errors_arrays_and_trailing_data_are_malformed() {
        for body in [&b"{"[..], b"[1]", b"{} {}", b""] {
            let (outcome, problem) = decode(body).unwrap_err();
            assert_eq!(outcome, Outcome::malformed, "{body:?}");
            assert_eq!(problem.status, 400);
        }
    }
}
