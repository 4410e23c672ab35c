//! A communities run, start to end: read the group's projection (episodes
//! and LINKS_TO, one batched read each, canonical order), hash it and the
//! parameters, skip when the last successful communities run saw the same
//! pair, else detect (warm-started from the stored partition unless
//! `rebuild`), compare with the stored partition and, unless it is a dry
//! run, write the changes through a run session (the group's lock, shared
//! with seeding).
//!
//! The changes of one run commit in ONE batch: a run killed part-way
//! leaves the stored partition as the last complete run left it, never half
//! old and half new. That matters more here than for episodes: the next run
//! warm-starts from the stored partition, so a half-written one would steer
//! the rerun to a different result than a clean run, and crash convergence
//! would be lost.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::applying::{ApplyStats, RetryPolicy, Session, SessionOptions, retry};
use crate::communities::graph::Projection;
use crate::communities::hierarchy::{DetectParams, Detection, detect};
use crate::communities::identity::DEFAULT_JACCARD_THRESHOLD;
use crate::communities::params;
use crate::communities::writing::{self, CommunityPlan, PlanInput, warm_partition};
use crate::error::Error;
use crate::stores::{Batch, RunKind, RunRecord, RunStatus, Store};
use crate::ui::Ui;

/// The link extractor's version, part of `params_hash`: new extraction
/// rules give a different graph from the same files.
pub const LINK_EXTRACTOR_VERSION: &str = "1";

#[derive(Debug, Clone)]
pub struct DetectOptions {
    pub params: DetectParams,
    /// A cold run: no warm start, no skip.
    pub rebuild: bool,
    pub dry_run: bool,
    /// Create the schema if it is missing (the embedded store).
    pub auto_init: bool,
    /// Where the audit trail goes: checked writable before the lock.
    pub audit_dir: Option<std::path::PathBuf>,
    /// `_metadata.version` of the communities (the config's seeding version).
    pub version: Option<String>,
    /// The lock, its lease and the retries, as for a seed.
    pub session: SessionOptions,
}

/// The size distribution of the detected communities.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sizes {
    pub communities: u64,
    pub levels: u64,
    pub min: u64,
    pub median: u64,
    pub max: u64,
    /// Communities per level, lowest level first.
    pub per_level: Vec<u64>,
}

impl Sizes {
    fn of(d: &Detection) -> Self {
        let mut sizes: Vec<u64> = d
            .communities
            .iter()
            .map(|c| c.members.len() as u64)
            .collect();
        sizes.sort_unstable();
        let levels = d.communities.iter().map(|c| c.level + 1).max().unwrap_or(0);
        let mut per_level = vec![0u64; levels as usize];
        for c in &d.communities {
            per_level[c.level as usize] += 1;
        }
        Sizes {
            communities: sizes.len() as u64,
            levels: u64::from(levels),
            min: sizes.first().copied().unwrap_or(0),
            median: sizes.get(sizes.len() / 2).copied().unwrap_or(0),
            max: sizes.last().copied().unwrap_or(0),
            per_level,
        }
    }
}

/// What a communities run did. Returned even when it failed.
#[derive(Debug)]
pub struct DetectOutcome {
    pub run: RunRecord,
    /// The run whose (params_hash, graph_signature) this run found again:
    /// nothing was detected or written.
    pub skipped_after: Option<String>,
    pub plan: CommunityPlan,
    pub modularity: Option<f64>,
    pub sizes: Sizes,
    pub nodes: u64,
    pub edges: u64,
    /// Seconds reading the projection, detecting, writing.
    pub timings: BTreeMap<&'static str, f64>,
    pub stats: ApplyStats,
    pub failure: Option<Error>,
}

/// The projection of a group and what it takes to compare it.
struct Read {
    revision: u64,
    projection: Projection,
    content_hashes: Vec<String>,
    signature: String,
}

