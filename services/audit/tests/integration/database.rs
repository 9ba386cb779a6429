//! The audit's SQL against the store's real schema, one fresh database per test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use lonjak_audit::accepted::Attempts;
use lonjak_audit::args::{AuditArgs, EffectsFile, FinalStates, Wave};
use lonjak_audit::classify::{DUP_FINAL, DUP_OUTBOX, DUP_TRANSITION, classify};
use lonjak_audit::db;
use lonjak_store::testing::TestDatabase;

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C: &str = "cccccccccccccccccccccccccccccccc";
const D: &str = "dddddddddddddddddddddddddddddddd";
const X: &str = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

fn finals() -> Vec<String> {
    vec!["verified".into(), "rejected".into()]
}

/// Wave 5: A verified once; B rejected with two final transitions and two
/// events under one key; C still verifying. Wave 6: D verified.
async fn seed(conn: &mut AsyncPgConnection) {
    let registration = |id: &str, wave: i32, status: &str| {
        format!(
            "INSERT INTO registrations (id, wave_id, nik_hash, kk_hash, nik_ciphertext, kk_ciphertext, \
               full_name, email, phone, birth_date, employment_status, in_education, status, reason, submitted_at) \
             VALUES ('{id}', {wave}, sha256('{id}'::bytea), sha256('{id}'::bytea), '\\x00', '\\x00', 'x', 'x', 'x', \
               '1990-01-01', 'laid_off', false, '{status}', \
               CASE WHEN '{status}' = 'rejected' THEN 'identity_not_found' END, now() - interval '3 seconds');"
        )
    };
    let history = |id: &str, to: &str| {
        format!(
            "INSERT INTO status_history (registration_id, from_status, to_status) VALUES ('{id}', 'verifying', '{to}');"
        )
    };
    let event = |id: &str, key: &str| {
        format!(
            "INSERT INTO outbox (event_id, registration_id, routing_key, envelope) \
             VALUES (gen_random_uuid(), '{id}', '{key}', '{{}}');"
        )
    };
    let sql = [
        "INSERT INTO waves (id, name) VALUES (5, 'five'), (6, 'six');".to_owned(),
        registration(A, 5, "verified"),
        registration(B, 5, "rejected"),
        registration(C, 5, "verifying"),
        registration(D, 6, "verified"),
        history(A, "verified"),
        history(B, "rejected"),
        history(B, "rejected"),
        history(D, "verified"),
        event(A, "registration.verified"),
        event(B, "registration.rejected"),
        event(B, "registration.rejected"),
    ]
    .concat();
    conn.batch_execute(&sql).await.expect("seed the wave");
}

