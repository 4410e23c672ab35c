//! The Neo4j store: Bolt through `neo4rs`.
//!
//! One job per file: [`connect`] (settings, TLS, hints when connecting
//! fails), [`errors`] (what a driver error means: retry, give up, or
//! unreachable), `decode` (rows as graphseed's types), `params` (graphseed's
//! types as Bolt parameters), `schema` (the constraints `check_schema`
//! requires); this file is the store itself.
//!
//! # Graph model
//!
//! Labels and relationship types are fixed here and in `cypher/`; nothing is
//! built from input.
//!
//! - `(:Episode)`: one per (group_id, entity_id) (uniqueness constraint
//!   `graphseed_episode_key`), with the `_metadata` fields as top-level
//!   properties: `group_id`, `entity_id`, `name`, `source`, `version` (text)
//!   plus `version_major` / `version_minor` / `version_patch` (integers) and
//!   `version_pre` (`""` for a release) so Cypher can compare versions,
//!   `created_at` / `updated_at` (zoned DATETIME, UTC), `source_hash` and
//!   `source_path` (absent for generated episodes), `content_hash`, `run_id`
//!   (the run that last wrote it), `body` (the JSON, `_metadata` included)
//!   and `seal` ([`crate::hashing::episode_seal`]: what lets the every-reseed
//!   hand-edit check skip parsing the bodies nobody edited).
//! - `(:SeedRun)`: one per run_id, every field of [`RunRecord`] (counts as
//!   `counts_json`).
//! - `(:Episode)-[:WRITTEN_BY {action, at, version, content_hash,
//!   source_hash}]->(:SeedRun)`: one per (episode, run), MERGEd, so a
//!   replayed batch adds none; `at` (the time of the write, from
//!   [`crate::clock::now`]) is set when the link is created and kept on replay.
//! - `(:PrunedEpisode {group_id, entity_id, pruned_at, pruned_by})`: what a
//!   prune leaves of an episode. The node loses its `:Episode` label and its
//!   content (planning, queries and consumers no longer see it) but keeps its
//!   `WRITTEN_BY` links and gains a `prune` one, so the history of a pruned
//!   episode can still be read.
//! - `(:SeedGroup {group_id, revision})`: bumped in every batch transaction.
//! - `(:SeedLock {group_id, owner, host, run_id, acquired_at, expires_at})`:
//!   the lease; a free lock is the node without holder properties (kept, so
//!   claimants MERGE one node instead of racing a delete). Every lock
//!   statement writes the node before reading its holder, which takes the
//!   node's write lock first: two processes can never both see it free.
//!
//! `init` creates a uniqueness constraint for each MERGE key above (the
//! composite one on `:Episode` is available in Community 5.x) and indexes on
//! `source`, `version`, `run_id`, `updated_at`, `source_path` for provenance
//! queries. Statements that take a group seek it through the
//! `(group_id, entity_id)` constraint's index.
//!
//! # Transactions and retries
//!
//! Every write goes through an explicit transaction, which `neo4rs` never
//! retries: the caller (`applying`) owns the retry loop and decides with
//! [`StoreError::is_transient`], which [`errors::classify`] feeds. Reads use
//! auto-commit queries (which the driver retries on transient errors) in
//! write mode, so on a cluster they go to the leader and see every committed
//! batch: the revision check depends on that.

mod communities;
mod connect;
mod decode;
mod episodes;
pub mod errors;
mod links;
mod nodelay;
mod params;
mod runs;
mod schema;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use neo4rs::{Config, Graph, Query, Row, Txn, query};

use self::decode::*;
use self::errors::{ErrorClass, classify, describe_error, is_already_there};
use self::params::*;
use self::schema::{REQUIRED_CONSTRAINTS, ShownConstraint};
use super::{
    Batch, BatchBackend, BatchPart, Coordination, LockInfo, LockOutcome, RunRecord, Store,
    StoreError, batch,
};
use crate::applying::retry::{self, RetryPolicy};
use crate::cypher;
use crate::graphiti::Profile;

pub use self::connect::{Neo4jOptions, connect};
#[doc(hidden)]
pub use self::nodelay::connections_to_port_have_nodelay;

