//! The pooled handle every service holds, and its health check.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::{KeyRing, StoreConfig, StoreError};

pub(crate) type Conn = Object<AsyncPgConnection>;

/// The work of one [`Store::transaction`]: a boxed future borrowing the
/// transaction's connection.
pub type TxFuture<'c, R> = Pin<Box<dyn Future<Output = Result<R, StoreError>> + Send + 'c>>;

/// The second argument of a transaction's work: its type says that data
/// borrowed for `'a` outlives the connection borrow `'c`, which lets the
/// work borrow the caller's data (the scoped-futures pattern).
pub type Scope<'c, 'a> = std::marker::PhantomData<&'c &'a ()>;

/// A pool of PostgreSQL connections plus the key for personal data. Cheap to
/// clone; clones share the pool.
#[derive(Clone)]
pub struct Store {
    pool: Pool<AsyncPgConnection>,
    checkout_timeout: Duration,
    query_timeout: Duration,
    data_key: Option<Arc<KeyRing>>,
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
        manager_config.custom_setup = session_setup(cfg.query_timeout);
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
            query_timeout: cfg.query_timeout,
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

    /// Runs `work` in one transaction on one pooled connection: committed
    /// when it returns `Ok`, rolled back otherwise. The whole transaction is
    /// bounded by the query timeout; if that fires, the transaction future is
    /// dropped mid-way, diesel-async marks the connection broken, the pool
    /// discards it, and PostgreSQL rolls back. A handler groups everything a
    /// batch changes here, so the batch costs one commit.
    pub async fn transaction<'a, R, F>(&self, work: F) -> Result<R, StoreError>
    where
        R: Send + 'a,
        F: for<'c> FnOnce(&'c mut AsyncPgConnection, Scope<'c, 'a>) -> TxFuture<'c, R> + Send + 'a,
    {
        let mut conn = self.conn().await?;
        let tx = conn.transaction(async move |conn| work(conn, std::marker::PhantomData).await);
        tokio::time::timeout(self.query_timeout, tx)
            .await
            .map_err(|_| StoreError::Timeout)?
    }

    /// Runs `work` on one pooled connection outside a transaction (reads,
    /// single statements), bounded like [`Store::transaction`].
    pub(crate) async fn with_conn<'a, R, F>(&self, work: F) -> Result<R, StoreError>
    where
        F: for<'c> FnOnce(&'c mut AsyncPgConnection, Scope<'c, 'a>) -> TxFuture<'c, R> + 'a,
    {
        let mut conn = self.conn().await?;
        tokio::time::timeout(
            self.query_timeout,
            work(&mut conn, std::marker::PhantomData),
        )
        .await
        .map_err(|_| StoreError::Timeout)?
    }

    /// A pooled connection, or `Timeout` when none is free (or can be opened)
    /// within the checkout timeout.
    pub(crate) async fn conn(&self) -> Result<Conn, StoreError> {
        tokio::time::timeout(self.checkout_timeout, self.pool.get())
            .await
            .map_err(|_| StoreError::Timeout)?
            .map_err(StoreError::from)
    }

    pub(crate) fn data_key(&self) -> Result<&KeyRing, StoreError> {
        self.data_key.as_deref().ok_or_else(|| {
            StoreError::Config("this store was configured without a data key".to_owned())
        })
    }
}

/// Opens each pooled connection with server-side bounds: no statement runs
/// longer than the query timeout, and a session left idle inside a
/// transaction (a client that died mid-way) is ended by the server. JIT is
/// off: the planner's cost of a batch read (eligibility's inputs for 200
/// registrations: 2 million) crosses every JIT threshold, and compiling it
/// took 344 ms of CPU for a query that runs in 6 ms, most of the database's
/// CPU under load (docs/benchmarks.md). Every statement here is a short one.
fn session_setup(
    query_timeout: Duration,
) -> diesel_async::pooled_connection::SetupCallback<AsyncPgConnection> {
    let statement_ms = query_timeout.as_millis().max(1);
    let idle_ms = statement_ms.saturating_mul(3);
    Box::new(move |url| {
        let url = url.to_owned();
        Box::pin(async move {
            let mut conn = crate::tls::establish(&url).await?;
            conn.batch_execute(&format!(
                "SET statement_timeout = {statement_ms}; \
                 SET idle_in_transaction_session_timeout = {idle_ms}; \
                 SET jit = off"
            ))
            .await
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    })
}
