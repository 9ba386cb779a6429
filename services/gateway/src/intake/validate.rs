//! From body bytes to a valid registration, or a 4xx refusal: the whole
//! decoding and validation of a request, with no I/O (property-tested).

use lonjak_domain::{Language, Registration};
use time::Date;

use super::{Decoded, Refusal, decode};
use crate::metrics::Outcome;
use crate::problem::{FieldProblem, Problem};
use crate::waves::OpenWaves;

/// Decodes and validates a body submitted on `today`. Every problem found
/// (unknown fields, invalid fields) is named in one 422.
pub fn validate(body: &[u8], today: Date, open_waves: &OpenWaves) -> Result<Registration, Refusal> {
    let Decoded { request, unknown } = decode(body)?;
    let registration = match Registration::parse(&request, today, open_waves.default_wave()) {
        Ok(registration) if unknown.is_empty() => registration,
        Ok(_) => return Err((Outcome::invalid, Problem::invalid(unknown))),
        Err(errors) => {
            let mut problems = unknown;
            problems.extend(errors.errors().iter().map(FieldProblem::from));
            return Err((Outcome::invalid, Problem::invalid(problems)));
        }
    };
    let wave = registration.wave();
    if !open_waves.contains(wave) {
        let problem = FieldProblem::new(
            "wave",
            "open",
            format!(
                "wave {wave} is not open for registration (open: {})",
                open_waves.describe_in(Language::En)
            ),
            format!(
                "Gelombang {wave} tidak dibuka untuk pendaftaran (yang dibuka: {})",
                open_waves.describe_in(Language::Id)
            ),
        );
        return Err((Outcome::invalid, Problem::invalid(vec![problem])));
    }
    Ok(registration)
}
