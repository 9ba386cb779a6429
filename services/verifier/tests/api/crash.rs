//! The verifier killed with deliveries in hand: after a restart every
//! registration reaches one final state, once.

use time::OffsetDateTime;
use tokio::process::{Child, Command};

use crate::applicants::{Profile, applicants};
use crate::helpers::{Options, PATIENCE, TestApp, spawn_app_with};

fn start_verifier(app: &TestApp) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lonjak-verifier"))
        .envs(app.child_env())
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("start the verifier binary")
}

/// Sends SIGTERM, as Kubernetes does to stop a pod.
fn terminate(child: &Child) {
    let pid = child.id().expect("a running child");
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
}

#[tokio::test]
async fn a_verifier_killed_with_deliveries_in_hand_brings_every_registration_to_one_final_state_after_restart()
 {
    let mut options = Options {
        start: false,
        ..Options::default()
    };
    // Slow registries keep deliveries in hand long enough to be killed with them.
    for registry in [
        &mut options.sim.dukcapil,
        &mut options.sim.dapodik,
        &mut options.sim.dtks,
    ] {
        registry.latency_ms = 500;
        registry.latency_jitter_ms = 100;
    }
    let app = spawn_app_with(options).await;
    let requests = applicants(Profile::Clean, 0, 40)
        .into_iter()
        .chain(applicants(Profile::NotFound, 0, 20));
    let submissions: Vec<_> = requests
        .map(|request| app.submission_at(&request, OffsetDateTime::now_utc()))
        .collect();
    for submission in &submissions {
        app.publish(submission).await;
    }

    let mut first = start_verifier(&app);
    app.eventually("the first verifier has finished some", async || {
        let mut done = 0;
        for submission in &submissions {
            if app.is_final(&submission.id).await {
                done += 1;
            }
        }
        done >= 1
    })
    .await;
    first.start_kill().expect("SIGKILL the verifier");
    first.wait().await.expect("reap the killed verifier");
    let mut unfinished = 0;
    for submission in &submissions {
        if !app.is_final(&submission.id).await {
            unfinished += 1;
        }
    }
    assert!(unfinished > 0, "the kill must leave work unfinished");

    let mut second = start_verifier(&app);
    for submission in &submissions {
        app.final_status(&submission.id).await;
    }
    let events = tokio::time::timeout(PATIENCE, app.downstream_events())
        .await
        .expect("drain downstream events");
    terminate(&second);
    let status = second.wait().await.expect("reap the verifier");
    assert!(status.success(), "SIGTERM is a clean shutdown: {status}");

    for submission in &submissions {
        let (rows, history, outbox) = app.row_counts(&submission.id).await;
        assert_eq!(rows, 1);
        assert_eq!(history.len(), 3, "one history path: {history:?}");
        assert_eq!(outbox, 1);
        let mine = &events[&submission.id.to_string()];
        // A kill between the broker's confirm and marking the event
        // published re-sends the same event id: still one event.
        assert!(mine.iter().all(|event| event.1 == mine[0].1), "{mine:?}");
    }
    app.stop().await;
}
