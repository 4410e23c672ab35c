//! The batch envelope: how one batch of changes commits, written once for
//! every backend.
//!
//! A batch is one transaction. Inside it, in this order: the fence (refuse
//! the whole batch if another run holds the group's live lease), the run
//! record (the provenance links point at it), every part of the batch (one
//! per kind of node), the group revision bump. A backend supplies only the
//! small primitives of [`BatchBackend`]; the order, the fencing rule and the
//! empty-batch rule live here, so the two stores cannot drift apart on them.
//!
//! A batch carries parts by kind ([`BatchPart`]). A new kind of node (links,
//! communities) is a new field of [`Batch`] and a new variant of
//! [`BatchPart`]: the backends learn to write it, the envelope does not
//! change.

use chrono::{DateTime, Utc};

use super::{EpisodeWrite, LockInfo, RunRecord, StoreError};

/// The kinds of node graphseed writes. Closed on purpose: each kind's label
/// is fixed text in `cypher/` (and its table in `sql/`), chosen by matching on
/// this enum, never built from input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// `(:Episode)` / table `episodes`.
    Episode,
    /// `(:Episode)-[:LINKS_TO]->(:Episode)` / table `links`.
    Link,
    /// `(:Community)-[:HAS_MEMBER]->(:Episode|:Community)` / tables
    /// `communities`, `community_members`.
    Community,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Episode => "episode",
            NodeKind::Link => "link",
            NodeKind::Community => "community",
        }
    }
}

/// The episode part of a batch: upserts and prunes.
#[derive(Debug, Clone, Default)]
pub struct EpisodeChanges {
    pub writes: Vec<EpisodeWrite>,
    /// `entity_id`s to delete (prune) in the run's group; their history stays.
    pub deletes: Vec<String>,
}

impl EpisodeChanges {
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.deletes.is_empty()
    }
    pub fn len(&self) -> usize {
        self.writes.len() + self.deletes.len()
    }
}

/// The complete outgoing links of one episode, replacing what it had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSet {
    pub source: String,
    /// Links to episodes that are not stored (yet) are left out by the
    /// store: an edge always joins two episodes.
    pub edges: Vec<crate::links::Edge>,
    /// Its aliases, item key and unresolved links, replacing the stored
    /// ones (see [`crate::links::state`]).
    pub facts: crate::links::LinkFacts,
}

/// The link part of a batch. Written after the episode part, in the same
/// transaction: the links of an episode belong to it, so they commit (and
/// are replaced) with it, and its targets written in the same batch exist.
#[derive(Debug, Clone, Default)]
pub struct LinkChanges {
    pub sets: Vec<LinkSet>,
    /// Pruned episodes: every link from or to them goes.
    pub removed: Vec<String>,
}

impl LinkChanges {
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty() && self.removed.is_empty()
    }
    pub fn len(&self) -> usize {
        self.sets.len() + self.removed.len()
    }
}

/// One community as a communities run writes it (create or update): every
/// node field, and its HAS_MEMBER edges as a diff against what is stored.
/// A create lists every member as added.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityWrite {
    pub entity_id: String,
    /// Graphiti's key; kept across runs by member overlap.
    pub uuid: String,
    pub level: u32,
    /// Episodes in it.
    pub size: u64,
    pub name: String,
    pub summary: String,
    /// `_metadata.source` of community nodes.
    pub source: String,
    pub version: Option<String>,
    /// Over its members and their content hashes.
    pub content_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub params_hash: String,
    pub graph_signature: String,
    /// `HAS_MEMBER -> (:Episode)` edges to add and to remove (entity_ids).
    pub add_episodes: Vec<String>,
    pub remove_episodes: Vec<String>,
    /// `HAS_MEMBER -> (:Community)` edges to the level below.
    pub add_children: Vec<String>,
    pub remove_children: Vec<String>,
}

/// The community part of a batch: writes and prunes. Written after the
/// episode and link parts (a community's members must exist); inside it,
/// prunes first, then every node, then every edge, so the child a parent
/// points at is there whatever the order of the writes.
#[derive(Debug, Clone, Default)]
pub struct CommunityChanges {
    pub writes: Vec<CommunityWrite>,
    /// entity_ids of dissolved communities: the node and its edges go; what
    /// they were stays in the run's audit trail (`actions.jsonl`).
    pub deletes: Vec<String>,
}

impl CommunityChanges {
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.deletes.is_empty()
    }
    pub fn len(&self) -> usize {
        self.writes.len() + self.deletes.len()
    }
}

