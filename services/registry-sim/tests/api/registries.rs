//! The shape of each registry's answer.

use lonjak_registry_sim::{Fractions, SimConfig};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, json_with_status, spawn_sim, unthrottled};

fn with_fractions(fractions: Fractions) -> SimConfig {
    SimConfig {
        fractions,
        ..unthrottled()
    }
}

fn everyone() -> Fractions {
    Fractions {
        not_found: 0.0,
        name_mismatch: 0.0,
        in_education: 1.0,
        dtks_recipient: 1.0,
        ineligible_occupation: 0.0,
    }
}

fn no_one() -> Fractions {
    Fractions {
        not_found: 1.0,
        name_mismatch: 0.0,
        in_education: 0.0,
        dtks_recipient: 0.0,
        ineligible_occupation: 0.0,
    }
}

#[tokio::test]
async fn dukcapil_returns_the_birth_date_a_womans_nik_encodes_and_confirms_a_matching_one() {
    let app = spawn_sim(with_fractions(everyone())).await;

    let body = json_with_status(
        app.dukcapil("3171015207880002", "1988-07-12").await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(body["found"], true);
    assert_eq!(body["name_match"], true);
    assert_eq!(body["birth_date_match"], true);
    assert_eq!(body["registered_birth_date"], "1988-07-12");
    let occupation = body["occupation"].as_str().expect("occupation is a string");
    assert!(
        [
            "unemployed",
            "private_employee",
            "entrepreneur",
            "student",
            "housekeeper",
            "other"
        ]
        .contains(&occupation),
        "{occupation}"
    );
}

#[tokio::test]
async fn dukcapil_reports_a_birth_date_mismatch_with_the_registered_date() {
    let app = spawn_sim(with_fractions(everyone())).await;

    let body = json_with_status(
        app.dukcapil("3171011203050001", "2005-03-13").await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(body["found"], true);
    assert_eq!(body["birth_date_match"], false);
    assert_eq!(body["registered_birth_date"], "2005-03-12");
}

#[tokio::test]
async fn dukcapil_answers_an_unknown_nik_with_200_and_everything_false_or_null() {
    let app = spawn_sim(with_fractions(no_one())).await;

    let body = json_with_status(
        app.dukcapil("3171011203050001", "2005-03-12").await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(
        body,
        json!({"found": false, "name_match": false, "birth_date_match": false,
               "registered_birth_date": null, "occupation": null})
    );
}

#[tokio::test]
async fn dukcapil_reports_a_name_mismatch_when_the_hash_says_so() {
    let app = spawn_sim(with_fractions(Fractions {
        name_mismatch: 1.0,
        ..everyone()
    }))
    .await;

    let body = json_with_status(
        app.dukcapil("3171011203050001", "2005-03-12").await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(body["found"], true);
    assert_eq!(body["name_match"], false);
}

#[tokio::test]
async fn dapodik_and_dtks_answer_enrolment_and_programme_for_a_listed_nik() {
    let app = spawn_sim(with_fractions(everyone())).await;

    let enrolment = json_with_status(app.dapodik("3171011203050001").await, StatusCode::OK).await;
    let aid = json_with_status(app.dtks("3171011203050001").await, StatusCode::OK).await;

    assert_eq!(enrolment["enrolled"], true);
    assert!(
        ["school", "university"].contains(&enrolment["institution_type"].as_str().unwrap_or(""))
    );
    assert_eq!(aid["recipient"], true);
    assert!(["PKH", "BPNT", "BST"].contains(&aid["programme"].as_str().unwrap_or("")));
}

#[tokio::test]
async fn dapodik_and_dtks_answer_false_and_null_for_an_unlisted_nik() {
    let app = spawn_sim(with_fractions(no_one())).await;

    let enrolment = json_with_status(app.dapodik("3171011203050001").await, StatusCode::OK).await;
    let aid = json_with_status(app.dtks("3171011203050001").await, StatusCode::OK).await;

    assert_eq!(
        enrolment,
        json!({"enrolled": false, "institution_type": null})
    );
    assert_eq!(aid, json!({"recipient": false, "programme": null}));
}

#[tokio::test]
async fn a_nik_that_is_not_sixteen_digits_is_rejected_with_400_problem_json_by_every_registry() {
    let app = spawn_sim(unthrottled()).await;

    for bad in ["317101120305000", "31710112030500012", "31710112030500a1"] {
        assert_problem(
            app.dukcapil(bad, "2005-03-12").await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_problem(app.dapodik(bad).await, StatusCode::BAD_REQUEST).await;
        assert_problem(app.dtks(bad).await, StatusCode::BAD_REQUEST).await;
    }
}

#[tokio::test]
async fn dukcapil_rejects_a_malformed_birth_date_or_body_with_400_problem_json() {
    let app = spawn_sim(unthrottled()).await;

    assert_problem(
        app.dukcapil("3171011203050001", "12-03-2005").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let no_name = app
        .client
        .post(app.url("/dukcapil/v1/verify"))
        .json(&json!({"nik": "3171011203050001", "birth_date": "2005-03-12"}))
        .send()
        .await
        .expect("dukcapil answers");
    assert_problem(no_name, StatusCode::BAD_REQUEST).await;
}
