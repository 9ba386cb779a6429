//! `bus.*`: the one settings section every service and command reads the
//! broker and the topology's shape from.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::BusConfig;

/// Settings of the bus, with the defaults of a local development machine.
/// The topology keys (`prefix`, `intake_max_length`, `delivery_limit`,
/// `retry_delays_ms`) must be the same in every service of a deployment.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct BusSettings {
    /// AMQP URL; may carry a password, so kept secret.
    pub url: SecretString,
    /// Prefix of every exchange and queue name (empty in production).
    pub prefix: String,
    /// Backlog of the intake queue before the broker refuses publishes
    /// (`x-max-length`); 0 means unbounded.
    pub intake_max_length: u32,
    /// Deliveries before the broker dead-letters a message (`x-delivery-limit`).
    pub delivery_limit: u32,
    /// Delays of the retry queues in milliseconds; their count is the number
    /// of delayed retries before the dead-letter queue.
    #[serde(deserialize_with = "lonjak_settings::list::deserialize")]
    pub retry_delays_ms: Vec<u64>,
    /// Bound on one confirmed publish.
    pub publish_timeout_ms: u64,
    /// Bound on connecting and on other broker calls.
    pub connect_timeout_ms: u64,
    /// Pause between first-connection attempts while the broker is
    /// unreachable (later reconnections are the bus's own, with backoff).
    pub reconnect_delay_ms: u64,
    /// Declare the topology at connect (`true`, local runs) or only check it
    /// exists (`false`, production: `lonjak-ops topology apply` declares it).
    pub declare_topology: bool,
}

impl Default for BusSettings {
    fn default() -> Self {
        let defaults = BusConfig::default();
        Self {
            url: SecretString::from(defaults.url),
            prefix: defaults.prefix,
            intake_max_length: 500_000,
            delivery_limit: defaults.delivery_limit,
            retry_delays_ms: defaults
                .retry_delays
                .iter()
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .collect(),
            publish_timeout_ms: 2_000,
            connect_timeout_ms: 3_000,
            reconnect_delay_ms: 1_000,
            declare_topology: true,
        }
    }
}

impl BusSettings {
    /// The bus crate's configuration.
    pub fn to_config(&self) -> BusConfig {
        BusConfig {
            url: self.url.expose_secret().to_owned(),
            prefix: self.prefix.clone(),
            intake_max_length: (self.intake_max_length > 0).then_some(self.intake_max_length),
            delivery_limit: self.delivery_limit,
            retry_delays: self
                .retry_delays_ms
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
            publish_timeout: Duration::from_millis(self.publish_timeout_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            declare_topology: self.declare_topology,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_bus_defaults_and_bound_the_intake() {
        let config = BusSettings::default().to_config();
        let defaults = BusConfig::default();
        assert_eq!(config.retry_delays, defaults.retry_delays);
        assert_eq!(config.delivery_limit, defaults.delivery_limit);
        assert_eq!(config.intake_max_length, Some(500_000));
        assert!(config.declare_topology);
    }

    #[test]
    fn a_zero_intake_length_means_unbounded() {
        let settings = BusSettings {
            intake_max_length: 0,
            ..BusSettings::default()
        };
        assert_eq!(settings.to_config().intake_max_length, None);
    }
}
