//! Retrying idempotent store calls. The Neo4j driver does not retry explicit
//! transactions, so batches are retried here: only errors the store marks
//! transient (Neo4j's `TransientError` class, a dropped connection), with
//! exponential backoff, within a time budget. Replays are safe because every
//! write is a MERGE keyed by (group_id, entity_id) and links MERGE by run.
//!
//! A write refused with NotALeader is retried too, but only a few times: the
//! store renews its connections first, so a retry can land on the leader
//! behind a load balancer, or find that leadership moved; a refusal that
//! persists means the URI does not route (`bolt://`) or the cluster's
//! server-side routing is off, and no amount of waiting fixes either.

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
    /// Retries after NotALeader before giving up (with the same backoff:
    /// 0.1 + 0.2 + 0.4 + 0.8 + 1.6 s, about 3 s, by default).
    pub not_a_leader_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            budget: Duration::from_secs(120),
            not_a_leader_retries: 5,
        }
    }
}

/// What the retry loop does after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sleep this long, then try again.
    RetryAfter(Duration),
    /// Return the error.
    GiveUp,
}

/// The kind of failure, as far as retrying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Transient,
    NotALeader,
    Permanent,
}

impl Failure {
    pub fn of(e: &StoreError) -> Self {
        if e.is_transient() {
            Failure::Transient
        } else if e.is_not_a_leader() {
            Failure::NotALeader
        } else {
            Failure::Permanent
        }
    }
}

/// Whether to retry: `elapsed` since the first attempt, `delay` the backoff
/// due now, `not_a_leader_seen` how many NotALeader failures came so far
/// (this one included).
pub fn decide(
    policy: &RetryPolicy,
    failure: Failure,
    elapsed: Duration,
    delay: Duration,
    not_a_leader_seen: u32,
) -> Decision {
    let in_budget = elapsed + delay <= policy.budget;
    match failure {
        Failure::Permanent => Decision::GiveUp,
        Failure::Transient if in_budget => Decision::RetryAfter(delay),
        Failure::NotALeader if in_budget && not_a_leader_seen <= policy.not_a_leader_retries => {
            Decision::RetryAfter(delay)
        }
        Failure::Transient | Failure::NotALeader => Decision::GiveUp,
    }
}

/// Run `op` until it succeeds, fails permanently, or [`decide`] gives up.
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
    let mut not_a_leader_seen = 0;
    loop {
        let e = match op().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let failure = Failure::of(&e);
        if failure == Failure::NotALeader {
            not_a_leader_seen += 1;
        }
        match decide(&policy, failure, start.elapsed(), delay, not_a_leader_seen) {
            Decision::GiveUp => return Err(e),
            Decision::RetryAfter(d) => {
                on_retry(&e, d);
                tokio::time::sleep(d).await;
                delay = (delay * 2).min(policy.max_delay);
            }
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
            not_a_leader_retries: 3,
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

    fn not_a_leader() -> StoreError {
        StoreError::NotALeader {
            target: "t".into(),
            message: "follower".into(),
        }
    }

    #[test]
    fn decision_table() {
        use Decision::{GiveUp, RetryAfter};
        use Failure::{NotALeader, Permanent, Transient};
        let p = RetryPolicy::default();
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        // (failure, elapsed, delay, NotALeader seen) -> decision
        for (failure, elapsed, delay, seen, want) in [
            (Permanent, s(0), ms(100), 0, GiveUp),
            (Transient, s(0), ms(100), 0, RetryAfter(ms(100))),
            (Transient, s(100), s(5), 0, RetryAfter(s(5))),
            (Transient, s(116), s(5), 0, GiveUp),
            // A transient error after NotALeader ones is still transient.
            (Transient, s(1), ms(400), 9, RetryAfter(ms(400))),
            (NotALeader, s(0), ms(100), 1, RetryAfter(ms(100))),
            (NotALeader, s(1), ms(1600), 5, RetryAfter(ms(1600))),
            (NotALeader, s(3), s(3), 6, GiveUp),
            (NotALeader, s(119), s(5), 1, GiveUp),
        ] {
            assert_eq!(
                decide(&p, failure, elapsed, delay, seen),
                want,
                "{failure:?} at {elapsed:?}, delay {delay:?}, seen {seen}"
            );
        }
    }

    #[test]
    fn failures_are_sorted_by_variant() {
        assert_eq!(Failure::of(&transient()), Failure::Transient);
        assert_eq!(Failure::of(&not_a_leader()), Failure::NotALeader);
        let query = StoreError::Query {
            target: "t".into(),
            message: "m".into(),
        };
        assert_eq!(Failure::of(&query), Failure::Permanent);
    }

    #[tokio::test]
    async fn not_a_leader_is_retried_a_few_times_then_returned() {
        let calls = Cell::new(0);
        let r: Result<(), _> = retry(
            quick(),
            || {
                calls.set(calls.get() + 1);
                async { Err(not_a_leader()) }
            },
            |_, _| {},
        )
        .await;
        assert!(r.unwrap_err().is_not_a_leader());
        // The first attempt and `not_a_leader_retries` (3) retries.
        assert_eq!(calls.get(), 4);
    }

    #[tokio::test]
    async fn a_leader_found_on_retry_succeeds() {
        let calls = Cell::new(0);
        let r = retry(
            quick(),
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n < 3 { Err(not_a_leader()) } else { Ok(n) } }
            },
            |_, _| {},
        )
        .await;
        assert_eq!(r.unwrap(), 3);
    }
}
