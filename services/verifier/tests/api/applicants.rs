//! Picking sample applicants by what the simulator will answer about them,
//! with the simulator's own deterministic rule.

use lonjak_domain::RegistrationRequest;
use lonjak_domain::testing::sample_request;
use lonjak_registry_sim::{Answers, Fractions, Nik, answers};

use crate::helpers::today;

/// What the registries will say about an applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Found, matching, eligible, not enrolled.
    Clean,
    NotFound,
    NameMismatch,
    IneligibleOccupation,
    EnrolledInEducation,
}

fn profile(answers: &Answers) -> Profile {
    match &answers.identity {
        None => Profile::NotFound,
        Some(identity) if !identity.name_match => Profile::NameMismatch,
        Some(identity)
            if lonjak_registry_sim::INELIGIBLE_OCCUPATIONS.contains(&identity.occupation) =>
        {
            Profile::IneligibleOccupation
        }
        Some(_) if answers.enrolment.is_some() => Profile::EnrolledInEducation,
        Some(_) => Profile::Clean,
    }
}

/// The first `count` sample applicants from `start` on with `wanted` profile.
pub fn applicants(wanted: Profile, start: u64, count: usize) -> Vec<RegistrationRequest> {
    let today = today();
    let fractions = Fractions::default();
    (start..)
        .map(|i| sample_request(i, today))
        .filter(|request| {
            let nik = Nik::parse(request.nik.as_deref().unwrap_or_default()).expect("valid NIK");
            profile(&answers(&nik, &fractions, today)) == wanted
        })
        .take(count)
        .collect()
}

/// One applicant with `wanted` profile.
pub fn applicant(wanted: Profile) -> RegistrationRequest {
    applicants(wanted, 0, 1).remove(0)
}
