//! Refusals in the applicant's language: `Accept-Language: id` gets a 422
//! wholly in Indonesian, anything else English (the API's default); `field`
//! and `rule` are the same in both, and `Content-Language` says which.

use reqwest::Response;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, valid_body};

async fn post_in(app: &TestApp, body: &Value, accept_language: Option<&str>) -> Response {
    let mut req = app
        .client
        .post(format!("{}/v1/registrations", app.base))
        .json(body);
    if let Some(value) = accept_language {
        req = req.header("accept-language", value);
    }
    req.send().await.unwrap()
}

/// A registration with three bad fields: a short NIK, an email without an
/// `@`, no phone.
fn three_bad_fields() -> Value {
    let mut body = valid_body(70);
    body["nik"] = json!("317401");
    body["email"] = json!("siti.example.id");
    body.as_object_mut().unwrap().remove("phone");
    body
}

fn content_language(resp: &Response) -> &str {
    resp.headers()["content-language"].to_str().unwrap()
}

fn field_rules(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].to_string(), e["rule"].to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_422_asked_for_in_indonesian_is_wholly_in_indonesian() {
    let app = spawn_app().await;

    let resp = post_in(&app, &three_bad_fields(), Some("id")).await;

    assert_eq!(resp.status(), 422);
    assert_eq!(content_language(&resp), "id");
    assert_eq!(resp.headers()["vary"], "accept-language");
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["title"], "Ada isian pendaftaran yang tidak valid");
    assert_eq!(
        problem["detail"],
        "3 isian tidak lolos pemeriksaan; lihat `errors`."
    );
    assert_eq!(
        problem["errors"],
        json!([
            {"field": "nik", "rule": "length", "message": "NIK harus 16 digit angka"},
            {"field": "email", "rule": "format", "message": "Email harus berisi tepat satu tanda @"},
            {"field": "phone", "rule": "required", "message": "Nomor HP wajib diisi"},
        ])
    );
    assert!(app.drain_intake().await.is_empty());
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_preference_for_indonesian_a_422_is_in_english() {
    let app = spawn_app().await;
    let indonesian: Value = post_in(&app, &three_bad_fields(), Some("id"))
        .await
        .json()
        .await
        .unwrap();

    for header in [
        None,
        Some("en"),
        Some("fr-FR, *;q=0.1"),
        Some("en-GB,en;q=0.9,id;q=0.8"),
    ] {
        let resp = post_in(&app, &three_bad_fields(), header).await;

        assert_eq!(resp.status(), 422, "{header:?}");
        assert_eq!(content_language(&resp), "en", "{header:?}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["title"], "The registration has invalid fields");
        assert_eq!(
            problem["errors"][0]["message"],
            "nik must be exactly 16 digits"
        );
        assert_eq!(problem["errors"][2]["message"], "phone is required");
        assert_eq!(
            field_rules(&problem),
            field_rules(&indonesian),
            "{header:?}"
        );
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q_values_and_regional_tags_choose_indonesian() {
    let app = spawn_app().await;

    for header in [
        "en;q=0.4, id-ID;q=0.9",
        "id-ID,id;q=0.9,en-US;q=0.8",
        "in-ID",
    ] {
        let resp = post_in(&app, &three_bad_fields(), Some(header)).await;

        assert_eq!(content_language(&resp), "id", "{header}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["errors"][2]["message"], "Nomor HP wajib diisi");
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_own_field_errors_are_in_indonesian_too() {
    let app = spawn_app().await;
    let mut unknown = valid_body(71);
    unknown["favourite_colour"] = json!("blue");
    let mut wrong_type = valid_body(72);
    wrong_type["in_education"] = json!("yes");

    let unknown: Value = post_in(&app, &unknown, Some("id"))
        .await
        .json()
        .await
        .unwrap();
    let wrong_type: Value = post_in(&app, &wrong_type, Some("id"))
        .await
        .json()
        .await
        .unwrap();
    let mark = app
        .client
        .get(format!("{}/v1/registrations/abc?queue_mark=-1", app.base))
        .header("accept-language", "id")
        .send()
        .await
        .unwrap();

    assert_eq!(
        unknown["errors"],
        json!([{
            "field": "favourite_colour",
            "rule": "unknown",
            "message": "Bukan isian pendaftaran (periksa ejaannya)",
        }])
    );
    assert_eq!(wrong_type["errors"][0]["rule"], "type");
    assert_eq!(
        wrong_type["errors"][0]["message"],
        "Jenis data JSON salah: Keterangan sekolah atau kuliah harus true atau false"
    );
    assert_eq!(mark.status(), 422);
    assert_eq!(content_language(&mark), "id");
    let mark: Value = mark.json().await.unwrap();
    assert_eq!(mark["title"], "Ada parameter kueri yang tidak valid");
    assert!(
        mark["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Harus bilangan bulat dari 0 sampai"),
        "{mark}"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_written_in_english_only_says_so_whatever_was_asked() {
    let app = spawn_app().await;

    let resp = app
        .client
        .post(format!("{}/v1/registrations", app.base))
        .header("accept-language", "id")
        .header("content-type", "text/plain")
        .body("nik=1")
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), 415);
    assert_eq!(content_language(&resp), "en");
    assert!(resp.headers().get("vary").is_none());
    app.cleanup().await;
}
