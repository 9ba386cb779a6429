//! Admission control, cheapest check first: per-client limit → global limit
//! → broker alarm, before the body is read; the in-flight cap only once the
//! body is in and valid, around the publish. Every refusal carries
//! `Retry-After` derived from the limiter's own next-allowed time or the
//! queue's drain estimate.

mod client_ip;
mod limits;
mod middleware;

pub use client_ip::{client_ip, limit_key, parse_network};
pub use limits::{Admission, Admitted, Refused, Waits, ceil_secs};
pub use middleware::{AdmissionState, admission_middleware, refusal, status_limit_middleware};
