//! The scoring table: one test per rule and per tie-break.

use time::macros::{date, datetime};

use super::*;
use crate::verification::Occupation;

const CLOSES_ON: Date = date!(2020 - 04 - 30);

fn facts() -> Facts {
    Facts {
        registered_birth_date: BirthDate::from_date(date!(1990 - 01 - 01)).expect("date"),
        enrolled: false,
        occupation: Some(Occupation::PrivateEmployee),
        kk_selected: 0,
        employment_status: EmploymentStatus::LaidOff,
        receives_social_aid: false,
    }
}

fn rejected(f: &Facts) -> Option<RejectionReason> {
    ineligibility(f, CLOSES_ON)
}

#[test]
fn an_eligible_applicant_is_scored_with_every_rule_named() {
    let assessment = assess(&facts(), CLOSES_ON, &ScoreWeights::default());
    let Assessment::Scored(score) = assessment else {
        panic!("expected a score, got {assessment:?}");
    };
    assert_eq!(score.total, 55);
    let rules: Vec<(&str, i32)> = score
        .parts
        .iter()
        .map(|p| (p.rule.as_str(), p.points))
        .collect();
    assert_eq!(rules, [("employment.laid_off", 50), ("social_aid.none", 5)]);
}

#[test]
fn under_18_on_the_closing_day_is_ineligible_and_18_on_that_day_is_not() {
    let mut f = facts();
    f.registered_birth_date = BirthDate::from_date(date!(2002 - 05 - 01)).expect("date");
    assert_eq!(rejected(&f), Some(RejectionReason::Under18));
    // 18 on the closing day itself, though 17 on any earlier submission day.
    f.registered_birth_date = BirthDate::from_date(date!(2002 - 04 - 30)).expect("date");
    assert_eq!(rejected(&f), None);
}

#[test]
fn enrolment_per_the_registry_is_ineligible() {
    let mut f = facts();
    f.enrolled = true;
    assert_eq!(rejected(&f), Some(RejectionReason::InEducation));
}

#[test]
fn each_ineligible_occupation_on_record_is_ineligible_and_others_are_not() {
    let mut f = facts();
    for occupation in [
        Occupation::CivilServant,
        Occupation::PoliceMilitary,
        Occupation::StateEnterpriseDirector,
        Occupation::VillageHead,
        Occupation::Legislator,
    ] {
        f.occupation = Some(occupation);
        assert_eq!(
            rejected(&f),
            Some(RejectionReason::IneligibleOccupation),
            "{occupation:?}"
        );
    }
    for occupation in [None, Some(Occupation::Unemployed), Some(Occupation::Other)] {
        f.occupation = occupation;
        assert_eq!(rejected(&f), None, "{occupation:?}");
    }
}

#[test]
fn a_kk_with_two_members_selected_is_ineligible_and_one_with_one_is_not() {
    let mut f = facts();
    f.kk_selected = 1;
    assert_eq!(rejected(&f), None);
    f.kk_selected = KK_LIFETIME_CAP;
    assert_eq!(rejected(&f), Some(RejectionReason::KkCapReached));
}

#[test]
fn the_first_matching_ineligibility_rule_is_the_reason() {
    let mut f = facts();
    f.registered_birth_date = BirthDate::from_date(date!(2010 - 01 - 01)).expect("date");
    f.enrolled = true;
    f.occupation = Some(Occupation::CivilServant);
    f.kk_selected = 2;
    assert_eq!(rejected(&f), Some(RejectionReason::Under18));
    f.registered_birth_date = facts().registered_birth_date;
    assert_eq!(rejected(&f), Some(RejectionReason::InEducation));
    f.enrolled = false;
    assert_eq!(rejected(&f), Some(RejectionReason::IneligibleOccupation));
}

