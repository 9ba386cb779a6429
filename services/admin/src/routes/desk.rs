//! The support desk's routes, mounted by `startup` in one call.

use actix_web::web;

use super::{support, support_actions, support_ops};
use crate::problem::method_not_allowed;

pub fn routes(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path.to_owned());
    cfg.service(
        resource("/v1/support/lookup")
            .route(web::post().to(support::lookup))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/support/registrations/{id}/verification-email")
            .route(web::post().to(support_actions::resend_link))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/support/registrations/{id}/notifications/resend")
            .route(web::post().to(support_actions::resend_notification))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/support/registrations/{id}/replay-request")
            .route(web::post().to(support_actions::request_replay))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/support/replay-requests")
            .route(web::get().to(support_ops::replay_requests))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        resource("/v1/support/replay-requests/{id}/close")
            .route(web::post().to(support_ops::close_replay_request))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/access-log")
            .route(web::get().to(support_ops::access_log))
            .default_service(method_not_allowed("GET")),
    );
}
