//! A seed run, start to end: make sure the schema is there, plan (walking
//! the sources while the stored state loads), and, unless it is a dry run or
//! the plan is blocked, apply it through a run session. If another run
//! committed to the group between planning and taking the lock, plan again
//! under the lock, so a concurrent change is never overwritten blindly.
//!
//! This is the one place where planning and applying meet: planning never
//! writes, applying never plans.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::applying::{self, ApplyStats, RetryPolicy, Session, SessionOptions, retry};
use crate::error::Error;
use crate::metadata::StoredEpisode;
use crate::planning::{self, Plan, PlanInput};
use crate::stores::{RunRecord, RunStatus, Store};
use crate::ui::Ui;

mod sink;

use self::sink::{Gate, Sink, Walked};

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
    let last = if revision != 0 && may_be_unchanged(input, opts) {
        last_closed_seed(store, input, policy, ui).await?
    } else {
        None
    };
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
        GroupRead::Held(stored, edited) => (stored, edited),
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
    let reconcile = trust_check(store, input, &stored, &links, edited, policy, ui).await?;
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
    // Only when a file changed may a link resolve differently; an unchanged
    // reseed does without reading every episode's link names.
    let state = if planner.needs_link_state() {
        let t = Instant::now();
        let state = retry::read(policy, ui, || store.load_link_state(&input.group_id)).await?;
        ui.debug(&format!(
            "loaded the link names of {} stored episodes in {:.2?}",
            state.len(),
            t.elapsed()
        ));
        Some(state)
    } else {
        None
    };
    let t = Instant::now();
    let plan = planner.plan(&links, state.as_deref(), revision);
    ui.debug(&format!(
        "planned {} decisions from {} files ({} parsed) in {:.2?}",
        plan.decisions.len(),
        plan.stats.files_seen,
        plan.stats.files_parsed,
        t.elapsed()
    ));
    Ok(plan)
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

/// The `(sources_signature, graph_signature)` of the group's last successful
/// seed (the run [`trust_check`] trusts), if it recorded its sources (its
/// plan was closed) at this reseed's version.
async fn last_closed_seed<S: Store>(
    store: &S,
    input: &PlanInput,
    policy: RetryPolicy,
    ui: &Ui,
) -> Result<Option<(String, String)>, Error> {
    let runs = retry::read(policy, ui, || store.list_runs(Some(&input.group_id))).await?;
    let version = input.version.to_string();
    Ok(runs
        .into_iter()
        .find(|r| {
            r.kind == crate::stores::RunKind::Seed
                && r.status == RunStatus::Succeeded
                && r.graph_signature.is_some()
        })
        .filter(|r| r.seed_version == version)
        .and_then(|r| Some((r.sources_signature?, r.graph_signature?))))
}

/// Whether the hash-first skip may be trusted: only while the group is as
/// graphseed left it, i.e. its graph_signature is the one the last
/// successful seed recorded. Otherwise (an episode deleted, a content_hash
/// or version edited by hand, a run that failed part-way) the plan
/// reconciles: every file is parsed and the stored bodies are checked for
/// hand edits. The signature does not cover bodies or timestamps, so even
/// when it matches, every stored body is re-hashed ([`read_stored`]) and
/// any edit found reconciles too.
async fn trust_check<S: Store>(
    store: &S,
    input: &PlanInput,
    stored: &[crate::metadata::StoredEpisode],
    links: &[crate::stores::StoredLink],
    edited: HashMap<String, planning::edits::HandEdit>,
    policy: RetryPolicy,
    ui: &Ui,
) -> Result<Option<planning::Reconcile>, Error> {
    let group = &input.group_id;
    let why = match &input.reconcile {
        Some(r) => r.why.clone(),
        None if stored.is_empty() => return Ok(None),
        None => {
            // Links are part of the signature a run records, so an edge
            // deleted or added by hand is drift too.
            let current =
                planning::graph_signature_with_links(planning::stored_signature(stored), links);
            let runs = retry::read(policy, ui, || store.list_runs(Some(group))).await?;
            let last = runs.iter().find(|r| {
                r.kind == crate::stores::RunKind::Seed
                    && r.status == RunStatus::Succeeded
                    && r.graph_signature.is_some()
            });
            match last {
                Some(r) if r.graph_signature.as_deref() == Some(current.as_str()) => {
                    // The signature covers entity_ids, content hashes and
                    // versions, not bodies or the other tool-owned fields:
                    // check those on every reseed too (see `read_stored`).
                    let Some(first) = edited.values().min_by(|a, b| a.entity_id.cmp(&b.entity_id))
                    else {
                        return Ok(None);
                    };
                    let why = format!(
                        "{} stored episode(s) were edited outside graphseed (first: {}, {})",
                        edited.len(),
                        first.entity_id,
                        first.problems.join("; ")
                    );
                    return Ok(Some(planning::Reconcile { why, edited }));
                }
                Some(r) => format!(
                    "the group's graph_signature is not the one run {} left; the graph changed outside graphseed or a run failed part-way",
                    r.run_id
                ),
                None => "no successful run of this group is recorded".to_string(),
            }
        }
    };
    Ok(Some(planning::Reconcile { why, edited }))
}

