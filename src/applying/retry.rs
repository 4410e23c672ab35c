//! Retrying idempotent store calls. The Neo4j driver does not retry explicit
//! transactions, so batches are retried here: only errors the store marks
//! transient (Neo4j's `TransientError` class, a dropped connection), with
//! exponential backoff, within a time budget. Replays are safe because every
//! write is a MERGE keyed by (group_id, entity_id) and links MERGE by run.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::stores::StoreError;
use crate::ui::Ui;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Give up once this much time has passed since the first attempt.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            budget: Duration::from_secs(120),
        }
    }
}

/// Run `op` until it succeeds, fails permanently, or the budget runs out.
/// `on_retry` hears about every retried error (for logs and counters).
pub async fn retry<T, F, Fut>(
    policy: RetryPolicy,
    mut op: F,
    mut on_retry: impl FnMut(&StoreError, Duration),
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let start = Instant::now();
    let mut delay = policy.first_delay;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_transient() && start.elapsed() + delay <= policy.budget => {
                on_retry(&e, delay);
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(policy.max_delay);
            }
            Err(e) => return Err(e),
        }
    }
}

/// A store read, retried like a write: a lost connection or a restarting
/// server must not end a run that the batch retries would have carried.
/// Each retry is reported as a warning.
pub async fn read<T, F, Fut>(policy: RetryPolicy, ui: &Ui, op: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    retry(policy, op, |e, delay| {
        ui.warn(&format!("{e}; retrying in {delay:.1?}"))
    })
    .await
    .map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn transient() -> StoreError {
        StoreError::Transient {
            target: "t".into(),
            message: "m".into(),
        }
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            budget: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn retries_transient_errors_until_success() {
        let calls = Cell::new(0);
        let mut retried = 0;
        let r = retry(
            quick(),
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n < 3 { Err(transient()) } else { Ok(n) } }
            },
            |_, _| retried += 1,
        )
        .await;
        assert_eq!(r.unwrap(), 3);
        assert_eq!(retried, 2);
    }

    #[tokio::test]
    async fn never_retries_permanent_errors() {
        let calls = Cell::new(0);
        let r: Result<(), _> = retry(
            quick(),
            || {
                calls.set(calls.get() + 1);
                async {
                    Err(StoreError::Query {
                        target: "t".into(),
                        message: "syntax".into(),
                    })
                }
            },
            |_, _| {},
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test]
    async fn gives_up_when_the_budget_is_spent() {
        let policy = RetryPolicy {
            budget: Duration::from_millis(20),
            ..quick()
        };
        let calls = Cell::new(0);
        let r: Result<(), _> = retry(
            policy,
            || {
                calls.set(calls.get() + 1);
                async { Err(transient()) }
            },
            |_, _| {},
        )
        .await;
        assert!(r.unwrap_err().is_transient());
        assert!(calls.get() > 1);
    }
}
