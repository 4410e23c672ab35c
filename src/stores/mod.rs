//! The store: the one seam between graphseed and a database. Planning and
//! applying only ever see these traits, never Bolt or SQL, so a second driver
//! could replace `neo4rs` without touching them.
//!
//! Split by concern: [`Coordination`] (schema, lease lock, group revision),
//! [`Runs`] (run records, with their [`RunKind`]), one reader per kind of
//! node ([`Episodes`] now), and [`Store::apply_batch`], the one way to write:
//! the envelope in [`batch`] (fence, run upsert, every part of the batch,
//! revision bump, in one transaction) over small per-backend primitives.
//!
//! Two implementations: [`neo4j::Neo4jStore`] (Bolt via `neo4rs`) and
//! [`sqlite::SqliteStore`] (the embedded default). Both keep the same facts
//! with the same semantics; the integration tests run the same scenarios on
//! both.

pub mod any;
pub mod batch;
pub mod neo4j;
pub mod sqlite;
pub mod target;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::metadata::{EpisodeRecord, StoredEpisodes};

pub use batch::{
    Batch, BatchBackend, BatchPart, CommunityChanges, CommunityWrite, EpisodeChanges, LinkChanges,
    LinkSet, NodeKind,
};
pub use target::Target;

/// What happens to an episode in a run: planned, printed, and (for the
/// actions that write) stored on the provenance link, so an episode's
/// history can be read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Create,
    Update,
    Replace,
    /// Content unchanged, but the source file changed (another item of a
    /// multi-episode file) or moved: only `source_hash` / `source_path` are
    /// brought up to date; `updated_at` is kept.
    Refresh,
    /// Missing from the graph although its file is unchanged (deleted by
    /// hand): written again.
    Restore,
    /// Its stored body or a tool-owned field was edited by hand: written
    /// again from the source, timestamps kept when the content is the same.
    Repair,
    /// `--force` with unchanged content: written again, timestamps kept.
    Rewrite,
    /// Another source took the episode over (`--transfer-ownership`).
    Transfer,
    Skip,
    /// Stored, gone from the sources; reported, kept (no `--prune`). Never
    /// stored on a link.
    Orphan,
    /// Stored, gone from the sources; deleted (`--prune`).
    Prune,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Create,
        Action::Update,
        Action::Replace,
        Action::Refresh,
        Action::Restore,
        Action::Repair,
        Action::Rewrite,
        Action::Transfer,
        Action::Skip,
        Action::Orphan,
        Action::Prune,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Refresh => "refresh",
            Action::Restore => "restore",
            Action::Repair => "repair",
            Action::Rewrite => "rewrite",
            Action::Transfer => "transfer",
            Action::Skip => "skip",
            Action::Orphan => "orphan",
            Action::Prune => "prune",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether applying this action writes to the store.
    pub fn writes(self) -> bool {
        match self {
            Action::Create
            | Action::Update
            | Action::Replace
            | Action::Refresh
            | Action::Restore
            | Action::Repair
            | Action::Rewrite
            | Action::Transfer
            | Action::Prune => true,
            Action::Skip | Action::Orphan => false,
        }
    }
}

/// One episode write: the full record and the action that produced it.
#[derive(Debug, Clone)]
pub struct EpisodeWrite {
    pub action: Action,
    pub record: EpisodeRecord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Abandoned,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Abandoned => "abandoned",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "abandoned" => RunStatus::Abandoned,
            _ => return None,
        })
    }
}

/// What a run wrote: episodes from the sources (`seed`), or the community
/// nodes computed from the graph (`communities`). Runs of every kind share
/// the lock, the batch envelope and the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunKind {
    Seed,
    Communities,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Seed => "seed",
            RunKind::Communities => "communities",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "seed" => RunKind::Seed,
            "communities" => RunKind::Communities,
            _ => return None,
        })
    }
}

/// The run record as stored. Nothing secret is ever put here.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub run_id: String,
    pub group_id: String,
    /// Stored records written before runs had kinds read as `seed`.
    pub kind: RunKind,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub tool_version: String,
    pub seed_version: String,
    pub params_hash: String,
    /// Canonical JSON of the effective parameters (no secrets).
    pub params_json: String,
    pub graph_signature: Option<String>,
    /// A seed's fingerprint of its sources (see
    /// [`crate::planning::unchanged::sources_signature`]), recorded only when a reseed
    /// of the very same bytes would change nothing: what lets that reseed
    /// skip holding the stored state. `None` for other runs.
    pub sources_signature: Option<String>,
    pub git_commit: Option<String>,
    pub git_branch: Option<String>,
    pub git_dirty: Option<bool>,
    pub hostname: String,
    pub os: String,
    /// Decisions per action name (`create`, `skip`, `orphan`, ...).
    pub counts: BTreeMap<String, u64>,
}