/// Stored episodes read per page by [`read_stored`]: enough to keep the
/// per-query overhead small, few enough that a page of large bodies stays
/// a few MB.
const SCAN_PAGE: u32 = 1000;

/// Every hand-edited episode of `group`: each body re-hashed against its
/// `content_hash` and every tool-owned property against its `_metadata`.
///
/// Why on every reseed: the group's graph_signature covers ids, content
/// hashes and versions, not bodies or timestamps, and Neo4j Community has no
/// hash function in Cypher, so the server cannot check a body for us. What
/// keeps it cheap is the seal (`hashing::episode_seal`): both stores write,
/// with each episode, a SHA-256 over the values this check compares, and
/// verify it on the values as read (no JSON parsing, no property map),
/// reading in full only the episodes it does not vouch for (none after a
/// clean run; all of them once after an upgrade from a build without seals,
/// and graphiti-profile nodes always). On SQLite at a million episodes,
/// parsing every row was 11 s of a 19 s no-op reseed; with seals the check
/// is 3 s.
///
/// Measured on a no-op reseed of 100k small files (about 500 B, release
/// build, one Neo4j 5.26 on the same 2-core machine, load 1-2), the check
/// was 3.7 s of a 4.5 s reseed when every body was parsed, which made the
/// reseed no faster than python-unwind-skip (4.1 s), which checks nothing;
/// see bench/results/profile.md for the numbers with the seal.
/// Bodies are held a page at a time: pages are read in entity_id order
/// (keyset, not OFFSET) and of the bodies only the mismatches kept.
///
/// Returns the group's stored state too (what `Episodes::load_episodes`
/// returns): each page carries its episodes as planning needs them, so the
/// group is read once. A large group on Neo4j is read in two key ranges
/// side by side. The pages are counted against the group's size; if they
/// missed any or held one twice (a writer between two pages, an entity_id
/// of another type, which keyset paging cannot pass), the group is loaded
/// whole, with that read's errors.
pub(crate) async fn read_stored<S: Store>(
    store: &S,
    group: &str,
    policy: RetryPolicy,
    ui: &Ui,
) -> Result<
    (
        Vec<StoredEpisode>,
        HashMap<String, planning::edits::HandEdit>,
    ),
    Error,
> {
    match read_group(store, group, policy, ui, "", None).await? {
        GroupRead::Held(stored, edited) => Ok((stored, edited)),
        GroupRead::Unchanged { .. } => unreachable!("no gate, nothing unchanged"),
    }
}

/// What [`read_group`] read.
enum GroupRead {
    /// The group's stored state, and its hand edits.
    Held(
        Vec<StoredEpisode>,
        HashMap<String, planning::edits::HandEdit>,
    ),
    /// The walk was the one the gate's seed recorded: nothing was held.
    /// `signature` is the episodes' graph_signature, `None` when the pages
    /// could not stand for the group (a writer between them, an order
    /// Rust does not share): then the group must be read again.
    Unchanged {
        episodes: u64,
        signature: Option<String>,
        edited: HashMap<String, planning::edits::HandEdit>,
    },
}

