//! A run session: what every writing run needs around its batches, whatever
//! it writes (episodes now; links and communities next). It
//!
//! - takes the group's lease lock, or reports who holds it;
//! - before its first write, marks runs a crash left `running` as
//!   `abandoned` (holding the lock proves no other run of the group is
//!   alive);
//! - commits each batch through the store's one envelope
//!   ([`Store::apply_batch`]: fence, run upsert, parts, revision bump),
//!   retried on transient errors;
//! - renews the lease between batches;
//! - finishes the run: the record and the release in one transaction.
//!
//! It never plans: a caller that finds the group revision moved under the
//! lock ([`Session::revision`]) plans again before its first commit.

use std::time::{Duration, Instant};

use super::retry::{self, RetryPolicy};
use crate::error::Error;
use crate::stores::{Batch, LockInfo, LockOutcome, RunRecord, RunStatus, Store, StoreError};
use crate::ui::Ui;

/// How a session takes and keeps the lock.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub lock_ttl: Duration,
    pub retry: RetryPolicy,
    /// Take the lock over even if another run's lease has not expired.
    pub break_lock: bool,
    /// Who takes the lock (user@host style), for the holder's details.
    pub owner: String,
    pub host: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Committed write transactions (batches, run record, lock changes).
    pub write_transactions: u64,
    pub batches: u64,
    pub retries: u64,
    pub episodes_written: u64,
    pub episodes_pruned: u64,
    pub runs_abandoned: Vec<String>,
    /// Whether the lock was taken (only runs that write take it).
    pub locked: bool,
}

/// What a finished session leaves.
#[derive(Debug)]
pub struct Finished {
    pub run: RunRecord,
    pub stats: ApplyStats,
    /// Why the run failed, if it did (as given to [`Session::finish`]).
    pub failure: Option<Error>,
}

/// One writing run holding its group's lock.
pub struct Session<'a, S: Store> {
    store: &'a S,
    ui: &'a Ui,
    policy: RetryPolicy,
    run: RunRecord,
    lease: Lease,
    /// Changes the caller means to write, for the failure message.
    planned: u64,
    started: bool,
    stats: ApplyStats,
}

impl<'a, S: Store> Session<'a, S> {
    /// Take the lock of `run`'s group for `run` ([`Error::LockHeld`] naming
    /// the holder if another run holds a live lease).
    pub async fn open(
        store: &'a S,
        ui: &'a Ui,
        opts: &SessionOptions,
        run: RunRecord,
    ) -> Result<Self, Error> {
        let claim = lock_claim(&run, opts);
        match retry::retry(
            opts.retry,
            || store.acquire_lock(&claim, opts.break_lock),
            |_, _| {},
        )
        .await?
        {
            LockOutcome::Acquired => {}
            LockOutcome::Held(holder) => return Err(Error::LockHeld(holder)),
        }
        ui.debug(&format!(
            "lock of group `{}` taken by run {}",
            run.group_id, run.run_id
        ));
        Ok(Session {
            store,
            ui,
            policy: opts.retry,
            run,
            lease: Lease {
                claim,
                renewed: Instant::now(),
                ttl: opts.lock_ttl,
            },
            planned: 0,
            started: false,
            stats: ApplyStats {
                locked: true,
                write_transactions: 1,
                ..ApplyStats::default()
            },
        })
    }

    pub fn run(&self) -> &RunRecord {
        &self.run
    }

    /// The run record, to set its counts, status and signature before
    /// [`Session::finish`].
    pub fn run_mut(&mut self) -> &mut RunRecord {
        &mut self.run
    }

    pub fn stats(&self) -> &ApplyStats {
        &self.stats
    }

    /// Say how many changes the caller means to write (for messages).
    pub fn expect_writes(&mut self, planned: u64) {
        self.planned = planned;
    }

    /// The group revision as it is now, under the lock.
    pub async fn revision(&self) -> Result<u64, Error> {
        retry::read(self.policy, self.ui, || {
            self.store.group_revision(&self.run.group_id)
        })
        .await
    }

    /// Commit one batch (retried), then renew the lease if it is due.
    pub async fn commit(&mut self, batch: &Batch) -> Result<(), Error> {
        if !self.started {
            self.start().await?;
        }
        let (store, run, ui) = (self.store, &self.run, self.ui);
        let mut retries = 0;
        let committed = retry::retry(
            self.policy,
            || store.apply_batch(run, batch),
            |e, delay| {
                retries += 1;
                ui.warn(&format!("{e}; retrying the batch in {delay:.1?}"));
            },
        )
        .await;
        self.stats.retries += retries;
        match committed {
            Ok(()) => {}
            // Another run took the lease over: say that, not "apply failed".
            Err(StoreError::Fenced { holder, .. }) => return Err(Error::LockLost(*holder)),
            Err(e) => return Err(self.failed(e.into())),
        }
        self.stats.batches += 1;
        self.stats.write_transactions += 1;
        self.stats.episodes_written += batch.episodes.writes.len() as u64;
        self.stats.episodes_pruned += batch.episodes.deletes.len() as u64;
        self.lease
            .keep(self.store, self.policy, &mut self.stats)
            .await
    }