#[test]
fn employment_situations_rank_laid_off_furloughed_micro_business_job_seeker_employed() {
    let weights = ScoreWeights::default();
    let totals: Vec<i32> = EmploymentStatus::ALL
        .into_iter()
        .map(|status| {
            let mut f = facts();
            f.employment_status = status;
            score(&f, &weights).total
        })
        .collect();
    assert!(totals.windows(2).all(|w| w[0] > w[1]), "{totals:?}");
    let mut f = facts();
    f.employment_status = EmploymentStatus::MicroBusinessLostIncome;
    assert_eq!(
        score(&f, &weights).parts[0].rule,
        "employment.micro_business_lost_income"
    );
}

#[test]
fn not_receiving_social_aid_ranks_above_receiving_it_within_one_situation() {
    let weights = ScoreWeights::default();
    let mut receiving = facts();
    receiving.receives_social_aid = true;
    let with_aid = score(&receiving, &weights);
    let without = score(&facts(), &weights);
    assert!(without.total > with_aid.total);
    assert_eq!(with_aid.parts[1].rule, "social_aid.receiving");
    assert_eq!(with_aid.parts[1].points, 0);
    // …but never above the next employment situation.
    let mut furloughed = facts();
    furloughed.employment_status = EmploymentStatus::Furloughed;
    assert!(with_aid.total > score(&furloughed, &weights).total);
}

#[test]
fn the_total_is_always_the_sum_of_the_parts_under_any_weights() {
    let weights = ScoreWeights {
        laid_off: 900,
        furloughed: 700,
        micro_business_lost_income: 500,
        job_seeker: 300,
        employed: 100,
        no_social_aid: 7,
    };
    for status in EmploymentStatus::ALL {
        for aid in [false, true] {
            let mut f = facts();
            f.employment_status = status;
            f.receives_social_aid = aid;
            let s = score(&f, &weights);
            assert_eq!(s.total, s.parts.iter().map(|p| p.points).sum::<i32>());
        }
    }
}

#[test]
fn weights_that_break_the_published_order_are_refused() {
    assert_eq!(ScoreWeights::default().validate(), Ok(()));
    let inverted = ScoreWeights {
        furloughed: 60,
        ..ScoreWeights::default()
    };
    assert_eq!(inverted.validate(), Err(WeightsOutOfOrder));
    let bonus_too_big = ScoreWeights {
        no_social_aid: 10,
        ..ScoreWeights::default()
    };
    assert_eq!(bonus_too_big.validate(), Err(WeightsOutOfOrder));
    let negative = ScoreWeights {
        no_social_aid: -1,
        ..ScoreWeights::default()
    };
    assert_eq!(negative.validate(), Err(WeightsOutOfOrder));
}

fn key(score: i32, submitted_at: OffsetDateTime, id_byte: u8) -> RankKey {
    RankKey {
        score,
        submitted_at,
        id: RegistrationId::from_bytes([id_byte; 16]),
    }
}

#[test]
fn a_higher_score_ranks_first_whatever_the_submission_time() {
    let early = key(10, datetime!(2020-04-11 00:00 UTC), 1);
    let late = key(20, datetime!(2020-04-12 00:00 UTC), 2);
    assert_eq!(rank_order(&late, &early), Ordering::Less);
}

#[test]
fn equal_scores_tie_break_on_the_earlier_submission() {
    let early = key(10, datetime!(2020-04-11 00:00 UTC), 9);
    let late = key(10, datetime!(2020-04-11 00:00:00.001 UTC), 1);
    assert_eq!(rank_order(&early, &late), Ordering::Less);
}

#[test]
fn equal_scores_and_times_tie_break_on_the_smaller_registration_id() {
    let at = datetime!(2020-04-11 00:00 UTC);
    let (a, b) = (key(10, at, 0x0a), key(10, at, 0xa0));
    assert_eq!(rank_order(&a, &b), Ordering::Less);
    assert_eq!(rank_order(&b, &a), Ordering::Greater);
    // Byte order is the order of the stored lower-case hex ids.
    assert!(a.id.to_string() < b.id.to_string());
    assert_eq!(rank_order(&a, &a), Ordering::Equal);
}
