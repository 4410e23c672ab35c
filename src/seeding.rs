//! A seed run, start to end: make sure the schema is there, plan (walking
//! the sources while the stored state loads), and, unless it is a dry run or
//! the plan is blocked, apply it through a run session. If another run
//! committed to the group between planning and taking the lock, plan again
//! under the lock, so a concurrent change is never overwritten blindly.
//!
//! This is the one place where planning and applying meet: planning never
//! writes, applying never plans.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::applying::{self, ApplyStats, RetryPolicy, Session, SessionOptions, retry};
use crate::error::Error;
use crate::planning::{self, Plan, PlanInput};
use crate::stores::{RunRecord, RunStatus, Store};
use crate::ui::Ui;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub batch_size: usize,
    pub lock_ttl: Duration,
    pub retry: RetryPolicy,
    /// Take the lock over even if another run's lease has not expired.
    pub break_lock: bool,
    pub keep_going: bool,
    pub dry_run: bool,
    /// Create the schema if it is missing (the embedded store: zero set-up).
    /// Neo4j targets need an explicit `graphseed init`.
    pub auto_init: bool,
    /// Who takes the lock (user@host style), for the holder's details.
    pub owner: String,
    pub host: String,
}

/// What a seed did. Returned even when it failed, so the caller can print
/// the plan, write the audit trail and pick the exit code.
#[derive(Debug)]
pub struct SeedOutcome {
    pub plan: Plan,
    pub run: RunRecord,
    pub stats: ApplyStats,
    /// The infrastructure failure that stopped the run, if any (plan errors
    /// live in `plan.errors`).
    pub failure: Option<Error>,
}

impl SeedOptions {
    fn session(&self) -> SessionOptions {
        SessionOptions {
            lock_ttl: self.lock_ttl,
            retry: self.retry,
            break_lock: self.break_lock,
            owner: self.owner.clone(),
            host: self.host.clone(),
        }
    }
}

/// Plan and (unless dry-run or the plan has blocking errors) apply.
pub async fn seed<S: Store>(
    store: &S,
    input: &PlanInput,
    opts: &SeedOptions,
    mut run: RunRecord,
    now: DateTime<Utc>,
    ui: &Ui,
) -> Result<SeedOutcome, Error> {
    if opts.auto_init {
        store.init().await?;
    }
    store.check_schema().await?;
    let mut plan = make_plan(store, input, opts.retry, ui).await?;
    run.counts = counts_of(&plan);

    let blocked = !plan.errors.is_empty() && !opts.keep_going;
    if opts.dry_run || blocked || !plan.has_changes() {
        run.status = if plan.errors.is_empty() {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        };
        if !opts.dry_run && plan.errors.is_empty() {
            // Nothing changes: the graph already has this signature.
            run.graph_signature = Some(plan.signature_after.clone());
        }
        run.finished_at = Some(crate::clock::now());
        return Ok(SeedOutcome {
            plan,
            run,
            stats: ApplyStats::default(),
            failure: None,
        });
    }

    // From here on the run writes: one writer per (database, group).
    let mut session = Session::open(store, ui, &opts.session(), run).await?;
    let result = apply_under_lock(&mut session, store, input, opts, &mut plan, now, ui).await;
    let run = session.run_mut();
    run.finished_at = Some(crate::clock::now());
    let failure = match result {
        Ok(()) => {
            run.status = if plan.errors.is_empty() {
                RunStatus::Succeeded
            } else {
                RunStatus::Failed
            };
            if plan.errors.is_empty() {
                run.graph_signature = Some(plan.signature_after.clone());
            }
            None
        }
        Err(e) => {
            run.status = RunStatus::Failed;
            Some(e)
        }
    };
    run.counts = counts_of(&plan);
    let finished = session.finish(failure).await?;
    Ok(SeedOutcome {
        plan,
        run: finished.run,
        stats: finished.stats,
        failure: finished.failure,
    })
}

/// Under the lock: plan again if the group moved since planning, then write.
async fn apply_under_lock<S: Store>(
    session: &mut Session<'_, S>,
    store: &S,
    input: &PlanInput,
    opts: &SeedOptions,
    plan: &mut Plan,
    now: DateTime<Utc>,
    ui: &Ui,
) -> Result<(), Error> {
    // The plan was made before the lock; if any batch committed since, the
    // graph moved under it, so plan again on what is there now.
    if session.revision().await? != plan.revision {
        ui.info("the group changed while planning; planning again under the lock");
        *plan = make_plan(store, input, opts.retry, ui).await?;
        if !plan.errors.is_empty() && !opts.keep_going {
            return Err(Error::Plan {
                count: plan.errors.len(),
                downgrade_only: false,
                applied: false,
            });
        }
    }
    applying::apply_plan(session, plan, input, now, opts.batch_size, ui).await
}

async fn make_plan<S: Store>(
    store: &S,
    input: &PlanInput,
    policy: RetryPolicy,
    ui: &Ui,
) -> Result<Plan, Error> {
    let t = Instant::now();
    // Walking and hashing the sources needs nothing from the store: it runs
    // on other threads while the stored state streams in, so a no-op reseed
    // costs about the longer of the two, not their sum.
    let (roots, max) = (input.roots.clone(), input.max_file_bytes);
    let scanning = tokio::task::spawn_blocking(move || planning::scan(&roots, max));
    let revision = retry::read(policy, ui, || store.group_revision(&input.group_id)).await?;
    let stored = retry::read(policy, ui, || store.load_episodes(&input.group_id)).await?;
    ui.debug(&format!(
        "loaded {} stored episodes of group `{}` in {:.2?}",
        stored.len(),
        input.group_id,
        t.elapsed()
    ));
    let scan = scanning
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    ui.debug(&format!(
        "walked and hashed {} files in {:.2?}",
        scan.files(),
        scan.elapsed
    ));
    let t = Instant::now();
    let plan = planning::plan_scanned(input, scan, &stored, revision);
    ui.debug(&format!(
        "planned {} decisions from {} files ({} parsed) in {:.2?}",
        plan.decisions.len(),
        plan.stats.files_seen,
        plan.stats.files_parsed,
        t.elapsed()
    ));
    Ok(plan)
}

fn counts_of(plan: &Plan) -> BTreeMap<String, u64> {
    let mut m: BTreeMap<String, u64> = plan
        .counts()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    m.insert("error".into(), plan.errors.len() as u64);
    m
}