/// The store over one Neo4j database.
#[derive(Clone)]
pub struct Neo4jStore {
    /// The driver's pool. Swapped for a fresh one after a NotALeader (see
    /// [`Neo4jStore::renew_connections`]); callers clone the `Graph` out
    /// (cheap, reference-counted) and never hold the lock across an await.
    graph: Arc<RwLock<Graph>>,
    /// What `graph` was built from, to build the next pool.
    config: Config,
    /// `target.describe()`: never carries the password.
    name: String,
    /// How episodes are written (`[target] profile`); reads work on both.
    profile: Profile,
    /// The Bolt port of the target: its connections get `TCP_NODELAY`.
    bolt_port: u16,
}

impl std::fmt::Debug for Neo4jStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Neo4jStore")
            .field("target", &self.name)
            .finish_non_exhaustive()
    }
}

/// Roll an explicit transaction back without letting a dead connection hang
/// the error path. Dropping a `Txn` alone would also end it (the pool RESETs
/// the connection before reusing it), but only at the next checkout; the
/// explicit ROLLBACK frees its locks on the server now. Its own failure is
/// ignored: after a Neo4j failure the server has already rolled back.
async fn rollback_quietly(txn: Txn) {
    let _ = tokio::time::timeout(Duration::from_secs(5), txn.rollback()).await;
}

impl Neo4jStore {
    pub(super) fn new(graph: Graph, config: Config, name: String, bolt_port: u16) -> Self {
        Neo4jStore {
            graph: Arc::new(RwLock::new(graph)),
            config,
            name,
            profile: Profile::Default,
            bolt_port,
        }
    }

    /// Turn Nagle's algorithm off on the pool's connections (see
    /// [`nodelay`]). Called once a statement has a connection: the pool
    /// opens them lazily, so a new one may appear at any checkout.
    fn tune_connections(&self) {
        nodelay::set_on_connections_to(self.bolt_port);
    }