async fn read_projection<S: Store>(
    store: &S,
    group: &str,
    policy: RetryPolicy,
    ui: &Ui,
) -> Result<Read, Error> {
    let revision = retry::read(policy, ui, || store.group_revision(group)).await?;
    let episodes = retry::read(policy, ui, || store.load_episodes(group)).await?;
    let links = retry::read(policy, ui, || store.load_links(group)).await?;
    let projection = Projection::new(
        episodes.iter().map(|e| e.entity_id().to_string()),
        links
            .iter()
            .map(|l| (&*l.source, &*l.target, u64::from(l.count))),
    );
    let mut content_hashes = vec![String::new(); projection.nodes.len()];
    for e in &episodes {
        if let Ok(i) = projection
            .nodes
            .binary_search_by(|n| n.as_str().cmp(e.entity_id()))
        {
            content_hashes[i] = e.content_hash().to_string();
        }
    }
    let signature = projection.graph_signature();
    Ok(Read {
        revision,
        projection,
        content_hashes,
        signature,
    })
}

/// Run detection for `run`'s group (`run.kind` becomes `communities`).
pub async fn communities<S: Store>(
    store: &S,
    opts: &DetectOptions,
    mut run: RunRecord,
    ui: &Ui,
) -> Result<DetectOutcome, Error> {
    if opts.auto_init {
        store.init().await?;
    }
    store.check_schema().await?;
    let group = run.group_id.clone();
    let params_json = params::params_json(&opts.params, LINK_EXTRACTOR_VERSION);
    run.kind = RunKind::Communities;
    run.params_hash = params::params_hash(&opts.params, LINK_EXTRACTOR_VERSION);
    run.params_json = crate::hashing::canonical_json(&params_json);
    let mut timings = BTreeMap::new();
    let t = Instant::now();
    let mut read = read_projection(store, &group, opts.session.retry, ui).await?;
    timings.insert("read", t.elapsed().as_secs_f64());
    run.graph_signature = Some(read.signature.clone());
    let mut outcome = DetectOutcome {
        run,
        skipped_after: None,
        plan: CommunityPlan::default(),
        modularity: None,
        sizes: Sizes::default(),
        nodes: read.projection.nodes.len() as u64,
        edges: read.projection.edges.len() as u64,
        timings,
        stats: ApplyStats::default(),
        failure: None,
    };

    // The skip rule: the same parameters on the same graph give the same
    // partition, so there is nothing to detect or write.
    if !opts.rebuild {
        let runs = retry::read(opts.session.retry, ui, || store.list_runs(Some(&group))).await?;
        let last = runs
            .iter()
            .find(|r| r.kind == RunKind::Communities && r.status == RunStatus::Succeeded);
        let same_graph = last.is_some_and(|last| {
            last.params_hash == outcome.run.params_hash
                && last.graph_signature.as_deref() == Some(read.signature.as_str())
        });
        // Same parameters and graph, but a member's body may have changed:
        // then the run goes on (a warm run on an unchanged graph returns the
        // stored partition) and only those communities are updated.
        let current = if same_graph {
            let stored =
                retry::read(opts.session.retry, ui, || store.load_communities(&group)).await?;
            let stale = writing::stale_communities(&read.projection, &read.content_hashes, &stored);
            if !stale.is_empty() {
                ui.info(&format!(
                    "same graph, but {} communit{} hold an edited episode: updating them",
                    stale.len(),
                    if stale.len() == 1 { "y" } else { "ies" }
                ));
            }
            stale.is_empty()
        } else {
            false
        };
        if let Some(last) = last.filter(|_| current) {
            outcome.skipped_after = Some(last.run_id.clone());
            outcome.run.status = RunStatus::Succeeded;
            outcome.run.finished_at = Some(crate::clock::now());
            outcome.run.counts = BTreeMap::from([("skipped".to_string(), 1)]);
            return Ok(outcome);
        }
    }

    if opts.dry_run {
        detect_and_plan(store, opts, &read, &mut outcome, ui).await?;
        outcome.run.status = RunStatus::Succeeded;
        outcome.run.finished_at = Some(crate::clock::now());
        return Ok(outcome);
    }

    if let Some(dir) = &opts.audit_dir {
        crate::provenance::audit::require_writable(dir)?;
    }
    let run = outcome.run.clone();
    let mut session = Session::open(store, ui, &opts.session, run).await?;
    let result = async {
        // A seed committed between the read and the lock: read again, so
        // the communities describe the graph as it is under the lock.
        if session.revision().await? != read.revision {
            ui.info("the group changed while reading it; reading again under the lock");
            read = read_projection(store, &group, opts.session.retry, ui).await?;
            outcome.nodes = read.projection.nodes.len() as u64;
            outcome.edges = read.projection.edges.len() as u64;
            session.run_mut().graph_signature = Some(read.signature.clone());
        }
        detect_and_plan(store, opts, &read, &mut outcome, ui).await?;
        // The batch writes the run record too: with its counts, a run
        // killed after its commit is still described by its record.
        session.run_mut().counts = outcome.run.counts.clone();
        let batch = Batch::of_communities(outcome.plan.changes.clone());
        session.expect_writes(batch.len() as u64);
        let t = Instant::now();
        session.commit(&batch).await?;
        outcome.timings.insert("write", t.elapsed().as_secs_f64());
        Ok::<(), Error>(())
    }
    .await;
    let run = session.run_mut();
    run.finished_at = Some(crate::clock::now());
    run.counts = counts(&outcome);
    let failure = match result {
        Ok(()) => {
            run.status = RunStatus::Succeeded;
            None
        }
        Err(e) => {
            run.status = RunStatus::Failed;
            Some(e)
        }
    };
    let finished = session.finish(failure).await?;
    outcome.run = finished.run;
    outcome.stats = finished.stats;
    outcome.failure = finished.failure;
    Ok(outcome)
}

