//! The three registry checks of one registration, run concurrently under one
//! deadline, each answer recorded in the store.

use lonjak_domain::verification::{EducationCheck, IdentityCheck, WelfareCheck};
use lonjak_domain::{Registration, RegistrationId};
use lonjak_store::Store;
use serde::Serialize;
use tokio::time::Instant;

use crate::handler::Failure;
use crate::registry::{Registries, Registry, RegistryError};

/// The registries' answers about one applicant.
#[derive(Debug, Clone)]
pub struct Checks {
    pub identity: IdentityCheck,
    pub education: EducationCheck,
    pub welfare: WelfareCheck,
}

/// Calls Dukcapil, Dapodik and DTKS at once; records every answer (and every
/// final failure) as a verification check. A transient failure of any of them
/// makes the whole delivery retry later: the others' answers are recorded
/// but not trusted across deliveries (they are asked again).
pub(crate) async fn run_checks(
    registries: &Registries,
    store: &Store,
    id: &RegistrationId,
    reg: &Registration,
    deadline: Instant,
) -> Result<Checks, Failure> {
    let (identity, education, welfare) = tokio::join!(
        registries.identity(reg, deadline),
        registries.education(reg, deadline),
        registries.welfare(reg, deadline),
    );
    record(store, id, Registry::Dukcapil, &identity).await?;
    record(store, id, Registry::Dapodik, &education).await?;
    record(store, id, Registry::Dtks, &welfare).await?;
    Ok(Checks {
        identity: identity.map_err(registry_failure)?,
        education: education.map_err(registry_failure)?,
        welfare: welfare.map_err(registry_failure)?,
    })
}

/// Stores one answer. Answers hold no NIK or name (only match flags, a
/// birth date on record, occupation and programme categories), and they are
/// stored, never logged.
async fn record<T: Serialize>(
    store: &Store,
    id: &RegistrationId,
    registry: Registry,
    result: &Result<T, RegistryError>,
) -> Result<(), Failure> {
    let (outcome, detail) = match result {
        Ok(answer) => (
            "answered",
            serde_json::to_value(answer).unwrap_or(serde_json::Value::Null),
        ),
        Err(err) => (
            if err.is_transient() {
                "unavailable"
            } else {
                "failed"
            },
            serde_json::json!({ "error": err.last().kind(), "message": err.to_string() }),
        ),
    };
    store
        .record_check(id, registry.as_str(), outcome, detail)
        .await
        .map_err(Failure::store("record check"))
}

fn registry_failure(err: RegistryError) -> Failure {
    tracing::info!(
        registry = err.registry().as_str(),
        error.kind = err.last().kind(),
        transient = err.is_transient(),
        "registry check failed"
    );
    if err.is_transient() {
        Failure::Transient(err.to_string())
    } else {
        Failure::Permanent(err.to_string())
    }
}