    /// The same store, writing in `profile` (see [`crate::graphiti`]).
    pub fn with_profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// The current pool.
    fn graph(&self) -> Graph {
        self.graph.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replace the pool with an empty one, so the next attempt opens a new
    /// connection. neo4rs RESETs a connection that saw a failure and hands it
    /// out again, and a follower stays a follower on that connection; a new
    /// one may reach the leader (a load balancer in front of the cluster, as
    /// on Aura, or leadership that moved). Connections of the old pool close
    /// as their holders drop them.
    fn renew_connections(&self) {
        // Building a pool does not connect, and fails only on settings that
        // already worked once; keep the old pool if it fails anyway.
        if let Ok(fresh) = Graph::connect(self.config.clone()) {
            *self.graph.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        }
    }

    fn err(&self, doing: &str, e: &neo4rs::Error) -> StoreError {
        let target = self.name.clone();
        let message = format!("{doing}: {}", describe_error(e));
        match classify(e) {
            ErrorClass::Transient => StoreError::Transient { target, message },
            ErrorClass::Query => StoreError::Query { target, message },
            ErrorClass::Unreachable => StoreError::Unreachable { target, message },
            ErrorClass::NotALeader => {
                self.renew_connections();
                StoreError::NotALeader { target, message }
            }
        }
    }

    fn corrupt(&self, message: impl Into<Unreadable>) -> StoreError {
        let Unreadable(message) = message.into();
        StoreError::Corrupt {
            target: self.name.clone(),
            message,
        }
    }

    /// An explicit transaction on a pooled connection, with Nagle off.
    async fn start_txn(&self, doing: &str) -> Result<Txn, StoreError> {
        let txn = self
            .graph()
            .start_txn()
            .await
            .map_err(|e| self.err(doing, &e))?;
        self.tune_connections();
        Ok(txn)
    }

    /// Run a read (auto-commit) and map every row; all rows are fetched,
    /// `fetch_size` at a time.
    async fn read<T>(
        &self,
        doing: &str,
        q: Query,
        map: impl FnMut(&Row) -> Result<T, Unreadable>,
    ) -> Result<Vec<T>, StoreError> {
        self.read_where(doing, q, map, |_| true).await
    }

    /// [`Self::read`], keeping only the rows `keep` accepts: the others are
    /// dropped as they arrive, never held.
    async fn read_where<T>(
        &self,
        doing: &str,
        q: Query,
        mut map: impl FnMut(&Row) -> Result<T, Unreadable>,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Vec<T>, StoreError> {
        let mut rows = self
            .graph()
            .execute(q)
            .await
            .map_err(|e| self.err(doing, &e))?;
        // Before the PULLs that stream the rest of the rows.
        self.tune_connections();
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(|e| self.err(doing, &e))? {
            let item = map(&row).map_err(|m| self.corrupt(m))?;
            if keep(&item) {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Run `body` in one explicit transaction: commit if it succeeds, roll
    /// back (quietly) if not. Not retried here: the caller decides on
    /// [`StoreError::is_transient`].
    async fn in_txn<T>(
        &self,
        doing: &str,
        body: impl AsyncFnOnce(&mut Txn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut txn = self.start_txn(doing).await?;
        match body(&mut txn).await {
            Ok(out) => {
                txn.commit()
                    .await
                    .map_err(|e| self.err(&format!("{doing} (commit)"), &e))?;
                Ok(out)
            }
            Err(e) => {
                rollback_quietly(txn).await;
                Err(e)
            }
        }
    }

    /// One `init` statement in its own transaction.
    async fn schema_statement(&self, statement: &str) -> Result<(), StoreError> {
        let doing = "creating graphseed's constraints and indexes";
        // Two `init`s at once: IF NOT EXISTS is checked before the rule is
        // created, so the slower one can still be told the rule exists (when
        // it runs the statement or when it commits). That is the outcome it
        // asked for.
        let done =
            |e: &neo4rs::Error| matches!(e, neo4rs::Error::Neo4j(n) if is_already_there(n.code()));
        let mut txn = self.start_txn(doing).await?;
        match txn.run(query(statement)).await {
            Ok(_) => match txn.commit().await {
                Ok(()) => Ok(()),
                Err(e) if done(&e) => Ok(()),
                Err(e) => Err(self.err(&format!("{doing} (commit)"), &e)),
            },
            Err(e) => {
                rollback_quietly(txn).await;
                if done(&e) {
                    Ok(())
                } else {
                    Err(self.err(doing, &e))
                }
            }
        }
    }

    /// Run one statement in its own explicit transaction and map its rows.
    async fn write<T>(
        &self,
        doing: &str,
        q: Query,
        mut map: impl FnMut(&Row) -> Result<T, Unreadable>,
    ) -> Result<Vec<T>, StoreError> {
        self.in_txn(doing, async |txn: &mut Txn| {
            let mut rows = txn.execute(q).await.map_err(|e| self.err(doing, &e))?;
            let mut out = Vec::new();
            while let Some(row) = rows
                .next(txn.handle())
                .await
                .map_err(|e| self.err(doing, &e))?
            {
                out.push(map(&row).map_err(|m| self.corrupt(m))?);
            }
            Ok(out)
        })
        .await
    }
}

impl BatchBackend for Neo4jStore {
    type Tx<'a> = Txn;

    fn target(&self) -> String {
        self.name.clone()
    }

    async fn begin(&self, doing: &str) -> Result<Self::Tx<'_>, StoreError> {
        // An explicit transaction, which neo4rs never retries: the caller
        // replays the whole batch (every statement is a MERGE keyed on a
        // uniqueness constraint, or a delete of what may already be gone).
        self.start_txn(doing).await
    }

    async fn commit(&self, txn: Self::Tx<'_>, doing: &str) -> Result<(), StoreError> {
        txn.commit()
            .await
            .map_err(|e| self.err(&format!("{doing} (commit)"), &e))
    }

    async fn rollback(&self, txn: Self::Tx<'_>) {
        rollback_quietly(txn).await;
    }

    async fn lease_holder(
        &self,
        txn: &mut Self::Tx<'_>,
        group_id: &str,
        run_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LockInfo>, StoreError> {
        // The statement also write-locks the lease node until commit, so the
        // lease cannot be taken over while this batch is in flight.
        let doing = format!("checking the lease of group {group_id}");
        let e = |e: neo4rs::Error| self.err(&doing, &e);
        let fence = query(cypher::BATCH_FENCE)
            .param("group_id", group_id)
            .param("run_id", run_id)
            .param("now", now);
        let mut rows = txn.execute(fence).await.map_err(e)?;
        let mut holder = None;
        while let Some(row) = rows.next(txn.handle()).await.map_err(e)? {
            holder = holder.or(holder_from_row(&row, group_id).map_err(|m| self.corrupt(m))?);
        }
        Ok(holder)
    }

    async fn put_run(&self, txn: &mut Self::Tx<'_>, run: &RunRecord) -> Result<(), StoreError> {
        txn.run(run_query(run))
            .await
            .map_err(|e| self.err(&format!("saving run {}", run.run_id), &e))
    }

    async fn write_part(
        &self,
        txn: &mut Self::Tx<'_>,
        run: &RunRecord,
        at: DateTime<Utc>,
        part: BatchPart<'_>,
    ) -> Result<(), StoreError> {
        match part {
            BatchPart::Episodes(changes) => self.write_episodes(txn, run, at, changes).await,
            BatchPart::Links(changes) => self.write_links(txn, run, changes).await,
            BatchPart::Communities(changes) => self.write_communities(txn, run, at, changes).await,
        }
    }

    async fn bump_revision(
        &self,
        txn: &mut Self::Tx<'_>,
        group_id: &str,
    ) -> Result<(), StoreError> {
        let q = query(cypher::GROUP_REVISION_BUMP).param("group_id", group_id);
        txn.run(q)
            .await
            .map_err(|e| self.err(&format!("bumping the revision of group {group_id}"), &e))
    }
}

// The one envelope over the primitives above.
impl Store for Neo4jStore {
    async fn apply_batch(&self, run: &RunRecord, batch: &Batch) -> Result<(), StoreError> {
        batch::apply_batch(self, run, batch).await
    }
}

impl Coordination for Neo4jStore {
    fn describe(&self) -> String {
        self.name.clone()
    }

    async fn init(&self) -> Result<(), StoreError> {
        // Schema commands cannot share a transaction with data writes; each
        // runs in a transaction of its own, and all are IF NOT EXISTS, so a
        // rerun is a no-op. Explicit transactions rather than auto-commit:
        // the driver retries auto-commit queries after NotALeader for a
        // minute; graphseed's own loop retries it briefly, and transient
        // errors within the usual budget.
        let graphiti: &[&str] = match self.profile {
            Profile::Graphiti => cypher::SCHEMA_GRAPHITI,
            Profile::Default => &[],
        };
        for statement in cypher::SCHEMA.iter().chain(graphiti) {
            retry::retry(
                RetryPolicy::default(),
                || self.schema_statement(statement),
                |_, _| {},
            )
            .await?;
        }
        // Data migrations, after the constraints they rely on. Idempotent.
        self.write(
            "giving runs recorded before kinds existed the kind `seed`",
            query(cypher::RUN_KIND_MIGRATE),
            |_| Ok(()),
        )
        .await?;
        Ok(())
    }

    async fn check_schema(&self) -> Result<(), StoreError> {
        let shown = self
            .read(
                "listing constraints",
                query(cypher::SCHEMA_CONSTRAINTS_SHOW),
                |row| {
                    Ok(ShownConstraint {
                        kind: col(row, "type")?,
                        entity: col(row, "entityType")?,
                        labels: col::<Option<Vec<String>>>(row, "labelsOrTypes")?
                            .unwrap_or_default(),
                        properties: col::<Option<Vec<String>>>(row, "properties")?
                            .unwrap_or_default(),
                    })
                },
            )
            .await?;
        let missing: Vec<String> = REQUIRED_CONSTRAINTS
            .iter()
            .filter(|(_, label, props)| !shown.iter().any(|c| c.enforces(label, props)))
            .map(|(name, label, props)| format!("{name} (unique :{label}({}))", props.join(", ")))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(StoreError::SchemaMissing {
                target: self.name.clone(),
                missing: format!(
                    "missing constraints {}; run `graphseed init`",
                    missing.join(", ")
                ),
            })
        }
    }

    async fn group_revision(&self, group_id: &str) -> Result<u64, StoreError> {
        let q = query(cypher::GROUP_REVISION_GET).param("group_id", group_id);
        let revisions = self
            .read(
                &format!("reading the revision of group {group_id}"),
                q,
                |row| {
                    let v: i64 = col(row, "revision")?;
                    non_negative(v, "revision").map_err(|e| e.of(format!("group {group_id}")))
                },
            )
            .await?;
        Ok(revisions.first().copied().unwrap_or(0))
    }

    async fn acquire_lock(
        &self,
        claim: &LockInfo,
        takeover: bool,
    ) -> Result<LockOutcome, StoreError> {
        // The statement checks and sets the holder in one transaction under
        // the lock node's write lock (see cypher/lock_acquire.cypher), so two
        // processes racing for the same group cannot both win.
        let q = lock_params(query(cypher::LOCK_ACQUIRE), claim).param("takeover", takeover);
        let group = claim.group_id.as_str();
        let rows = self
            .write(&format!("taking the lock of group {group}"), q, |row| {
                Ok((col::<bool>(row, "granted")?, holder_from_row(row, group)?))
            })
            .await?;
        lock_outcome(self, rows, group)
    }

    async fn renew_lock(&self, claim: &LockInfo) -> Result<LockOutcome, StoreError> {
        let q = query(cypher::LOCK_RENEW)
            .param("group_id", claim.group_id.as_str())
            .param("run_id", claim.run_id.as_str())
            .param("expires_at", claim.expires_at);
        let group = claim.group_id.as_str();
        let rows = self
            .write(&format!("renewing the lock of group {group}"), q, |row| {
                Ok((col::<bool>(row, "granted")?, holder_from_row(row, group)?))
            })
            .await?;
        match rows.into_iter().next() {
            Some((true, _)) => Ok(LockOutcome::Acquired),
            Some((false, Some(holder))) => Ok(LockOutcome::Held(holder)),
            // Released or removed (`graphseed unlock`) while we ran: the lease
            // is lost. Taking it again silently would hide that another writer
            // may have held it, and written, in between; so the run stops.
            Some((false, None)) | None => Err(StoreError::LockGone {
                target: self.name.clone(),
                group_id: group.to_string(),
                run_id: claim.run_id.clone(),
            }),
        }
    }

    async fn release_lock(&self, group_id: &str, run_id: &str) -> Result<(), StoreError> {
        self.write(
            &format!("releasing the lock of group {group_id}"),
            release_query(group_id, run_id),
            |_| Ok(()),
        )
        .await
        .map(drop)
    }

    async fn read_lock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError> {
        let q = query(cypher::LOCK_READ).param("group_id", group_id);
        let holders = self
            .read(&format!("reading the lock of group {group_id}"), q, |row| {
                holder_from_row(row, group_id)
            })
            .await?;
        Ok(holders.into_iter().next().flatten())
    }

    async fn force_unlock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError> {
        let q = query(cypher::LOCK_FORCE_UNLOCK).param("group_id", group_id);
        // The mapper never fails the transaction: `unlock` exists to clear
        // a stuck lock, so a holder that cannot be read (hand-edited) is
        // still removed, and then reported.
        let holders = self
            .write(
                &format!("removing the lock of group {group_id}"),
                q,
                |row| Ok(holder_from_row(row, group_id)),
            )
            .await?;
        match holders.into_iter().next() {
            None => Ok(None),
            Some(Ok(holder)) => Ok(holder),
            Some(Err(e)) => Err(self.corrupt(format!(
                "removed the lock of group {group_id}, but its holder could not be read: {e}"
            ))),
        }
    }
}

/// `Acquired`, or `Held` by the holder the statement found.
fn lock_outcome(
    store: &Neo4jStore,
    rows: Vec<(bool, Option<LockInfo>)>,
    group_id: &str,
) -> Result<LockOutcome, StoreError> {
    match rows.into_iter().next() {
        Some((true, _)) => Ok(LockOutcome::Acquired),
        Some((false, Some(holder))) => Ok(LockOutcome::Held(holder)),
        Some((false, None)) => Err(store.corrupt(format!(
            "lock of group {group_id}: refused but no holder recorded"
        ))),
        None => Err(store.corrupt(format!(
            "lock of group {group_id}: the lock statement returned no row"
        ))),
    }
}
