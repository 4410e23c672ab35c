//! Applying a plan: take the group's lease, check the plan still matches the
//! graph, commit the writes in batches (each batch, its provenance links and
//! the run record in one transaction), prune only after every write
//! succeeded, record the run, release the lease.
//!
//! A run whose plan changes nothing takes no lock and writes nothing.

pub mod retry;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::metadata::EpisodeRecord;
use crate::planning::{self, Action, Origin, Plan, PlanEntry, PlanInput};
use crate::sources::Candidate;
use crate::stores::{
    Batch, EpisodeWrite, LinkSet, LockInfo, LockOutcome, RunRecord, RunStatus, Store, StoreError,
};
use crate::ui::Ui;
pub use retry::RetryPolicy;

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
    let mut stats = ApplyStats::default();

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
            stats,
            failure: None,
        });
    }

    // From here on the run writes: one writer per (database, group).
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
    stats.locked = true;
    stats.write_transactions += 1;
    ui.debug(&format!(
        "lock of group `{}` taken by run {}",
        run.group_id, run.run_id
    ));

    let result = apply_locked(
        store, input, opts, &mut plan, &mut run, now, &claim, &mut stats, ui,
    )
    .await;
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
    // Record the outcome and free the lock, in one transaction. Best effort
    // on a failed run: the lease expires anyway, and the next run marks a run
    // left `running` as abandoned.
    match retry::retry(opts.retry, || store.finish_run(&run), |_, _| {}).await {
        Ok(()) => stats.write_transactions += 1,
        Err(e) => {
            if failure.is_some() {
                ui.warn(&format!("could not record the failed run: {e}"));
            } else {
                return Err(e.into());
            }
            // Still try to free the lock on its own; releasing is idempotent,
            // and gets a short budget, since the lease expires anyway.
            let release_policy = RetryPolicy {
                budget: opts.retry.budget.min(Duration::from_secs(10)),
                ..opts.retry
            };
            if let Err(e) = retry::retry(
                release_policy,
                || store.release_lock(&run.group_id, &run.run_id),
                |_, _| {},
            )
            .await
            {
                ui.warn(&format!(
                    "could not release the lock (it expires by itself): {e}"
                ));
            } else {
                stats.write_transactions += 1;
            }
        }
    }
    Ok(SeedOutcome {
        plan,
        run,
        stats,
        failure,
    })
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
    // Reads are retried like writes: a lost connection or a restarting
    // server must not end a run that the batch retries would have carried.
    let revision = read(policy, ui, || store.group_revision(&input.group_id)).await?;
    let stored = read(policy, ui, || store.load_episodes(&input.group_id)).await?;
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
    let links = read(policy, ui, || store.load_links(&input.group_id)).await?;
    let plan = planning::plan_scanned(input, scan, &stored, &links, revision);
    ui.debug(&format!(
        "planned {} decisions from {} files ({} parsed) in {:.2?}",
        plan.decisions.len(),
        plan.stats.files_seen,
        plan.stats.files_parsed,
        t.elapsed()
    ));
    Ok(plan)
}

