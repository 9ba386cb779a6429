//! The agents' console: served with its strict CSP, and its form fields
//! are the API's own field names (a renamed field would break the page).

use lonjak_ops::support_wire::{ActionRequest, LookupRequest, NotificationResendRequest};
use reqwest::Method;

use crate::helpers::spawn_app;

/// The JSON field names of `value` (every optional field set).
fn fields(value: &impl serde::Serialize) -> Vec<String> {
    let json = serde_json::to_value(value).unwrap();
    json.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn the_console_is_served_with_a_strict_csp_and_its_fields_are_the_apis() {
    let app = spawn_app().await;
    let page = app.send(Method::GET, "/desk/", None).await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for rule in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'none'",
    ] {
        assert!(csp.contains(rule), "{rule} missing from {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script under the CSP");
    assert!(!html.contains("style="), "no inline style under the CSP");

    // Look-up: one radio per key, and the reason.
    let lookup = LookupRequest {
        nik: Some(String::new()),
        email: Some(String::new()),
        phone: Some(String::new()),
        reason: Some(String::new()),
        unmasked: false,
    };
    for field in fields(&lookup) {
        match field.as_str() {
            "reason" => assert!(html.contains("name=\"reason\"")),
            // Operators only; the console is the agents'.
            "unmasked" => assert!(!html.contains("unmasked")),
            kind => assert!(
                html.contains(&format!("name=\"kind\" value=\"{kind}\"")),
                "no look-up by {kind}"
            ),
        }
    }
    // Actions: the resend's fields and the reason are named as the API
    // names them; the action paths are the API's.
    let resend = NotificationResendRequest {
        event: Some(String::new()),
        channel: Some(String::new()),
        reason: Some(String::new()),
    };
    let action = ActionRequest {
        reason: Some(String::new()),
    };
    for field in fields(&resend).into_iter().chain(fields(&action)) {
        assert!(html.contains(&format!("name=\"{field}\"")), "{field}");
    }
    for path in [
        "verification-email",
        "notifications/resend",
        "replay-request",
    ] {
        assert!(html.contains(&format!("value=\"{path}\"")), "{path}");
    }
    // Every input has a label.
    for id in html
        .split("id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|id| {
            html.contains(&format!("<input id=\"{id}\""))
                || html.contains(&format!("<select id=\"{id}\""))
        })
    {
        assert!(html.contains(&format!("for=\"{id}\"")), "{id} has no label");
    }

    let script = app.send(Method::GET, "/desk/desk.js", None).await;
    assert_eq!(script.status(), 200);
    assert!(script.headers().contains_key("content-security-policy"));
    let script = script.text().await.unwrap();
    assert!(script.contains("\"/v1/support/lookup\""));
    assert!(script.contains("\"/v1/support/registrations/\""));
    assert!(!script.contains("innerHTML"), "answers are written as text");
    assert!(
        !script.contains("localStorage"),
        "the token stays in the tab"
    );
    let style = app.send(Method::GET, "/desk/desk.css", None).await;
    assert_eq!(style.status(), 200);
    let posted = app.send(Method::POST, "/desk/", None).await;
    assert_eq!(posted.status(), 405);
}

/// The console in headless Chromium (`scripts/check-desk.sh`; not in CI:
/// it needs chromium and node).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and node: scripts/check-desk.sh"]
async fn the_console_in_headless_chromium() {
    let app = spawn_app().await;
    let person = app.record(320, 1).await;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out =
        std::env::var("LONJAK_CHECK_DESK_OUT").unwrap_or_else(|_| format!("{root}/docs/desk"));
    let args = [
        format!("{root}/scripts/check-desk.mjs"),
        app.base.clone(),
        app.agent_token.clone(),
        person.reg.nik().as_str().to_owned(),
        out,
    ];
    let status = tokio::process::Command::new("node")
        .args(&args)
        .status()
        .await
        .unwrap();
    assert!(status.success(), "scripts/check-desk.mjs failed");
    lonjak_bus::delete_topology(&app.bus.to_config())
        .await
        .unwrap();
}
