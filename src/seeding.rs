//! A seed run, start to end: make sure the schema is there, plan (walking
//! the sources while the stored state loads), and, unless it is a dry run or
//! the plan is blocked, apply it through a run session. If another run
//! committed to the group between planning and taking the lock, plan again
//! under the lock, so a concurrent change is never overwritten blindly.
//!
//! This is the one place where planning and applying meet: planning never
//! writes, applying never plans.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::applying::{self, ApplyStats, RetryPolicy, Session, SessionOptions, retry};
use crate::error::Error;
use crate::planning::{self, Plan, PlanInput};
use crate::stores::{RunRecord, RunStatus, Store};
use crate::ui::Ui;

mod pages;
mod sink;

pub(crate) use self::pages::read_stored;
use self::pages::{GroupRead, read_group};
use self::sink::Walked;

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
    /// Where the run's audit trail goes (`state_dir`): checked writable
    /// before the lock is taken, so a run that could not leave its trail
    /// never touches the graph. `None`: no trail (library use).
    pub audit_dir: Option<std::path::PathBuf>,
    /// The caller lists every skip (`-vv`, a dry run): the plan must hold
    /// the stored episodes they are about, so it is always made in full,
    /// never from the walk alone (see [`planning::unchanged`]).
    pub list_skips: bool,
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
    let mut plan = make_plan(store, input, opts, ui).await?;
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
            run.sources_signature.clone_from(&plan.sources_signature);
        }
        run.finished_at = Some(crate::clock::now());
        return Ok(SeedOutcome {
            plan,
            run,
            stats: ApplyStats::default(),
            failure: None,
        });
    }

    // From here on the run writes. First make sure it can leave its audit
    // trail (a regular file where the folder belongs, a read-only mount):
    // found now, the graph is untouched.
    if let Some(dir) = &opts.audit_dir {
        crate::provenance::audit::require_writable(dir)?;
    }
    // One writer per (database, group).
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
                run.sources_signature.clone_from(&plan.sources_signature);
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
        *plan = make_plan(store, input, opts, ui).await?;
        if !plan.errors.is_empty() && !opts.keep_going {
            return Err(Error::Plan {
                count: plan.error_count(),
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
    opts: &SeedOptions,
    ui: &Ui,
) -> Result<Plan, Error> {
    let policy = opts.retry;
    let t = Instant::now();
    // Walking and hashing the sources needs nothing from the store but the
    // revision (below): it runs on other threads while the stored state
    // streams in, so a no-op reseed costs about the longer of the two, not
    // their sum.
    let revision = retry::read(policy, ui, || store.group_revision(&input.group_id)).await?;
    // A group no batch ever wrote to (a first seed) has every file parsed
    // and written: the scan keeps what it reads (within the allowance) so
    // each is read once. A reseed mostly finds files unchanged, and bytes
    // kept for them would only raise the run's peak memory.
    let keep = if revision == 0 {
        crate::limits::KEEP_READ_BYTES
    } else {
        0
    };
    let (roots, max) = (input.roots.clone(), input.max_file_bytes);
    // The walk's end is published to the group's read, which may then stop
    // holding what it reads (see `sink`).
    let (walk_done, walk_seen) = tokio::sync::watch::channel::<Walked>(None);
    let scanning = tokio::task::spawn_blocking(move || {
        let scan = planning::scan(&roots, max, keep);
        // Nobody listening (no gate, or the read ended first) is fine.
        let _ = walk_done.send(Some(scan.digest()));
        scan
    });
    // The run the trust check compares the group with, read once: it also
    // says whether this reseed may be unchanged without the stored state.
    let runs = retry::read(policy, ui, || store.list_runs(Some(&input.group_id))).await?;
    let trusted = last_successful_seed(runs);
    let last = trusted
        .as_ref()
        .filter(|_| revision != 0 && may_be_unchanged(input, opts))
        .and_then(|r| closed_fingerprint(r, input));
    // The hand-edit pass reads every stored episode on every reseed (see
    // `trust_check`), and the stored state is built from the same pages: the
    // group is read once, not once for the plan and once for the check. The
    // links load meanwhile. Both are plain reads of committed data; a change
    // between them is caught by the revision check under the lock.
    let loading_links = retry::read(policy, ui, || store.load_links(&input.group_id));
    let gate = last
        .as_ref()
        .map(|(sources, _)| (sources.as_str(), walk_seen));
    let version = input.version.to_string();
    let (links, read) = tokio::try_join!(
        loading_links,
        read_group(store, &input.group_id, policy, ui, &version, gate)
    )?;
    let (stored, edited) = match read {
        GroupRead::Held(stored, edited) => (*stored, edited),
        GroupRead::Unchanged {
            episodes,
            signature,
            edited,
        } => {
            let (sources, graph) = last.expect("a gate comes from a closed seed");
            let current = signature
                .map(|s| planning::graph_signature_with_links(s, &links))
                .filter(|current| edited.is_empty() && *current == graph);
            if let Some(current) = current {
                let scan = joined(scanning).await;
                ui.info(&format!(
                    "the sources and group `{}` are as the last seed left them: {episodes} stored episodes checked, none held ({:.2?})",
                    input.group_id,
                    t.elapsed()
                ));
                return Ok(planning::unchanged::unchanged_plan(
                    input, scan, episodes, current, sources, revision,
                ));
            }
            // Changed since that seed (by hand, or by a run that failed
            // part-way): plan in full, which reconciles.
            ui.debug("the group changed since the last closed seed; reading it again in full");
            read_stored(store, &input.group_id, policy, ui).await?
        }
    };
    ui.debug(&format!(
        "loaded {} stored episodes of group `{}` in {:.2?}",
        stored.len(),
        input.group_id,
        t.elapsed()
    ));
    // Shared with the plan: its skips of unchanged files point into it.
    let stored = std::sync::Arc::new(stored);
    // Before waiting for the walk: the files are being hashed meanwhile.
    let reconcile = trust_check(input, &stored, &links, edited, trusted.as_ref());
    let scan = joined(scanning).await;
    ui.debug(&format!(
        "walked and hashed {} files in {:.2?}",
        scan.files(),
        scan.elapsed
    ));
    let reconciling;
    let input = match reconcile {
        Some(r) => {
            ui.info(&format!("reconciling: {}", r.why));
            reconciling = PlanInput {
                reconcile: Some(r),
                ..input.clone()
            };
            &reconciling
        }
        None => input,
    };
    let planner = planning::Planner::new(input, scan, &stored);
    let t = Instant::now();
    let mut drafted = planner.draft(&links);
    let mut planning = t.elapsed();
    // Only when a file changed may a link resolve differently; an unchanged
    // reseed does without reading every episode's link names, and one of a
    // group that links nowhere reads only the episodes it touches.
    let (mut state, mut complete) = (Vec::new(), true);
    if let Some(wanted) = drafted.link_state_wanted() {
        state = load_link_state(store, policy, ui, &input.group_id, &wanted).await?;
        complete = wanted == planning::StateWanted::All;
        let t = Instant::now();
        drafted.relink(planning::LinkState {
            states: &state,
            complete,
        });
        planning += t.elapsed();
        // A file read again for its links links somewhere: resolving them
        // may name any episode, so every episode's state is read after all.
        if drafted.needs_every_state() {
            drop(std::mem::take(&mut state));
            state = load_link_state(
                store,
                policy,
                ui,
                &input.group_id,
                &planning::StateWanted::All,
            )
            .await?;
            complete = true;
        }
    }
    let t = Instant::now();
    let plan = drafted.finish(
        planning::LinkState {
            states: &state,
            complete,
        },
        revision,
    );
    planning += t.elapsed();
    ui.debug(&format!(
        "planned {} decisions from {} files ({} parsed) in {:.2?}",
        plan.decisions.len(),
        plan.stats.files_seen,
        plan.stats.files_parsed,
        planning
    ));
    Ok(plan)
}

/// The stored link state `wanted` names, read (and retried) as a plan's
/// other reads are.
async fn load_link_state<S: Store>(
    store: &S,
    policy: RetryPolicy,
    ui: &Ui,
    group_id: &str,
    wanted: &planning::StateWanted,
) -> Result<Vec<crate::links::StoredLinkState>, Error> {
    let t = Instant::now();
    let state = retry::read(policy, ui, || store.load_link_state(group_id, wanted)).await?;
    ui.debug(&format!(
        "loaded the link names of {} stored episodes{} in {:.2?}",
        state.len(),
        match wanted {
            planning::StateWanted::All => "",
            planning::StateWanted::Some(_) => " (those this plan may concern)",
        },
        t.elapsed()
    ));
    Ok(state)
}

/// Whether this reseed may find nothing to do without holding the stored
/// state: only when it lists no skip and nothing forces a file to be parsed.
fn may_be_unchanged(input: &PlanInput, opts: &SeedOptions) -> bool {
    !opts.list_skips
        && !opts.dry_run
        && !input.force
        && input.reconcile.is_none()
        && input.generated.is_none()
        && !input.links.reread
}

/// The group's last successful seed that recorded a graph_signature (runs
/// newest first): the state [`trust_check`] compares the group with.
fn last_successful_seed(runs: Vec<RunRecord>) -> Option<RunRecord> {
    runs.into_iter().find(|r| {
        r.kind == crate::stores::RunKind::Seed
            && r.status == RunStatus::Succeeded
            && r.graph_signature.is_some()
    })
}

/// The `(sources_signature, graph_signature)` of that seed, if it recorded
/// its sources (its plan was closed) at this reseed's version.
fn closed_fingerprint(r: &RunRecord, input: &PlanInput) -> Option<(String, String)> {
    if r.seed_version != input.version.to_string() {
        return None;
    }
    Some((r.sources_signature.clone()?, r.graph_signature.clone()?))
}

/// Whether the hash-first skip may be trusted: only while the group is as
/// graphseed left it, i.e. its graph_signature is the one the last
/// successful seed recorded. Otherwise (an episode deleted, a content_hash
/// or version edited by hand, a run that failed part-way) the plan
/// reconciles: every file is parsed and the stored bodies are checked for
/// hand edits. The signature does not cover bodies or timestamps, so even
/// when it matches, every stored body is re-hashed ([`read_stored`]) and
/// any edit found reconciles too.
fn trust_check(
    input: &PlanInput,
    stored: &crate::metadata::StoredEpisodes,
    links: &[crate::stores::StoredLink],
    edited: HashMap<String, planning::edits::HandEdit>,
    last: Option<&RunRecord>,
) -> Option<planning::Reconcile> {
    let why = match &input.reconcile {
        Some(r) => r.why.clone(),
        None if stored.is_empty() => return None,
        None => {
            // Links are part of the signature a run records, so an edge
            // deleted or added by hand is drift too.
            let current =
                planning::graph_signature_with_links(planning::stored_signature(stored), links);
            match last {
                Some(r) if r.graph_signature.as_deref() == Some(current.as_str()) => {
                    // The signature covers entity_ids, content hashes and
                    // versions, not bodies or the other tool-owned fields:
                    // check those on every reseed too (see `read_stored`).
                    let first = edited
                        .values()
                        .min_by(|a, b| a.entity_id.cmp(&b.entity_id))?;
                    let why = format!(
                        "{} stored episode(s) were edited outside graphseed (first: {}, {})",
                        edited.len(),
                        first.entity_id,
                        first.problems.join("; ")
                    );
                    return Some(planning::Reconcile { why, edited });
                }
                Some(r) => format!(
                    "the group's graph_signature is not the one run {} left; the graph changed outside graphseed or a run failed part-way",
                    r.run_id
                ),
                None => "no successful run of this group is recorded".to_string(),
            }
        }
    };
    Some(planning::Reconcile { why, edited })
}

/// A blocking task's result; its panic goes on in the caller.
pub(super) async fn joined<T>(task: tokio::task::JoinHandle<T>) -> T {
    task.await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

fn counts_of(plan: &Plan) -> BTreeMap<String, u64> {
    let mut m: BTreeMap<String, u64> = plan
        .counts()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    m.insert("error".into(), plan.error_count() as u64);
    // Only when there are any, so a run over sources without links keeps
    // the documented shape of `counts`.
    let l = &plan.links;
    for (key, n) in [
        ("links_dangling", l.dangling),
        ("links_ambiguous", l.ambiguous),
        ("links_relinked", l.relinked),
    ] {
        if n > 0 {
            m.insert(key.into(), n);
        }
    }
    m
}
