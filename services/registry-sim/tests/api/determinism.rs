//! Answers depend on the NIK alone, in the configured proportions.

use futures::StreamExt;
use lonjak_registry_sim::{Fractions, Nik, SimConfig, answers};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestSim, applicant, json_with_status, spawn_sim, unthrottled};

async fn all_three(app: &TestSim, i: u32) -> (Value, Value, Value) {
    let (nik, birth_date) = applicant(i);
    (
        json_with_status(app.dukcapil(&nik, &birth_date).await, StatusCode::OK).await,
        json_with_status(app.dapodik(&nik).await, StatusCode::OK).await,
        json_with_status(app.dtks(&nik).await, StatusCode::OK).await,
    )
}

#[tokio::test]
async fn the_same_nik_gets_the_same_answers_twice_and_from_another_simulator() {
    let first = spawn_sim(unthrottled()).await;
    let second = spawn_sim(unthrottled()).await;

    for i in 0..50 {
        let once = all_three(&first, i).await;
        let again = all_three(&first, i).await;
        let elsewhere = all_three(&second, i).await;
        assert_eq!(once, again);
        assert_eq!(once, elsewhere);
    }
}

#[tokio::test]
async fn served_answers_follow_the_published_rule() {
    let app = spawn_sim(unthrottled()).await;
    let fractions = Fractions::default();
    let today = time::OffsetDateTime::now_utc().date();

    for i in 0..200 {
        let (nik, _) = applicant(i);
        let (identity, enrolment, aid) = all_three(&app, i).await;
        let expected = answers(&Nik::parse(&nik).expect("valid nik"), &fractions, today);
        assert_eq!(identity["found"], expected.identity.is_some());
        if let Some(record) = &expected.identity {
            assert_eq!(identity["name_match"], record.name_match);
            assert_eq!(
                identity["occupation"],
                serde_json::to_value(record.occupation).expect("json")
            );
        }
        assert_eq!(enrolment["enrolled"], expected.enrolment.is_some());
        assert_eq!(aid["recipient"], expected.aid.is_some());
    }
}

/// Within five standard deviations of a binomial proportion, plus slack.
fn assert_near(label: &str, hits: usize, total: usize, expected: f64) {
    let measured = hits as f64 / total as f64;
    let tolerance = 5.0 * (expected * (1.0 - expected) / total as f64).sqrt() + 0.002;
    assert!(
        (measured - expected).abs() <= tolerance,
        "{label}: measured {measured:.4} over {total}, configured {expected}, tolerance {tolerance:.4}"
    );
}

#[tokio::test]
async fn measured_fractions_over_5000_niks_match_the_default_fractions() {
    assert_fractions_hold(Fractions::default()).await;
}

#[tokio::test]
async fn measured_fractions_over_5000_niks_match_configured_fractions() {
    assert_fractions_hold(Fractions {
        not_found: 0.10,
        name_mismatch: 0.05,
        in_education: 0.15,
        dtks_recipient: 0.30,
        ineligible_occupation: 0.08,
    })
    .await;
}

async fn assert_fractions_hold(fractions: Fractions) {
    let app = spawn_sim(SimConfig {
        fractions: fractions.clone(),
        ..unthrottled()
    })
    .await;

    let results: Vec<(Value, Value, Value)> = futures::stream::iter(0..5_000)
        .map(|i| all_three(&app, i))
        .buffer_unordered(32)
        .collect()
        .await;

    let found: Vec<&Value> = results
        .iter()
        .map(|r| &r.0)
        .filter(|d| d["found"] == true)
        .collect();
    let ineligible = [
        "civil_servant",
        "police_military",
        "state_enterprise_director",
        "village_head",
        "legislator",
    ];
    let total = results.len();
    assert_near("not_found", total - found.len(), total, fractions.not_found);
    assert_near(
        "name_mismatch",
        found.iter().filter(|d| d["name_match"] == false).count(),
        found.len(),
        fractions.name_mismatch,
    );
    assert_near(
        "ineligible_occupation",
        found
            .iter()
            .filter(|d| ineligible.contains(&d["occupation"].as_str().unwrap_or("")))
            .count(),
        found.len(),
        fractions.ineligible_occupation,
    );
    assert!(found.iter().all(|d| d["birth_date_match"] == true));
    assert_near(
        "in_education",
        results.iter().filter(|r| r.1["enrolled"] == true).count(),
        total,
        fractions.in_education,
    );
    assert_near(
        "dtks_recipient",
        results.iter().filter(|r| r.2["recipient"] == true).count(),
        total,
        fractions.dtks_recipient,
    );
}