/// A lease lock on one (database, group). Only one writer may hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct LockInfo {
    pub group_id: String,
    pub owner: String,
    pub host: String,
    pub run_id: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LockOutcome {
    Acquired,
    /// Someone else holds a lease that has not expired (and no takeover was
    /// asked for).
    Held(LockInfo),
}

/// Filters for provenance queries; all set filters must match.
#[derive(Debug, Clone, Default)]
pub struct EpisodeFilter {
    pub group_id: Option<String>,
    pub source: Option<String>,
    pub version: Option<String>,
    pub entity_id: Option<String>,
    /// Episodes whose last write was by this run.
    pub run_id: Option<String>,
    /// `updated_at >= since`.
    pub since: Option<DateTime<Utc>>,
    /// `updated_at < until`.
    pub until: Option<DateTime<Utc>>,
    pub limit: Option<u64>,
}

/// Which index answers an [`EpisodeFilter`], so that a query costs what it
/// returns, not the size of the group it searches. Each store maps it to one
/// fixed statement: an optional filter written as `$x IS NULL OR ...` hides
/// `x` from the planner, so the filters that can seek get statements of
/// their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpisodeSeek {
    /// No group: every group is searched.
    Everywhere,
    /// One (group_id, entity_id) key: at most one episode.
    Entity,
    /// The episodes a run last wrote, through the run index, then sorted:
    /// the run's size, not the group's.
    Run,
    /// The group's key in entity_id order, other filters applied as it
    /// goes, so a LIMIT stops the scan early.
    Group,
}

impl EpisodeFilter {
    /// The most selective seek this filter allows (see [`EpisodeSeek`]).
    pub fn seek(&self) -> EpisodeSeek {
        match (&self.group_id, &self.entity_id, &self.run_id) {
            (None, _, _) => EpisodeSeek::Everywhere,
            (Some(_), Some(_), _) => EpisodeSeek::Entity,
            (Some(_), None, Some(_)) => EpisodeSeek::Run,
            (Some(_), None, None) => EpisodeSeek::Group,
        }
    }
}

/// One provenance link: a run wrote an episode with an action.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub run_id: String,
    pub action: Action,
    pub at: DateTime<Utc>,
    pub version: String,
    pub content_hash: String,
    pub source_hash: Option<String>,
}

/// One provenance link a run left, as the change feed (`graphseed changes`)
/// reads it: the link, the one before it on the same entity (any
/// incarnation, pruned ones included), and the episode's name and body
/// while the episode still holds the content this run wrote (`None` once a
/// later run changed it or pruned it, and on a prune: the store keeps only
/// the current body).
#[derive(Debug, Clone, PartialEq)]
pub struct RunChange {
    pub entity_id: String,
    pub action: Action,
    pub at: DateTime<Utc>,
    pub version: String,
    /// For a prune: the content it removed.
    pub content_hash: String,
    pub source_hash: Option<String>,
    pub previous_action: Option<Action>,
    pub previous_content_hash: Option<String>,
    pub name: Option<String>,
    pub body: Option<String>,
}

/// One row of `status`: how many episodes a (group, source, version) holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatusRow {
    pub group_id: String,
    pub source: String,
    pub version: String,
    pub episodes: u64,
}

/// A stored property as the database holds it, typed, without decoding into
/// graphseed's types: `validate` must be able to report a value planted by
/// hand (a string where a DATETIME belongs, a local time) instead of failing
/// to read it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A zoned date-time, as RFC 3339 with its offset.
    DateTime(String),
    /// A date-time without an offset (Neo4j LOCAL DATETIME).
    LocalDateTime(String),
    /// Any other type, by name.
    Other(String),
}