    /// [`Error::Apply`] for this run, with what it wrote so far.
    pub fn failed(&self, cause: super::ApplyFailure) -> Error {
        Error::Apply {
            run_id: self.run.run_id.clone(),
            written: self.stats.episodes_written + self.stats.episodes_pruned,
            planned: self.planned,
            cause,
        }
    }

    /// Before the first write: the run is `running` from its first batch on
    /// (every batch upserts the run record), so a run that dies after
    /// writing anything leaves a `running` record, which the next run marks
    /// abandoned here. A run that dies before its first commit wrote nothing
    /// and leaves no record.
    async fn start(&mut self) -> Result<(), Error> {
        let group = self.run.group_id.clone();
        let runs = retry::read(self.policy, self.ui, || self.store.list_runs(Some(&group))).await?;
        for mut other in runs {
            if other.status == RunStatus::Running && other.run_id != self.run.run_id {
                other.status = RunStatus::Abandoned;
                // A seed's record holds the plan's counts; what it committed
                // is in its provenance links. The planned counts of
                // decisions that write nothing (skip, orphan, error) stay:
                // still true. A communities run commits in one batch, so
                // its record (written by that batch) already says what it
                // wrote, and it leaves no episode links to count.
                if other.kind == crate::stores::RunKind::Seed {
                    let id = other.run_id.clone();
                    let committed =
                        retry::read(self.policy, self.ui, || self.store.run_action_counts(&id))
                            .await?;
                    for a in crate::stores::Action::ALL.iter().filter(|a| a.writes()) {
                        other.counts.insert(
                            a.as_str().to_string(),
                            committed.get(a.as_str()).copied().unwrap_or(0),
                        );
                    }
                }
                retry::retry(self.policy, || self.store.save_run(&other), |_, _| {}).await?;
                self.stats.write_transactions += 1;
                self.ui.warn(&format!(
                    "run {} was left running by a crash; marked abandoned",
                    other.run_id
                ));
                self.stats.runs_abandoned.push(other.run_id);
            }
        }
        self.run.status = RunStatus::Running;
        self.started = true;
        Ok(())
    }

    /// Record the run as the caller set it (see [`Session::run_mut`]) and
    /// free the lock, in one transaction. Best effort when the run already
    /// failed: the lease expires anyway, and the next run marks a run left
    /// `running` as abandoned.
    pub async fn finish(mut self, failure: Option<Error>) -> Result<Finished, Error> {
        let (store, run) = (self.store, &self.run);
        match retry::retry(self.policy, || store.finish_run(run), |_, _| {}).await {
            Ok(()) => self.stats.write_transactions += 1,
            Err(e) if failure.is_none() => return Err(e.into()),
            Err(e) => {
                self.ui
                    .warn(&format!("could not record the failed run: {e}"));
                // Still try to free the lock on its own; releasing is
                // idempotent, and gets a short budget, since the lease
                // expires anyway.
                let release_policy = RetryPolicy {
                    budget: self.policy.budget.min(Duration::from_secs(10)),
                    ..self.policy
                };
                match retry::retry(
                    release_policy,
                    || store.release_lock(&run.group_id, &run.run_id),
                    |_, _| {},
                )
                .await
                {
                    Ok(()) => self.stats.write_transactions += 1,
                    Err(e) => self.ui.warn(&format!(
                        "could not release the lock (it expires by itself): {e}"
                    )),
                }
            }
        }
        Ok(Finished {
            run: self.run,
            stats: self.stats,
            failure,
        })
    }
}

fn lock_claim(run: &RunRecord, opts: &SessionOptions) -> LockInfo {
    // Leases run on the wall clock, never the pinned run clock.
    let now = crate::clock::wall();
    LockInfo {
        group_id: run.group_id.clone(),
        owner: opts.owner.clone(),
        host: opts.host.clone(),
        run_id: run.run_id.clone(),
        acquired_at: now,
        expires_at: now
            + chrono::Duration::from_std(opts.lock_ttl).unwrap_or(chrono::Duration::seconds(60)),
    }
}

/// The lease: renewed between batches once a third of its time has passed,
/// so a live run never loses it and a dead one frees it within one TTL.
struct Lease {
    claim: LockInfo,
    renewed: Instant,
    ttl: Duration,
}

impl Lease {
    async fn keep<S: Store>(
        &mut self,
        store: &S,
        policy: RetryPolicy,
        stats: &mut ApplyStats,
    ) -> Result<(), Error> {
        if self.renewed.elapsed() < self.ttl / 3 {
            return Ok(());
        }
        // Renewing is idempotent (it only moves our own expiry), so a
        // renewal lost with its connection is simply sent again.
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::seconds(60));
        let (renewed, claim) = retry::retry(
            policy,
            || {
                // A full lease from the time of each attempt.
                let mut claim = self.claim.clone();
                claim.expires_at = crate::clock::wall() + ttl;
                async move { store.renew_lock(&claim).await.map(|o| (o, claim)) }
            },
            |_, _| {},
        )
        .await?;
        self.claim = claim;
        match renewed {
            LockOutcome::Acquired => {
                stats.write_transactions += 1;
                self.renewed = Instant::now();
                Ok(())
            }
            LockOutcome::Held(holder) => Err(Error::LockLost(holder)),
        }
    }
}
