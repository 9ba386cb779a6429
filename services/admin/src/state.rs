//! What every handler shares.

use lonjak_bus::BusConfig;
use lonjak_domain::IdentityKey;
use lonjak_store::Store;
use tokio::sync::Mutex;

use crate::auth::Tokens;
use crate::metrics::AdminMetrics;
use crate::support_config::SupportSettings;

pub struct AdminState {
    pub tokens: Tokens,
    /// Look-ups, waves: the services' statement bound.
    pub store: Store,
    /// Selection and announcement: minutes on millions of applicants.
    pub batch_store: Store,
    /// The broker announcements go to; connected per announcement (a rare
    /// operator action), so the API holds no broker connection when idle.
    pub bus: BusConfig,
    pub metrics: AdminMetrics,
    pub work_mem: String,
    pub announce_page: u32,
    /// One announcement at a time from this process: two would publish the
    /// same pages twice (harmless to consumers, which de-duplicate, but
    /// wasted).
    pub announcing: Mutex<()>,
    /// `retention.*`: the default period and the erasure's batch size.
    pub retention: lonjak_ops::retention::RetentionSettings,
    /// Where erased applicants' photos are deleted; `None` without
    /// `object_store.endpoint` (the erasure then leaves them pending).
    pub objects: Option<lonjak_photos::ObjectStore>,
    /// The support desk's look-ups hash NIK, email and phone with it;
    /// `None`: look-ups are refused (500) until it is configured.
    pub identity: Option<IdentityKey>,
    pub support: SupportSettings,
}
