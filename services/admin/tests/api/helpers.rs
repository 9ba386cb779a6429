//! `spawn_app()`: the admin API on port 0 with an operator's and an agent's
//! token, its own database, and typed helpers.

use diesel::sql_types::{Array, BigInt, Bytea, Int4, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use lonjak_admin::config::AdminSettings;
use lonjak_admin::support_config::SupportSettings;
use lonjak_admin::{Application, Settings};
use lonjak_bus::BusSettings;
use lonjak_domain::eligibility::{RankKey, rank_order};
use lonjak_domain::{IdentitySettings, RegistrationId, Wave};
use lonjak_ops::client::AdminClient;
use lonjak_ops::wire::ProblemBody;
use lonjak_store::DatabaseSettings;
use lonjak_store::testing::TestDatabase;
use secrecy::SecretString;
use time::{Duration, OffsetDateTime};
use tokio_util::sync::CancellationToken;

pub struct TestApp {
    pub base: String,
    pub db: TestDatabase,
    pub bus: BusSettings,
    pub operator_token: String,
    pub agent_token: String,
    /// The API with the operator's token (the command's client).
    pub operator: AdminClient,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The data key personal fields are sealed under in these tests.
pub const DATA_KEY: [u8; 32] = [7; 32];

fn hex_key(bytes: [u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(SupportSettings::default()).await
}

/// The admin API with the support desk's limits as given.
pub async fn spawn_app_with(support: SupportSettings) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        lonjak_telemetry::init_test_tracing();
    }
    let db = TestDatabase::create().await;
    let (operator_token, agent_token) = (token(), token());
    let bus = BusSettings {
        prefix: format!("test-{:08x}-", rand::random::<u32>()),
        ..BusSettings::default()
    };
    let settings = Settings {
        admin: AdminSettings {
            addr: "127.0.0.1:0".to_owned(),
            operator_tokens: SecretString::from(format!("ana:{operator_token}")),
            agent_tokens: SecretString::from(format!("budi:{agent_token}")),
            workers: 1,
            shutdown_grace_secs: 1,
            ..AdminSettings::default()
        },
        bus: bus.clone(),
        database: DatabaseSettings {
            url: SecretString::from(db.url.clone()),
            max_connections: 2,
            data_key: Some(SecretString::from(hex_key(DATA_KEY))),
            ..DatabaseSettings::default()
        },
        retention: Default::default(),
        object_store: Default::default(),
        identity: Some(IdentitySettings {
            key: lonjak_domain::testing::identity_key(),
            // Apart from the id key, as in a deployment: the desk must hash
            // with the stored hashes' key to find anyone.
            lookup_key: Some(crate::support_seed::lookup_key()),
        }),
        support,
    };
    let shutdown = CancellationToken::new();
    let app = Application::build(settings, shutdown.clone())
        .await
        .expect("build the admin API");
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run());
    TestApp {
        operator: AdminClient::new(&base, &operator_token).unwrap(),
        base,
        db,
        bus,
        operator_token,
        agent_token,
        http: reqwest::Client::new(),
        shutdown,
    }
}

/// One scored applicant to seed: id byte, KK byte, score, seconds after
/// the first submission.
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

/// Ten applicants in distinct KKs, with ties on score and on time.
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
        s(0x55, 12, 45, 1),
    ]
}

/// The `quota` first by the published ranking (`rank_order`), sorted by id.
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

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with `token` as bearer (none when `None`).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn raw(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.db.url).await.unwrap()
    }

    /// Scored applicants in `wave`, inserted the way a scoring run leaves
    /// them.
    pub async fn seed(&self, wave: Wave, seeds: &[Seed]) {
        let ids: Vec<String> = seeds.iter().map(|s| id_of(s.id).to_string()).collect();
        let niks: Vec<Vec<u8>> = seeds.iter().map(|s| [s.id; 32].to_vec()).collect();
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
                    'laid_off', false, 'scored', v.at, v.score,
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
        .execute(&mut self.raw().await)
        .await
        .unwrap();
    }

    pub async fn run_sql(&self, sql: &str) {
        diesel::sql_query(sql)
            .execute(&mut self.raw().await)
            .await
            .unwrap();
    }

    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
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

    /// The ids the database holds as selected in `wave` (their decision
    /// rows; the registration rows stay `scored`), sorted.
    pub async fn selected_ids(&self, wave: Wave) -> Vec<RegistrationId> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            id: String,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT registration_id AS id FROM selection_decisions
              WHERE wave_id = $1 AND decision = 'selected' ORDER BY registration_id",
        )
        .bind::<Int4, _>(i32::try_from(wave.get()).unwrap())
        .load(&mut self.raw().await)
        .await
        .unwrap();
        rows.iter()
            .map(|r| RegistrationId::parse(&r.id).unwrap())
            .collect()
    }
}

/// Reads a problem+json answer, checking its content type and status.
pub async fn problem(response: reqwest::Response, status: u16) -> ProblemBody {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: ProblemBody = response.json().await.unwrap();
    assert_eq!(body.status, status);
    body
}
