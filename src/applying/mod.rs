//! Applying a plan of episode changes through a run [`Session`]: the
//! writes in batches that never split a file (each batch, its provenance
//! links and the run record in one transaction), built while the previous
//! batch commits, prunes only after every write succeeded.
//!
//! The session owns the lock, the lease, the envelope and the run record;
//! this module only turns plan entries into batches. Planning is the
//! caller's (see [`crate::seeding`]).

mod body;
pub mod retry;
pub mod session;

use std::borrow::Cow;
use std::time::Instant;

use chrono::{DateTime, Utc};

use self::body::{BodyCache, record_for};
use crate::error::Error;
use crate::planning::{Action, Origin, Plan, PlanEntry, PlanInput};
use crate::stores::{Batch, EpisodeWrite, LinkSet, Store, StoreError};
use crate::ui::Ui;

pub use self::body::BodyError;
pub use self::retry::RetryPolicy;
pub use self::session::{ApplyStats, Finished, Session, SessionOptions};

/// Why applying stopped part-way (committed batches stay committed).
#[derive(Debug, thiserror::Error)]
pub enum ApplyFailure {
    /// A batch failed in the store, after its retries.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An episode's body could not be written as planned.
    #[error(transparent)]
    Body(#[from] BodyError),
}

impl ApplyFailure {
    /// Whether running again can get past it: a lost connection or a file
    /// edited mid-run, yes; data the store refuses (a value it cannot
    /// index), or a bug, no (advising a rerun would send the user round in
    /// circles).
    pub fn rerun_helps(&self) -> bool {
        match self {
            ApplyFailure::Store(e) => e.rerun_helps(),
            ApplyFailure::Body(BodyError::NoBody { .. }) => false,
            ApplyFailure::Body(_) => true,
        }
    }
}

/// Write the plan's changes through `session`: every create, update,
/// replace and refresh in batches of about `batch_size`, then the prunes.
pub async fn apply_plan<S: Store>(
    session: &mut Session<'_, S>,
    plan: &Plan,
    input: &PlanInput,
    now: DateTime<Utc>,
    batch_size: usize,
    ui: &Ui,
) -> Result<(), Error> {
    // The writes are walked twice, never collected: once to cut them into
    // batches (below), once to write them. A version bump's are made one at
    // a time from the stored state (see `planning::Decisions::writes`).
    let prunes: Vec<&PlanEntry> = plan
        .decisions
        .entries()
        .iter()
        .filter(|d| d.action == Action::Prune)
        .collect();
    // Unchanged episodes whose links changed: their sets ride in the batch
    // that writes their last target, or in a batch of their own.
    let relinks: Vec<&PlanEntry> = plan
        .decisions
        .entries()
        .iter()
        .filter(|d| d.relinks())
        .collect();
    let batch_size = batch_size.max(1);
    let Batching {
        sizes,
        links: mut link_sets,
    } = batching(plan, batch_size, &relinks);
    let planned = sizes.iter().sum::<usize>() as u64 + prunes.len() as u64;
    session.expect_writes(planned);
    let pb = ui.progress(planned, "applying");
    let mut bodies = BodyCache::default();
    // Prune last: only once every write has committed, so a failure part-way
    // never leaves the graph with less than it started with. The first
    // prunes ride in the transaction of the last write batch: they commit
    // with the final writes, never before them, and a failure undoes both
    // (one transaction fewer for a typical incremental reseed).
    let mut prune_chunks: Vec<&[&PlanEntry]> = prunes.chunks(batch_size).collect();
    let tail_prunes: &[&PlanEntry] = if sizes.is_empty() || prune_chunks.is_empty() {
        &[]
    } else {
        prune_chunks.remove(0)
    };
    let relink_only = if sizes.is_empty() {
        std::mem::take(&mut link_sets[0])
    } else {
        Vec::new()
    };
    let deletes_with = |k: usize| -> &[&PlanEntry] {
        if k + 1 == sizes.len() {
            tail_prunes
        } else {
            &[]
        }
    };
    let mut writes = plan.decisions.writes();
    let run_id = session.run().run_id.clone();
    let mut ready = match sizes.first() {
        Some(&n) => Some(
            build_batch(
                &mut bodies,
                plan,
                (&mut writes, n),
                (deletes_with(0), &link_sets[0]),
                input,
                &run_id,
                now,
            )
            .await
            .map_err(|e| session.failed(e.into()))?,
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
        let upcoming = sizes.get(next_chunk).copied();
        let (committed, next) = tokio::join!(session.commit(&batch), async {
            match upcoming {
                Some(n) => {
                    let extra = (deletes_with(next_chunk), &link_sets[next_chunk][..]);
                    let chunk = (&mut writes, n);
                    Some(build_batch(&mut bodies, plan, chunk, extra, input, &run_id, now).await)
                }
                None => None,
            }
        });
        committed?;
        pb.inc(batch.len() as u64);
        drop(batch);
        ready = next.transpose().map_err(|e| session.failed(e.into()))?;
        next_chunk += 1;
    }
    ui.debug(&format!(
        "wrote {} episodes in {} batches in {:.2?}",
        session.stats().episodes_written,
        sizes.len(),
        t.elapsed()
    ));

    if !relink_only.is_empty() {
        let mut batch = Batch::default();
        batch.links.sets = link_sets_of(&relink_only);
        session.commit(&batch).await?;
    }

    // The remaining prunes (all of them when nothing is written).
    for chunk in prune_chunks {
        let mut batch = Batch::of_episodes(
            vec![],
            chunk.iter().map(|d| d.entity_id.to_string()).collect(),
        );
        batch.links.removed = batch.episodes.deletes.clone();
        session.commit(&batch).await?;
        pb.inc(batch.len() as u64);
    }
    pb.finish_and_clear();
    Ok(())
}

/// Read, parse and stamp the next `n` writes, one batch. Yields to the
/// runtime every few episodes so that a commit running alongside (see the
/// apply loop) is not held up by this CPU work.
async fn build_batch<'p>(
    bodies: &mut BodyCache,
    plan: &'p Plan,
    (writes, n): (&mut impl Iterator<Item = Cow<'p, PlanEntry>>, usize),
    (deletes, links): (&[&PlanEntry], &[Linked<'_>]),
    input: &PlanInput,
    run_id: &str,
    now: DateTime<Utc>,
) -> Result<Batch, BodyError> {
    const YIELD_EVERY: usize = 8;
    let mut batch = Batch::of_episodes(
        Vec::with_capacity(n),
        deletes.iter().map(|d| d.entity_id.to_string()).collect(),
    );
    // A pruned episode takes its links, both ways, with it.
    batch.links.removed = batch.episodes.deletes.clone();
    batch.links.sets = link_sets_of(links);
    for (i, d) in writes.take(n).enumerate() {
        if i % YIELD_EVERY == YIELD_EVERY - 1 {
            tokio::task::yield_now().await;
        }
        let (name, fields) = bodies.body(plan, &d, (&input.roots, input.max_file_bytes))?;
        batch.episodes.writes.push(EpisodeWrite {
            action: d.action,
            record: record_for(&input.group_id, run_id, plan, &d, name, &fields, now),
        });
    }
    Ok(batch)
}

fn link_sets_of(linked: &[Linked<'_>]) -> Vec<LinkSet> {
    linked
        .iter()
        .map(|(source, l)| LinkSet {
            source: source.to_string(),
            edges: l.edges.clone(),
            facts: l.facts().clone(),
        })
        .collect()
}

/// An episode's entity_id and the links written with it, borrowed from the
/// plan.
type Linked<'p> = (&'p str, &'p crate::planning::EntryLinks);

/// How the writes are cut into batches, and which batch writes each
/// entry's links.
struct Batching<'p> {
    /// How many writes each batch takes, in plan order.
    sizes: Vec<usize>,
    /// Per batch (at least one), the episodes whose link sets it writes.
    links: Vec<Vec<Linked<'p>>>,
}

/// Cut the writes into batches of `size` episodes, but never between two
/// episodes of one file (a batch may run over to the end of its last file),
/// and give each entry's links (and `relinks`') to a batch.
///
/// Why never split a file: planning skips a file unparsed when its bytes
/// hash to the `source_hash` stored on its episodes. If a crash fell between
/// two batches that split a file, the episodes already written would carry
/// the new hash while an item new in the file was never created, and every
/// later run would skip the file. A file's episodes therefore commit
/// together.
///
/// The links of an episode are written with it when they can be; a link to
/// an episode created later in the same run lands in that episode's batch,
/// when both ends exist, instead of being dropped (an edge needs both
/// nodes).
fn batching<'p>(plan: &'p Plan, size: usize, relinks: &[&'p PlanEntry]) -> Batching<'p> {
    // Only episodes some link names need their batch looked up: a map of
    // every write was a million entries at a cold seed (75 MB while it grew,
    // at the start of applying), most corpora naming a few of them. Only
    // entries and created rows carry links (a bump keeps its stored ones).
    let targets: std::collections::HashSet<&str> = plan
        .decisions
        .write_links()
        .flatten()
        .map(|(_, l)| l)
        .chain(relinks.iter().filter_map(|d| d.links.as_deref()))
        .flat_map(|l| l.edges.iter().map(|e| e.target.as_str()))
        .collect();
    let mut batch_of: std::collections::HashMap<String, usize> = Default::default();
    let mut own: Vec<(usize, Linked<'p>)> = Vec::new();
    let mut sizes = Vec::new();
    let (mut n, mut previous): (usize, Option<Cow<'p, PlanEntry>>) = (0, None);
    for (d, linked) in plan.decisions.writes().zip(plan.decisions.write_links()) {
        if n >= size && previous.as_ref().is_some_and(|p| !same_file(plan, p, &d)) {
            sizes.push(n);
            n = 0;
        }
        n += 1;
        let k = sizes.len();
        if targets.contains(&*d.entity_id) {
            batch_of.insert(d.entity_id.to_string(), k);
        }
        if let Some(linked) = linked {
            own.push((k, linked));
        }
        previous = Some(d);
    }
    if n > 0 {
        sizes.push(n);
    }
    let mut links = vec![Vec::new(); sizes.len().max(1)];
    let relinked = relinks
        .iter()
        .filter_map(|d| Some((0, (&*d.entity_id, d.links.as_deref()?))));
    for (k, (id, l)) in own.into_iter().chain(relinked) {
        let last = l
            .edges
            .iter()
            .filter_map(|e| batch_of.get(e.target.as_str()).copied())
            .fold(k, usize::max);
        links[last].push((id, l));
    }
    Batching { sizes, links }
}

/// Whether two writes' bodies come from one file.
fn same_file(plan: &Plan, a: &PlanEntry, b: &PlanEntry) -> bool {
    match (a.origin, b.origin) {
        (Origin::File(x), Origin::File(y)) => x == y,
        (Origin::SameBytes(x), Origin::SameBytes(y)) => {
            x == y && plan.source_path(a) == plan.source_path(b)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning;

    /// A plan for `files` (name, content) under a fresh root, and what
    /// reading a body needs.
    fn plan_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Plan, PlanInput) {
        let (d, input, plan) = planning::for_tests::plan_of(files);
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        (d, plan, input)
    }

    /// Batch sizes of `plan`'s writes.
    fn sizes(plan: &Plan, size: usize) -> Vec<usize> {
        batching(plan, size, &[]).sizes
    }

    #[test]
    fn batches_never_split_a_file() {
        let (_d, plan, _) = plan_of(&[
            ("a.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"),
            ("b.json", "{\"k\":1}"),
            ("c.jsonl", "{\"id\":4}\n{\"id\":5}\n"),
            ("d.json", "{\"k\":2}"),
        ]);
        // A batch runs over to the end of its last file, never splits one.
        assert_eq!(sizes(&plan, 1), [3, 1, 2, 1]);
        assert_eq!(sizes(&plan, 2), [3, 3, 1]);
        assert_eq!(sizes(&plan, 4), [4, 3]);
        assert_eq!(sizes(&plan, 1000), [7]);
        let (_e, empty, _) = plan_of(&[]);
        assert!(sizes(&empty, 10).is_empty());
        assert_eq!(batching(&empty, 10, &[]).links.len(), 1);
    }

    /// A version bump of stored bytes holds no planned file: its episodes
    /// are read again from their stored path, a file at a time, never
    /// split, and checked against the stored content_hash.
    #[test]
    fn a_bumped_file_is_read_again_from_its_stored_path() {
        let (d, first, input) = plan_of(&[
            ("a.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"),
            ("b.json", "{\"k\":1}"),
            ("c.jsonl", "{\"id\":4}\n{\"id\":5}\n"),
        ]);
        let stored = planning::for_tests::stored_after(&first);
        let input = PlanInput {
            version: crate::version::SeedVersion::parse("2.0.0").unwrap(),
            ..input
        };
        let plan = planning::for_tests::plan_against(&input, stored);
        assert!(plan.files.is_empty() && plan.decisions.entries().is_empty());
        assert_eq!(sizes(&plan, 1), [3, 1, 2]);
        assert_eq!(sizes(&plan, 4), [4, 2]);
        let writes: Vec<_> = plan.decisions.writes().collect();
        let mut bodies = BodyCache::default();
        let read = &(&input.roots[..], input.max_file_bytes);
        for d in &writes {
            bodies.body(&plan, d, *read).unwrap();
        }
        // Changed after planning: not written over the planned hash.
        std::fs::write(d.path().join("c.jsonl"), "{\"id\":4}\n{\"id\":5,\"x\":1}\n").unwrap();
        let err = BodyCache::default()
            .body(&plan, &writes[5], *read)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "src/c.jsonl: `5` changed while graphseed was running; run again"
        );
    }

    /// Within the read allowance the plan keeps the bytes it hashed and
    /// parsed, and applying writes those: the file is not read again (here
    /// it is gone), and an edit after planning is not mixed in (the next
    /// run sees its new hash).
    #[test]
    fn a_kept_file_is_not_read_again() {
        let (d, plan, input) = plan_of(&[
            ("a.json", r#"{"name": "x", "k": 1}"#),
            ("b.json", r#"{"name": "y", "k": 2}"#),
        ]);
        let read = (&input.roots[..], input.max_file_bytes);
        assert_eq!(plan.kept.len(), 2);
        std::fs::remove_file(d.path().join("a.json")).unwrap();
        std::fs::write(d.path().join("b.json"), r#"{"name": "y", "k": 3}"#).unwrap();
        let mut bodies = BodyCache::default();
        let writes: Vec<_> = plan.decisions.writes().collect();
        let (name, fields) = bodies.body(&plan, &writes[0], read).unwrap();
        assert_eq!((name.as_str(), &fields["k"]), ("x", &serde_json::json!(1)));
        let (name, fields) = bodies.body(&plan, &writes[1], read).unwrap();
        assert_eq!((name.as_str(), &fields["k"]), ("y", &serde_json::json!(2)));
        assert!(plan.kept.is_empty(), "each file's bytes are taken once");
    }

    /// Beyond the read allowance, a file is read again when applied.
    #[test]
    fn a_body_read_again_must_have_the_planned_content_hash() {
        let (d, plan, input) = plan_of(&[("a.json", r#"{"name": "x", "k": 1}"#)]);
        let read = (&input.roots[..], input.max_file_bytes);
        plan.kept.clear();
        let decision = &plan.decisions.writes().next().unwrap();
        let read = |body: &str| {
            std::fs::write(d.path().join("a.json"), body).unwrap();
            BodyCache::default().body(&plan, decision, read)
        };
        let (name, fields) = read(r#"{"name": "x", "k": 1}"#).unwrap();
        assert_eq!(name, "x");
        assert_eq!(fields["k"], 1);
        // Same content, other bytes: written as planned (the next run
        // refreshes the source_hash).
        assert!(read("{ \"k\": 1,\n  \"name\": \"x\" }\n").is_ok());
        let err = read(r#"{"name": "x", "k": 2}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "src/a.json: `a` changed while graphseed was running; run again"
        );
        let err = read(r#"{"entity_id": "b", "name": "x", "k": 1}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "src/a.json: `a` left the file while graphseed was running; run again"
        );
    }
}