/// [`read_stored`], and with a gate (the last closed seed's
/// `sources_signature`, and the walk's end as it comes) a read that stops
/// holding episodes once the walk proves the sources unchanged (see
/// `sink`). `version`: the reseed's, which that fingerprint covers.
async fn read_group<S: Store>(
    store: &S,
    group: &str,
    policy: RetryPolicy,
    ui: &Ui,
    version: &str,
    gate: Option<(&str, tokio::sync::watch::Receiver<Walked>)>,
) -> Result<GroupRead, Error> {
    let t = Instant::now();
    let expected = retry::read(policy, ui, || store.count_episodes(group)).await?;
    let (gate, walk) = match gate {
        Some((sources, walk)) if expected > 0 => (
            Some(Gate {
                sources_signature: sources.to_string(),
                version: version.to_string(),
                episodes: expected,
            }),
            Some(walk),
        ),
        _ => (None, None),
    };
    // A large group on Neo4j is read as two ranges side by side: the server
    // answers each on a thread of its own while the client decodes and
    // checks the other's rows, instead of waiting for every page in turn.
    // The first range is the first `half` episodes, which must end at the
    // split's key (checked below), the second everything after that key.
    let half = expected / 2;
    let split = if store.reads_side_by_side() && expected >= SPLIT_FROM {
        retry::read(policy, ui, || store.entity_id_at(group, half - 1)).await?
    } else {
        None
    };
    // Both ranges append their pages to one list, sized once: two lists,
    // grown page by page and joined at the end, peaked at 382 MB instead of
    // 319 MB at 1M (spare capacity, and the second half held twice while
    // joined). The pages interleave, so it is sorted below.
    let into = RefCell::new(Sink::new(usize::try_from(expected).unwrap_or(0), gate));
    // Kept to wait for the walk's end if the pages end first.
    let walk_end = walk.clone();
    let (mut pass, second) = match &split {
        Some(key) => {
            let first = Range {
                index: 0,
                after: None,
                take: Some(half),
            };
            let second = Range {
                index: 1,
                after: Some(key.clone()),
                take: None,
            };
            let (first, second) = tokio::try_join!(
                read_range(store, group, first, &into, walk.clone(), policy, ui),
                read_range(store, group, second, &into, walk, policy, ui),
            )?;
            (first, Some(second))
        }
        None => (
            read_range(store, group, Range::WHOLE, &into, walk, policy, ui).await?,
            None,
        ),
    };
    // The ranges meet only if the first ended at the split's key: a writer
    // between the count and the pages can shift it (then the group is
    // loaded whole, below).
    let mut met = true;
    if let (Some(key), Some(second)) = (&split, second) {
        met = pass.last.as_deref() == Some(key.as_str());
        pass.join(second);
    }
    let RangePass {
        edited,
        read,
        unsealed,
        ..
    } = pass;
    let mut sink = into.into_inner();
    // The pages ended before the walk (a small group, a fast store): what
    // was read is held anyway, but whether the plan needs it is still the
    // walk's to say, so the outcome never depends on which ended first.
    if let Some(walk) = walk_end {
        wait_for_walk(&mut sink, walk).await;
    }
    if sink.unchanged() {
        ui.debug(&format!(
            "checked {read} stored episodes for hand edits, none held ({unsealed} read in full, {} edited) in {:.2?}",
            edited.len(),
            t.elapsed()
        ));
        // Every episode once, in order (the signature checked the order).
        let whole = read as u64 == expected && met;
        return Ok(GroupRead::Unchanged {
            episodes: expected,
            signature: sink.signature().filter(|_| whole),
            edited,
        });
    }
    let mut stored = sink.held;
    ui.debug(&format!(
        "checked {read} stored episodes for hand edits ({unsealed} read in full, {} edited) in {:.2?}{}",
        edited.len(),
        t.elapsed(),
        if split.is_some() { ", in two ranges" } else { "" }
    ));
    // Planning relies on Rust's order of entity_ids; Cypher orders strings
    // by UTF-16 code unit, which differs beyond the BMP, and two ranges'
    // pages arrive interleaved. In place: entity_ids are unique in a group
    // (checked next), so an unstable sort gives the one order.
    if !stored.is_sorted_by(|a, b| a.entity_id() < b.entity_id()) {
        stored.sort_unstable_by(|a, b| a.entity_id().cmp(b.entity_id()));
    }
    if let Some(gap) = pass_gap(expected, met, &stored) {
        ui.debug(&format!("{gap}; loading it whole"));
        stored = retry::read(policy, ui, || store.load_episodes(group)).await?;
        if !stored.is_sorted_by(|a, b| a.entity_id() <= b.entity_id()) {
            stored.sort_by(|a, b| a.entity_id().cmp(b.entity_id()));
        }
    }
    Ok(GroupRead::Held(stored, edited))
}

