//! Sealed applicants: what does not open is dead-lettered with its reason
//! (never a panic, never a row), and a dead letter sealed to a key the
//! verifier did not hold yet is replayed once it does.

use lonjak_bus::WorkQueue;
use lonjak_bus::dlq;
use lonjak_domain::RegistrationStatus;
use lonjak_seal::{SealPrivateKey, seal_request};
use time::OffsetDateTime;
use tokio::process::{Child, Command};

use crate::applicants::{Profile, applicant, applicants};
use crate::helpers::{Options, TestApp, spawn_app, spawn_app_with};

async fn reasons(app: &TestApp) -> Vec<String> {
    let mut reasons: Vec<String> = dlq::list(&app.bus, WorkQueue::Verifier, 10)
        .await
        .expect("list dead letters")
        .into_iter()
        .filter_map(|letter| letter.reason)
        .collect();
    reasons.sort();
    reasons
}

#[tokio::test]
async fn an_altered_or_moved_sealed_applicant_is_dead_lettered_as_refused() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    let mut people = applicants(Profile::Clean, 0, 4).into_iter();
    let mut moved = app.submission_at(&people.next().expect("one"), now);
    let donor = app.submission_at(&people.next().expect("two"), now);
    moved.envelope.payload.applicant = donor.envelope.payload.applicant.clone();
    let mut flipped = app.submission_at(&people.next().expect("three"), now);
    let ct = &mut flipped.envelope.payload.applicant.ct;
    // The first character carries six whole bits of the ciphertext.
    let first = if ct.starts_with('A') { "B" } else { "A" };
    ct.replace_range(..1, first);
    let honest = app.submission_at(&people.next().expect("four"), now);

    for submission in [&moved, &flipped, &honest] {
        app.publish(submission).await;
    }

    app.eventually("both are dead-lettered", async || {
        app.processed("dead_lettered") == 2
    })
    .await;
    assert_eq!(
        reasons(&app).await,
        ["sealed applicant refused", "sealed applicant refused"]
    );
    for submission in [&moved, &flipped] {
        assert_eq!(app.row_counts(&submission.id).await.0, 0);
    }
    let view = app.final_status(&honest.id).await;
    assert_eq!(view.status, RegistrationStatus::Verified);
    app.stop().await;
}

fn start_verifier(app: &TestApp, previous_key: Option<&SealPrivateKey>) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lonjak-verifier"));
    command
        .envs(app.child_env())
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    if let Some(key) = previous_key {
        command.env(
            "LONJAK_SEAL__PREVIOUS_PRIVATE_KEY",
            secrecy::ExposeSecret::expose_secret(&key.to_base64()),
        );
    }
    command.spawn().expect("start the verifier binary")
}

/// SIGTERM, as Kubernetes stops a pod, then waits for the exit.
async fn stop_gracefully(child: &mut Child) {
    let pid = child.id().expect("a running child");
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    child.wait().await.expect("the verifier exits");
}

#[tokio::test]
async fn a_dead_letter_sealed_to_a_key_not_held_yet_is_replayed_once_the_ring_holds_it() {
    let app = spawn_app_with(Options {
        start: false,
        ..Options::default()
    })
    .await;
    let other_key = SealPrivateKey::generate();
    let mut submission = app.submission_at(&applicant(Profile::Clean), OffsetDateTime::now_utc());
    let payload = &submission.envelope.payload;
    let request = crate::helpers::open(payload);
    submission.envelope.payload = seal_request(
        other_key.public(),
        submission.id,
        payload.wave,
        payload.submitted_at,
        &request,
    )
    .expect("sealed");

    let mut without = start_verifier(&app, None);
    app.publish(&submission).await;
    app.eventually("it is dead-lettered", async || {
        reasons(&app).await == ["sealed to an unknown key"]
    })
    .await;
    // Stopped gracefully, so that the dead-lettered delivery is acked
    // (a kill could leave it to be delivered again to the next verifier).
    stop_gracefully(&mut without).await;

    let mut with = start_verifier(&app, Some(&other_key));
    let replayed = dlq::replay(&app.bus, WorkQueue::Verifier, 10)
        .await
        .expect("replay");
    assert_eq!(replayed.moved, 1);

    let view = app.final_status(&submission.id).await;
    assert_eq!(view.status, RegistrationStatus::Verified);
    assert!(reasons(&app).await.is_empty());
    stop_gracefully(&mut with).await;
    app.stop().await;
}
