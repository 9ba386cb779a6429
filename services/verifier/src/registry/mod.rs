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

/// The registries the verifier consults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Registry {
    /// Civil registry: identity, name, birth date, occupation.
    Dukcapil,
    /// Education data: enrolment in school or university.
    Dapodik,
    /// Social-welfare data: current social-aid recipients.
    Dtks,
}

impl Registry {
    /// Every registry, in call order.
    pub const ALL: [Registry; 3] = [Registry::Dukcapil, Registry::Dapodik, Registry::Dtks];

    /// Lower-case name, used in configuration, metrics and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dukcapil => "dukcapil",
            Self::Dapodik => "dapodik",
            Self::Dtks => "dtks",
        }
    }
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
