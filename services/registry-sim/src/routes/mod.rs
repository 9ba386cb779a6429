//! HTTP routes: the three registry APIs and the operational endpoints.

mod ops;
mod registries;

use actix_web::web;

/// Registers every route on an actix `App`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(registries::dukcapil)
        .service(registries::dapodik)
        .service(registries::dtks)
        .service(ops::healthz)
        .service(ops::metrics)
        .service(ops::stats)
        .service(ops::reset_stats)
        .service(ops::get_config)
        .service(ops::put_config);
}
