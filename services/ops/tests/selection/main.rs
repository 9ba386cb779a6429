//! Waves, selection, announcement and re-joining against the real
//! PostgreSQL (fresh database per test) and RabbitMQ (random prefix).

// Test code: a failed unwrap is a failed test with its message.
#![allow(clippy::unwrap_used)]

mod fixtures;
mod kk_cap;

use fixtures::*;

#[tokio::test]
async fn a_quota_smaller_than_the_pool_selects_exactly_the_expected_ids() {
    let env = env().await;
    let wave = env.wave(1, 5, WaveState::Closed).await;
    env.seed(wave, &pool(), "scored").await;

    let outcome = env.store.select_wave(wave, Some("8MB")).await.unwrap();

    assert_eq!(
        outcome,
        SelectionOutcome::Decided(SelectionCounts {
            selected: 5,
            waitlisted: 7,
            rejected: 0
        })
    );
    // 0x40 (60), then the 55s by time then id: 0x0f and 0x20 (both at 3 s,
    // 0x0f the smaller id), 0x10 (5 s); then the 45s: 0x30 and 0x31 at 0 s
    // (0x30 the smaller id) before 0x55 at 1 s.
    let expected: Vec<RegistrationId> = [0x0f, 0x10, 0x20, 0x30, 0x40].map(id_of).to_vec();
    assert_eq!(env.selected_ids(wave).await, expected);
    assert_eq!(expected_top(&pool(), 5), expected);
    // Every applicant has a rank, 1 to 12 without a gap: the five decided
    // as rows, the waitlisted after them from the ranking.
    let mut ranks: Vec<i32> = env
        .decisions(wave)
        .await
        .iter()
        .filter_map(|d| d.3)
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=12).collect::<Vec<_>>());
    assert_eq!(
        env.count("SELECT count(*) AS n FROM selection_decisions")
            .await,
        5,
        "only the decided prefix is written"
    );
    assert_eq!(
        env.store.wave(wave).await.unwrap().unwrap().state,
        WaveState::Selected
    );
}

#[tokio::test]
async fn running_selection_twice_changes_nothing() {
    let env = env().await;
    let wave = env.wave(1, 4, WaveState::Closed).await;
    env.seed(wave, &pool(), "scored").await;
    env.store.select_wave(wave, None).await.unwrap();
    let before = env.decisions(wave).await;
    let history = env.count("SELECT count(*) AS n FROM status_history").await;

    let again = env.store.select_wave(wave, None).await.unwrap();

    assert_eq!(
        again,
        SelectionOutcome::AlreadyDecided(SelectionCounts {
            selected: 4,
            waitlisted: 8,
            rejected: 0
        })
    );
    assert_eq!(env.decisions(wave).await, before);
    assert_eq!(
        env.count("SELECT count(*) AS n FROM status_history").await,
        history
    );
}

