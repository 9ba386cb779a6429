//! Fixtures: a fresh database per test, waves, seeded applicants and the
//! expected ranking.

pub use diesel::QueryableByName;
pub use diesel::sql_types::{Array, BigInt, Bytea, Int4, Text, Timestamptz};
pub use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
pub use lonjak_bus::{Bus, BusSettings, WorkQueue};
pub use lonjak_domain::eligibility::{RankKey, rank_order};
pub use lonjak_domain::{RegistrationId, RegistrationStatus, Wave, WaveState};
pub use lonjak_ops::announce::announce;
pub use lonjak_store::testing::TestDatabase;
pub use lonjak_store::{
    NewWave, Rejoin, SelectionCounts, SelectionOutcome, Store, StoreConfig, WaveChangeError,
};
pub use time::{Duration, OffsetDateTime};

/// One scored applicant to seed: id byte, KK byte, score, seconds after the
/// first submission.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    pub id: u8,
    pub kk: u8,
    pub score: i32,
    pub at: i64,
}

pub const fn s(id: u8, kk: u8, score: i32, at: i64) -> Seed {
    Seed { id, kk, score, at }
}

pub fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_586_563_200).unwrap()
}

pub fn id_of(byte: u8) -> RegistrationId {
    RegistrationId::from_bytes([byte; 16])
}

pub struct Env {
    pub db: TestDatabase,
    pub store: Store,
}

pub async fn env() -> Env {
    let db = TestDatabase::create().await;
    let store = Store::connect(StoreConfig::without_personal_data(db.url.clone()))
        .await
        .unwrap();
    Env { db, store }
}

