//! The store chosen at run time from the target. One enum that delegates
//! every call, so commands are written once against `Store`.

use std::time::Duration;

use super::neo4j::{Neo4jOptions, Neo4jStore};
use super::sqlite::SqliteStore;
use super::*;

pub enum AnyStore {
    Neo4j(Neo4jStore),
    Sqlite(SqliteStore),
}

/// What a command will do with the store. Only the embedded store cares:
/// opening a SQLite file can create it, and a command that only reads must
/// not (a mistyped path would become a new, empty database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `init`, `seed`, `unlock`: creates the file and its folder if needed.
    ReadWrite,
    /// `status`, `runs`, `provenance`, `validate`, `verify`: the file must
    /// exist; it is opened read-only.
    ReadOnly,
    /// `plan`: read-only, and a file that does not exist yet reads as an
    /// empty graph (what a first seed would start from).
    Plan,
}

/// Open the store a target names. A Neo4j connection timeout bounds every
/// read too, so it is set above the slowest batch.
pub async fn open(target: &Target, connection_timeout: Duration) -> Result<AnyStore, StoreError> {
    open_for(target, connection_timeout, Access::ReadWrite).await
}

/// [`open`] for a given [`Access`].
pub async fn open_for(
    target: &Target,
    connection_timeout: Duration,
    access: Access,
) -> Result<AnyStore, StoreError> {
    match target {
        Target::Sqlite { path } => match access {
            Access::ReadWrite => SqliteStore::open(path),
            Access::ReadOnly => SqliteStore::open_read_only(path),
            Access::Plan if !path.exists() => SqliteStore::open_empty(path),
            Access::Plan => SqliteStore::open_read_only(path),
        }
        .map(AnyStore::Sqlite),
        Target::Neo4j { .. } => {
            let opts = Neo4jOptions {
                connection_timeout,
                ..Neo4jOptions::default()
            };
            super::neo4j::connect(target, &opts)
                .await
                .map(AnyStore::Neo4j)
        }
    }
}

impl AnyStore {
    /// The same store, writing in `profile`. The embedded store keeps one
    /// model whatever the profile: Graphiti reads Neo4j only, and the change
    /// feed computes Graphiti's fields (uuid, source type) on both stores.
    pub fn with_profile(self, profile: crate::graphiti::Profile) -> Self {
        match self {
            AnyStore::Neo4j(s) => AnyStore::Neo4j(s.with_profile(profile)),
            AnyStore::Sqlite(s) => AnyStore::Sqlite(s),
        }
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Neo4j($s) => $call,
            AnyStore::Sqlite($s) => $call,
        }
    };
}

impl Coordination for AnyStore {
    fn describe(&self) -> String {
        delegate!(self, s => s.describe())
    }

    async fn init(&self) -> Result<(), StoreError> {
        delegate!(self, s => s.init().await)
    }

    async fn check_schema(&self) -> Result<(), StoreError> {
        delegate!(self, s => s.check_schema().await)
    }

    async fn group_revision(&self, group_id: &str) -> Result<u64, StoreError> {
        delegate!(self, s => s.group_revision(group_id).await)
    }

    async fn acquire_lock(
        &self,
        claim: &LockInfo,
        takeover: bool,
    ) -> Result<LockOutcome, StoreError> {
        delegate!(self, s => s.acquire_lock(claim, takeover).await)
    }

    async fn renew_lock(&self, claim: &LockInfo) -> Result<LockOutcome, StoreError> {
        delegate!(self, s => s.renew_lock(claim).await)
    }

    async fn release_lock(&self, group_id: &str, run_id: &str) -> Result<(), StoreError> {
        delegate!(self, s => s.release_lock(group_id, run_id).await)
    }

    async fn read_lock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError> {
        delegate!(self, s => s.read_lock(group_id).await)
    }

    async fn force_unlock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError> {
        delegate!(self, s => s.force_unlock(group_id).await)
    }
}

impl Runs for AnyStore {
    async fn save_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        delegate!(self, s => s.save_run(run).await)
    }

    async fn list_runs(&self, group_id: Option<&str>) -> Result<Vec<RunRecord>, StoreError> {
        delegate!(self, s => s.list_runs(group_id).await)
    }

    async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        delegate!(self, s => s.get_run(run_id).await)
    }

    async fn run_action_counts(
        &self,
        run_id: &str,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        delegate!(self, s => s.run_action_counts(run_id).await)
    }

    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        delegate!(self, s => s.finish_run(run).await)
    }
}

impl Episodes for AnyStore {
    async fn load_episodes(
        &self,
        group_id: &str,
    ) -> Result<crate::metadata::StoredEpisodes, StoreError> {
        delegate!(self, s => s.load_episodes(group_id).await)
    }

    async fn count_episodes(&self, group_id: &str) -> Result<u64, StoreError> {
        delegate!(self, s => s.count_episodes(group_id).await)
    }

    async fn entity_id_at(
        &self,
        group_id: &str,
        position: u64,
    ) -> Result<Option<String>, StoreError> {
        delegate!(self, s => s.entity_id_at(group_id, position).await)
    }

    fn reads_side_by_side(&self) -> bool {
        delegate!(self, s => s.reads_side_by_side())
    }

    async fn query_episodes(
        &self,
        filter: &EpisodeFilter,
    ) -> Result<Vec<EpisodeRecord>, StoreError> {
        delegate!(self, s => s.query_episodes(filter).await)
    }

    async fn episode_history(
        &self,
        group_id: &str,
        entity_id: &str,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        delegate!(self, s => s.episode_history(group_id, entity_id).await)
    }

    async fn run_changes(
        &self,
        group_id: &str,
        run_id: &str,
    ) -> Result<Vec<RunChange>, StoreError> {
        delegate!(self, s => s.run_changes(group_id, run_id).await)
    }

    async fn status(&self, group_id: Option<&str>) -> Result<Vec<StatusRow>, StoreError> {
        delegate!(self, s => s.status(group_id).await)
    }

    async fn raw_episodes(&self, group_id: &str) -> Result<Vec<RawEpisode>, StoreError> {
        delegate!(self, s => s.raw_episodes(group_id).await)
    }

    async fn hand_edit_page(
        &self,
        group_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<EditPage, StoreError> {
        delegate!(self, s => s.hand_edit_page(group_id, after, limit).await)
    }
}

// Each backend runs the one envelope over its own primitives.
impl Store for AnyStore {
    async fn apply_batch(&self, run: &RunRecord, batch: &Batch) -> Result<(), StoreError> {
        delegate!(self, s => s.apply_batch(run, batch).await)
    }
}

impl Communities for AnyStore {
    async fn load_communities(&self, group_id: &str) -> Result<Vec<StoredCommunity>, StoreError> {
        delegate!(self, s => s.load_communities(group_id).await)
    }
}

impl Links for AnyStore {
    async fn load_links(&self, group_id: &str) -> Result<Vec<StoredLink>, StoreError> {
        delegate!(self, s => s.load_links(group_id).await)
    }
    async fn links_of_episode(
        &self,
        group_id: &str,
        entity_id: &str,
    ) -> Result<Vec<StoredLink>, StoreError> {
        delegate!(self, s => s.links_of_episode(group_id, entity_id).await)
    }
    async fn load_link_state(
        &self,
        group_id: &str,
        wanted: &crate::links::StateWanted,
    ) -> Result<Vec<crate::links::StoredLinkState>, StoreError> {
        delegate!(self, s => s.load_link_state(group_id, wanted).await)
    }
}