/// One stored episode's properties by name (a missing property is absent).
pub type RawEpisode = BTreeMap<String, RawValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot reach {target}: {message}")]
    Unreachable { target: String, message: String },
    #[error("the schema of {target} is missing or incomplete: {missing}")]
    SchemaMissing { target: String, missing: String },
    /// Worth retrying: Neo4j marked it transient, or the connection dropped.
    #[error("transient error from {target}: {message}")]
    Transient { target: String, message: String },
    #[error("{target} rejected a query: {message}")]
    Query { target: String, message: String },
    /// The server refused a write because it is not the cluster leader (or
    /// the database is read-only there). Retried only briefly: see
    /// [`crate::applying::retry`].
    #[error("{target} refused a write, it is not the cluster leader: {message}")]
    NotALeader { target: String, message: String },
    #[error("{target} holds a value graphseed cannot read: {message}")]
    Corrupt { target: String, message: String },
    /// The run's lease is gone: released or removed (`graphseed unlock`)
    /// while it ran. Taking it again silently would hide that another writer
    /// may have held it, and written, in between; so the run stops.
    #[error(
        "{target}: run {run_id} no longer holds the lock of group {group_id}: it was released or removed (graphseed unlock)"
    )]
    LockGone {
        target: String,
        group_id: String,
        run_id: String,
    },
    /// A batch was refused because another run holds the group's live lease
    /// (this run lost it, e.g. during a long outage). Never retried.
    #[error("{target}: run {} ({} on {}) holds the lock of group `{}`; this run's batch was refused", .holder.run_id, .holder.owner, .holder.host, .holder.group_id)]
    Fenced {
        target: String,
        holder: Box<LockInfo>,
    },
}

impl StoreError {
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Transient { .. })
    }

    /// Whether running again can get past it: infrastructure trouble goes
    /// away by itself; a query the store refused (a value it cannot index,
    /// a constraint) or a value it cannot read is refused again.
    pub fn rerun_helps(&self) -> bool {
        matches!(
            self,
            StoreError::Transient { .. } | StoreError::Unreachable { .. }
        )
    }

    pub fn is_not_a_leader(&self) -> bool {
        matches!(self, StoreError::NotALeader { .. })
    }
}

/// Coordination of writers: the schema, the lease lock of a group, and the
/// group revision that proves a plan was made on the state it is applied to.
#[allow(async_fn_in_trait)]
pub trait Coordination {
    /// The target's name for messages and records: never carries a secret.
    fn describe(&self) -> String;

    /// Create constraints, indexes or tables, and migrate what an older
    /// graphseed stored. Idempotent.
    async fn init(&self) -> Result<(), StoreError>;

    /// `SchemaMissing` unless `init` has been run on this target.
    async fn check_schema(&self) -> Result<(), StoreError>;

    /// A counter bumped by every committed batch of the group. A planner reads
    /// it before planning and again under the lock: equal values prove the
    /// plan was made on the state it will be applied to.
    async fn group_revision(&self, group_id: &str) -> Result<u64, StoreError>;

    /// Take the group's lease for `claim.run_id` until `claim.expires_at`.
    /// Succeeds when the lock is free, expired, already ours, or `takeover`
    /// is set; otherwise returns the holder.
    async fn acquire_lock(
        &self,
        claim: &LockInfo,
        takeover: bool,
    ) -> Result<LockOutcome, StoreError>;

    /// Extend our lease; `Held` if someone else took it over meanwhile.
    async fn renew_lock(&self, claim: &LockInfo) -> Result<LockOutcome, StoreError>;

    /// Release the lease if `run_id` holds it (no-op otherwise).
    async fn release_lock(&self, group_id: &str, run_id: &str) -> Result<(), StoreError>;

    /// The current holder of a group's lock, expired or not.
    async fn read_lock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError>;

    /// Remove a group's lock whoever holds it (`graphseed unlock`).
    async fn force_unlock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError>;
}

/// The run records.
#[allow(async_fn_in_trait)]
pub trait Runs {
    /// Upsert a run record (to mark crashed runs abandoned).
    async fn save_run(&self, run: &RunRecord) -> Result<(), StoreError>;

    /// Runs, newest first; `group_id` narrows to one group.
    async fn list_runs(&self, group_id: Option<&str>) -> Result<Vec<RunRecord>, StoreError>;

    async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError>;

    /// What a run committed, read from its provenance links: episodes per
    /// action (`create`, `update`, ..., `prune`). Only actions with links
    /// appear.
    async fn run_action_counts(&self, run_id: &str) -> Result<BTreeMap<String, u64>, StoreError>;

    /// The end of a run that wrote: [`Runs::save_run`] and
    /// [`Coordination::release_lock`] for `run` in one transaction (one
    /// commit, and no moment where the lock is free but the run still
    /// `running`). Idempotent like both.
    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError>;
}

/// The episodes, read. (They are written through [`Store::apply_batch`].)
#[allow(async_fn_in_trait)]
pub trait Episodes {
    /// Every episode of a group, without bodies, in `entity_id` order.
    async fn load_episodes(&self, group_id: &str) -> Result<StoredEpisodes, StoreError>;

    /// How many episodes [`Self::load_episodes`] would return now.
    async fn count_episodes(&self, group_id: &str) -> Result<u64, StoreError>;

