//! Admission control, cheapest check first: per-client limit → global limit
//! → broker alarm → in-flight cap. Every refusal is decided before the body
//! is read, and carries `Retry-After` derived from the limiter's own
//! next-allowed time or the queue's drain estimate.

mod client_ip;
mod limits;
mod middleware;

pub use client_ip::client_ip;
pub use limits::{Admission, Admitted, Refused, Waits, ceil_secs};
pub use middleware::{AdmissionState, admission_middleware};
