//! The KK cap: within a wave, across waves, and for a full family's
//! members ranked past the decided prefix.

use crate::fixtures::*;

#[tokio::test]
async fn the_kk_cap_holds_within_a_wave_and_across_waves() {
    let env = env().await;
    // Wave 1: KK 7 has one member selected already.
    let first = env.wave(1, 10, WaveState::Closed).await;
    env.seed(first, &[s(0x01, 7, 50, 0)], "scored").await;
    env.store.select_wave(first, None).await.unwrap();
    // Wave 2: three more members of KK 7, the best-ranked of the wave, and
    // two members of KK 8 (cap not reached) and others.
    let second = env.wave(2, 3, WaveState::Closed).await;
    let seeds = [
        s(0x71, 7, 60, 0),
        s(0x72, 7, 59, 0),
        s(0x73, 7, 58, 0),
        s(0x81, 8, 40, 0),
        s(0x82, 8, 39, 0),
        s(0x91, 9, 10, 0),
    ];
    env.seed(second, &seeds, "scored").await;

    env.store.select_wave(second, None).await.unwrap();

    let status = |d: &Vec<(String, String, Option<String>, Option<i32>)>, byte: u8| {
        let id = id_of(byte).to_string();
        let row = d.iter().find(|r| r.0 == id).unwrap();
        (row.1.clone(), row.2.clone())
    };
    let d = env.decisions(second).await;
    let rejected = (
        String::from("rejected"),
        Some(String::from("kk_cap_reached")),
    );
    assert_eq!(status(&d, 0x71), ("selected".to_owned(), None));
    assert_eq!(status(&d, 0x72), rejected);
    assert_eq!(status(&d, 0x73), rejected);
    assert_eq!(status(&d, 0x81), ("selected".to_owned(), None));
    assert_eq!(status(&d, 0x82), ("selected".to_owned(), None));
    assert_eq!(status(&d, 0x91), ("waitlisted".to_owned(), None));
    assert_eq!(
        env.count(
            "SELECT count(*) AS n FROM selection_decisions d
               JOIN registrations r ON r.id = d.registration_id
              WHERE d.decision = 'selected'
                AND r.kk_hash = '\\x0707070707070707070707070707070707070707070707070707070707070707'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_member_past_the_cap_below_the_quota_line_is_waitlisted_while_the_kk_has_room() {
    let env = env().await;
    let wave = env.wave(1, 1, WaveState::Closed).await;
    // KK 5: three members; only the first fits the quota of 1, so the KK
    // holds one place and the others wait (the third is past the cap by
    // position, but the KK is not full).
    env.seed(
        wave,
        &[s(0x01, 5, 50, 0), s(0x02, 5, 40, 0), s(0x03, 5, 30, 0)],
        "scored",
    )
    .await;
    env.store.select_wave(wave, None).await.unwrap();
    let statuses: Vec<String> = env.decisions(wave).await.into_iter().map(|d| d.1).collect();
    assert_eq!(statuses, ["selected", "waitlisted", "waitlisted"]);
}

#[tokio::test]
async fn a_full_familys_member_ranked_past_the_quota_line_is_rejected_in_place() {
    let env = env().await;
    let wave = env.wave(1, 2, WaveState::Closed).await;
    // KK 5 takes both places; its third member ranks past them, between
    // two applicants who wait.
    env.seed(
        wave,
        &[
            s(0x01, 5, 50, 0),
            s(0x02, 5, 45, 0),
            s(0x03, 6, 40, 0),
            s(0x04, 5, 30, 0),
            s(0x05, 7, 20, 0),
        ],
        "scored",
    )
    .await;

    let outcome = env.store.select_wave(wave, None).await.unwrap();

    assert_eq!(
        outcome,
        SelectionOutcome::Decided(SelectionCounts {
            selected: 2,
            waitlisted: 2,
            rejected: 1
        })
    );
    let d = env.decisions(wave).await;
    let rows: Vec<(&str, Option<&str>, Option<i32>)> = d
        .iter()
        .map(|r| (r.1.as_str(), r.2.as_deref(), r.3))
        .collect();
    assert_eq!(
        rows,
        [
            ("selected", None, Some(1)),
            ("selected", None, Some(2)),
            ("waitlisted", None, Some(3)),
            ("rejected", Some("kk_cap_reached"), Some(4)),
            ("waitlisted", None, Some(5)),
        ]
    );
    assert_eq!(
        env.store.rejoin_next_wave(&id_of(0x04)).await.unwrap(),
        Rejoin::NotWaitlisted(RegistrationStatus::Rejected)
    );
}