    /// The entity_id at `position` (from 0) in the order of
    /// [`Self::hand_edit_page`]'s pages; `None` past the end, or where the
    /// stored value is not text.
    async fn entity_id_at(
        &self,
        group_id: &str,
        position: u64,
    ) -> Result<Option<String>, StoreError>;

    /// Whether two page reads of one group, side by side, finish sooner than
    /// one after the other: Neo4j answers each on a connection and a thread
    /// of its own; the embedded store has one connection, so a reseed reads
    /// it in one range.
    fn reads_side_by_side(&self) -> bool;

    /// Full episode records (bodies included) matching a filter, ordered by
    /// (group_id, entity_id).
    async fn query_episodes(
        &self,
        filter: &EpisodeFilter,
    ) -> Result<Vec<EpisodeRecord>, StoreError>;

    /// Every provenance link of one episode, oldest first.
    async fn episode_history(
        &self,
        group_id: &str,
        entity_id: &str,
    ) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Every provenance link `run_id` left in `group_id`, in entity_id
    /// order (see [`RunChange`]).
    async fn run_changes(&self, group_id: &str, run_id: &str)
    -> Result<Vec<RunChange>, StoreError>;

    /// Episode counts per (group, source, version), sorted.
    async fn status(&self, group_id: Option<&str>) -> Result<Vec<StatusRow>, StoreError>;

    /// Every episode of a group with its properties as stored (see
    /// [`RawValue`]), ordered by entity_id.
    async fn raw_episodes(&self, group_id: &str) -> Result<Vec<RawEpisode>, StoreError>;

    /// One page of the hand-edit pass: at most `limit` episodes with an
    /// entity_id, the first whose entity_id sorts after `after` (from the
    /// start when `None`), each as planning needs it, and of those the ones
    /// the full check must read (see [`EditPage`]). A caller that walks a
    /// whole group this way holds one page of bodies at a time.
    async fn hand_edit_page(
        &self,
        group_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<EditPage, StoreError>;
}

/// A page of the every-reseed hand-edit pass (`seeding::read_stored`).
#[derive(Debug, Clone, Default)]
pub struct EditPage {
    /// Episodes read.
    pub read: usize,
    /// The entity_id of the page's last episode, to read the next page
    /// after; `None` when it is not text (it cannot be paged past by value;
    /// `validate` reports it).
    pub last: Option<String>,
    /// The episodes whose seal does not vouch for them (no seal, another
    /// profile, or a seal that no longer matches), with every property as
    /// stored, for the full check.
    pub unsealed: Vec<RawEpisode>,
    /// Every episode read, as [`Episodes::load_episodes`] gives it (the
    /// same values, the same errors): a reseed builds its stored state from
    /// the pages instead of reading the group a second time.
    pub episodes: StoredEpisodes,
}

/// One stored `LINKS_TO` edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredLink {
    /// Shared by the links of one source as loaded (see
    /// [`StoredLink::share_sources`]).
    pub source: std::sync::Arc<str>,
    pub target: Box<str>,
    pub kind: crate::links::LinkKind,
    pub count: u32,
}

impl StoredLink {
    /// The link as a graph signature covers it, borrowed.
    pub fn tuple(&self) -> crate::hashing::LinkTuple<'_> {
        (&self.source, &self.target, self.kind.as_str(), self.count)
    }

    /// Let each run of links from one source (as loaded, sorted by source)
    /// share that source's text. A reseed holds every stored link while it
    /// plans: with a text of its own for each end, a link was about 90
    /// bytes; a note's three links now share one source.
    pub fn share_sources(links: &mut [StoredLink]) {
        for i in 1..links.len() {
            let (before, rest) = links.split_at_mut(i);
            let prev = &before[i - 1].source;
            if *rest[0].source == **prev && !std::sync::Arc::ptr_eq(&rest[0].source, prev) {
                rest[0].source = prev.clone();
            }
        }
    }
}

/// The links between episodes, read. (They are written through
/// [`Store::apply_batch`], as a part of the batch of their episode.)
#[allow(async_fn_in_trait)]
pub trait Links {
    /// Every link of a group, ordered by (source, target, kind).
    async fn load_links(&self, group_id: &str) -> Result<Vec<StoredLink>, StoreError>;
    /// The links one episode makes and those made to it, ordered by
    /// (source, target, kind): the subset of [`Links::load_links`] that
    /// names it, read by seeks so its cost is the episode's degree.
    async fn links_of_episode(
        &self,
        group_id: &str,
        entity_id: &str,
    ) -> Result<Vec<StoredLink>, StoreError>;
    /// The episodes of a group `wanted` keeps, each with its name and
    /// stored link facts, in entity_id order: what planning needs to
    /// resolve links without reading unchanged files. Those left out are
    /// never held, not even while the rows are read.
    async fn load_link_state(
        &self,
        group_id: &str,
        wanted: &crate::links::StateWanted,
    ) -> Result<Vec<crate::links::StoredLinkState>, StoreError>;
}

