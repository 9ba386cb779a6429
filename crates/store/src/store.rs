//! The pooled handle every service holds, and its health check.

use std::sync::Arc;
use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::{DataKey, StoreConfig, StoreError};

pub(crate) type Conn = Object<AsyncPgConnection>;

/// A pool of PostgreSQL connections plus the key for personal data. Cheap to
/// clone; clones share the pool.
#[derive(Clone)]
pub struct Store {
    pool: Pool<AsyncPgConnection>,
    checkout_timeout: Duration,
    data_key: Option<Arc<DataKey>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Builds the pool and checks that the database answers.
    #[tracing::instrument(skip_all)]
    pub async fn connect(cfg: StoreConfig) -> Result<Store, StoreError> {
        if cfg.max_connections == 0 {
            return Err(StoreError::Config(
                "max_connections must be at least 1".into(),
            ));
        }
        let mut manager_config = ManagerConfig::default();
        // A checkout only checks for a leftover transaction and a closed
        // socket; the default extra `SELECT 1` per checkout would cost a round
        // trip on every message. A connection killed server-side fails its
        // first query, is marked broken and is discarded on return.
        manager_config.recycling_method = RecyclingMethod::Fast;
        manager_config.custom_setup = Box::new(|url| Box::pin(crate::tls::establish(url)));
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            cfg.database_url,
            manager_config,
        );
        let pool = Pool::builder(manager)
            .max_size(cfg.max_connections)
            .build()
            .map_err(|e| StoreError::Config(format!("connection pool: {e}")))?;
        let store = Store {
            pool,
            checkout_timeout: cfg.connect_timeout,
            data_key: cfg.data_key.map(Arc::new),
        };
        store.ping().await?;
        Ok(store)
    }

    /// Checks out a connection and runs `SELECT 1`, within the checkout
    /// timeout. For `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        // No transaction is open here, so dropping this future on timeout
        // cannot leave one behind.
        tokio::time::timeout(
            self.checkout_timeout,
            diesel::sql_query("SELECT 1").execute(&mut conn),
        )
        .await
        .map_err(|_| StoreError::Timeout)??;
        Ok(())
    }

    /// A pooled connection, or `Timeout` when none is free (or can be opened)
    /// within the checkout timeout. The only place the store applies a
    /// client-side timeout.
    pub(crate) async fn conn(&self) -> Result<Conn, StoreError> {
        tokio::time::timeout(self.checkout_timeout, self.pool.get())
            .await
            .map_err(|_| StoreError::Timeout)?
            .map_err(StoreError::from)
    }

    pub(crate) fn data_key(&self) -> Result<&DataKey, StoreError> {
        self.data_key.as_deref().ok_or_else(|| {
            StoreError::Config("this store was configured without a data key".to_owned())
        })
    }
}
