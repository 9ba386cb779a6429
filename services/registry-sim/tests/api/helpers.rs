//! Spawning a simulator on port 0 and typed calls against it.

use lonjak_registry_sim::{RegistryConfig, RunningSim, SimConfig, SimStats, spawn};
use reqwest::{Response, StatusCode};

pub struct TestSim {
    pub sim: RunningSim,
    pub client: reqwest::Client,
}

/// A configuration without latency or capacity limits, for tests about answers.
pub fn unthrottled() -> SimConfig {
    let fast = RegistryConfig {
        latency_ms: 0,
        latency_jitter_ms: 0,
        max_concurrent: 0,
        rate_per_sec: 0,
        burst: 0,
        error_rate: 0.0,
    };
    SimConfig {
        dukcapil: fast.clone(),
        dapodik: fast.clone(),
        dtks: fast,
        ..SimConfig::default()
    }
}

pub async fn spawn_sim(config: SimConfig) -> TestSim {
    if std::env::var_os("TEST_LOG").is_some() {
        lonjak_registry_sim::init_tracing();
    }
    let sim = spawn(config).await.expect("simulator starts");
    TestSim {
        sim,
        client: reqwest::Client::new(),
    }
}

/// The `i`-th generated applicant (i < 10,000): NIK `317101DDMMYYSSSS` born
/// 1960–1999, odd `i` female (day + 40), and the matching birth date.
pub fn applicant(i: u32) -> (String, String) {
    let day = 1 + i % 28;
    let month = 1 + (i / 28) % 12;
    let year = 60 + (i / 336) % 40;
    let nik_day = if i % 2 == 1 { day + 40 } else { day };
    let nik = format!("317101{nik_day:02}{month:02}{year:02}{:04}", i % 10_000);
    (nik, format!("19{year:02}-{month:02}-{day:02}"))
}

impl TestSim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url)
    }

    pub async fn dukcapil(&self, nik: &str, birth_date: &str) -> Response {
        self.client
            .post(self.url("/dukcapil/v1/verify"))
            .json(&serde_json::json!({
                "nik": nik,
                "full_name": "Siti Aminah",
                "birth_date": birth_date,
            }))
            .send()
            .await
            .expect("dukcapil answers")
    }

    pub async fn dapodik(&self, nik: &str) -> Response {
        self.get(&format!("/dapodik/v1/enrolment/{nik}")).await
    }

    pub async fn dtks(&self, nik: &str) -> Response {
        self.get(&format!("/dtks/v1/recipient/{nik}")).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("simulator answers")
    }

    pub async fn put_config(&self, patch: serde_json::Value) -> Response {
        self.client
            .put(self.url("/admin/config"))
            .json(&patch)
            .send()
            .await
            .expect("admin answers")
    }

    pub async fn stats(&self) -> SimStats {
        let response = self.get("/stats").await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("stats JSON")
    }
}

/// Reads a JSON body after checking the status.
pub async fn json_with_status(response: Response, status: StatusCode) -> serde_json::Value {
    assert_eq!(response.status(), status);
    response.json().await.expect("JSON body")
}

/// Asserts a problem+json answer with the given status.
pub async fn assert_problem(response: Response, status: StatusCode) {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.expect("problem body");
    assert_eq!(body["status"], status.as_u16());
}