#[tokio::test]
async fn the_wave_is_read_with_its_final_transitions_and_outbox_events() {
    let test_db = TestDatabase::create().await;
    let mut conn = db::connect(&test_db.url).await.expect("connect");
    seed(&mut conn).await;

    let tables = db::tables(&mut conn).await.expect("tables");
    assert!(tables.status_history && tables.outbox);
    // A and C were answered 202 (C not final yet); B was stored without
    // one; the last id never reached the store.
    let accepted = [A, C, "ffffffffffffffffffffffffffffffff"].map(String::from);
    let progress = db::progress(&mut conn, tables, 5, &finals(), &accepted)
        .await
        .expect("count");
    let mut rows = db::load_records(&mut conn, tables, 5, &finals())
        .await
        .expect("load");
    rows.sort_by(|a, b| a.id.cmp(&b.id));

    assert_eq!((progress.finished, progress.unfinished), (2, 1));
    assert_eq!(progress.accepted_finished, 1, "A only: B was not accepted");
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [A, B, C]);
    assert_eq!(
        (rows[0].final_transitions, rows[0].max_events_per_key),
        (1, 1)
    );
    assert_eq!(
        (rows[1].final_transitions, rows[1].max_events_per_key),
        (2, 2)
    );
    assert_eq!(rows[1].reason.as_deref(), Some("identity_not_found"));
    assert!(rows[0].final_at.is_some() && rows[0].submitted_at.is_some());
    assert_eq!((rows[2].final_transitions, rows[2].final_at), (0, None));

    let attempts = Attempts {
        accepted: [A, B, C, X].map(str::to_owned).into(),
        ..Attempts::default()
    };
    let facts: Vec<_> = rows.iter().map(|r| r.facts()).collect();
    let verdict = classify(&attempts, &facts, &BTreeMap::new(), |s| {
        s == "verified" || s == "rejected"
    });
    assert_eq!(verdict.lost, [C, X].map(str::to_owned).into());
    assert_eq!(verdict.duplicated, [B].map(str::to_owned).into());
    assert!(verdict.unexpected.is_empty());
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lonjak-audit-{name}-{:016x}",
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn args(url: &str, wave: &str, dir: &std::path::Path) -> AuditArgs {
    AuditArgs {
        database_url: url.to_owned(),
        wave: Wave::parse(wave).expect("wave"),
        accepted: dir.join("accepted.log"),
        deadline: Duration::ZERO,
        final_states: FinalStates::parse("verified,rejected").expect("finals"),
        k6_summary: None,
        samples: None,
        metrics_url: None,
        others_max: 0,
        effects: Vec::new(),
        out: dir.join("out"),
        poll_interval: Duration::from_millis(50),
    }
}

