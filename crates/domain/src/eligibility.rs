//! Eligibility and priority: who may be selected at all, and in which order.
//! Pure rules over the facts verification established; the weights are data
//! ([`ScoreWeights`]), and every score comes with its parts
//! ([`ScoreExplanation`]). The table in `docs/eligibility.md` mirrors this
//! file.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::events::{ScoreExplanation, ScorePart};
use crate::registration::MIN_AGE_YEARS;
use crate::verification::Occupation;
use crate::{BirthDate, EmploymentStatus, RegistrationId, RejectionReason};

/// Members of one family card (KK) that may be selected over the
/// programme's lifetime.
pub const KK_LIFETIME_CAP: i64 = 2;

/// What eligibility is decided on. The registry facts (birth date,
/// enrolment, occupation) are the ministries' answers, never the applicant's
/// statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// Birth date on the civil record (Dukcapil).
    pub registered_birth_date: BirthDate,
    /// Enrolled in formal education per Dapodik.
    pub enrolled: bool,
    /// Occupation on the civil record, if Dukcapil reports one.
    pub occupation: Option<Occupation>,
    /// Members of the applicant's KK already selected, in any wave.
    pub kk_selected: i64,
    /// The employment situation the applicant stated.
    pub employment_status: EmploymentStatus,
    /// Whether DTKS lists them as receiving social aid.
    pub receives_social_aid: bool,
}

/// Points per rule. Deserialised from the `eligibility.weights` settings
/// section, so that a programme changes its priorities without a release;
/// the defaults are the published rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
    pub laid_off: i32,
    pub furloughed: i32,
    pub micro_business_lost_income: i32,
    pub job_seeker: i32,
    pub employed: i32,
    /// Added when DTKS does not list the applicant as an aid recipient.
    pub no_social_aid: i32,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        Self {
            laid_off: 50,
            furloughed: 40,
            micro_business_lost_income: 30,
            job_seeker: 20,
            employed: 10,
            no_social_aid: 5,
        }
    }
}

/// Weights that would not keep the published order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "eligibility.weights must rank laid_off > furloughed > micro_business_lost_income > job_seeker > employed, with no_social_aid ≥ 0 and smaller than every step between them"
)]
pub struct WeightsOutOfOrder;

impl ScoreWeights {
    /// Checks that the weights keep the rules' order: each employment
    /// situation strictly above the next, and the social-aid bonus too small
    /// to lift anyone over the next situation (it only orders applicants
    /// within one).
    pub fn validate(&self) -> Result<(), WeightsOutOfOrder> {
        let steps = [
            self.laid_off - self.furloughed,
            self.furloughed - self.micro_business_lost_income,
            self.micro_business_lost_income - self.job_seeker,
            self.job_seeker - self.employed,
        ];
        let ordered = steps.iter().all(|step| *step > self.no_social_aid);
        if ordered && self.no_social_aid >= 0 {
            Ok(())
        } else {
            Err(WeightsOutOfOrder)
        }
    }

    fn employment(&self, status: EmploymentStatus) -> i32 {
        match status {
            EmploymentStatus::LaidOff => self.laid_off,
            EmploymentStatus::Furloughed => self.furloughed,
            EmploymentStatus::MicroBusinessLostIncome => self.micro_business_lost_income,
            EmploymentStatus::JobSeeker => self.job_seeker,
            EmploymentStatus::Employed => self.employed,
        }
    }
}

/// The ineligibility rules, first match wins:
///
/// 1. under 18 on the wave's closing day → `Under18`;
/// 2. enrolled in education per Dapodik → `InEducation`;
/// 3. an ineligible occupation on the civil record → `IneligibleOccupation`;
/// 4. the KK already has [`KK_LIFETIME_CAP`] members selected → `KkCapReached`.
pub fn ineligibility(facts: &Facts, wave_closes_on: Date) -> Option<RejectionReason> {
    if facts.registered_birth_date.age_on(wave_closes_on) < MIN_AGE_YEARS {
        return Some(RejectionReason::Under18);
    }
    if facts.enrolled {
        return Some(RejectionReason::InEducation);
    }
    if facts.occupation.is_some_and(Occupation::is_ineligible) {
        return Some(RejectionReason::IneligibleOccupation);
    }
    if facts.kk_selected >= KK_LIFETIME_CAP {
        return Some(RejectionReason::KkCapReached);
    }
    None
}

/// The priority score and its parts: one part for the employment situation
/// (`employment.<status>`), one for social aid (`social_aid.none` or
/// `social_aid.receiving`, the latter worth 0 points but shown, so the
/// explanation names every rule that was applied).
pub fn score(facts: &Facts, weights: &ScoreWeights) -> ScoreExplanation {
    let status = facts.employment_status;
    let employment = ScorePart {
        rule: format!("employment.{}", status.as_str()),
        points: weights.employment(status),
    };
    let aid = if facts.receives_social_aid {
        ScorePart {
            rule: "social_aid.receiving".to_owned(),
            points: 0,
        }
    } else {
        ScorePart {
            rule: "social_aid.none".to_owned(),
            points: weights.no_social_aid,
        }
    };
    let parts = vec![employment, aid];
    ScoreExplanation {
        total: parts.iter().map(|p| p.points).sum(),
        parts,
    }
}

/// The eligibility decision: rejected with a reason, or scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assessment {
    Ineligible(RejectionReason),
    Scored(ScoreExplanation),
}

/// Applies [`ineligibility`], then [`score`].
pub fn assess(facts: &Facts, wave_closes_on: Date, weights: &ScoreWeights) -> Assessment {
    match ineligibility(facts, wave_closes_on) {
        Some(reason) => Assessment::Ineligible(reason),
        None => Assessment::Scored(score(facts, weights)),
    }
}

/// One applicant's place in a ranking: what [`rank_order`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankKey {
    pub score: i32,
    pub submitted_at: OffsetDateTime,
    pub id: RegistrationId,
}

/// The ranking order, first ranked first: highest score, then earliest
/// submission, then the smaller registration id. Ids compare by their bytes,
/// which is the order of their lower-case hex form, the order PostgreSQL
/// gives the stored ids (`COLLATE "C"`). Total, so a selection is fully
/// determined by the data.
pub fn rank_order(a: &RankKey, b: &RankKey) -> Ordering {
    b.score
        .cmp(&a.score)
        .then(a.submitted_at.cmp(&b.submitted_at))
        .then(a.id.cmp(&b.id))
}

#[cfg(test)]
#[path = "eligibility_tests.rs"]
mod tests;
