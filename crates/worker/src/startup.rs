//! Starting a service whose broker or database may not be up yet (a node
//! booting, a pod scheduled before its dependencies).

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Runs `build` until it succeeds, at most `attempts` times with `pause`
/// between tries. `Ok(None)` when shutdown came while waiting.
pub async fn start_with_retry<T, F, Fut>(
    what: &str,
    attempts: u32,
    pause: Duration,
    shutdown: &CancellationToken,
    mut build: F,
) -> anyhow::Result<Option<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut attempt = 1;
    loop {
        match build().await {
            Ok(value) => return Ok(Some(value)),
            Err(error) if attempt < attempts && !shutdown.is_cancelled() => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    attempt,
                    "{what} cannot start yet; retrying"
                );
                attempt += 1;
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(None),
                    () = tokio::time::sleep(pause) => {}
                }
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn it_retries_until_the_build_succeeds_and_gives_up_after_the_attempts() {
        let shutdown = CancellationToken::new();
        let mut calls = 0;
        let started = start_with_retry("test", 5, Duration::from_millis(1), &shutdown, || {
            calls += 1;
            let ok = calls >= 3;
            async move {
                if ok {
                    Ok(calls)
                } else {
                    Err(anyhow::anyhow!("not yet"))
                }
            }
        })
        .await
        .expect("started");
        assert_eq!(started, Some(3));

        let failed: anyhow::Result<Option<()>> =
            start_with_retry("test", 2, Duration::from_millis(1), &shutdown, || async {
                Err(anyhow::anyhow!("never"))
            })
            .await;
        assert!(failed.is_err());
    }

    #[tokio::test]
    async fn shutdown_while_waiting_ends_without_an_error() {
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        let result: anyhow::Result<Option<()>> =
            start_with_retry("test", 1, Duration::from_secs(60), &shutdown, || async {
                Err(anyhow::anyhow!("down"))
            })
            .await;
        assert!(result.is_err(), "one attempt allowed, so the error stands");
    }
}