#[tokio::test]
async fn an_audit_of_a_drained_wave_passes_and_writes_its_report() {
    let test_db = TestDatabase::create().await;
    let mut conn = db::connect(&test_db.url).await.expect("connect");
    seed(&mut conn).await;
    let dir = scratch_dir("pass");
    std::fs::write(dir.join("accepted.log"), format!("msg=\"ACCEPTED {D}\"\n"))
        .expect("accepted file");

    let verdict = lonjak_audit::run::run(&args(&test_db.url, "6", &dir))
        .await
        .expect("audit runs");

    assert!(verdict.is_clean(), "{verdict:#?}");
    let report = std::fs::read_to_string(dir.join("out/report.md")).expect("report");
    assert!(report.contains("wave 6 — PASS"));
    assert!(report.contains("| verified | 1 |"));
    assert!(
        std::fs::read_to_string(dir.join("out/chart.svg"))
            .expect("chart")
            .contains("no samples")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_audit_whose_deadline_passes_reports_the_unfinished_as_lost() {
    let test_db = TestDatabase::create().await;
    let mut conn = db::connect(&test_db.url).await.expect("connect");
    seed(&mut conn).await;
    let dir = scratch_dir("lost");
    let accepted: String = [A, B, C]
        .iter()
        .map(|id| format!("ACCEPTED {id}\n"))
        .collect();
    std::fs::write(dir.join("accepted.log"), accepted).expect("accepted file");

    let verdict = lonjak_audit::run::run(&args(&test_db.url, "5", &dir))
        .await
        .expect("audit runs");

    assert_eq!(verdict.classes.lost.len(), 1);
    assert_eq!(verdict.classes.duplicated.len(), 1);
    let report = std::fs::read_to_string(dir.join("out/report.md")).expect("report");
    assert!(report.contains("— FAIL") && report.contains("not drained within the 0 s deadline"));
    let _ = std::fs::remove_dir_all(dir);
}

/// Wave 8, as a faulty pipeline could leave it: P lost (told 202, never
/// stored); Q verified, but started twice (`queued → verifying` twice); R
/// verified once in the database but texted twice by the SMS provider; S
/// refused with 503 yet stored and verified; T never sent, yet stored.
async fn plant_faults(conn: &mut AsyncPgConnection) -> (&'static str, &'static str) {
    const P: &str = "11111111111111111111111111111111";
    const Q: &str = "22222222222222222222222222222222";
    const R: &str = "33333333333333333333333333333333";
    const S: &str = "44444444444444444444444444444444";
    const T: &str = "55555555555555555555555555555555";
    let mut sql = String::from("INSERT INTO waves (id, name) VALUES (8, 'eight');");
    for id in [Q, R, S, T] {
        sql.push_str(&format!(
            "INSERT INTO registrations (id, wave_id, nik_hash, kk_hash, nik_ciphertext, kk_ciphertext, \
               full_name, email, phone, birth_date, employment_status, in_education, status, submitted_at) \
             VALUES ('{id}', 8, sha256('{id}'::bytea), sha256('{id}'::bytea), '\\x00', '\\x00', 'x', 'x', \
               'x', '1990-01-01', 'laid_off', false, 'verified', now());\
             INSERT INTO status_history (registration_id, from_status, to_status) VALUES \
               ('{id}', NULL, 'queued'), ('{id}', 'queued', 'verifying'), ('{id}', 'verifying', 'verified');\
             INSERT INTO outbox (event_id, registration_id, routing_key, envelope) \
               VALUES (gen_random_uuid(), '{id}', 'registration.verified', '{{}}');"
        ));
    }
    sql.push_str(&format!(
        "INSERT INTO status_history (registration_id, from_status, to_status) VALUES ('{Q}', 'queued', 'verifying');"
    ));
    conn.batch_execute(&sql).await.expect("plant the faults");
    (P, Q)
}

#[tokio::test]
async fn a_planted_lost_registration_and_duplicated_effects_are_each_reported() {
    let test_db = TestDatabase::create().await;
    let mut conn = db::connect(&test_db.url).await.expect("connect");
    let (lost, started_twice) = plant_faults(&mut conn).await;
    const R: &str = "33333333333333333333333333333333";
    const S: &str = "44444444444444444444444444444444";
    const T: &str = "55555555555555555555555555555555";
    let dir = scratch_dir("planted");
    std::fs::write(
        dir.join("accepted.log"),
        format!(
            "msg=\"ACCEPTED {lost}\"\nmsg=\"ACCEPTED {started_twice}\"\nmsg=\"ACCEPTED {R}\"\n\
             msg=\"REFUSED {S} status=503\"\n"
        ),
    )
    .expect("accepted file");
    std::fs::write(
        dir.join("sms.txt"),
        format!(
            "{started_twice} sms:registration.verified\n{R} sms:registration.verified\n\
             {R} sms:registration.verified\n"
        ),
    )
    .expect("effects file");
    let mut args = args(&test_db.url, "8", &dir);
    args.effects = vec![EffectsFile {
        name: "sms".to_owned(),
        path: dir.join("sms.txt"),
    }];

    let verdict = lonjak_audit::run::run(&args).await.expect("audit runs");

    let c = &verdict.classes;
    let ids =
        |list: &[&str]| -> BTreeSet<String> { list.iter().map(|s| (*s).to_owned()).collect() };
    assert_eq!(c.lost, ids(&[lost]));
    assert_eq!(c.duplicated, ids(&[started_twice, R]));
    assert_eq!(
        c.duplicated_by_effect.get(DUP_TRANSITION),
        Some(&ids(&[started_twice]))
    );
    assert_eq!(c.duplicated_by_effect.get("provider sms"), Some(&ids(&[R])));
    assert!(!c.duplicated_by_effect.contains_key(DUP_FINAL));
    assert!(!c.duplicated_by_effect.contains_key(DUP_OUTBOX));
    assert_eq!(c.indeterminate, ids(&[S]));
    assert_eq!(c.unexpected, ids(&[T]));
    assert!(!verdict.is_clean());
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out/audit.json")).expect("audit.json"),
    )
    .expect("json");
    assert_eq!(json["lost"], 1);
    assert_eq!(json["duplicated"], 2);
    assert_eq!(json["indeterminate"], 1);
    assert_eq!(json["clean"], false);
    let report = std::fs::read_to_string(dir.join("out/report.md")).expect("report");
    assert!(report.contains(&format!("- `{lost}`")), "{report}");
    assert!(
        report.contains("| duplicated in provider sms | 1 |"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
