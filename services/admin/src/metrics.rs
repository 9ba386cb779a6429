//! `lonjak_admin_requests_total{route, status}` (route patterns, bounded
//! labels) and `lonjak_admin_auth_refusals_total{reason}`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    /// `missing`, `invalid` (401) or `forbidden` (403).
    pub reason: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct AdminMetrics {
    pub requests: Family<RequestLabels, Counter>,
    pub refusals: Family<RefusalLabels, Counter>,
}

impl AdminMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        let sub = registry.sub_registry_with_prefix("lonjak_admin");
        sub.register(
            "requests",
            "Admin API requests by route pattern and status",
            metrics.requests.clone(),
        );
        sub.register(
            "auth_refusals",
            "Admin API requests refused for their token, by reason",
            metrics.refusals.clone(),
        );
        metrics
    }

    pub fn refused(&self, reason: &'static str) {
        self.refusals.get_or_create(&RefusalLabels { reason }).inc();
    }

    pub fn request(&self, route: String, status: u16) {
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
    }
}
