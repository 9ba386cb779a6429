//! Writing the access log: the support desk's look-ups and actions (by the
//! handlers, through [`Desk`]) and every request refused for its token or
//! role (by [`record_refusals`], once the answer is out). A look-up's
//! answer is sent only after its entry is written.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use lonjak_store::AccessEntry;

use crate::auth::{Caller, Refused};
use crate::problem::AdminError;
use crate::state::AdminState;

/// Longest reason kept (characters).
pub const MAX_REASON_CHARS: usize = 500;
/// Shortest reason accepted: a ticket number, not a shrug.
pub const MIN_REASON_CHARS: usize = 3;

/// Records a request refused by [`crate::auth`] (401, 403).
pub async fn record_refusals(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let response = next.call(req).await?;
    let request = response.request();
    let refused = request.extensions().get::<Refused>().cloned();
    let state = request.app_data::<web::Data<AdminState>>().cloned();
    if let (Some(refused), Some(state)) = (refused, state) {
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let ids = request
            .match_info()
            .get("id")
            .filter(|_| {
                route.starts_with("/v1/registrations/") || route.contains("/support/registrations/")
            })
            .filter(|id| lonjak_domain::RegistrationId::parse(id).is_ok())
            .map(|id| vec![id.to_owned()])
            .unwrap_or_default();
        let entry = AccessEntry {
            actor: refused
                .caller
                .as_ref()
                .map_or_else(|| "-".to_owned(), |c| c.name.clone()),
            role: refused.caller.as_ref().map(|c| c.role.as_str().to_owned()),
            action: format!("{} {route}", request.method()),
            registration_ids: ids,
            outcome: refused.outcome.to_owned(),
            ..AccessEntry::default()
        };
        if let Err(error) = state.store.log_access(&entry).await {
            tracing::warn!(
                error = &error as &dyn std::error::Error,
                "recording a refusal in the access log failed"
            );
        }
    }
    Ok(response)
}

/// One support-desk request being handled: who, and what it is about.
pub struct Desk<'a> {
    pub state: &'a AdminState,
    pub caller: &'a Caller,
    action: &'static str,
}

impl<'a> Desk<'a> {
    pub fn new(state: &'a AdminState, caller: &'a Caller, action: &'static str) -> Self {
        Self {
            state,
            caller,
            action,
        }
    }

    /// An entry of this request with `outcome`.
    pub fn entry(&self, outcome: &str) -> AccessEntry {
        AccessEntry {
            actor: self.caller.name.clone(),
            role: Some(self.caller.role.as_str().to_owned()),
            action: self.action.to_owned(),
            outcome: outcome.to_owned(),
            ..AccessEntry::default()
        }
    }

    /// Logs `entry` (best effort: the refusal stands either way) and
    /// returns `error` for the handler to answer.
    pub async fn refuse(&self, entry: AccessEntry, error: AdminError) -> AdminError {
        if let Err(e) = self.state.store.log_access(&entry).await {
            tracing::warn!(
                error = &e as &dyn std::error::Error,
                "recording a refusal in the access log failed"
            );
        }
        error
    }

    /// Logs `entry`; a failure fails the request (nothing is answered
    /// unrecorded).
    pub async fn record(&self, entry: &AccessEntry) -> Result<(), AdminError> {
        Ok(self.state.store.log_access(entry).await?)
    }

    /// Parses a JSON body; a refusal is logged.
    pub async fn body<T: serde::de::DeserializeOwned>(
        &self,
        bytes: &[u8],
        base: AccessEntry,
    ) -> Result<T, AdminError> {
        match serde_json::from_slice(bytes) {
            Ok(body) => Ok(body),
            Err(e) => {
                let entry = AccessEntry {
                    detail: Some("body: schema".to_owned()),
                    ..base
                };
                Err(self
                    .refuse(
                        entry,
                        AdminError::invalid_field("body", "schema", e.to_string()),
                    )
                    .await)
            }
        }
    }

    /// The request's reason, trimmed: required, 3 to 500 characters. A
    /// refusal is logged (with `base`'s registration or look-up kind).
    pub async fn reason(&self, raw: Option<&str>, base: AccessEntry) -> Result<String, AdminError> {
        let reason = raw.map(str::trim).unwrap_or_default();
        let count = reason.chars().count();
        let rule = if count == 0 {
            Some((
                "required",
                "A reason is required for every look-up and action.",
            ))
        } else if count < MIN_REASON_CHARS {
            Some(("length", "A reason has at least 3 characters."))
        } else if count > MAX_REASON_CHARS {
            Some(("length", "A reason has at most 500 characters."))
        } else {
            None
        };
        match rule {
            None => Ok(reason.to_owned()),
            Some((rule, message)) => {
                let entry = AccessEntry {
                    detail: Some(format!("reason: {rule}")),
                    reason: (count > 0).then(|| reason.chars().take(MAX_REASON_CHARS).collect()),
                    outcome: "invalid".to_owned(),
                    ..base
                };
                Err(self
                    .refuse(entry, AdminError::invalid_field("reason", rule, message))
                    .await)
            }
        }
    }
}