/// Until the walk has ended (or its task is gone), its end given to `sink`.
async fn wait_for_walk(sink: &mut Sink, mut walk: tokio::sync::watch::Receiver<Walked>) {
    loop {
        // Copied out: the channel's lock is never held across an await.
        let seen = *walk.borrow_and_update();
        sink.walked(seen);
        if !sink.walking() {
            return;
        }
        if walk.changed().await.is_err() {
            // The walk's task is gone (its panic reaches the caller).
            sink.walk_lost();
            return;
        }
    }
}

/// Why the pages of a hand-edit pass cannot stand for the group's stored
/// state (which is then loaded whole), or `None` when they hold every
/// episode once: as many as the group's count, no entity_id twice (`stored`
/// is sorted), and, read in two ranges, the first ended at the split's key
/// (`met`). Each catches a writer between the count and the pages: an
/// episode added or removed, or the split's key shifted so the ranges
/// overlap or leave a gap.
fn pass_gap(expected: u64, met: bool, stored: &[StoredEpisode]) -> Option<String> {
    let held = stored.len();
    if stored
        .windows(2)
        .any(|w| w[0].entity_id() == w[1].entity_id())
    {
        Some(format!(
            "the pages held some of the group's episodes twice ({held} read, {expected} counted)"
        ))
    } else if held as u64 != expected {
        Some(format!(
            "the pages held {held} of the group's {expected} episodes"
        ))
    } else if !met {
        Some("the group's two ranges did not meet at the split's key".to_string())
    } else {
        None
    }
}

/// Groups this large are read in two ranges when the store serves reads
/// side by side ([`crate::stores::Episodes::reads_side_by_side`]); below
/// it, one more query would cost more than the overlap saves.
const SPLIT_FROM: u64 = 20 * SCAN_PAGE as u64;

/// What one range of the hand-edit pass read (its episodes went to the
/// shared list).
#[derive(Default)]
struct RangePass {
    edited: HashMap<String, planning::edits::HandEdit>,
    /// The entity_id of the last episode read.
    last: Option<String>,
    read: usize,
    unsealed: usize,
}

impl RangePass {
    /// `next` read the range after this one's.
    fn join(&mut self, next: RangePass) {
        self.edited.extend(next.edited);
        self.read += next.read;
        self.unsealed += next.unsealed;
        self.last = next.last;
    }
}

/// One range of a group's pages: those after `after` (from the start when
/// `None`), at most `take` episodes (to the end when `None`).
struct Range {
    /// 0 for the first (or only) range, 1 for the second.
    index: usize,
    after: Option<String>,
    take: Option<u64>,
}

impl Range {
    const WHOLE: Range = Range {
        index: 0,
        after: None,
        take: None,
    };
}