/// One transaction's worth of changes. A store commits a batch entirely or
/// not at all: every part, the provenance links, the run record and the
/// revision bump go in one transaction, so a crash never leaves half a batch.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub episodes: EpisodeChanges,
    pub links: LinkChanges,
    pub communities: CommunityChanges,
}

/// One non-empty part of a batch, by kind of node.
#[derive(Debug, Clone, Copy)]
pub enum BatchPart<'a> {
    Episodes(&'a EpisodeChanges),
    Links(&'a LinkChanges),
    Communities(&'a CommunityChanges),
}

impl BatchPart<'_> {
    pub fn kind(&self) -> NodeKind {
        match self {
            BatchPart::Episodes(_) => NodeKind::Episode,
            BatchPart::Links(_) => NodeKind::Link,
            BatchPart::Communities(_) => NodeKind::Community,
        }
    }
}

impl Batch {
    /// A batch of episode changes only.
    pub fn of_episodes(writes: Vec<EpisodeWrite>, deletes: Vec<String>) -> Self {
        Batch {
            episodes: EpisodeChanges { writes, deletes },
            links: LinkChanges::default(),
            communities: CommunityChanges::default(),
        }
    }

    /// A batch of community changes only.
    pub fn of_communities(communities: CommunityChanges) -> Self {
        Batch {
            communities,
            ..Batch::default()
        }
    }

    /// The parts that hold something, in the order they are written.
    pub fn parts(&self) -> impl Iterator<Item = BatchPart<'_>> {
        [
            (!self.episodes.is_empty()).then_some(BatchPart::Episodes(&self.episodes)),
            (!self.links.is_empty()).then_some(BatchPart::Links(&self.links)),
            (!self.communities.is_empty()).then_some(BatchPart::Communities(&self.communities)),
        ]
        .into_iter()
        .flatten()
    }

    pub fn is_empty(&self) -> bool {
        self.parts().next().is_none()
    }

    /// Changes in the batch, over every part.
    pub fn len(&self) -> usize {
        self.episodes.len() + self.links.len() + self.communities.len()
    }

    /// What the batch holds, for messages: `3 episode writes, 1 episode delete`.
    fn describe(&self) -> String {
        let e = &self.episodes;
        let c = &self.communities;
        format!(
            "{} episode writes, {} episode deletes, {} link sets, {} community writes and {} community deletes",
            e.writes.len(),
            e.deletes.len(),
            self.links.sets.len(),
            c.writes.len(),
            c.deletes.len()
        )
    }
}

/// The primitives a backend supplies to the envelope. Each runs inside the
/// transaction `begin` opened; none commits.
#[allow(async_fn_in_trait)]
pub trait BatchBackend {
    /// An open write transaction.
    type Tx<'a>
    where
        Self: 'a;

    /// The target's name for errors: never carries a secret.
    fn target(&self) -> String;

