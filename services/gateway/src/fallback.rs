//! Answers for requests no route takes: problem+json, like every other
//! refusal, instead of actix's empty bodies.

use actix_web::HttpResponse;

use crate::problem::Problem;

/// Unknown path: 404.
pub async fn not_found() -> HttpResponse {
    Problem::not_found("No such resource.").into_response()
}

/// A known path asked with a method it does not answer: 405 with `Allow`.
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    actix_web::web::to(move || async move { Problem::method_not_allowed(allow).into_response() })
}