/// The pages of one range of a group, their episodes given to `into`;
/// with `walk`, the walk's end is passed on between pages, and the read
/// waits for it while `into` says so.
async fn read_range<S: Store>(
    store: &S,
    group: &str,
    range: Range,
    into: &RefCell<Sink>,
    mut walk: Option<tokio::sync::watch::Receiver<Walked>>,
    policy: RetryPolicy,
    ui: &Ui,
) -> Result<RangePass, Error> {
    let Range {
        index,
        mut after,
        take,
    } = range;
    let mut pass = RangePass::default();
    // One page is checked (parsed and re-hashed, on a blocking thread)
    // while the next is read: the store's reply and the client's hashing
    // overlap instead of taking turns. At most two pages are held.
    let mut checking: Option<tokio::task::JoinHandle<HashMap<String, planning::edits::HandEdit>>> =
        None;
    loop {
        let left = take.map_or(u64::MAX, |t| t - pass.read as u64);
        let limit = u32::try_from(left.min(u64::from(SCAN_PAGE))).unwrap_or(SCAN_PAGE);
        if limit == 0 {
            break;
        }
        let page = retry::read(policy, ui, || {
            store.hand_edit_page(group, after.as_deref(), limit)
        })
        .await?;
        let full = page.read == limit as usize;
        pass.read += page.read;
        pass.unsealed += page.unsealed.len();
        // Borrowed only here, never across an await.
        into.borrow_mut().take(index, page.episodes);
        if let Some(walk) = &mut walk {
            // Copied out: the channel's lock is never held across an await.
            let seen = *walk.borrow_and_update();
            into.borrow_mut().walked(seen);
            while into.borrow().waits() {
                if walk.changed().await.is_err() {
                    // The walk's task is gone (its panic reaches the caller).
                    into.borrow_mut().walk_lost();
                    break;
                }
                let seen = *walk.borrow_and_update();
                into.borrow_mut().walked(seen);
            }
        }
        let raw = page.unsealed;
        let previous = checking.replace(tokio::task::spawn_blocking(move || {
            planning::edits::by_entity(planning::edits::hand_edits(&raw))
        }));
        if let Some(previous) = previous {
            pass.edited.extend(joined(previous).await);
        }
        pass.last.clone_from(&page.last);
        match page.last {
            Some(last) if full => after = Some(last),
            // The last page, or an entity_id planted of another type, which
            // cannot be paged past by value (`validate` reports it): stop
            // rather than loop.
            _ => break,
        }
    }
    if let Some(last) = checking {
        pass.edited.extend(joined(last).await);
    }
    Ok(pass)
}

/// A blocking task's result; its panic goes on in the caller.
async fn joined<T>(task: tokio::task::JoinHandle<T>) -> T {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::StoredFields;

    fn episodes(ids: &[&str]) -> Vec<StoredEpisode> {
        let t = chrono::Utc::now();
        ids.iter()
            .map(|id| {
                StoredEpisode::new(StoredFields {
                    entity_id: id,
                    source: "s",
                    version: "1.0.0",
                    created_at: t,
                    updated_at: t,
                    source_hash: None,
                    content_hash: "c",
                    source_path: None,
                })
            })
            .collect()
    }

    /// A page pass stands for the group only with every episode once.
    #[test]
    fn a_page_pass_stands_for_the_group_only_with_every_episode_once() {
        // (counted, ranges met, entity_ids read (sorted), what is wrong)
        let table: [(u64, bool, &[&str], Option<&str>); 7] = [
            (3, true, &["a", "b", "c"], None),
            (0, true, &[], None),
            (4, true, &["a", "b", "c"], Some("held 3 of the group's 4")),
            (2, true, &["a", "b", "c"], Some("held 3 of the group's 2")),
            // An overlap that the count does not show: one added before the
            // split's key while the ranges were read, one removed after it.
            (3, true, &["a", "b", "b"], Some("twice")),
            (3, false, &["a", "b", "c"], Some("did not meet")),
            (3, false, &["a", "a", "c"], Some("twice")),
        ];
        for (expected, met, ids, wrong) in table {
            let gap = pass_gap(expected, met, &episodes(ids));
            match (wrong, &gap) {
                (None, None) => {}
                (Some(w), Some(g)) => assert!(g.contains(w), "{ids:?}: {g}"),
                _ => panic!("{expected} {met} {ids:?}: {gap:?}"),
            }
        }
    }
}
