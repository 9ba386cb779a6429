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
                       desk's look-up. Roles: `operator` (everything), `agent` (look-ups)."
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
        crate::routes::retention::set_period
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
        crate::routes::retention::WavePeriodBody
    ))
)]
pub struct ApiDoc;

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
