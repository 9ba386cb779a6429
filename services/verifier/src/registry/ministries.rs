//! The three ministries' APIs, typed: one protected client each.

use std::sync::Arc;

use lonjak_domain::Registration;
use lonjak_domain::verification::{EducationCheck, IdentityCheck, WelfareCheck};
use serde::Serialize;
use tokio::time::Instant;

use super::{Registry, RegistryClient, RegistryError, RegistrySettings};
use crate::metrics::Metrics;

/// Dukcapil's identity verification request.
#[derive(Serialize)]
struct VerifyIdentity<'a> {
    nik: &'a str,
    full_name: &'a str,
    birth_date: String,
}

/// Clients of Dukcapil, Dapodik and DTKS. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Registries {
    dukcapil: Arc<RegistryClient>,
    dapodik: Arc<RegistryClient>,
    dtks: Arc<RegistryClient>,
}

impl Registries {
    /// Builds the three clients.
    pub fn new(
        dukcapil: RegistrySettings,
        dapodik: RegistrySettings,
        dtks: RegistrySettings,
        metrics: &Metrics,
    ) -> Result<Self, reqwest::Error> {
        let client = |registry, settings| {
            RegistryClient::new(registry, settings, metrics.clone()).map(Arc::new)
        };
        Ok(Self {
            dukcapil: client(Registry::Dukcapil, dukcapil)?,
            dapodik: client(Registry::Dapodik, dapodik)?,
            dtks: client(Registry::Dtks, dtks)?,
        })
    }

    /// The client of one registry (circuit state, for metrics and tests).
    pub fn client(&self, registry: Registry) -> &RegistryClient {
        match registry {
            Registry::Dukcapil => &self.dukcapil,
            Registry::Dapodik => &self.dapodik,
            Registry::Dtks => &self.dtks,
        }
    }

    /// Dukcapil: does the NIK exist, and do name and birth date match it?
    pub async fn identity(
        &self,
        reg: &Registration,
        deadline: Instant,
    ) -> Result<IdentityCheck, RegistryError> {
        let body = VerifyIdentity {
            nik: reg.nik().as_str(),
            full_name: reg.full_name().as_str(),
            birth_date: reg.birth_date().to_iso_string(),
        };
        self.dukcapil
            .post("/dukcapil/v1/verify", &body, deadline)
            .await
    }

    /// Dapodik: is the applicant enrolled in education?
    pub async fn education(
        &self,
        reg: &Registration,
        deadline: Instant,
    ) -> Result<EducationCheck, RegistryError> {
        let path = format!("/dapodik/v1/enrolment/{}", reg.nik().as_str());
        self.dapodik.get(&path, deadline).await
    }

    /// DTKS: does the applicant already receive social aid?
    pub async fn welfare(
        &self,
        reg: &Registration,
        deadline: Instant,
    ) -> Result<WelfareCheck, RegistryError> {
        let path = format!("/dtks/v1/recipient/{}", reg.nik().as_str());
        self.dtks.get(&path, deadline).await
    }
}