impl Env {
    pub async fn raw(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.db.url).await.unwrap()
    }

    /// A wave with `quota`, moved to `state` through the real commands' path.
    pub async fn wave(&self, n: u32, quota: u32, state: WaveState) -> Wave {
        let wave = Wave::new(n).unwrap();
        self.store
            .create_wave(&NewWave {
                number: wave,
                quota,
                opens_at: None,
                closes_at: None,
                email_verification_required: false,
                photos_required: false,
            })
            .await
            .unwrap();
        for step in [WaveState::Open, WaveState::Closed] {
            if state == WaveState::Planned
                || (state == WaveState::Open && step == WaveState::Closed)
            {
                break;
            }
            self.store.move_wave(wave, step).await.unwrap();
        }
        wave
    }

    /// Scored applicants in `wave`, inserted the way a scoring run leaves them.
    pub async fn seed(&self, wave: Wave, seeds: &[Seed], status: &str) {
        let ids: Vec<String> = seeds.iter().map(|s| id_of(s.id).to_string()).collect();
        let niks: Vec<Vec<u8>> = seeds
            .iter()
            .map(|s| {
                let mut h = [s.id; 32];
                h[0] = u8::try_from(wave.get()).unwrap();
                h.to_vec()
            })
            .collect();
        let kks: Vec<Vec<u8>> = seeds.iter().map(|s| [s.kk; 32].to_vec()).collect();
        let scores: Vec<i32> = seeds.iter().map(|s| s.score).collect();
        let ats: Vec<OffsetDateTime> = seeds
            .iter()
            .map(|s| t0() + Duration::seconds(s.at))
            .collect();
        diesel::sql_query(
            "INSERT INTO registrations (id, wave_id, nik_hash, kk_hash, nik_ciphertext, kk_ciphertext,
                 full_name, email, phone, birth_date, employment_status, in_education, status,
                 submitted_at, score, score_parts)
             SELECT v.id, $1, v.nik, v.kk, '\\x00', '\\x00', 'x', 'x', 'x', '1990-01-01',
                    'laid_off', false, $7, v.at, v.score,
                    jsonb_build_array(jsonb_build_object('rule', 'employment.laid_off', 'points', v.score))
               FROM unnest($2::text[], $3::bytea[], $4::bytea[], $5::int4[], $6::timestamptz[])
                    AS v(id, nik, kk, score, at)",
        )
        .bind::<Int4, _>(i32::try_from(wave.get()).unwrap())
        .bind::<Array<Text>, _>(ids)
        .bind::<Array<Bytea>, _>(niks)
        .bind::<Array<Bytea>, _>(kks)
        .bind::<Array<Int4>, _>(scores)
        .bind::<Array<Timestamptz>, _>(ats)
        .bind::<Text, _>(status)
        .execute(&mut self.raw().await)
        .await
        .unwrap();
    }

    /// Every registration of `wave`: (id, status as the applicant sees it,
    /// reason, rank as the operator's explanation gives it).
    pub async fn decisions(
        &self,
        wave: Wave,
    ) -> Vec<(String, String, Option<String>, Option<i32>)> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            id: String,
            #[diesel(sql_type = Text)]
            status: String,
            #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
            reason: Option<String>,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT r.id,
                    CASE WHEN r.status = 'scored' AND w.state IN ('selected', 'announced')
                         THEN coalesce(d.decision, 'waitlisted') ELSE r.status END AS status,
                    coalesce(r.reason, d.reason) AS reason
               FROM registrations r JOIN waves w ON w.id = r.wave_id
               LEFT JOIN selection_decisions d ON d.wave_id = r.wave_id AND d.registration_id = r.id
              WHERE r.wave_id = $1 ORDER BY r.id",
        )
        .bind::<Int4, _>(i32::try_from(wave.get()).unwrap())
        .load(&mut self.raw().await)
        .await
        .unwrap();
        let mut out = Vec::new();
        for r in rows {
            let id = RegistrationId::parse(&r.id).unwrap();
            let explained = self.store.explain(&id).await.unwrap().unwrap();
            assert_eq!(
                explained.status.as_str(),
                r.status,
                "explain agrees on {}",
                r.id
            );
            let rank = explained.rank.map(|n| i32::try_from(n).unwrap());
            out.push((r.id, r.status, r.reason, rank));
        }
        out
    }

    pub async fn run_sql(&self, sql: &str) {
        diesel::sql_query(sql)
            .execute(&mut self.raw().await)
            .await
            .unwrap();
    }

    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let n: N = diesel::sql_query(sql)
            .get_result(&mut self.raw().await)
            .await
            .unwrap();
        n.n
    }

    pub async fn selected_ids(&self, wave: Wave) -> Vec<RegistrationId> {
        self.decisions(wave)
            .await
            .into_iter()
            .filter(|d| d.1 == "selected")
            .map(|d| RegistrationId::parse(&d.0).unwrap())
            .collect()
    }
}

/// Twelve applicants in distinct KKs with ties on score and on time.
pub fn pool() -> Vec<Seed> {
    vec![
        s(0x10, 1, 55, 5),
        s(0x20, 2, 55, 3),
        s(0x0f, 3, 55, 3),
        s(0x30, 4, 45, 0),
        s(0x31, 5, 45, 0),
        s(0x40, 6, 60, 9),
        s(0x50, 7, 10, 1),
        s(0x51, 8, 35, 2),
        s(0x52, 9, 35, 2),
        s(0x53, 10, 25, 4),
        s(0x54, 11, 15, 8),
        s(0x55, 12, 45, 1),
    ]
}

pub fn expected_top(seeds: &[Seed], quota: usize) -> Vec<RegistrationId> {
    let mut keys: Vec<RankKey> = seeds
        .iter()
        .map(|s| RankKey {
            score: s.score,
            submitted_at: t0() + Duration::seconds(s.at),
            id: id_of(s.id),
        })
        .collect();
    keys.sort_by(rank_order);
    let mut top: Vec<RegistrationId> = keys.into_iter().take(quota).map(|k| k.id).collect();
    top.sort();
    top
}

pub fn bus_settings() -> BusSettings {
    BusSettings {
        prefix: format!("test-{:08x}-", rand::random::<u32>()),
        ..BusSettings::default()
    }
}
