//! The agents' console at `/desk/`: plain HTML, CSS and a little
//! JavaScript, compiled into the binary. It holds no data of its own (it
//! calls `/v1/support/*` with the agent's token), so it is served without
//! one; a strict Content-Security-Policy keeps every request on this
//! origin, and the admin API listens on the internal network only.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::problem::method_not_allowed;

const INDEX: &str = include_str!("static/desk.html");
const SCRIPT: &str = include_str!("static/desk.js");
const STYLE: &str = include_str!("static/desk.css");
/// No inline script or style, no other origin, no framing, no form posts.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                       connect-src 'self'; img-src 'self'; form-action 'none'; \
                       frame-ancestors 'none'; base-uri 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    let asset = |path: &'static str, body: &'static str, kind: &'static str| {
        web::resource(path)
            .route(web::get().to(move || async move { page(body, kind) }))
            .default_service(method_not_allowed("GET"))
    };
    cfg.service(asset("/desk/", INDEX, "text/html; charset=utf-8"))
        .service(asset(
            "/desk/desk.js",
            SCRIPT,
            "text/javascript; charset=utf-8",
        ))
        .service(asset("/desk/desk.css", STYLE, "text/css; charset=utf-8"))
        .service(
            web::resource("/desk")
                .route(web::get().to(|| async {
                    HttpResponse::MovedPermanently()
                        .insert_header((header::LOCATION, "/desk/"))
                        .finish()
                }))
                .default_service(method_not_allowed("GET")),
        );
}

fn page(body: &'static str, kind: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, kind))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}
