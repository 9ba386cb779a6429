//! The actix middlewares applying [`Admission`]: one on the intake route
//! (before the body is read), one on status look-ups.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use ipnet::IpNet;

use super::{Admission, Refused, Waits, ceil_secs, client_ip, limit_key};
use crate::metrics::{Outcome, StatusOutcome};
use crate::problem::Problem;
use crate::state::AppState;

/// Shared by the middlewares: the limiters and the peers trusted to forward.
pub struct AdmissionState {
    pub admission: Arc<Admission>,
    pub trusted_proxies: Vec<IpNet>,
}

impl AdmissionState {
    /// The rate-limit key of the request's client.
    pub fn client_key(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| a.ip());
        client_ip(peer, req.headers(), &self.trusted_proxies).map(limit_key)
    }

    /// Estimated waits for `Retry-After`.
    pub fn waits(&self, app: &AppState) -> Waits {
        Waits {
            queue: Duration::from_secs(app.queue.seconds_until_room()),
            inflight: Duration::from_secs(app.queue.seconds_to_confirm(self.admission.inflight())),
        }
    }
}

pub async fn admission_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (Some(adm), Some(app)) = (
        req.app_data::<web::Data<AdmissionState>>().cloned(),
        req.app_data::<web::Data<AppState>>().cloned(),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let client = adm.client_key(&req);
    let blocked = app.bus.get().is_some_and(|bus| bus.is_blocked());
    let admitted = if paced_by_waitroom(&req) {
        adm.admission
            .admit_paced(client, blocked, || adm.waits(&app))
    } else {
        adm.admission.admit(client, blocked, || adm.waits(&app))
    };
    match admitted {
        Ok(admitted) => {
            let mut res = next.call(req).await?.map_into_boxed_body();
            let headers = res.headers_mut();
            set(headers, "ratelimit-limit", admitted.limit);
            set(headers, "ratelimit-remaining", admitted.remaining);
            set(headers, "ratelimit-reset", admitted.reset_secs);
            Ok(res)
        }
        Err(refused) => {
            app.metrics.count(refused.outcome);
            let response = refusal(&refused).into_response();
            Ok(req.into_response(response).map_into_boxed_body())
        }
    }
}

/// True when the request carries a ticket signed for a wave that runs a
/// waiting room: the queue already let it in at the pipeline's rate.
fn paced_by_waitroom(req: &ServiceRequest) -> bool {
    let Some(room) = req.app_data::<web::Data<crate::waitroom::WaitRoom>>() else {
        return false;
    };
    req.headers()
        .get(crate::waitroom::TICKET_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|token| room.key.signed_wave(token.trim()))
        .is_some_and(|wave| room.guards(wave))
}

/// Status look-ups may each cost a database query: limited per client too.
pub async fn status_limit_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (Some(adm), Some(app)) = (
        req.app_data::<web::Data<AdmissionState>>().cloned(),
        req.app_data::<web::Data<AppState>>().cloned(),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    match adm.admission.admit_status(adm.client_key(&req)) {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(refused) => {
            app.metrics.count_status(StatusOutcome::rate_limited);
            let problem = Problem::rate_limited(
                "rate-limited",
                "Too many status look-ups from your address; slow down.",
                ceil_secs(refused.retry_after),
            );
            let response = with_rate_limit(problem, &refused).into_response();
            Ok(req.into_response(response).map_into_boxed_body())
        }
    }
}

/// The answer to a refusal by admission control.
pub fn refusal(refused: &Refused) -> Problem {
    let secs = ceil_secs(refused.retry_after);
    let problem = match refused.outcome {
        Outcome::rate_limited_client => Problem::rate_limited(
            "rate-limited",
            "Too many registrations from your address; slow down.",
            secs,
        ),
        Outcome::rate_limited_global => Problem::rate_limited(
            "busy",
            "Registration is very busy right now; please try again shortly.",
            secs,
        ),
        Outcome::broker_blocked => Problem::unavailable(
            "broker-blocked",
            "The registration queue is paused by a resource alarm; nothing was stored.",
            secs,
        ),
        _ => Problem::unavailable(
            "overloaded",
            "Too many registrations are being stored right now; nothing was stored.",
            secs,
        ),
    };
    with_rate_limit(problem, refused)
}

fn with_rate_limit(problem: Problem, refused: &Refused) -> Problem {
    match refused.rate_limit {
        Some((limit, reset)) => problem
            .header("ratelimit-limit", limit)
            .header("ratelimit-remaining", 0)
            .header("ratelimit-reset", reset),
        None => problem,
    }
}

fn set(
    headers: &mut actix_web::http::header::HeaderMap,
    name: &'static str,
    value: impl Into<u64>,
) {
    headers.insert(
        HeaderName::from_static(name),
        HeaderValue::from(value.into()),
    );
}
