//! Integration tests of the verifier against a real broker, a real database
//! and the in-process registry simulator.

mod applicants;
mod broker_privacy;
mod crash;
mod helpers;
mod idempotency;
mod inspect;
mod limiter;
mod ops;
mod outcomes;
mod places;
mod retries;
mod sealed;
mod sealed_at_rest;
mod shutdown;
