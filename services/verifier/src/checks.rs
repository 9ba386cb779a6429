//! The registry checks of one registration. Dukcapil comes first: a
//! submission whose identity it does not confirm, or whose record alone
//! rules it out, costs Dapodik and DTKS nothing. The others are asked at
//! once, under the same deadline.

use lonjak_domain::Registration;
use lonjak_domain::verification::{
    CheckOutcome, Decision, EducationCheck, IdentityCheck, WelfareCheck, decide, decide_on_identity,
};
use lonjak_store::CheckRecord;
use serde::Serialize;
use tokio::time::Instant;

use crate::registry::{Registries, Registry, RegistryError};

/// A registration decided from the registries' answers.
#[derive(Debug, Clone)]
pub struct Checked {
    pub decision: Decision,
    /// Whether Dukcapil confirmed the identity: only then does the
    /// submission hold the registration's place.
    pub identity_confirmed: bool,
    /// One record per registry, answered or skipped.
    pub records: Vec<CheckRecord>,
}

/// Asks the registries about `reg` and decides it.
pub async fn check(
    registries: &Registries,
    reg: &Registration,
    deadline: Instant,
) -> Result<Checked, RegistryError> {
    let identity: IdentityCheck = registries.identity(reg, deadline).await?;
    let identity_confirmed = identity.found && identity.name_match && identity.birth_date_match;
    if let Some(reason) = decide_on_identity(&identity) {
        return Ok(Checked {
            decision: Decision::Rejected(reason),
            identity_confirmed,
            records: vec![
                answered(Registry::Dukcapil, &stored_identity(&identity)),
                skipped(Registry::Dapodik),
                skipped(Registry::Dtks),
            ],
        });
    }
    let (education, welfare) = tokio::join!(
        registries.education(reg, deadline),
        registries.welfare(reg, deadline),
    );
    let (education, welfare): (EducationCheck, WelfareCheck) = (education?, welfare?);
    Ok(Checked {
        decision: decide(&identity, &education, &welfare),
        identity_confirmed,
        records: vec![
            answered(Registry::Dukcapil, &stored_identity(&identity)),
            answered(Registry::Dapodik, &education),
            answered(Registry::Dtks, &welfare),
        ],
    })
}

/// Answers hold no NIK, name or birth date (match flags,
/// occupation and programme categories); they are stored, never logged.
fn answered<T: Serialize>(registry: Registry, answer: &T) -> CheckRecord {
    CheckRecord {
        registry,
        outcome: CheckOutcome::Answered,
        detail: serde_json::to_value(answer).unwrap_or(serde_json::Value::Null),
    }
}

/// Dukcapil's answer as stored: without the birth date on record. Its match
/// flag says whether it equals the stated one (sealed in the registration);
/// a clear date here would undo that sealing.
fn stored_identity(identity: &IdentityCheck) -> IdentityCheck {
    IdentityCheck {
        registered_birth_date: None,
        ..identity.clone()
    }
}

fn skipped(registry: Registry) -> CheckRecord {
    CheckRecord {
        registry,
        outcome: CheckOutcome::Skipped,
        detail: serde_json::Value::Object(serde_json::Map::new()),
    }
}
