//! Bounded waits on the broker: lapin futures have been seen to hang while
//! the broker restarts, so nothing awaits it without a deadline.

use std::{future::Future, time::Duration};

use crate::BusError;

/// Await a lapin call for at most `within`.
pub(crate) async fn timed<T>(
    operation: &'static str,
    within: Duration,
    call: impl Future<Output = lapin::Result<T>>,
) -> Result<T, BusError> {
    match tokio::time::timeout(within, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(BusError::Broker { operation, source }),
        Err(_) => Err(BusError::Timeout {
            operation,
            after: within,
        }),
    }
}
