//! The OpenAPI 3 document, generated from the handlers and served at
//! `/openapi.json`.

use actix_web::HttpResponse;
use utoipa::{OpenApi, ToSchema};

/// A registration as submitted (documentation of the wire form; parsing and
/// its rules live in `lonjak_domain::Registration`). Unknown fields are
/// refused (422 `unknown`), which `deny_unknown_fields` documents as
/// `additionalProperties: false`; the gateway checks it in `intake::decode`.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RegistrationBody {
    /// 16-digit NIK `PPRRDDDDMMYYSSSS`: province, regency, district, birth date
    /// (day + 40 for women), serial; must agree with `birth_date`.
    #[schema(example = "3171014501990001")]
    nik: String,
    /// 16-digit family card (Kartu Keluarga) number.
    #[schema(example = "3171010101200001")]
    kk_number: String,
    /// 2–100 letters (any script), spaces, `.`, `'`, `-`, `,`.
    #[schema(example = "Siti Rahayu")]
    full_name: String,
    /// `YYYY-MM-DD`; at least 18 years old on the day of submission.
    #[schema(example = "1999-01-05")]
    birth_date: String,
    #[schema(example = "siti@example.co.id")]
    email: String,
    /// Indonesian mobile number: `08…`, `628…` or `+628…`.
    #[schema(example = "+6281234567890")]
    phone: String,
    /// laid_off, furloughed, micro_business_lost_income, job_seeker or employed.
    #[schema(example = "laid_off")]
    employment_status: String,
    /// The applicant's own statement of being in school or university.
    in_education: bool,
    /// Wave to join; the open wave when absent.
    #[schema(minimum = 1)]
    wave: Option<u32>,
    /// The language the applicant is written to in (email and SMS); `id`
    /// when absent. Anything else is a 422 (`language`, `one_of`).
    language: Option<LanguageCode>,
}

/// A language lonjak writes to applicants in (`lonjak_domain::Language`).
#[derive(ToSchema, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum LanguageCode {
    /// Bahasa Indonesia, the default.
    Id,
    /// English.
    En,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lonjak registration API",
        description = "Surge-proof intake of programme registrations.\n\nRefusals are `application/problem+json` (RFC 9457) with `Content-Language`. Those naming fields (422 `errors: [{field, rule, message}]`, and 409 `photo-already-accepted`) are in the language of `Accept-Language`: Indonesian when `id` (also `id-ID`, `in`) is preferred over `en` (q-values count, equal ones go to the first listed), English otherwise, which is also the default without the header. `field` and `rule` never change with the language. Other refusals are in English."
    ),
    paths(
        crate::routes::register::register,
        crate::routes::status::status,
        crate::waitroom::challenge_route::issue,
        crate::waitroom::routes::join,
        crate::waitroom::routes::ticket_status,
        crate::waitroom::page::waitroom_config,
        crate::routes::email_verification::verify,
        crate::routes::email_verification::resend,
        crate::photos::routes::upload_urls,
        crate::photos::routes::complete
    ),
    components(schemas(
        RegistrationBody,
        LanguageCode,
        crate::routes::register::Receipt,
        crate::photos::routes::UploadRequest,
        crate::photos::routes::UploadRequestItem,
        crate::photos::routes::UploadUrls,
        crate::photos::routes::Upload,
        crate::photos::routes::CompleteRequest,
        crate::photos::routes::CompleteReceipt,
        crate::routes::status::PhotoStatus,
        crate::routes::status::StatusBody,
        crate::routes::email_verification::Verified,
        crate::routes::email_verification::ResendReceipt,
        crate::problem::Problem,
        crate::problem::FieldProblem,
        crate::waitroom::routes::TicketStatus,
        crate::waitroom::WaitEstimate,
        crate::waitroom::challenge::Challenge,
        crate::waitroom::page::WaitroomConfig
    ))
)]
pub struct ApiDoc;

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
