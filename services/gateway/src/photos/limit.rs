//! The admission budget of issuing upload URLs: per client, then global
//! (governor, like the intake's), 429 with `Retry-After` beyond.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use super::PhotoUploadSettings;
use crate::admission::{AdmissionState, ceil_secs};
use crate::problem::Problem;

pub struct PhotoAdmission {
    client: RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>,
    global: RateLimiter<NotKeyed, InMemoryState, DefaultClock>,
    clock: DefaultClock,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl PhotoAdmission {
    pub fn new(s: &PhotoUploadSettings) -> Self {
        Self {
            client: RateLimiter::keyed(
                Quota::per_second(nonzero(s.client_per_sec)).allow_burst(nonzero(s.client_burst)),
            ),
            global: RateLimiter::direct(
                Quota::per_second(nonzero(s.global_per_sec)).allow_burst(nonzero(s.global_burst)),
            ),
            clock: DefaultClock::default(),
        }
    }

    /// `Err((global, wait))` when refused.
    pub fn admit(&self, client: Option<IpAddr>) -> Result<(), (bool, Duration)> {
        if let Some(ip) = client
            && let Err(not_until) = self.client.check_key(&ip)
        {
            return Err((false, not_until.wait_time_from(self.clock.now())));
        }
        self.global
            .check()
            .map_err(|not_until| (true, not_until.wait_time_from(self.clock.now())))
    }

    /// Forgets idle clients (called with the intake limiter's purge).
    pub fn purge(&self) {
        self.client.retain_recent();
    }
}

pub async fn photo_limit_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (Some(adm), Some(limits)) = (
        req.app_data::<web::Data<AdmissionState>>().cloned(),
        req.app_data::<web::Data<PhotoAdmission>>().cloned(),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    match limits.admit(adm.client_key(&req)) {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err((global, wait)) => {
            let problem = if global {
                Problem::rate_limited(
                    "photo-upload-busy",
                    "Photo upload is very busy right now; please try again shortly.",
                    ceil_secs(wait),
                )
            } else {
                Problem::rate_limited(
                    "photo-upload-rate-limited",
                    "Too many upload-URL requests from your address; slow down.",
                    ceil_secs(wait),
                )
            };
            Ok(req
                .into_response(problem.into_response())
                .map_into_boxed_body())
        }
    }
}