async fn detect_and_plan<S: Store>(
    store: &S,
    opts: &DetectOptions,
    read: &Read,
    outcome: &mut DetectOutcome,
    ui: &Ui,
) -> Result<(), Error> {
    let group = outcome.run.group_id.clone();
    let stored = retry::read(opts.session.retry, ui, || store.load_communities(&group)).await?;
    let t = Instant::now();
    let warm = (!opts.rebuild).then(|| warm_partition(&read.projection, &stored));
    let detection = detect(
        &read.projection.graph(),
        &opts.params,
        warm.as_deref().filter(|w| !w.is_empty()),
    );
    outcome.timings.insert("detect", t.elapsed().as_secs_f64());
    ui.debug(&format!(
        "detected {} communities over {} episodes and {} edges in {:.2?} ({})",
        detection.communities.len(),
        read.projection.nodes.len(),
        read.projection.edges.len(),
        t.elapsed(),
        if warm.is_some() { "warm" } else { "cold" }
    ));
    outcome.modularity = Some(detection.modularity);
    outcome.sizes = Sizes::of(&detection);
    let version = opts.version.as_deref();
    let signature = read.signature.clone();
    outcome.plan = writing::plan(&PlanInput {
        group_id: &group,
        projection: &read.projection,
        content_hashes: &read.content_hashes,
        detection: &detection,
        stored: &stored,
        params_hash: &outcome.run.params_hash,
        graph_signature: &signature,
        version,
        now: crate::clock::now(),
        threshold: DEFAULT_JACCARD_THRESHOLD,
    });
    outcome.run.counts = counts(outcome);
    Ok(())
}

/// The run record's counts: decisions per action, then the partition's
/// shape (modularity as millionths, since counts are whole numbers; the
/// audit trail's manifest has it exactly).
fn counts(o: &DetectOutcome) -> BTreeMap<String, u64> {
    let mut m: BTreeMap<String, u64> = o
        .plan
        .counts()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let s = &o.sizes;
    for (k, v) in [
        ("communities", s.communities),
        ("levels", s.levels),
        ("size_min", s.min),
        ("size_median", s.median),
        ("size_max", s.max),
    ] {
        m.insert(k.to_string(), v);
    }
    if let Some(q) = o.modularity {
        m.insert(
            "modularity_ppm".to_string(),
            (q.max(0.0) * 1e6).round() as u64,
        );
    }
    m
}
