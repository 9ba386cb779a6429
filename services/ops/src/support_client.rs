//! The admin API's support-desk endpoints, for `lonjak-ops` (operators:
//! the access log and replay requests) and for tests (agents' look-ups and
//! actions).

use lonjak_domain::RegistrationId;
use reqwest::Method;

use crate::client::{AdminClient, encode};
use crate::support_wire::{
    AccessLogBody, ActionBody, ActionRequest, CloseReplayRequest, LookupRequest,
    NotificationResendRequest, ReplayRequestBody, SupportLookupBody,
};

/// Filters of `GET /v1/access-log`; each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessQuery {
    pub actor: Option<String>,
    pub registration_id: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    /// RFC 3339.
    pub since: Option<String>,
    /// RFC 3339.
    pub until: Option<String>,
    pub before_id: Option<i64>,
    pub limit: Option<u32>,
}

impl AccessQuery {
    fn to_query(&self) -> String {
        let mut parts = Vec::new();
        let mut add = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                parts.push(format!("{name}={}", encode(&value)));
            }
        };
        add("actor", self.actor.clone());
        add("registration_id", self.registration_id.clone());
        add("action", self.action.clone());
        add("outcome", self.outcome.clone());
        add("since", self.since.clone());
        add("until", self.until.clone());
        add("before_id", self.before_id.map(|v| v.to_string()));
        add("limit", self.limit.map(|v| v.to_string()));
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

impl AdminClient {
    pub async fn support_lookup(
        &self,
        request: &LookupRequest,
    ) -> anyhow::Result<SupportLookupBody> {
        self.call(Method::POST, "/v1/support/lookup", Some(request))
            .await
    }

    pub async fn resend_verification_email(
        &self,
        id: &RegistrationId,
        reason: &str,
    ) -> anyhow::Result<ActionBody> {
        let path = format!("/v1/support/registrations/{id}/verification-email");
        let body = ActionRequest {
            reason: Some(reason.to_owned()),
        };
        self.call(Method::POST, &path, Some(&body)).await
    }

    pub async fn resend_notification(
        &self,
        id: &RegistrationId,
        request: &NotificationResendRequest,
    ) -> anyhow::Result<ActionBody> {
        let path = format!("/v1/support/registrations/{id}/notifications/resend");
        self.call(Method::POST, &path, Some(request)).await
    }

    pub async fn request_replay(
        &self,
        id: &RegistrationId,
        reason: &str,
    ) -> anyhow::Result<ReplayRequestBody> {
        let path = format!("/v1/support/registrations/{id}/replay-request");
        let body = ActionRequest {
            reason: Some(reason.to_owned()),
        };
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// Replay requests; only those in `state` (open, replayed, declined)
    /// when given.
    pub async fn replay_requests(
        &self,
        state: Option<&str>,
    ) -> anyhow::Result<Vec<ReplayRequestBody>> {
        let path = match state {
            Some(state) => format!("/v1/support/replay-requests?state={}", encode(state)),
            None => "/v1/support/replay-requests".to_owned(),
        };
        self.call(Method::GET, &path, None::<&()>).await
    }

    pub async fn close_replay_request(
        &self,
        request: i64,
        close: &CloseReplayRequest,
    ) -> anyhow::Result<ReplayRequestBody> {
        let path = format!("/v1/support/replay-requests/{request}/close");
        self.call(Method::POST, &path, Some(close)).await
    }

    pub async fn access_log(&self, query: &AccessQuery) -> anyhow::Result<Vec<AccessLogBody>> {
        let path = format!("/v1/access-log{}", query.to_query());
        self.call(Method::GET, &path, None::<&()>).await
    }
}
