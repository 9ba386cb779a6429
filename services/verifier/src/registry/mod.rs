//! Clients of the ministries' registries (Dukcapil, Dapodik, DTKS), each
//! behind its own rate limiter and circuit breaker.

mod breaker;
mod client;
mod error;
mod ministries;
mod settings;

pub use breaker::{CircuitBreaker, CircuitState, Permit};
pub use client::RegistryClient;
pub use error::{CallError, RegistryError};
pub use ministries::Registries;
pub use settings::RegistrySettings;

/// The registries the verifier consults (defined in the domain: they name
/// stored check records too).
pub use lonjak_domain::verification::Registry;
