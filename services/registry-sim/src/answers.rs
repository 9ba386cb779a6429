//! The deterministic answers: every decision about a NIK is a function of
//! `SHA-256("lonjak-sim\0" ‖ NIK)` and the configured fractions, so any
//! process (the simulator, a load generator) predicts the same outcome.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use crate::config::Fractions;
use crate::nik::Nik;

/// Occupation category as Dukcapil reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Occupation {
    /// Not working.
    Unemployed,
    /// Employed in the private sector.
    PrivateEmployee,
    /// Self-employed.
    Entrepreneur,
    /// Student.
    Student,
    /// Looks after a household.
    Housekeeper,
    /// Civil servant (ineligible).
    CivilServant,
    /// Police or armed forces (ineligible).
    PoliceMilitary,
    /// Director of a state-owned enterprise (ineligible).
    StateEnterpriseDirector,
    /// Village head (ineligible).
    VillageHead,
    /// Member of a legislature (ineligible).
    Legislator,
    /// Anything else.
    Other,
}

/// The occupations that make a person ineligible, in the order the hash picks them.
pub const INELIGIBLE_OCCUPATIONS: [Occupation; 5] = [
    Occupation::CivilServant,
    Occupation::PoliceMilitary,
    Occupation::StateEnterpriseDirector,
    Occupation::VillageHead,
    Occupation::Legislator,
];

/// Eligible occupations with their cumulative share (out of 65,536).
const ELIGIBLE_OCCUPATIONS: [(Occupation, u32); 6] = [
    (Occupation::Unemployed, 26_214),      // 40 %
    (Occupation::PrivateEmployee, 39_322), // 20 %
    (Occupation::Entrepreneur, 49_152),    // 15 %
    (Occupation::Student, 55_706),         // 10 %
    (Occupation::Housekeeper, 62_259),     // 10 %
    (Occupation::Other, 65_536),           //  5 %
];

/// Kind of institution Dapodik knows the person is enrolled at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InstitutionType {
    /// Primary or secondary school.
    School,
    /// University or other higher education.
    University,
}

/// Social-aid programme DTKS lists the person under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Programme {
    /// Programme Keluarga Harapan (conditional cash transfer).
    Pkh,
    /// Bantuan Pangan Non-Tunai (food aid).
    Bpnt,
    /// Bantuan Sosial Tunai (cash aid).
    Bst,
}

/// What Dukcapil holds about a NIK it knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Whether the submitted name matches the record.
    pub name_match: bool,
    /// Birth date on record (the one the NIK encodes).
    pub birth_date: Date,
    /// Occupation on record.
    pub occupation: Occupation,
}

/// Everything the three registries answer about one NIK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// Dukcapil record; `None` when the NIK is not found.
    pub identity: Option<Identity>,
    /// Dapodik enrolment; `None` when not enrolled.
    pub enrolment: Option<InstitutionType>,
    /// DTKS programme; `None` when not a recipient.
    pub aid: Option<Programme>,
}

/// Computes the registries' answers for `nik`. `today` fixes the century of
/// the encoded birth date (see [`Nik::birth_date`]).
pub fn answers(nik: &Nik, fractions: &Fractions, today: Date) -> Answers {
    let h: [u8; 32] = Sha256::new()
        .chain_update(b"lonjak-sim\0")
        .chain_update(nik.as_str().as_bytes())
        .finalize()
        .into();
    let word = |at: usize| u32::from(u16::from_be_bytes([h[at], h[at + 1]]));
    let below = |at: usize, fraction: f64| f64::from(word(at)) / 65_536.0 < fraction;

    let identity = match nik.birth_date(today) {
        Some(birth_date) if !below(0, fractions.not_found) => Some(Identity {
            name_match: !below(2, fractions.name_mismatch),
            birth_date,
            occupation: if below(12, fractions.ineligible_occupation) {
                INELIGIBLE_OCCUPATIONS[(word(14) % 5) as usize]
            } else {
                let pick = word(16);
                ELIGIBLE_OCCUPATIONS
                    .iter()
                    .find(|(_, upto)| pick < *upto)
                    .map_or(Occupation::Other, |(occupation, _)| *occupation)
            },
        }),
        _ => None,
    };
    let enrolment = below(4, fractions.in_education).then(|| {
        if word(6) < 32_768 {
            InstitutionType::School
        } else {
            InstitutionType::University
        }
    });
    let aid = below(8, fractions.dtks_recipient).then(|| match word(10) % 3 {
        0 => Programme::Pkh,
        1 => Programme::Bpnt,
        _ => Programme::Bst,
    });
    Answers {
        identity,
        enrolment,
        aid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 06 - 15);

    fn nik(serial: u32) -> Nik {
        Nik::parse(&format!("3171011203{:02}{:04}", 80 + serial % 20, serial)).expect("valid nik")
    }

    #[test]
    fn the_same_nik_always_gets_the_same_answers() {
        let fractions = Fractions::default();
        for serial in 0..100 {
            assert_eq!(
                answers(&nik(serial), &fractions, TODAY),
                answers(&nik(serial), &fractions, TODAY)
            );
        }
    }

    #[test]
    fn fractions_of_zero_and_one_force_every_decision() {
        let all = Fractions {
            not_found: 0.0,
            name_mismatch: 1.0,
            in_education: 1.0,
            dtks_recipient: 1.0,
            ineligible_occupation: 1.0,
        };
        let none = Fractions {
            not_found: 1.0,
            name_mismatch: 0.0,
            in_education: 0.0,
            dtks_recipient: 0.0,
            ineligible_occupation: 0.0,
        };
        for serial in 0..200 {
            let yes = answers(&nik(serial), &all, TODAY);
            let identity = yes.identity.expect("found");
            assert!(!identity.name_match);
            assert!(INELIGIBLE_OCCUPATIONS.contains(&identity.occupation));
            assert!(yes.enrolment.is_some() && yes.aid.is_some());
            let no = answers(&nik(serial), &none, TODAY);
            assert_eq!(no.identity, None);
            assert!(no.enrolment.is_none() && no.aid.is_none());
        }
    }

    #[test]
    fn a_found_identity_carries_the_birth_date_the_nik_encodes() {
        let fractions = Fractions {
            not_found: 0.0,
            ..Fractions::default()
        };
        let identity = answers(&nik(5), &fractions, TODAY).identity.expect("found");
        assert_eq!(identity.birth_date, date!(1985 - 03 - 12));
    }

    #[test]
    fn a_nik_encoding_no_real_date_is_not_found() {
        let fractions = Fractions {
            not_found: 0.0,
            ..Fractions::default()
        };
        let nik = Nik::parse("3171013502900001").expect("valid shape");
        assert_eq!(answers(&nik, &fractions, TODAY).identity, None);
    }
}
