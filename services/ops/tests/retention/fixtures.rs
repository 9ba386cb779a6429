//! Fixtures: a fresh database per test with a data key, waves taken through
//! verification, scoring, selection and announcement, photos in the local
//! object store (SeaweedFS, S3 on 127.0.0.1:8333).

pub use diesel::QueryableByName;
pub use diesel::sql_types::{BigInt, Text};
pub use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
pub use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
pub use lonjak_domain::verification::{CheckOutcome, Registry};
pub use lonjak_domain::{
    PhotoKey, PhotoKind, RegistrationId, RegistrationStatus, RejectionReason, Wave, WaveState,
};
pub use lonjak_ops::retention::{RetentionSettings, erase, plan};
pub use lonjak_photos::{ObjectStore, ObjectStoreSettings};
pub use lonjak_store::testing::TestDatabase;
pub use lonjak_store::{
    CheckRecord, DataKey, KeyRing, NewRegistration, NewWave, OutboxEvent, Rejoin, Store,
    StoreConfig, Verification,
};
pub use secrecy::SecretString;
pub use time::OffsetDateTime;

pub struct Env {
    pub db: TestDatabase,
    pub store: Store,
}

pub async fn env() -> Env {
    let db = TestDatabase::create().await;
    let key = DataKey::from_bytes(&[42; 32]).unwrap();
    let store = Store::connect(StoreConfig::new(db.url.clone(), key))
        .await
        .unwrap();
    Env { db, store }
}

pub fn settings(period_days: u32, batch: u32) -> RetentionSettings {
    RetentionSettings { period_days, batch }
}

/// The local object store's identity (deploy/seaweedfs/s3.json).
pub async fn objects() -> ObjectStore {
    let store = ObjectStore::new(&ObjectStoreSettings {
        endpoint: "http://127.0.0.1:8333".to_owned(),
        access_key: "lonjak-local-access".to_owned(),
        secret_key: SecretString::from("lonjak-local-secret-not-for-production"),
        ..ObjectStoreSettings::default()
    })
    .unwrap();
    store
        .ping()
        .await
        .expect("the local object store (SeaweedFS on 127.0.0.1:8333) answers");
    store
}

/// Applicant `i` of the domain's generator, registered in `wave`.
pub fn applicant(i: u64, wave: Wave) -> NewRegistration {
    let reg = sample_registration(i, SAMPLE_TODAY);
    let key = identity_key();
    let id = RegistrationId::derive(&key, reg.nik(), wave);
    let mut new = NewRegistration::from_domain(&reg, id, &key, OffsetDateTime::now_utc());
    new.wave = wave;
    new
}

fn verification(reg: NewRegistration, rejected: bool) -> Verification {
    let (decision, routing_key) = if rejected {
        (
            RegistrationStatus::Verifying
                .transition(
                    RegistrationStatus::Rejected,
                    Some(RejectionReason::IdentityMismatch),
                )
                .unwrap(),
            "registration.rejected",
        )
    } else {
        (
            RegistrationStatus::Verifying
                .transition(RegistrationStatus::Verified, None)
                .unwrap(),
            "registration.verified",
        )
    };
    let event_id = uuid::Uuid::new_v4();
    Verification {
        registration: reg,
        started_at: OffsetDateTime::now_utc(),
        decision,
        social_aid_programme: None,
        checks: vec![CheckRecord {
            registry: Registry::Dukcapil,
            outcome: CheckOutcome::Answered,
            detail: serde_json::json!({"found": true, "name_match": true}),
        }],
        event: OutboxEvent {
            event_id,
            routing_key: routing_key.to_owned(),
            envelope: serde_json::json!({"schema_version": 1, "event_id": event_id.to_string()}),
        },
    }
}

impl Env {
    pub async fn raw(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.db.url).await.unwrap()
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

    pub async fn text(&self, sql: &str) -> String {
        #[derive(QueryableByName)]
        struct T {
            #[diesel(sql_type = Text)]
            t: String,
        }
        let t: T = diesel::sql_query(sql)
            .get_result(&mut self.raw().await)
            .await
            .unwrap();
        t.t
    }

    pub async fn open_wave(&self, n: u32, quota: u32) -> Wave {
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
        self.store.move_wave(wave, WaveState::Open).await.unwrap();
        wave
    }