/// A store read, retried on transient errors within the policy's budget.
async fn read<T, F, Fut>(policy: RetryPolicy, ui: &Ui, op: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::stores::StoreError>>,
{
    retry::retry(policy, op, |e, delay| {
        ui.warn(&format!("{e}; retrying in {delay:.1?}"))
    })
    .await
    .map_err(Error::from)
}

fn counts_of(plan: &Plan) -> std::collections::BTreeMap<String, u64> {
    let mut m: std::collections::BTreeMap<String, u64> = plan
        .counts()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    m.insert("error".into(), plan.errors.len() as u64);
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

fn lock_claim(run: &RunRecord, opts: &SeedOptions) -> LockInfo {
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

#[allow(clippy::too_many_arguments)]
async fn apply_locked<S: Store>(
    store: &S,
    input: &PlanInput,
    opts: &SeedOptions,
    plan: &mut Plan,
    run: &mut RunRecord,
    now: DateTime<Utc>,
    claim: &LockInfo,
    stats: &mut ApplyStats,
    ui: &Ui,
) -> Result<(), Error> {
    // The plan was made before the lock; if any batch committed since, the
    // graph moved under it, so plan again on what is there now.
    let revision = read(opts.retry, ui, || store.group_revision(&input.group_id)).await?;
    if revision != plan.revision {
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

    // Holding the lock proves no other run of this group is alive: any run
    // still marked `running` crashed.
    for mut other in read(opts.retry, ui, || store.list_runs(Some(&input.group_id))).await? {
        if other.status == RunStatus::Running && other.run_id != run.run_id {
            other.status = RunStatus::Abandoned;
            retry::retry(opts.retry, || store.save_run(&other), |_, _| {}).await?;
            stats.write_transactions += 1;
            ui.warn(&format!(
                "run {} was left running by a crash; marked abandoned",
                other.run_id
            ));
            stats.runs_abandoned.push(other.run_id);
        }
    }

    // The run is `running` from its first batch on: every batch upserts the
    // run record in its own transaction, so a run that dies after writing
    // anything leaves a `running` record, which the next run marks
    // abandoned. A run that dies before its first commit wrote nothing and
    // leaves no record (no transaction of its own is spent on one).
    run.status = RunStatus::Running;
    let mut lease = Lease {
        claim: claim.clone(),
        renewed: Instant::now(),
        ttl: opts.lock_ttl,
    };
    let writes: Vec<&PlanEntry> = plan
        .decisions
        .iter()
        .filter(|d| d.action.writes() && d.action != Action::Prune)
        .collect();
    let prunes: Vec<&PlanEntry> = plan
        .decisions
        .iter()
        .filter(|d| d.action == Action::Prune)
        .collect();
    let planned = (writes.len() + prunes.len()) as u64;
    let pb = ui.progress(planned, "applying");
    let mut bodies = BodyCache::default();
    let fail = |stats: &ApplyStats, message: String| Error::Apply {
        run_id: run.run_id.clone(),
        written: stats.episodes_written + stats.episodes_pruned,
        planned,
        message,
    };

    // A fenced batch means another run took the lease over: say that, not
    // "apply failed".
    let batch_error = |e: StoreError, stats: &ApplyStats| match e {
        StoreError::Fenced { holder, .. } => Error::LockLost(*holder),
        e => fail(stats, e.to_string()),
    };
    let batch_size = opts.batch_size.max(1);
    let chunks = file_batches(&writes, batch_size);
    // Prune last: only once every write has committed, so a failure part-way
    // never leaves the graph with less than it started with. The first
    // prunes ride in the transaction of the last write batch: they commit
    // with the final writes, never before them, and a failure undoes both
    // (one transaction fewer for a typical incremental reseed).
    let mut prune_chunks: Vec<&[&PlanEntry]> = prunes.chunks(batch_size).collect();
    let tail_prunes: &[&PlanEntry] = if chunks.is_empty() || prune_chunks.is_empty() {
        &[]
    } else {
        prune_chunks.remove(0)
    };
    // Unchanged episodes whose links changed: their sets ride in the batch
    // that writes their last target, or in a batch of their own.
    let relinks: Vec<&PlanEntry> = plan.decisions.iter().filter(|d| d.relinks()).collect();
    let mut link_sets = links_by_batch(&chunks, &relinks);
    let relink_only = if chunks.is_empty() {
        std::mem::take(&mut link_sets[0])
    } else {
        Vec::new()
    };
    let deletes_with = |k: usize| -> &[&PlanEntry] {
        if k + 1 == chunks.len() {
            tail_prunes
        } else {
            &[]
        }
    };
    let plan_ref: &Plan = plan;
    let run_id = run.run_id.clone();
    let mut ready = match chunks.first() {
        Some(chunk) => Some(
            build_batch(
                &mut bodies,
                plan_ref,
                chunk,
                (deletes_with(0), &link_sets[0]),
                input,
                &run_id,
                now,
            )
            .await
            .map_err(|m| fail(stats, m))?,
        ),
        None => None,
    };
    let mut next_chunk = 1;
    let t = Instant::now();
    while let Some(batch) = ready.take() {
        // Pipelined: batch k+1 is read, parsed and stamped while batch k is
        // on the wire and the server works on it, so client and server
        // time overlap instead of adding up. Both run on this thread; the
        // builder yields often enough that the commit is resumed as soon as
        // the server answers. At most two batches are in memory.
        let upcoming = chunks.get(next_chunk).copied();
        let (committed, next) = tokio::join!(commit(store, opts, run, &batch, stats, ui), async {
            match upcoming {
                Some(chunk) => {
                    let extra = (deletes_with(next_chunk), &link_sets[next_chunk][..]);
                    Some(
                        build_batch(&mut bodies, plan_ref, chunk, extra, input, &run_id, now).await,
                    )
                }
                None => None,
            }
        });
        committed.map_err(|e| batch_error(e, stats))?;
        stats.episodes_written += batch.episodes.writes.len() as u64;
        stats.episodes_pruned += batch.episodes.deletes.len() as u64;
        pb.inc((batch.episodes.writes.len() + batch.episodes.deletes.len()) as u64);
        drop(batch);
        lease.keep(store, opts.retry, stats).await?;
        ready = next.transpose().map_err(|m| fail(stats, m))?;
        next_chunk += 1;
    }
    ui.debug(&format!(
        "wrote {} episodes in {} batches in {:.2?}",
        stats.episodes_written,
        chunks.len(),
        t.elapsed()
    ));

    if !relink_only.is_empty() {
        let mut batch = Batch::default();
        batch.links.sets = link_sets_of(&relink_only);
        commit(store, opts, run, &batch, stats, ui)
            .await
            .map_err(|e| batch_error(e, stats))?;
        lease.keep(store, opts.retry, stats).await?;
    }

    // The remaining prunes (all of them when nothing is written).
    for chunk in prune_chunks {
        let mut batch =
            Batch::of_episodes(vec![], chunk.iter().map(|d| d.entity_id.clone()).collect());
        batch.links.removed = batch.episodes.deletes.clone();
        commit(store, opts, run, &batch, stats, ui)
            .await
            .map_err(|e| batch_error(e, stats))?;
        stats.episodes_pruned += batch.episodes.deletes.len() as u64;
        pb.inc(batch.episodes.deletes.len() as u64);
        lease.keep(store, opts.retry, stats).await?;
    }
    pb.finish_and_clear();
    Ok(())
}

async fn commit<S: Store>(
    store: &S,
    opts: &SeedOptions,
    run: &RunRecord,
    batch: &Batch,
    stats: &mut ApplyStats,
    ui: &Ui,
) -> Result<(), crate::stores::StoreError> {
    let mut retries = 0;
    let r = retry::retry(
        opts.retry,
        || store.apply_batch(run, batch),
        |e, delay| {
            retries += 1;
            ui.warn(&format!("{e}; retrying the batch in {delay:.1?}"));
        },
    )
    .await;
    stats.retries += retries;
    r?;
    stats.batches += 1;
    stats.write_transactions += 1;
    Ok(())
}

/// Read, parse and stamp the episodes of one batch. Yields to the runtime
/// every few episodes so that a commit running alongside (see the apply
/// loop) is not held up by this CPU work.
async fn build_batch(
    bodies: &mut BodyCache,
    plan: &Plan,
    chunk: &[&PlanEntry],
    (deletes, links): (&[&PlanEntry], &[&PlanEntry]),
    input: &PlanInput,
    run_id: &str,
    now: DateTime<Utc>,
) -> Result<Batch, String> {
    const YIELD_EVERY: usize = 8;
    let mut batch = Batch::of_episodes(
        Vec::with_capacity(chunk.len()),
        deletes.iter().map(|d| d.entity_id.clone()).collect(),
    );
    // A pruned episode takes its links, both ways, with it.
    batch.links.removed = batch.episodes.deletes.clone();
    batch.links.sets = link_sets_of(links);
    for (i, d) in chunk.iter().enumerate() {
        if i % YIELD_EVERY == YIELD_EVERY - 1 {
            tokio::task::yield_now().await;
        }
        let (name, fields) = bodies.body(plan, d, input.max_file_bytes)?;
        batch.episodes.writes.push(EpisodeWrite {
            action: d.action,
            record: record_for(&input.group_id, run_id, plan, d, name, &fields, now),
        });
    }
    Ok(batch)
}

fn link_sets_of(entries: &[&PlanEntry]) -> Vec<LinkSet> {
    entries
        .iter()
        .filter_map(|d| {
            d.links.as_ref().map(|edges| LinkSet {
                source: d.entity_id.clone(),
                edges: edges.to_vec(),
            })
        })
        .collect()
}

/// Which batch writes each entry's links: its own, or the later batch that
/// writes one of its targets. The links of an episode are written with it
/// when they can be; a link to an episode created later in the same run
/// lands in that episode's batch, when both ends exist, instead of being
/// dropped (an edge needs both nodes).
fn links_by_batch<'d>(
    chunks: &[&[&'d PlanEntry]],
    relinks: &[&'d PlanEntry],
) -> Vec<Vec<&'d PlanEntry>> {
    let batch_of: std::collections::HashMap<&str, usize> = chunks
        .iter()
        .enumerate()
        .flat_map(|(k, c)| c.iter().map(move |d| (d.entity_id.as_str(), k)))
        .collect();
    let mut out = vec![Vec::new(); chunks.len().max(1)];
    let own = chunks
        .iter()
        .enumerate()
        .flat_map(|(k, c)| c.iter().map(move |d| (k, *d)));
    for (k, d) in own.chain(relinks.iter().map(|d| (0, *d))) {
        let Some(edges) = &d.links else { continue };
        let last = edges
            .iter()
            .filter_map(|e| batch_of.get(e.target.as_str()).copied())
            .fold(k, usize::max);
        out[last].push(d);
    }
    out
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

/// Cut the writes into batches of `size` episodes, but never between two
/// episodes of one file (a batch may run over to the end of its last file).
///
/// Why: planning skips a file unparsed when its bytes hash to the
/// `source_hash` stored on its episodes. If a crash fell between two batches
/// that split a file, the episodes already written would carry the new hash
/// while an item new in the file was never created, and every later run
/// would skip the file. A file's episodes therefore commit together.
fn file_batches<'a, 'd>(writes: &'a [&'d PlanEntry], size: usize) -> Vec<&'a [&'d PlanEntry]> {
    let same_file = |a: &PlanEntry, b: &PlanEntry| match (a.origin, b.origin) {
        (Origin::File(x), Origin::File(y)) => x == y,
        _ => false,
    };
    let mut batches = Vec::new();
    let mut start = 0;
    for end in 1..=writes.len() {
        let last = end == writes.len();
        if last || (end - start >= size && !same_file(writes[end - 1], writes[end])) {
            batches.push(&writes[start..end]);
            start = end;
        }
    }
    batches
}

/// Bodies (and names) are not kept in the plan; files are read again when
/// applied. The writes of one file are adjacent in the plan, so each file is
/// read once.
#[derive(Default)]
struct BodyCache {
    file: Option<usize>,
    /// entity_id → the item as read again.
    items: HashMap<String, Candidate>,
}

impl BodyCache {
    /// The name and fields of a decision's episode.
    fn body(
        &mut self,
        plan: &Plan,
        d: &PlanEntry,
        max: u64,
    ) -> Result<(String, Map<String, Value>), String> {
        match d.origin {
            Origin::Generated(i) => {
                let c = &plan.generated[i];
                Ok((c.name.clone(), c.fields.clone()))
            }
            Origin::File(fi) => {
                if self.file != Some(fi) {
                    let pf = &plan.files[fi];
                    let cands =
                        planning::reread(pf, max).map_err(|m| format!("{}: {m}", pf.display()))?;
                    self.items = cands
                        .into_iter()
                        .map(|c| (c.entity_id.clone(), c))
                        .collect();
                    self.file = Some(fi);
                }
                let changed = |what: &str| {
                    format!(
                        "{}: `{}` {what} while graphseed was running; run again",
                        plan.files[fi].display(),
                        d.entity_id
                    )
                };
                let c = self
                    .items
                    .remove(&d.entity_id)
                    .ok_or_else(|| changed("left the file"))?;
                // The body written must be the one whose hash was planned (and
                // is written with it). An edit that leaves this episode's
                // content alone is harmless: its stored source_hash is the
                // planned one, so the next run looks at the file again.
                let planned = d.after.as_ref().map(|a| &*a.content_hash);
                if planned != Some(c.content_hash.as_str()) {
                    return Err(changed("changed"));
                }
                Ok((c.name, c.fields))
            }
            Origin::Stored => Err(format!("`{}` has no body to write", d.entity_id)),
        }
    }
}

fn record_for(
    group_id: &str,
    run_id: &str,
    plan: &Plan,
    d: &PlanEntry,
    name: String,
    fields: &Map<String, Value>,
    now: DateTime<Utc>,
) -> EpisodeRecord {
    let after = d.after.as_ref().expect("writes have an after state");
    let mut r = EpisodeRecord {
        group_id: group_id.to_string(),
        entity_id: d.entity_id.clone(),
        name,
        source: d.source.to_string(),
        version: plan.version.clone(),
        // created_at is set once and kept across updates, replaces, --force.
        created_at: d.created_at.unwrap_or(now),
        // updated_at moves only when the content does (refresh keeps it).
        updated_at: if d.action == Action::Refresh {
            d.keep_updated_at.unwrap_or(now)
        } else {
            now
        },
        source_hash: after.source_hash.as_deref().map(str::to_string),
        content_hash: after.content_hash.to_string(),
        source_path: d.source_path.clone(),
        run_id: run_id.to_string(),
        body: String::new(),
    };
    r.stamp_body(fields);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::RootSpec;
    use crate::version::SeedVersion;

    /// A plan for `files` (name, content) under a fresh root.
    fn plan_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Plan, u64) {
        let d = tempfile::tempdir().unwrap();
        for (name, body) in files {
            std::fs::write(d.path().join(name), body).unwrap();
        }
        let input = PlanInput {
            group_id: "g".into(),
            version: SeedVersion::parse("1.0.0").unwrap(),
            roots: vec![RootSpec {
                path: d.path().to_path_buf(),
                display: "src".into(),
                source: "src".into(),
                include: vec![],
                exclude: vec![],
                follow_symlinks: false,
            }],
            generated: None,
            force: false,
            allow_downgrade: false,
            prune: false,
            max_file_bytes: 1 << 20,
            links: Default::default(),
        };
        let plan = planning::plan(&input, &[], &[], 0);
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        (d, plan, input.max_file_bytes)
    }

    #[test]
    fn batches_never_split_a_file() {
        let (_d, plan, _) = plan_of(&[
            ("a.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"),
            ("b.json", "{\"k\":1}"),
            ("c.jsonl", "{\"id\":4}\n{\"id\":5}\n"),
            ("d.json", "{\"k\":2}"),
        ]);
        let writes: Vec<&PlanEntry> = plan.decisions.iter().collect();
        let sizes = |size| -> Vec<usize> {
            file_batches(&writes, size)
                .iter()
                .map(|b| b.len())
                .collect()
        };
        // A batch runs over to the end of its last file, never splits one.
        assert_eq!(sizes(1), [3, 1, 2, 1]);
        assert_eq!(sizes(2), [3, 3, 1]);
        assert_eq!(sizes(4), [4, 3]);
        assert_eq!(sizes(1000), [7]);
        assert!(file_batches(&[], 10).is_empty());
    }

    #[test]
    fn a_body_read_again_must_have_the_planned_content_hash() {
        let (d, plan, max) = plan_of(&[("a.json", r#"{"name": "x", "k": 1}"#)]);
        let decision = &plan.decisions[0];
        let read = |body: &str| {
            std::fs::write(d.path().join("a.json"), body).unwrap();
            BodyCache::default().body(&plan, decision, max)
        };
        let (name, fields) = read(r#"{"name": "x", "k": 1}"#).unwrap();
        assert_eq!(name, "x");
        assert_eq!(fields["k"], 1);
        // Same content, other bytes: written as planned (the next run
        // refreshes the source_hash).
        assert!(read("{ \"k\": 1,\n  \"name\": \"x\" }\n").is_ok());
        let err = read(r#"{"name": "x", "k": 2}"#).unwrap_err();
        assert_eq!(
            err,
            "src/a.json: `a` changed while graphseed was running; run again"
        );
        let err = read(r#"{"entity_id": "b", "name": "x", "k": 1}"#).unwrap_err();
        assert_eq!(
            err,
            "src/a.json: `a` left the file while graphseed was running; run again"
        );
    }
}
