//! The OpenAPI 3 document of the admin API, generated from the handlers and
//! served at `/openapi.json` (behind no token: it holds no data).

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Every operation needs `Authorization: Bearer <token>`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lonjak admin API",
        description = "Waves, selection, announcement, funnel, explanations and the support \
                       desk (look-ups by NIK, email or phone, agents' actions, replay requests, \
                       the access log). Roles: `operator` (everything), `agent` (look-ups with \
                       masked personal fields, and the desk's actions)."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    paths(
        crate::routes::waves::list,
        crate::routes::waves::create,
        crate::routes::waves::get,
        crate::routes::waves::open,
        crate::routes::waves::close,
        crate::routes::waves::funnel,
        crate::routes::selection::select,
        crate::routes::selection::announcement,
        crate::routes::registrations::lookup,
        crate::routes::registrations::explanation,
        crate::routes::registrations::rejoin,
        crate::routes::retention::retention_plan,
        crate::routes::retention::erasure,
        crate::routes::retention::set_period,
        crate::routes::support::lookup,
        crate::routes::support_actions::resend_link,
        crate::routes::support_actions::resend_notification,
        crate::routes::support_actions::request_replay,
        crate::routes::support_ops::replay_requests,
        crate::routes::support_ops::close_replay_request,
        crate::routes::support_ops::access_log
    ),
    components(schemas(
        lonjak_ops::wire::WaveBody,
        lonjak_ops::wire::CreateWave,
        lonjak_ops::wire::SelectionKind,
        lonjak_ops::wire::SelectionBody,
        lonjak_ops::wire::AnnouncementBody,
        lonjak_ops::wire::FunnelState,
        lonjak_ops::wire::ReasonCount,
        lonjak_ops::wire::FunnelBody,
        lonjak_ops::wire::ExplanationBody,
        lonjak_ops::wire::HistoryBody,
        lonjak_ops::wire::LookupBody,
        lonjak_ops::wire::RejoinBody,
        lonjak_ops::wire::ProblemBody,
        lonjak_ops::wire::FieldProblem,
        lonjak_ops::retention::RetentionPlanBody,
        lonjak_ops::retention::WaveRetentionBody,
        lonjak_ops::retention::ErasureBody,
        lonjak_ops::retention::WaveErasedBody,
        crate::routes::retention::WavePeriodBody,
        lonjak_ops::support_wire::LookupRequest,
        lonjak_ops::support_wire::SupportLookupBody,
        lonjak_ops::support_wire::SupportRegistrationBody,
        lonjak_ops::support_wire::SupportHistoryBody,
        lonjak_ops::support_wire::SupportVerificationBody,
        lonjak_ops::support_wire::SupportNotificationBody,
        lonjak_ops::support_wire::SupportPhotoBody,
        lonjak_ops::support_wire::RejoinEligibilityBody,
        lonjak_ops::support_wire::PersonalBody,
        lonjak_ops::support_wire::ActionRequest,
        lonjak_ops::support_wire::NotificationResendRequest,
        lonjak_ops::support_wire::ActionBody,
        lonjak_ops::support_wire::ReplayRequestBody,
        lonjak_ops::support_wire::CloseReplayRequest,
        lonjak_ops::support_wire::AccessLogBody
    ))
)]
pub struct ApiDoc;

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