#[tokio::test]
async fn a_crash_in_the_middle_of_selection_then_a_rerun_gives_the_same_result() {
    let crashed = env().await;
    let clean = env().await;
    let mut waves = Vec::new();
    for env in [&crashed, &clean] {
        let wave = env.wave(1, 6, WaveState::Closed).await;
        env.seed(wave, &pool(), "scored").await;
        waves.push(wave);
    }

    // Every applicant decided, the wave marked, then the session dies
    // before the commit.
    crashed.store.select_wave_and_crash(waves[0]).await.unwrap();
    assert_eq!(
        crashed
            .count("SELECT count(*) AS n FROM registrations WHERE status <> 'scored'")
            .await,
        0,
        "a crashed selection left decisions behind"
    );
    assert_eq!(
        crashed
            .count("SELECT count(*) AS n FROM selection_decisions")
            .await,
        0,
        "a crashed selection left decision rows behind"
    );
    assert_eq!(
        crashed.store.wave(waves[0]).await.unwrap().unwrap().state,
        WaveState::Closed
    );
    crashed.store.select_wave(waves[0], None).await.unwrap();
    clean.store.select_wave(waves[1], None).await.unwrap();

    assert_eq!(
        crashed.decisions(waves[0]).await,
        clean.decisions(waves[1]).await
    );
    assert_eq!(
        crashed.selected_ids(waves[0]).await,
        expected_top(&pool(), 6)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_announcement_publishes_every_decision_in_pages_and_resumes_after_a_crash() {
    let env = env().await;
    let bus = Bus::connect(bus_settings().to_config()).await.unwrap();
    let wave = env.wave(1, 5, WaveState::Closed).await;
    env.seed(wave, &pool(), "scored").await;
    env.store.select_wave(wave, None).await.unwrap();

    // The decided prefix (ranks 1–5: the quota) as pages of decision rows,
    // 1–4 and 5, confirmed; then the command dies.
    let first = announce(&env.store, &bus, wave, 4, Some(2)).await.unwrap();
    let cursor = env.store.wave(wave).await.unwrap().unwrap().announced_rank;
    let rest = announce(&env.store, &bus, wave, 4, None).await.unwrap();
    let again = announce(&env.store, &bus, wave, 4, None).await.unwrap();

    assert_eq!(
        (first.published, first.events, first.finished, cursor),
        (5, 2, false, 5)
    );
    // The waitlist after it as pages of the ranking, 6–9 and 10–12.
    assert_eq!((rest.published, rest.events, rest.finished), (7, 2, true));
    assert_eq!(
        (again.published, again.events, again.finished),
        (0, 0, true)
    );
    // Ranks 1–4, 5, 6–9, 10–12: one `selection.decided` each.
    let notifier = bus.topology().queue(WorkQueue::Notifier);
    assert_eq!(bus.queue_depth(&notifier).await.unwrap().messages, 4);
    let wave_now = env.store.wave(wave).await.unwrap().unwrap();
    assert_eq!(wave_now.state, WaveState::Announced);
    bus.close().await;
    let _ = lonjak_bus::delete_topology(bus.config()).await;
}

#[tokio::test]
async fn a_waitlisted_applicant_rejoins_the_next_open_wave_once() {
    let env = env().await;
    let first = env.wave(1, 1, WaveState::Closed).await;
    env.seed(first, &[s(0x01, 1, 50, 0), s(0x02, 2, 40, 0)], "scored")
        .await;
    env.store.select_wave(first, None).await.unwrap();
    let waitlisted = id_of(0x02);
    let selected = id_of(0x01);
    assert_eq!(
        env.store.rejoin_next_wave(&waitlisted).await.unwrap(),
        Rejoin::NoOpenWave
    );
    env.wave(2, 10, WaveState::Open).await;

    let moved = env.store.rejoin_next_wave(&waitlisted).await.unwrap();
    let twice = env.store.rejoin_next_wave(&waitlisted).await.unwrap();

    assert_eq!(moved, Rejoin::Rejoined { from: 1, to: 2 });
    assert_eq!(twice, Rejoin::AlreadyRejoined);
    assert_eq!(
        env.store.rejoin_next_wave(&selected).await.unwrap(),
        Rejoin::NotWaitlisted(RegistrationStatus::Selected)
    );
    let explained = env.store.explain(&waitlisted).await.unwrap().unwrap();
    assert_eq!(
        (explained.wave, explained.status),
        (2, RegistrationStatus::Scored)
    );
    assert_eq!((explained.rank, explained.rejoined_from), (None, Some(1)));
    assert_eq!(explained.score.unwrap().total, 40, "the score is kept");
}

#[tokio::test]
async fn waves_move_one_step_at_a_time_and_only_open_ones_take_registrations() {
    let env = env().await;
    let wave = env.wave(3, 100, WaveState::Planned).await;
    assert!(env.store.open_waves().await.unwrap().is_empty());
    assert!(env.store.move_wave(wave, WaveState::Closed).await.is_err());
    env.store.move_wave(wave, WaveState::Open).await.unwrap();
    assert_eq!(env.store.open_waves().await.unwrap(), [wave]);
    let closed = env.store.move_wave(wave, WaveState::Closed).await.unwrap();
    assert!(closed.closes_at.is_some());
    assert!(env.store.open_waves().await.unwrap().is_empty());
    assert!(env.store.move_wave(wave, WaveState::Open).await.is_err());
    assert!(
        env.store
            .create_wave(&NewWave {
                number: wave,
                quota: 1,
                opens_at: None,
                closes_at: None,
                email_verification_required: true,
                photos_required: false,
            })
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_wave_requiring_a_verified_email_selects_only_applicants_who_verified_theirs() {
    let env = env().await;
    let wave = env.wave(1, 2, WaveState::Closed).await;
    // KK 4: the two best-ranked members have not verified; the third has.
    // KK 5 and 6: one verified member each, ranked below.
    env.seed(
        wave,
        &[
            s(0x01, 4, 60, 0),
            s(0x02, 4, 59, 0),
            s(0x03, 4, 58, 0),
            s(0x04, 5, 50, 0),
            s(0x05, 6, 40, 0),
        ],
        "scored",
    )
    .await;
    env.run_sql("UPDATE waves SET email_verification_required = true")
        .await;
    env.run_sql(
        "UPDATE registrations SET email_verified_at = submitted_at
          WHERE id IN (repeat('03', 16), repeat('04', 16), repeat('05', 16))",
    )
    .await;

    env.store.select_wave(wave, None).await.unwrap();

    // The unverified members neither take a place nor use the family's
    // share of the cap: 0x03 is the family's first member who can be seated.
    assert_eq!(env.selected_ids(wave).await, [id_of(0x03), id_of(0x04)]);
    let d = env.decisions(wave).await;
    let rows: Vec<(&str, Option<i32>)> = d.iter().map(|r| (r.1.as_str(), r.3)).collect();
    assert_eq!(
        rows,
        [
            ("waitlisted", Some(1)),
            ("waitlisted", Some(2)),
            ("selected", Some(3)),
            ("selected", Some(4)),
            ("waitlisted", Some(5)),
        ]
    );
}

#[tokio::test]
async fn a_wave_requiring_photos_selects_only_applicants_with_both_accepted() {
    let env = env().await;
    let wave = env.wave(1, 2, WaveState::Closed).await;
    env.seed(
        wave,
        &[
            s(0x01, 7, 60, 0),
            s(0x02, 8, 59, 0),
            s(0x03, 9, 58, 0),
            s(0x04, 10, 57, 0),
        ],
        "scored",
    )
    .await;
    env.run_sql("UPDATE waves SET photos_required = true").await;
    // 0x01: the selfie never checked; 0x03: the selfie rejected; 0x02 and
    // 0x04: both accepted.
    env.run_sql(
        "INSERT INTO photo_checks (registration_id, kind, object_key, state, reason, checked_at)
         SELECT repeat(b, 16), k, 'incoming/' || b || '/' || k,
                CASE WHEN b = '03' AND k = 'selfie' THEN 'rejected' ELSE 'accepted' END,
                CASE WHEN b = '03' AND k = 'selfie' THEN 'not_an_image' END,
                now()
           FROM unnest(ARRAY['01', '02', '03', '04']) AS b,
                unnest(ARRAY['ktp', 'selfie']) AS k
          WHERE NOT (b = '01' AND k = 'selfie')",
    )
    .await;

    env.store.select_wave(wave, None).await.unwrap();

    assert_eq!(env.selected_ids(wave).await, [id_of(0x02), id_of(0x04)]);
    let d = env.decisions(wave).await;
    let rows: Vec<&str> = d.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(rows, ["waitlisted", "selected", "waitlisted", "selected"]);
}

#[tokio::test]
async fn selection_waits_until_no_registration_of_the_wave_is_on_its_way_to_scoring() {
    let env = env().await;
    let wave = env.wave(1, 5, WaveState::Closed).await;
    env.seed(wave, &pool(), "scored").await;
    env.seed(wave, &[s(0xee, 99, 0, 0)], "verified").await;

    let refused = env.store.select_wave(wave, None).await;

    assert!(
        matches!(refused, Err(WaveChangeError::InFlight { count: 1, .. })),
        "{refused:?}"
    );
    assert_eq!(
        env.store.wave(wave).await.unwrap().unwrap().state,
        WaveState::Closed
    );
}

#[tokio::test]
async fn a_prefix_too_short_for_the_quota_is_read_again_twice_as_long() {
    let env = env().await;
    let wave = env.wave(1, 2, WaveState::Closed).await;
    env.run_sql("UPDATE waves SET email_verification_required = true")
        .await;
    // The 1,200 ranked first have not verified their email, the two ranked
    // last have: the first prefix read (quota + quota / 4 + 1,000 = 1,002)
    // holds nobody who can take a seat.
    env.run_sql(
        "INSERT INTO registrations (id, wave_id, nik_hash, kk_hash, nik_ciphertext, kk_ciphertext,
             full_name, email, phone, birth_date, employment_status, in_education, status,
             submitted_at, score, email_verified_at, score_parts)
         SELECT md5(i::text), 1, sha256(('n' || i)::bytea), sha256(('k' || i)::bytea),
                '\\x00', '\\x00', 'x', 'x', 'x', '1990-01-01', 'laid_off', false, 'scored',
                TIMESTAMPTZ '2020-04-11 00:00+07' + i * interval '1 second',
                CASE WHEN i > 1200 THEN 40 ELSE 50 END,
                CASE WHEN i > 1200 THEN now() END, '[]'
           FROM generate_series(1, 1202) AS i",
    )
    .await;

    let outcome = env.store.select_wave(wave, None).await.unwrap();

    assert_eq!(
        outcome,
        SelectionOutcome::Decided(SelectionCounts {
            selected: 2,
            waitlisted: 1200,
            rejected: 0
        })
    );
    let plan = env.store.selection_plan(wave).await.unwrap();
    assert_eq!((plan.decided_through, plan.last_rank), (1202, 1202));
    assert_eq!(
        env.count("SELECT count(*) AS n FROM selection_decisions WHERE decision = 'selected' AND rank > 1200")
            .await,
        2
    );
}
