//! The intake path of `POST /v1/registrations`, step by step: read the body
//! under a deadline, decode it strictly, publish it under an in-flight slot.

// A refusal is a ~150-byte (outcome, problem) pair built once per request;
// boxing it would add an allocation on the overload path for no gain.
#![allow(clippy::result_large_err)]

mod body;
mod decode;
mod publish;
mod validate;
#[cfg(test)]
mod validate_props;

pub use body::{is_json, read_body};
pub use decode::{Decoded, decode};
pub use publish::publish;
pub use validate::validate;

use crate::metrics::Outcome;
use crate::problem::Problem;

/// A request that ends without a 202: what to count, and what to answer.
pub type Refusal = (Outcome, Problem);