    /// Applicants `first..first + rejected + scored` of `wave`: the first
    /// `rejected` rejected by verification, the rest verified and scored.
    pub async fn register(
        &self,
        wave: Wave,
        first: u64,
        rejected: u64,
        scored: u64,
    ) -> Vec<NewRegistration> {
        let regs: Vec<NewRegistration> = (first..first + rejected + scored)
            .map(|i| applicant(i, wave))
            .collect();
        let verifications: Vec<Verification> = regs
            .iter()
            .enumerate()
            .map(|(k, r)| verification(r.clone(), (k as u64) < rejected))
            .collect();
        self.store
            .record_verifications(&verifications)
            .await
            .unwrap();
        self.run_sql(&format!(
            "UPDATE registrations SET status = 'scored', score = 10 + get_byte(decode(id, 'hex'), 0),
                    score_parts = '[]'::jsonb
              WHERE wave_id = {wave} AND status = 'verified'"
        ))
        .await;
        regs
    }

    /// Closes, selects and announces `wave` through the store's own calls.
    pub async fn announce(&self, wave: Wave) {
        self.store.move_wave(wave, WaveState::Closed).await.unwrap();
        self.store.select_wave(wave, None).await.unwrap();
        let plan = self.store.selection_plan(wave).await.unwrap();
        self.store
            .mark_announced(wave, plan.last_rank)
            .await
            .unwrap();
        assert!(self.store.finish_announcement(wave).await.unwrap());
    }

    /// Moves `wave`'s announcement `days` into the past.
    pub async fn announced_days_ago(&self, wave: Wave, days: u32) {
        self.run_sql(&format!(
            "UPDATE waves SET announced_at = now() - interval '{days} days' WHERE id = {wave}"
        ))
        .await;
    }

    /// Ids of `wave` as the applicant sees their state.
    pub async fn ids_in(&self, wave: Wave, state: &str) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = Text)]
            id: String,
        }
        let rows: Vec<Id> = diesel::sql_query(format!(
            "SELECT r.id FROM registrations r JOIN waves w ON w.id = r.wave_id
              WHERE r.wave_id = {wave}
                AND (CASE WHEN r.status = 'scored' AND w.state IN ('selected', 'announced')
                          THEN coalesce((SELECT d.decision FROM selection_decisions d
                                          WHERE d.registration_id = r.id
                                            AND d.wave_id = r.wave_id), 'waitlisted')
                          ELSE r.status END) = '{state}'
              ORDER BY r.id"
        ))
        .load(&mut self.raw().await)
        .await
        .unwrap();
        rows.into_iter().map(|r| r.id).collect()
    }

    /// What the audit and statistics read: per wave and state, counts and
    /// score sums; the history; the decisions; the notifications.
    pub async fn skeleton(&self) -> String {
        self.text(
            "SELECT concat_ws(' | ',
                (SELECT string_agg(concat_ws(',', id, wave_id, status, reason, score,
                                             score_parts::text, rank, submitted_at, rejoined_from), ';'
                                   ORDER BY id) FROM registrations),
                (SELECT string_agg(concat_ws(',', registration_id, from_status, to_status, reason, at), ';'
                                   ORDER BY id) FROM status_history),
                (SELECT string_agg(concat_ws(',', wave_id, rank, registration_id, decision), ';'
                                   ORDER BY wave_id, rank) FROM selection_decisions),
                (SELECT string_agg(concat_ws(',', registration_id, registry, outcome, checked_at), ';'
                                   ORDER BY id) FROM verification_checks)) AS t",
        )
        .await
    }

    /// Every column of every registration: what a second erasure must not
    /// change.
    pub async fn everything(&self) -> String {
        self.text(
            "SELECT coalesce(string_agg(r::text, ';' ORDER BY r.id), '') AS t FROM registrations r",
        )
        .await
    }

    /// An accepted photo of `id`: its row, and its upload and kept copy in
    /// the object store. Returns the two object keys.
    pub async fn photo(&self, objects: &ObjectStore, id: &str) -> (String, String) {
        let nonce: [u8; 16] = rand::random();
        let key = PhotoKey::new(RegistrationId::parse(id).unwrap(), PhotoKind::Ktp, nonce);
        let (upload, kept) = (key.to_string(), key.kept());
        for k in [&upload, &kept] {
            objects
                .put(k, "image/jpeg", b"\xff\xd8 not really a photo".to_vec())
                .await
                .unwrap();
            assert!(objects.head(k).await.unwrap().is_some(), "{k} stored");
        }
        self.run_sql(&format!(
            "INSERT INTO photo_checks (registration_id, kind, object_key, size_bytes, sha256,
                                       width, height, state, checked_at)
             VALUES ('{id}', 'ktp', '{upload}', 22, 'abc', 640, 480, 'accepted', now())"
        ))
        .await;
        (upload, kept)
    }
}
