//! The applicants' page over HTTP: served by the gateway, same-origin only,
//! labelled fields, both languages complete, and the API paths it calls are
//! the ones the gateway answers.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app_with;
use crate::waitroom::{WAVE, room_settings};
use lonjak_store::testing::TestDatabase;

const FIELDS: [&str; 8] = [
    "nik",
    "kk_number",
    "full_name",
    "birth_date",
    "email",
    "phone",
    "employment_status",
    "in_education",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_in_indonesian_with_a_label_and_an_error_slot_per_field() {
    let db = TestDatabase::create().await;
    let app = spawn_app_with(room_settings(&db, &[WAVE])).await;

    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = res.text().await.unwrap();

    assert!(html.contains(r#"<html lang="id">"#));
    assert!(html.contains(r#"name="viewport""#), "phone screens");
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    for field in FIELDS {
        assert!(
            html.contains(&format!(r#"for="{field}""#)),
            "label of {field}"
        );
        assert!(
            html.contains(&format!(r#"id="{field}-err""#)),
            "error slot of {field}"
        );
        assert!(
            html.contains(&format!(r#"aria-describedby="{field}-err""#)),
            "{field} points at its error"
        );
    }
    assert!(
        !html.contains("<script>"),
        "no inline script (the CSP forbids it)"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_has_every_text_in_both_languages_and_calls_only_this_api() {
    let db = TestDatabase::create().await;
    let app = spawn_app_with(room_settings(&db, &[WAVE])).await;

    let js = app.get("/assets/app.js").await.text().await.unwrap();
    let css = app.get("/assets/style.css").await;
    let html = app.get("/").await.text().await.unwrap();

    assert_eq!(css.status(), StatusCode::OK);
    let (id_part, en_part) = js.split_once("\n  en: {").unwrap();
    let keys = |text: &str| -> Vec<String> {
        let mut keys: Vec<String> = text
            .split([',', '{', '\n'])
            .filter_map(|s| s.trim().split_once(':').map(|(k, _)| k.trim().to_owned()))
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let id_keys = keys(id_part.split_once("id: {").unwrap().1);
    let en_keys = keys(en_part.split_once("\n};").unwrap().0);
    assert_eq!(id_keys, en_keys, "both languages have every text");
    for key in html
        .split("data-t=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
    {
        assert!(id_keys.iter().any(|k| k == key), "no text for {key}");
    }
    assert!(
        !js.contains("http://") && !js.contains("https://"),
        "same origin only"
    );
    // The API's field errors come in the page's language and are shown as
    // they are, without an English lead-in or tail.
    assert!(js.contains(r#""accept-language": lang"#), "{js}");
    assert!(js.contains("err.textContent = e.message"), "{js}");
    for path in [
        "/v1/waves/",
        "/challenge",
        "/v1/registrations",
        "/v1/waitroom",
    ] {
        assert!(js.contains(path), "{path}");
    }
    // The proof of work is solved on this page, with the browser's own
    // SHA-256, by a script of this origin.
    let pow = app.get("/assets/pow.js").await.text().await.unwrap();
    assert!(pow.contains("crypto.subtle.digest(\"SHA-256\""), "{pow}");
    assert!(html.contains(r#"<script src="/assets/pow.js""#));

    let config: Value = app.get("/v1/waitroom").await.json().await.unwrap();
    assert_eq!(config["waves"], serde_json::json!([WAVE]));
    assert_eq!(config["default_wave"], 1);
    app.cleanup().await;
}
