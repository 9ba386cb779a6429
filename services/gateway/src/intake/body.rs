//! Reading the request body: bounded in size and in time.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures::StreamExt;

use super::Refusal;
use crate::metrics::Outcome;
use crate::problem::Problem;

/// Whether the request says it carries JSON (`application/json`, any parameters).
pub fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Reads at most `limit` bytes within `deadline`. A declared or actual
/// larger body is a 413 without reading the rest; a body still incomplete at
/// the deadline is a 408 (a slow client holds its connection, nothing else).
pub async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    deadline: Duration,
) -> Result<web::BytesMut, Refusal> {
    match tokio::time::timeout(deadline, read_limited(req, payload, limit)).await {
        Ok(result) => result,
        Err(_) => Err((Outcome::body_timeout, Problem::body_timeout(deadline))),
    }
}

async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, Refusal> {
    let too_large = || (Outcome::too_large, Problem::too_large(limit));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            (
                Outcome::malformed,
                Problem::malformed("The request body could not be read."),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