    /// Open a write transaction that holds the group's lease row (or the
    /// database's write lock) until it ends, so the fence read stays true
    /// until commit.
    async fn begin(&self, doing: &str) -> Result<Self::Tx<'_>, StoreError>;
    async fn commit(&self, tx: Self::Tx<'_>, doing: &str) -> Result<(), StoreError>;
    /// End the transaction without committing; never fails (a dead connection
    /// has rolled back already).
    async fn rollback(&self, tx: Self::Tx<'_>);

    /// The holder of `group_id`'s lease, as read (and locked) inside `tx`.
    /// A backend may leave out holders that cannot fence `run_id` (its own
    /// lease, an expired one); [`fenced_by`] decides either way.
    async fn lease_holder(
        &self,
        tx: &mut Self::Tx<'_>,
        group_id: &str,
        run_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LockInfo>, StoreError>;

    /// Create or update the run record.
    async fn put_run(&self, tx: &mut Self::Tx<'_>, run: &RunRecord) -> Result<(), StoreError>;

    /// Write one part of the batch for `run`, linking each change to the run
    /// with its action at time `at`. Idempotent: a replayed part ends in the
    /// same state.
    async fn write_part(
        &self,
        tx: &mut Self::Tx<'_>,
        run: &RunRecord,
        at: DateTime<Utc>,
        part: BatchPart<'_>,
    ) -> Result<(), StoreError>;

    /// Bump the group's revision (every committed batch does, once).
    async fn bump_revision(&self, tx: &mut Self::Tx<'_>, group_id: &str) -> Result<(), StoreError>;
}

/// Whether a lease held by `holder` refuses a batch of `run_id` at `now`:
/// another run's lease that has not expired. The writer's own lease, an
/// expired one or none at all let the batch through.
pub fn fenced_by(holder: Option<&LockInfo>, run_id: &str, now: DateTime<Utc>) -> bool {
    holder.is_some_and(|h| h.run_id != run_id && h.expires_at > now)
}

/// Commit one batch atomically for `run`, unless another run holds a live
/// lease on the group ([`StoreError::Fenced`]: a writer that lost its lease
/// never commits). A batch that changes nothing writes nothing, not even the
/// run record. Idempotent, so a batch can be replayed after a lost
/// connection.
pub async fn apply_batch<B: BatchBackend>(
    backend: &B,
    run: &RunRecord,
    batch: &Batch,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    // One group per run: a write for another group would bump the wrong
    // revision and slip past the fence of its own group.
    if let Some(w) = batch
        .episodes
        .writes
        .iter()
        .find(|w| w.record.group_id != run.group_id)
    {
        return Err(StoreError::Query {
            target: backend.target(),
            message: format!(
                "episode {} belongs to group {}, but run {} writes group {}",
                w.record.entity_id, w.record.group_id, run.run_id, run.group_id
            ),
        });
    }
    let doing = format!(
        "applying a batch of {} for run {}",
        batch.describe(),
        run.run_id
    );
    let mut tx = backend.begin(&doing).await?;
    match envelope(backend, &mut tx, run, batch).await {
        Ok(()) => backend.commit(tx, &doing).await,
        Err(e) => {
            backend.rollback(tx).await;
            Err(e)
        }
    }
}

async fn envelope<B: BatchBackend>(
    backend: &B,
    tx: &mut B::Tx<'_>,
    run: &RunRecord,
    batch: &Batch,
) -> Result<(), StoreError> {
    // The lease is judged by the wall clock (a pinned run clock must never
    // keep a lease alive); the links carry the run clock, like the episodes.
    let now = crate::clock::wall();
    let at = crate::clock::now();
    // Fencing first: if another run holds a live lease on the group (this
    // run lost its own, e.g. during a long outage), nothing of this batch
    // may commit.
    let holder = backend
        .lease_holder(tx, &run.group_id, &run.run_id, now)
        .await?;
    if fenced_by(holder.as_ref(), &run.run_id, now) {
        let holder = holder.expect("fenced_by needs a holder");
        return Err(StoreError::Fenced {
            target: backend.target(),
            holder: Box::new(holder),
        });
    }
    // The run record first: the provenance links point at it.
    backend.put_run(tx, run).await?;
    for part in batch.parts() {
        backend.write_part(tx, run, at, part).await?;
    }
    // In the same transaction as the writes: a planner that sees the
    // revision unchanged knows no batch committed in between.
    backend.bump_revision(tx, &run.group_id).await
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn lease(run_id: &str, expires_at: DateTime<Utc>) -> LockInfo {
        LockInfo {
            group_id: "g".into(),
            owner: "o".into(),
            host: "h".into(),
            run_id: run_id.into(),
            acquired_at: expires_at - TimeDelta::seconds(60),
            expires_at,
        }
    }

    #[test]
    fn fencing_table() {
        let now = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let later = now + TimeDelta::seconds(30);
        let earlier = now - TimeDelta::seconds(30);
        // (holder, fenced?)
        let rows: [(Option<LockInfo>, bool); 5] = [
            (None, false),
            (Some(lease("me", later)), false),
            (Some(lease("me", earlier)), false),
            (Some(lease("other", earlier)), false),
            (Some(lease("other", later)), true),
        ];
        for (holder, fenced) in rows {
            assert_eq!(fenced_by(holder.as_ref(), "me", now), fenced, "{holder:?}");
        }
        // A lease that ends exactly now has ended.
        assert!(!fenced_by(Some(&lease("other", now)), "me", now));
    }

    #[test]
    fn an_empty_part_is_no_part() {
        assert!(Batch::default().is_empty());
        assert_eq!(Batch::default().parts().count(), 0);
        let b = Batch::of_episodes(vec![], vec!["x".into()]);
        assert_eq!(b.len(), 1);
        assert!(matches!(
            b.parts().collect::<Vec<_>>()[..],
            [BatchPart::Episodes(e)] if e.deletes == ["x"]
        ));
        assert_eq!(b.parts().next().unwrap().kind(), NodeKind::Episode);
    }
}
