//! The admin API's client (`services/admin`): what `lonjak-ops` uses for
//! the commands that have an endpoint. The bearer token comes from the
//! environment (`LONJAK_ADMIN_TOKEN`), never from the command line, where
//! other users of the machine could read it in the process list.

use std::time::Duration;

use anyhow::Context;
use lonjak_domain::{RegistrationId, Wave};
use lonjak_store::{Explanation, WaveRecord};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wire::{
    AnnouncementBody, CreateWave, ExplanationBody, FunnelBody, LookupBody, ProblemBody, RejoinBody,
    SelectionBody, WaveBody,
};

/// The environment variable holding the caller's token.
pub const TOKEN_VAR: &str = "LONJAK_ADMIN_TOKEN";

/// Selection and announcement answer once done: minutes on millions of
/// applicants.
const TIMEOUT: Duration = Duration::from_secs(900);

/// A refusal or failure of the admin API, as its problem document says.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {}", describe(.problem))]
pub struct ApiError {
    pub status: StatusCode,
    pub problem: ProblemBody,
}

fn describe(p: &ProblemBody) -> String {
    let mut out = format!("{} ({})", p.detail, p.kind);
    for e in &p.errors {
        out.push_str(&format!("; {} [{}]: {}", e.field, e.rule, e.message));
    }
    if let Some(reference) = &p.reference {
        out.push_str(&format!("; reference {reference}"));
    }
    out
}

/// A client of one admin API, with one caller's token.
#[derive(Debug, Clone)]
pub struct AdminClient {
    base: String,
    token: HeaderValue,
    http: reqwest::Client,
}

impl AdminClient {
    /// `base` such as `http://127.0.0.1:8081`.
    pub fn new(base: &str, token: &str) -> anyhow::Result<Self> {
        let mut token = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .context("the admin token is not a valid header value")?;
        token.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http,
        })
    }

    /// A client with the token from `LONJAK_ADMIN_TOKEN`.
    pub fn from_env(base: &str) -> anyhow::Result<Self> {
        let token = std::env::var(TOKEN_VAR).with_context(|| {
            format!("{TOKEN_VAR} must hold an admin token (or use --direct-database)")
        })?;
        Self::new(base, &token)
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + Sync)>,
    ) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.base);
        let mut request = self
            .http
            .request(method, &url)
            .header(AUTHORIZATION, self.token.clone());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("calling the admin API at {url}"))?;
        let status = response.status();
        if status.is_success() {
            return response
                .json()
                .await
                .with_context(|| format!("reading the answer of {url}"));
        }
        let problem = response.json::<ProblemBody>().await.unwrap_or_default();
        Err(ApiError { status, problem }.into())
    }

    pub async fn waves(&self) -> anyhow::Result<Vec<WaveRecord>> {
        let waves: Vec<WaveBody> = self.call(Method::GET, "/v1/waves", None::<&()>).await?;
        Ok(waves.into_iter().map(WaveRecord::from).collect())
    }

    pub async fn create_wave(&self, new: &CreateWave) -> anyhow::Result<WaveRecord> {
        let wave: WaveBody = self.call(Method::POST, "/v1/waves", Some(new)).await?;
        Ok(wave.into())
    }

    /// `step`: `open` or `close`.
    pub async fn move_wave(&self, wave: Wave, step: &str) -> anyhow::Result<WaveRecord> {
        let path = format!("/v1/waves/{wave}/{step}");
        let wave: WaveBody = self.call(Method::POST, &path, None::<&()>).await?;
        Ok(wave.into())
    }

    pub async fn select(&self, wave: Wave, work_mem: &str) -> anyhow::Result<SelectionBody> {
        let path = format!("/v1/waves/{wave}/selection?work_mem={}", encode(work_mem));
        self.call(Method::POST, &path, None::<&()>).await
    }

    pub async fn announce(&self, wave: Wave, page: u32) -> anyhow::Result<AnnouncementBody> {
        let path = format!("/v1/waves/{wave}/announcement?page={page}");
        self.call(Method::POST, &path, None::<&()>).await
    }

    pub async fn funnel(&self, wave: Wave) -> anyhow::Result<FunnelBody> {
        let path = format!("/v1/waves/{wave}/funnel");
        self.call(Method::GET, &path, None::<&()>).await
    }

    pub async fn explain(&self, id: &RegistrationId) -> anyhow::Result<Explanation> {
        let path = format!("/v1/registrations/{id}/explanation");
        let body: ExplanationBody = self.call(Method::GET, &path, None::<&()>).await?;
        Ok(body.into())
    }

    pub async fn lookup(&self, id: &RegistrationId) -> anyhow::Result<LookupBody> {
        let path = format!("/v1/registrations/{id}");
        self.call(Method::GET, &path, None::<&()>).await
    }

    pub async fn rejoin(&self, id: &RegistrationId) -> anyhow::Result<RejoinBody> {
        let path = format!("/v1/registrations/{id}/rejoin");
        self.call(Method::POST, &path, None::<&()>).await
    }
}

/// Percent-encodes a query value (work_mem is digits and unit letters; the
/// rest is escaped so nothing else can be smuggled into the query).
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