/// One stored community with its members, as a communities run compares
/// the new partition with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCommunity {
    pub entity_id: String,
    pub uuid: String,
    pub level: u32,
    pub size: u64,
    pub name: String,
    pub summary: String,
    pub content_hash: String,
    pub run_id: String,
    pub params_hash: String,
    pub graph_signature: String,
    /// entity_ids of its episodes (at every level: a community holds all the
    /// episodes of its sub-communities too), ascending.
    pub members: Vec<String>,
    /// entity_ids of its sub-communities (the level below), ascending.
    pub children: Vec<String>,
}

/// The communities of a group, read. (Written through
/// [`Store::apply_batch`], as every kind of node.)
#[allow(async_fn_in_trait)]
pub trait Communities {
    /// Every community of a group with its members, ordered by (level,
    /// entity_id): the stored partition.
    async fn load_communities(&self, group_id: &str) -> Result<Vec<StoredCommunity>, StoreError>;
}

/// The database seam: coordination, runs, one reader per kind of node, and
/// the one way to write ([`Store::apply_batch`], the envelope of
/// [`batch::apply_batch`] over the backend's [`BatchBackend`] primitives).
/// Methods are `async` because the Neo4j driver is; the SQLite store does its
/// (fast, local) work inline. The binary runs a current-thread runtime, so
/// futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Store: Coordination + Runs + Episodes + Links + Communities {
    /// Commit one batch atomically (see [`batch::apply_batch`]).
    async fn apply_batch(&self, run: &RunRecord, batch: &Batch) -> Result<(), StoreError>;
}

/// The store traits, for code that calls a store's methods on a concrete
/// type (`use graphseed::stores::prelude::*`).
pub mod prelude {
    pub use super::{Communities, Coordination, Episodes, Links, Runs, Store};
}

#[cfg(test)]
mod seek_tests {
    use super::{EpisodeFilter, EpisodeSeek};

    #[test]
    fn each_filter_seeks_the_most_selective_index() {
        let s = |x: &str| Some(x.to_string());
        // (group, entity, run, source, limit) -> seek
        let table = [
            (None, None, None, None, None, EpisodeSeek::Everywhere),
            (None, s("a"), s("r"), None, None, EpisodeSeek::Everywhere),
            (s("g"), s("a"), None, None, None, EpisodeSeek::Entity),
            (s("g"), s("a"), s("r"), None, None, EpisodeSeek::Entity),
            (s("g"), s("a"), None, s("src"), Some(1), EpisodeSeek::Entity),
            (s("g"), None, s("r"), None, None, EpisodeSeek::Run),
            (s("g"), None, s("r"), s("src"), Some(100), EpisodeSeek::Run),
            (s("g"), None, None, s("src"), Some(100), EpisodeSeek::Group),
            (s("g"), None, None, None, None, EpisodeSeek::Group),
        ];
        for (group_id, entity_id, run_id, source, limit, want) in table {
            let f = EpisodeFilter {
                group_id,
                entity_id,
                run_id,
                source,
                limit,
                ..EpisodeFilter::default()
            };
            assert_eq!(f.seek(), want, "{f:?}");
        }
    }
}

#[cfg(test)]
mod link_tests {
    use std::sync::Arc;

    use super::StoredLink;
    use crate::links::LinkKind;

    /// Runs of one source come to share one text; links are otherwise
    /// unchanged, and a source seen again later (out of order) is equal
    /// but not shared with the earlier run.
    #[test]
    fn a_sources_links_share_its_text() {
        let link = |s: &str, t: &str| StoredLink {
            source: s.into(),
            target: t.into(),
            kind: LinkKind::Wikilink,
            count: 1,
        };
        let mut links = vec![
            link("a", "b"),
            link("a", "c"),
            link("a", "d"),
            link("b", "a"),
            link("a", "e"),
        ];
        let before: Vec<StoredLink> = links.iter().map(|l| link(&l.source, &l.target)).collect();
        StoredLink::share_sources(&mut links);
        assert_eq!(links, before);
        assert!(Arc::ptr_eq(&links[0].source, &links[1].source));
        assert!(Arc::ptr_eq(&links[0].source, &links[2].source));
        assert!(!Arc::ptr_eq(&links[0].source, &links[4].source));
        assert_eq!(Arc::strong_count(&links[0].source), 3);
    }
}
