//! The one error type of the store, and the single place where database
//! errors that carry a domain meaning (unique violations) are recognised.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Everything that can go wrong talking to the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No connection could be taken from the pool (database unreachable,
    /// authentication refused, pool exhausted).
    #[error("database connection pool")]
    Pool(#[source] diesel_async::pooled_connection::deadpool::PoolError),
    /// A connection outside the pool (migrations, test set-up) could not be
    /// opened.
    #[error("cannot connect to the database")]
    Connect(#[source] diesel::ConnectionError),
    /// A query failed.
    #[error("database query")]
    Query(#[from] DieselError),
    /// The row was not in the state the caller expected (a guarded update
    /// matched nothing): another worker, or an earlier delivery, moved it.
    #[error("registration is not in the expected state")]
    Conflict,
    /// Running the embedded migrations failed.
    #[error("database migration: {0}")]
    Migration(String),
    /// Encrypting or decrypting personal data failed (wrong key or tampered
    /// ciphertext). Deliberately carries no detail.
    #[error("personal data encryption")]
    Crypto,
    /// The configuration is unusable (bad key, bad URL).
    #[error("store configuration: {0}")]
    Config(String),
    /// A connection checkout (or a health ping) did not finish in time.
    #[error("database did not answer in time")]
    Timeout,
    /// A stored value could not be read back into a domain type (a row
    /// written by a newer version, or edited by hand).
    #[error("stored value is not valid: {0}")]
    Decode(String),
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for StoreError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        use diesel_async::pooled_connection::deadpool::PoolError;
        match err {
            PoolError::Timeout(_) => StoreError::Timeout,
            other => StoreError::Pool(other),
        }
    }
}

/// True when `err` is a unique-key violation: the one database error that is a
/// domain answer ("already there") rather than a failure.
pub(crate) fn is_unique_violation(err: &DieselError) -> bool {
    matches!(
        err,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

impl StoreError {
    /// Whether the database itself is unavailable (unreachable, restarting,
    /// not answering in time) rather than this call being at fault: callers
    /// hold their work and try again later instead of giving up on it.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Pool(_) | StoreError::Connect(_) | StoreError::Timeout => true,
            StoreError::Query(DieselError::DatabaseError(kind, info)) => {
                matches!(kind, DatabaseErrorKind::UnableToSendCommand)
                    || matches!(kind, DatabaseErrorKind::ClosedConnection)
                    // SQLSTATE 57P01-57P03 and 57014 carry no kind of their own.
                    || ["terminating connection", "the database system is", "canceling statement due to statement timeout"]
                        .iter()
                        .any(|needle| info.message().contains(needle))
            }
            StoreError::Query(DieselError::BrokenTransactionManager) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_and_timeouts_are_unavailability_constraints_are_not() {
        let lost = StoreError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand,
            Box::new("connection closed".to_owned()),
        ));
        let killed = StoreError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("terminating connection due to administrator command".to_owned()),
        ));
        let unique = StoreError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("duplicate key".to_owned()),
        ));
        assert!(lost.is_unavailable());
        assert!(killed.is_unavailable());
        assert!(StoreError::Timeout.is_unavailable());
        assert!(!unique.is_unavailable());
        assert!(!StoreError::Conflict.is_unavailable());
        assert!(!StoreError::Crypto.is_unavailable());
    }
}
