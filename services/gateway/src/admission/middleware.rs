//! The actix middleware applying [`Admission`] to the intake route.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use super::{Admission, Refused, Waits, ceil_secs, client_ip};
use crate::metrics::Outcome;
use crate::problem::Problem;
use crate::state::AppState;

/// Shared by the middleware: the limiters and the peers trusted to forward.
pub struct AdmissionState {
    pub admission: Arc<Admission>,
    pub trusted_proxies: Vec<std::net::IpAddr>,
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
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let client = client_ip(peer, forwarded, &adm.trusted_proxies);
    let blocked = app.bus.get().is_some_and(|bus| bus.is_blocked());
    let waits = || Waits {
        queue: Duration::from_secs(app.queue.seconds_until_room()),
        inflight: Duration::from_secs(app.queue.seconds_to_confirm(adm.admission.inflight())),
    };
    match adm.admission.admit(client, blocked, waits) {
        Ok(admitted) => {
            app.metrics.inflight().inc();
            let result = next.call(req).await;
            app.metrics.inflight().dec();
            drop(admitted.permit);
            let mut res = result?.map_into_boxed_body();
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

fn refusal(refused: &Refused) -> Problem {
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
