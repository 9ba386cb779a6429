//! Where status look-ups come from: PostgreSQL, connected on first use so the
//! gateway starts (and keeps accepting) while the database is away.

use lonjak_domain::RegistrationId;
use lonjak_store::{StatusView, Store, StoreConfig, StoreError};
use tokio::sync::OnceCell;

pub struct StatusSource {
    config: Option<StoreConfig>,
    store: OnceCell<Store>,
}

impl StatusSource {
    /// `None` disables look-ups: every id is answered from the queue estimate
    /// or 404.
    pub fn new(config: Option<StoreConfig>) -> Self {
        Self {
            config,
            store: OnceCell::new(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.config.is_some()
    }

    pub async fn status(&self, id: &RegistrationId) -> Result<Option<StatusView>, StoreError> {
        match self.store().await? {
            Some(store) => store.registration_status(id).await,
            None => Ok(None),
        }
    }

    /// The store, connected on first use; `None` when look-ups are disabled.
    pub async fn store(&self) -> Result<Option<&Store>, StoreError> {
        let Some(config) = &self.config else {
            return Ok(None);
        };
        let store = self
            .store
            .get_or_try_init(|| Store::connect(config.clone()))
            .await?;
        Ok(Some(store))
    }
}
