//! The applicant's own statement of their employment situation.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Employment status as stated by the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentStatus {
    LaidOff,
    Furloughed,
    MicroBusinessLostIncome,
    JobSeeker,
    Employed,
}

impl EmploymentStatus {
    /// Every status, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::LaidOff,
        Self::Furloughed,
        Self::MicroBusinessLostIncome,
        Self::JobSeeker,
        Self::Employed,
    ];

    /// Parses the snake_case wire name; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let input = input.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input)
            .ok_or_else(|| {
                FieldError::new(
                    "employment_status",
                    "one_of",
                    "employment_status must be one of laid_off, furloughed, \
                     micro_business_lost_income, job_seeker, employed",
                    "Status pekerjaan harus salah satu dari: laid_off (terkena PHK), \
                     furloughed (dirumahkan), micro_business_lost_income (usaha mikro \
                     kehilangan pendapatan), job_seeker (pencari kerja), employed (bekerja)",
                )
            })
    }

    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LaidOff => "laid_off",
            Self::Furloughed => "furloughed",
            Self::MicroBusinessLostIncome => "micro_business_lost_income",
            Self::JobSeeker => "job_seeker",
            Self::Employed => "employed",
        }
    }
}

impl std::fmt::Display for EmploymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EmploymentStatus {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_name_and_json() {
        for status in EmploymentStatus::ALL {
            assert_eq!(EmploymentStatus::parse(status.as_str()), Ok(status));
            let json = serde_json::to_string(&status).expect("serialise");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(
                serde_json::from_str::<EmploymentStatus>(&json).expect("parse"),
                status
            );
        }
    }

    #[test]
    fn other_spellings_are_rejected() {
        for input in ["LaidOff", "laid off", "LAID_OFF", "", "unemployed"] {
            let error = EmploymentStatus::parse(input).expect_err("invalid");
            assert_eq!((error.field, error.rule), ("employment_status", "one_of"));
        }
    }
}
