//! The embedded default store: one SQLite file (`sqlite:.graphseed/graph.db`),
//! used when no Neo4j target is configured. Same facts and same semantics as
//! the Neo4j store, zero set-up.
//!
//! Layout (created by [`Store::init`], checked by [`Store::check_schema`]):
//!
//! | table | key | holds |
//! |---|---|---|
//! | `schema_version` | `id = 1` | the layout version of this file |
//! | `episodes` | `(group_id, entity_id)` | one row per episode, `_metadata` as columns, the body as JSON text |
//! | `episode_history` | `(group_id, entity_id, run_id)` | one provenance link per run that wrote (or pruned) an episode |
//! | `runs` | `run_id` | every [`RunRecord`] field, counts as JSON |
//! | `groups` | `group_id` | the group revision, bumped by every committed batch |
//! | `locks` | `group_id` | the lease lock of one group |
//!
//! Every value travels as a bound parameter; no SQL text is ever built from
//! input. Times are stored as text in the one format
//! [`format_time`] produces (`YYYY-MM-DDTHH:MM:SS.ffffff+00:00`): fixed width,
//! fixed offset, so text order *is* time order and SQL can compare them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior, params,
};

use super::{
    Action, Batch, EpisodeFilter, HistoryEntry, LockInfo, LockOutcome, RawEpisode, RawValue,
    RunRecord, RunStatus, StatusRow, Store, StoreError,
};
use crate::metadata::{EpisodeRecord, Interner, StoredEpisode, format_time};
use crate::sql;
use crate::version::SeedVersion;

/// The layout version `init` writes and `check_schema` expects.
const SCHEMA_VERSION: i64 = 1;

/// How long a statement waits for another connection's write lock before
/// giving up with `SQLITE_BUSY` (reported as [`StoreError::Transient`]).
/// Two graphseed processes on one file then take turns instead of failing:
/// every transaction here is short, so 5 s is ample.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Enough room for every distinct statement of this module, so
/// `prepare_cached` never evicts one in the hot loop of `apply_batch`.
const STATEMENT_CACHE: usize = 64;

/// What `check_schema` looks for. Keep in step with `sql/schema.sql`.
const TABLES: &[&str] = &[
    "schema_version",
    "runs",
    "episodes",
    "episode_history",
    "groups",
    "locks",
];
const INDEXES: &[&str] = &[
    "runs_group_started",
    "episodes_group_source",
    "episodes_group_run",
    "episodes_group_updated",
    "episodes_group_version",
    "episode_history_run",
];

/// The embedded store. One connection per handle; two handles (or two
/// processes) on one file coordinate through SQLite's own file locks.
pub struct SqliteStore {
    path: PathBuf,
    /// The trait takes `&self`, so the connection sits behind a mutex. The
    /// work is done inline in the `async fn`s, never across an `.await`: the
    /// binary runs a current-thread runtime and every SQLite call here is a
    /// short, local operation (a batch of 1,000 episodes commits in
    /// milliseconds), so blocking the executor that briefly costs nothing and
    /// spares a thread hop per call.
    conn: Mutex<Connection>,
}

/// Internal failure, turned into a [`StoreError`] (which needs the target's
/// name) at the trait boundary.
#[derive(Debug)]
enum Fail {
    Sql(rusqlite::Error),
    /// A stored value graphseed cannot read.
    Corrupt(String),
    /// A request the store refuses.
    Refused(String),
    /// Another run holds the group's live lease: the batch is refused.
    Fenced(LockInfo),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

type R<T> = Result<T, Fail>;

impl SqliteStore {
    /// Open (creating it and its parent directories if needed) the database
    /// file at `path`. Does not create the schema: that is `init`'s job.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with_busy_timeout(path, BUSY_TIMEOUT)
    }

    fn open_with_busy_timeout(
        path: &Path,
        busy_timeout: Duration,
    ) -> Result<SqliteStore, StoreError> {
        let unreachable = |message: String| StoreError::Unreachable {
            target: describe_path(path),
            message,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                unreachable(format!("cannot create directory {}: {e}", parent.display()))
            })?;
        }
        let conn = Connection::open(path)
            .map_err(|e| unreachable(format!("cannot open {}: {e}", path.display())))?;
        configure(&conn, busy_timeout)
            .map_err(|e| unreachable(format!("cannot open {}: {e}", path.display())))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// The file this store keeps the graph in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while the mutex was held cannot leave a half-done write
        // behind: an unfinished `Transaction` rolls back when dropped during
        // the unwind. So the connection is still sound; keep using it.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Run `f` on the connection and turn its failure into a `StoreError`.
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> R<T>) -> Result<T, StoreError> {
        let mut conn = self.conn();
        f(&mut conn).map_err(|e| self.error(e))
    }

    fn error(&self, fail: Fail) -> StoreError {
        let target = self.describe();
        match fail {
            Fail::Corrupt(message) => StoreError::Corrupt { target, message },
            Fail::Refused(message) => StoreError::Query { target, message },
            Fail::Fenced(holder) => StoreError::Fenced {
                target,
                holder: Box::new(holder),
            },
            Fail::Sql(e) => map_sqlite_error(target, e),
        }
    }
}

fn describe_path(path: &Path) -> String {
    format!("sqlite:{}", path.display())
}

fn configure(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<()> {
    // First, so that even switching the journal mode below waits politely for
    // another process that is in the middle of a write.
    conn.busy_timeout(busy_timeout)?;
    // WAL: readers never block the writer and the writer never blocks
    // readers, so `status` or `provenance` can run during a `seed`. The mode
    // is persistent in the file; setting it again is a no-op. (On a file
    // system without shared memory SQLite answers with another mode; that is
    // slower under contention but still correct, so it is not an error.)
    let _mode: String = conn.query_row(sql::JOURNAL_MODE_WAL, [], |row| row.get(0))?;
    // FULL, not WAL's usual NORMAL: with NORMAL a committed transaction is
    // safe from a killed process but can still be lost on power failure,
    // because the WAL is not fsynced at each commit. A batch that reported
    // "committed" must stay committed, or the run's audit trail (and the
    // planner's view of what is already seeded) would claim writes the graph
    // no longer holds. One fsync per batch of ~1,000 episodes is cheap.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// SQLITE_BUSY/LOCKED is another connection holding the write lock past our
/// busy timeout: worth retrying. A damaged file is corrupt. The rest is a
/// refused statement.
fn map_sqlite_error(target: String, e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    let message = e.to_string();
    match &e {
        E::SqliteFailure(err, msg) => match err.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                StoreError::Transient { target, message }
            }
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                StoreError::Corrupt { target, message }
            }
            ErrorCode::CannotOpen => StoreError::Unreachable { target, message },
            _ => match msg
                .as_deref()
                .and_then(|m| m.strip_prefix("no such table: "))
            {
                Some(table) => StoreError::SchemaMissing {
                    target,
                    missing: format!("table {table} (run `graphseed init`)"),
                },
                None => StoreError::Query { target, message },
            },
        },
        E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..)
        | E::Utf8Error(..)
        | E::InvalidColumnType(..) => StoreError::Corrupt { target, message },
        _ => StoreError::Query { target, message },
    }
}

fn parse_time(what: &str, s: &str) -> R<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Fail::Corrupt(format!("{what} is `{s}`, not an RFC 3339 time: {e}")))
}

fn parse_opt_time(what: &str, s: Option<String>) -> R<Option<DateTime<Utc>>> {
    s.map(|s| parse_time(what, &s)).transpose()
}

fn opt_time(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.as_ref().map(format_time)
}

/// u64 → SQLite's signed 64-bit integer, saturating (no count or limit ever
/// gets near 2^63).
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn read_lock_row(row: &Row<'_>) -> R<LockInfo> {
    let group_id: String = row.get(0)?;
    let what = |col: &str| format!("lock of group `{group_id}`: {col}");
    Ok(LockInfo {
        owner: row.get(1)?,
        host: row.get(2)?,
        run_id: row.get(3)?,
        acquired_at: parse_time(&what("acquired_at"), &row.get::<_, String>(4)?)?,
        expires_at: parse_time(&what("expires_at"), &row.get::<_, String>(5)?)?,
        group_id,
    })
}

fn read_run_row(row: &Row<'_>) -> R<RunRecord> {
    let run_id: String = row.get(0)?;
    let what = |col: &str| format!("run `{run_id}`: {col}");
    let status: String = row.get(2)?;
    let status = RunStatus::parse(&status)
        .ok_or_else(|| Fail::Corrupt(format!("{} is `{status}`", what("status"))))?;
    let counts: String = row.get(15)?;
    let counts = serde_json::from_str(&counts).map_err(|e| {
        Fail::Corrupt(format!(
            "{} is not a JSON map of counts: {e}",
            what("counts")
        ))
    })?;
    Ok(RunRecord {
        group_id: row.get(1)?,
        status,
        started_at: parse_time(&what("started_at"), &row.get::<_, String>(3)?)?,
        finished_at: parse_opt_time(&what("finished_at"), row.get(4)?)?,
        tool_version: row.get(5)?,
        seed_version: row.get(6)?,
        params_hash: row.get(7)?,
        params_json: row.get(8)?,
        graph_signature: row.get(9)?,
        git_commit: row.get(10)?,
        git_branch: row.get(11)?,
        git_dirty: row.get(12)?,
        hostname: row.get(13)?,
        os: row.get(14)?,
        counts,
        run_id,
    })
}

fn read_stored_row(group_id: &str, row: &Row<'_>, interner: &mut Interner) -> R<StoredEpisode> {
    let entity_id: String = row.get(0)?;
    let what = |col: &str| format!("episode `{group_id}/{entity_id}`: {col}");
    Ok(StoredEpisode {
        source: interner.get(&row.get::<_, String>(1)?),
        version: interner.get(&row.get::<_, String>(2)?),
        created_at: parse_time(&what("created_at"), &row.get::<_, String>(3)?)?,
        updated_at: parse_time(&what("updated_at"), &row.get::<_, String>(4)?)?,
        source_hash: row.get::<_, Option<String>>(5)?.map(Arc::from),
        content_hash: Arc::from(row.get::<_, String>(6)?),
        source_path: row.get(7)?,
        entity_id,
    })
}

fn read_record_row(row: &Row<'_>) -> R<EpisodeRecord> {
    let group_id: String = row.get(0)?;
    let entity_id: String = row.get(1)?;
    let what = |col: &str| format!("episode `{group_id}/{entity_id}`: {col}");
    let version: String = row.get(4)?;
    let version = SeedVersion::parse(&version)
        .map_err(|e| Fail::Corrupt(format!("{}: {e}", what("version"))))?;
    Ok(EpisodeRecord {
        name: row.get(2)?,
        source: row.get(3)?,
        version,
        created_at: parse_time(&what("created_at"), &row.get::<_, String>(5)?)?,
        updated_at: parse_time(&what("updated_at"), &row.get::<_, String>(6)?)?,
        source_hash: row.get(7)?,
        content_hash: row.get(8)?,
        source_path: row.get(9)?,
        run_id: row.get(10)?,
        body: row.get(11)?,
        group_id,
        entity_id,
    })
}

/// One conditional DELETE: a no-op unless `run_id` is the holder, so a late
/// release never frees a lock that someone else has since taken over.
fn release_lock_in(conn: &Connection, group_id: &str, run_id: &str) -> R<()> {
    conn.prepare_cached(sql::LOCK_RELEASE)?
        .execute(params![group_id, run_id])?;
    Ok(())
}

fn upsert_run(conn: &Connection, run: &RunRecord) -> R<()> {
    let counts = serde_json::to_string(&run.counts).map_err(|e| {
        Fail::Refused(format!(
            "cannot encode the counts of run `{}`: {e}",
            run.run_id
        ))
    })?;
    conn.prepare_cached(sql::RUN_UPSERT)?.execute(params![
        run.run_id,
        run.group_id,
        run.status.as_str(),
        format_time(&run.started_at),
        opt_time(&run.finished_at),
        run.tool_version,
        run.seed_version,
        run.params_hash,
        run.params_json,
        run.graph_signature,
        run.git_commit,
        run.git_branch,
        run.git_dirty,
        run.hostname,
        run.os,
        counts,
    ])?;
    Ok(())
}

fn select_lock(conn: &Connection, group_id: &str) -> R<Option<LockInfo>> {
    let mut stmt = conn.prepare_cached(sql::LOCK_READ)?;
    let mut rows = stmt.query(params![group_id])?;
    match rows.next()? {
        Some(row) => Ok(Some(read_lock_row(row)?)),
        None => Ok(None),
    }
}

fn write_lock(tx: &Transaction<'_>, claim: &LockInfo) -> R<()> {
    tx.prepare_cached(sql::LOCK_WRITE)?.execute(params![
        claim.group_id,
        claim.owner,
        claim.host,
        claim.run_id,
        format_time(&claim.acquired_at),
        format_time(&claim.expires_at),
    ])?;
    Ok(())
}

/// An IMMEDIATE transaction takes SQLite's write lock at `BEGIN`, before the
/// first read. Every read-then-write here (lock checks, prune reads) thus
/// sees the state it writes over: no other connection can commit in between.
/// (A DEFERRED transaction would read under a snapshot and could only fail
/// with BUSY, not wait, when upgrading to write.)
fn immediate(conn: &mut Connection) -> R<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

fn apply_batch_in(conn: &mut Connection, run: &RunRecord, batch: &Batch) -> R<()> {
    // Nothing to change, nothing written: not even the run record (a run
    // that changes nothing writes nothing to the graph).
    if batch.is_empty() {
        return Ok(());
    }
    // The time of the provenance links this batch makes.
    let at = format_time(&Utc::now());
    // One transaction for the whole batch: the episode upserts, the deletes,
    // their history links, the run record and the revision bump commit
    // together or not at all, so a crash never leaves half a batch.
    let tx = immediate(conn)?;
    // Fencing: a run that lost its lease (another run took it over after it
    // expired) must not commit. IMMEDIATE already holds the write lock, so
    // the lease cannot change between this check and the commit.
    if let Some(holder) = select_lock(&tx, &run.group_id)?
        && holder.run_id != run.run_id
        && holder.expires_at > Utc::now()
    {
        return Err(Fail::Fenced(holder));
    }
    upsert_run(&tx, run)?;
    let mut groups: Vec<&str> = vec![run.group_id.as_str()];
    {
        let mut upsert = tx.prepare_cached(sql::EPISODE_UPSERT)?;
        let mut history = tx.prepare_cached(sql::EPISODE_HISTORY_UPSERT)?;
        for write in &batch.writes {
            let r = &write.record;
            let version = r.version.to_string();
            upsert.execute(params![
                r.group_id,
                r.entity_id,
                r.name,
                r.source,
                version,
                r.version.major(),
                r.version.minor(),
                r.version.patch(),
                r.version.pre(),
                format_time(&r.created_at),
                format_time(&r.updated_at),
                r.source_hash,
                r.content_hash,
                r.source_path,
                r.run_id,
                r.body,
            ])?;
            history.execute(params![
                r.group_id,
                r.entity_id,
                run.run_id,
                write.action.as_str(),
                at,
                version,
                r.content_hash,
                r.source_hash,
            ])?;
            if !groups.contains(&r.group_id.as_str()) {
                groups.push(&r.group_id);
            }
        }

        // A prune link records what was deleted, read under the write lock
        // just before the delete. An entity already gone (a replayed batch)
        // is skipped, so the first prune's link stands unchanged.
        let mut read = tx.prepare_cached(sql::EPISODE_PRUNE_READ)?;
        let mut delete = tx.prepare_cached(sql::EPISODE_DELETE)?;
        for entity_id in &batch.deletes {
            let old: Option<(String, String, Option<String>)> = read
                .query_row(params![run.group_id, entity_id], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?;
            let Some((version, content_hash, source_hash)) = old else {
                continue;
            };
            delete.execute(params![run.group_id, entity_id])?;
            history.execute(params![
                run.group_id,
                entity_id,
                run.run_id,
                Action::Prune.as_str(),
                at,
                version,
                content_hash,
                source_hash,
            ])?;
        }

        let mut bump = tx.prepare_cached(sql::GROUP_REVISION_BUMP)?;
        for group in &groups {
            bump.execute(params![group])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn acquire_lock_in(conn: &mut Connection, claim: &LockInfo, takeover: bool) -> R<LockOutcome> {
    // Read and write under one write lock: two claimants can never both see
    // the lock free and both take it.
    let tx = immediate(conn)?;
    if let Some(holder) = select_lock(&tx, &claim.group_id)? {
        let ours = holder.run_id == claim.run_id;
        // Compared at the microsecond precision the row keeps.
        let expired = format_time(&holder.expires_at) <= format_time(&claim.acquired_at);
        if !(ours || expired || takeover) {
            return Ok(LockOutcome::Held(holder));
        }
    }
    write_lock(&tx, claim)?;
    tx.commit()?;
    Ok(LockOutcome::Acquired)
}

fn renew_lock_in(conn: &mut Connection, claim: &LockInfo) -> R<LockOutcome> {
    let tx = immediate(conn)?;
    match select_lock(&tx, &claim.group_id)? {
        Some(holder) if holder.run_id == claim.run_id => {
            // Still ours (even if it lapsed, nobody took it over meanwhile):
            // extend it. `acquired_at` keeps the time it was first taken.
            tx.prepare_cached(sql::LOCK_RENEW)?
                .execute(params![claim.group_id, format_time(&claim.expires_at)])?;
            tx.commit()?;
            Ok(LockOutcome::Acquired)
        }
        Some(holder) => Ok(LockOutcome::Held(holder)),
        // Released or removed with `graphseed unlock`: the lease is lost.
        // Silently taking it again would hide that another writer may have
        // held it (and written) in between, so refuse and let the run stop.
        None => Err(Fail::Refused(format!(
            "run `{}` no longer holds the lock of group `{}`: it was released or removed (graphseed unlock)",
            claim.run_id, claim.group_id
        ))),
    }
}

fn force_unlock_in(conn: &mut Connection, group_id: &str) -> R<Option<LockInfo>> {
    // Read the holder and delete in one transaction, so the holder reported
    // is the one actually removed.
    let tx = immediate(conn)?;
    let holder = select_lock(&tx, group_id)?;
    if holder.is_some() {
        tx.prepare_cached(sql::LOCK_DELETE)?
            .execute(params![group_id])?;
    }
    tx.commit()?;
    Ok(holder)
}

fn check_schema_in(conn: &Connection) -> R<Option<String>> {
    let mut exists = conn.prepare_cached(sql::SCHEMA_OBJECT_EXISTS)?;
    let mut missing_tables = Vec::new();
    for table in TABLES {
        if !exists.exists(params!["table", table])? {
            missing_tables.push(*table);
        }
    }
    let mut missing_indexes = Vec::new();
    for index in INDEXES {
        if !exists.exists(params!["index", index])? {
            missing_indexes.push(*index);
        }
    }
    let mut problems = Vec::new();
    if !missing_tables.is_empty() {
        problems.push(format!("missing tables {}", missing_tables.join(", ")));
    }
    if !missing_indexes.is_empty() {
        problems.push(format!("missing indexes {}", missing_indexes.join(", ")));
    }
    if !missing_tables.contains(&"schema_version") {
        let version: Option<i64> = conn
            .query_row(sql::SCHEMA_VERSION_GET, [], |row| row.get(0))
            .optional()?;
        match version {
            Some(SCHEMA_VERSION) => {}
            Some(v) if v > SCHEMA_VERSION => {
                return Ok(Some(format!(
                    "schema version {v} was written by a newer graphseed (this one knows version {SCHEMA_VERSION}); upgrade graphseed"
                )));
            }
            Some(v) => problems.push(format!("schema version {v}, expected {SCHEMA_VERSION}")),
            None => problems.push("no schema version recorded".to_string()),
        }
    }
    if problems.is_empty() {
        Ok(None)
    } else {
        Ok(Some(format!(
            "{} (run `graphseed init`)",
            problems.join("; ")
        )))
    }
}

fn init_in(conn: &mut Connection) -> R<()> {
    // In one transaction, so two concurrent `init`s cannot interleave, and a
    // failure leaves no half-made schema.
    let tx = immediate(conn)?;
    tx.execute_batch(sql::SCHEMA)?;
    let version: Option<i64> = tx
        .query_row(sql::SCHEMA_VERSION_GET, [], |row| row.get(0))
        .optional()?;
    match version {
        None => {
            tx.prepare_cached(sql::SCHEMA_VERSION_INSERT)?
                .execute(params![SCHEMA_VERSION])?;
        }
        Some(v) if v > SCHEMA_VERSION => {
            return Err(Fail::Refused(format!(
                "schema version {v} was written by a newer graphseed (this one knows version {SCHEMA_VERSION}); upgrade graphseed"
            )));
        }
        // Version 1 is the first layout: nothing older to migrate from.
        Some(_) => {
            tx.prepare_cached(sql::SCHEMA_VERSION_SET)?
                .execute(params![SCHEMA_VERSION])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn query_episodes_in(conn: &Connection, filter: &EpisodeFilter) -> R<Vec<EpisodeRecord>> {
    // Two fixed statements: with a group the primary key narrows the scan to
    // that group (the common case); without one every group is searched.
    let mut stmt = match filter.group_id {
        Some(_) => conn.prepare_cached(sql::EPISODE_QUERY_GROUP)?,
        None => conn.prepare_cached(sql::EPISODE_QUERY)?,
    };
    // A negative LIMIT means "no limit" in SQLite.
    let limit = filter.limit.map_or(-1, to_i64);
    let mut rows = stmt.query(params![
        filter.group_id,
        filter.source,
        filter.version,
        filter.entity_id,
        filter.run_id,
        opt_time(&filter.since),
        opt_time(&filter.until),
        limit,
    ])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read_record_row(row)?);
    }
    Ok(out)
}

impl Store for SqliteStore {
    fn describe(&self) -> String {
        describe_path(&self.path)
    }

    async fn init(&self) -> Result<(), StoreError> {
        self.with(init_in)
    }

    async fn check_schema(&self) -> Result<(), StoreError> {
        match self.with(|conn| check_schema_in(conn))? {
            None => Ok(()),
            Some(missing) => Err(StoreError::SchemaMissing {
                target: self.describe(),
                missing,
            }),
        }
    }

    async fn load_episodes(&self, group_id: &str) -> Result<Vec<StoredEpisode>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::EPISODE_LOAD_GROUP)?;
            let mut rows = stmt.query(params![group_id])?;
            let mut out = Vec::new();
            let mut interner = Interner::default();
            while let Some(row) = rows.next()? {
                out.push(read_stored_row(group_id, row, &mut interner)?);
            }
            Ok(out)
        })
    }

    async fn group_revision(&self, group_id: &str) -> Result<u64, StoreError> {
        self.with(|conn| {
            let revision: Option<i64> = conn
                .prepare_cached(sql::GROUP_REVISION_GET)?
                .query_row(params![group_id], |row| row.get(0))
                .optional()?;
            let revision = revision.unwrap_or(0);
            u64::try_from(revision)
                .map_err(|_| Fail::Corrupt(format!("revision of group `{group_id}` is {revision}")))
        })
    }

    async fn apply_batch(&self, run: &RunRecord, batch: &Batch) -> Result<(), StoreError> {
        self.with(|conn| apply_batch_in(conn, run, batch))
    }

    async fn save_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        // A single statement is its own transaction.
        self.with(|conn| upsert_run(conn, run))
    }

    async fn list_runs(&self, group_id: Option<&str>) -> Result<Vec<RunRecord>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::RUN_LIST)?;
            let mut rows = stmt.query(params![group_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(read_run_row(row)?);
            }
            Ok(out)
        })
    }

    async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::RUN_GET)?;
            let mut rows = stmt.query(params![run_id])?;
            match rows.next()? {
                Some(row) => Ok(Some(read_run_row(row)?)),
                None => Ok(None),
            }
        })
    }

    async fn acquire_lock(
        &self,
        claim: &LockInfo,
        takeover: bool,
    ) -> Result<LockOutcome, StoreError> {
        self.with(|conn| acquire_lock_in(conn, claim, takeover))
    }

    async fn renew_lock(&self, claim: &LockInfo) -> Result<LockOutcome, StoreError> {
        self.with(|conn| renew_lock_in(conn, claim))
    }

    async fn release_lock(&self, group_id: &str, run_id: &str) -> Result<(), StoreError> {
        self.with(|conn| release_lock_in(conn, group_id, run_id))
    }

    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        self.with(|conn| {
            let tx = immediate(conn)?;
            upsert_run(&tx, run)?;
            release_lock_in(&tx, &run.group_id, &run.run_id)?;
            tx.commit()?;
            Ok(())
        })
    }

    async fn read_lock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError> {
        self.with(|conn| select_lock(conn, group_id))
    }

    async fn force_unlock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError> {
        self.with(|conn| force_unlock_in(conn, group_id))
    }

    async fn query_episodes(
        &self,
        filter: &EpisodeFilter,
    ) -> Result<Vec<EpisodeRecord>, StoreError> {
        self.with(|conn| query_episodes_in(conn, filter))
    }

    async fn episode_history(
        &self,
        group_id: &str,
        entity_id: &str,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::EPISODE_HISTORY)?;
            let mut rows = stmt.query(params![group_id, entity_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let run_id: String = row.get(0)?;
                let what = |col: &str| {
                    format!("history of `{group_id}/{entity_id}` by run `{run_id}`: {col}")
                };
                let action: String = row.get(1)?;
                let action = Action::parse(&action)
                    .ok_or_else(|| Fail::Corrupt(format!("{} is `{action}`", what("action"))))?;
                out.push(HistoryEntry {
                    action,
                    at: parse_time(&what("at"), &row.get::<_, String>(2)?)?,
                    version: row.get(3)?,
                    content_hash: row.get(4)?,
                    source_hash: row.get(5)?,
                    run_id,
                });
            }
            Ok(out)
        })
    }

    async fn status(&self, group_id: Option<&str>) -> Result<Vec<StatusRow>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::EPISODE_STATUS)?;
            let mut rows = stmt.query(params![group_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let episodes: i64 = row.get(3)?;
                out.push(StatusRow {
                    group_id: row.get(0)?,
                    source: row.get(1)?,
                    version: row.get(2)?,
                    episodes: u64::try_from(episodes).unwrap_or(0),
                });
            }
            // The order of `StatusRow`'s `Ord` (byte order of the strings,
            // same as SQLite's default BINARY collation): make it explicit.
            out.sort();
            Ok(out)
        })
    }

    async fn raw_episodes(&self, group_id: &str) -> Result<Vec<RawEpisode>, StoreError> {
        use rusqlite::types::ValueRef;
        self.with(|conn| {
            // Every column as stored, whatever its declared type says.
            let mut stmt = conn.prepare_cached(sql::EPISODE_RAW_GROUP)?;
            let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
            let mut rows = stmt.query(params![group_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let mut e = RawEpisode::new();
                for (i, name) in names.iter().enumerate() {
                    let v = match row.get_ref(i)? {
                        ValueRef::Null => RawValue::Null,
                        ValueRef::Integer(n) => RawValue::Int(n),
                        ValueRef::Real(f) => RawValue::Float(f),
                        ValueRef::Text(t) => RawValue::Str(String::from_utf8_lossy(t).into_owned()),
                        ValueRef::Blob(_) => RawValue::Other("blob".into()),
                    };
                    e.insert(name.clone(), v);
                }
                out.push(e);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Duration as Span;

    use super::*;
    use crate::metadata::truncate_micros;
    use crate::stores::EpisodeWrite;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn v(s: &str) -> SeedVersion {
        SeedVersion::parse(s).unwrap()
    }

    async fn fresh() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("graph.db")).unwrap();
        store.init().await.unwrap();
        (dir, store)
    }

    fn run(run_id: &str, group: &str, started: &str) -> RunRecord {
        RunRecord {
            run_id: run_id.to_string(),
            group_id: group.to_string(),
            status: RunStatus::Running,
            started_at: t(started),
            finished_at: None,
            tool_version: "0.1.0".to_string(),
            seed_version: "1.0.0".to_string(),
            params_hash: "ab".repeat(32),
            params_json: r#"{"force":false}"#.to_string(),
            graph_signature: None,
            git_commit: None,
            git_branch: None,
            git_dirty: None,
            hostname: "host-a".to_string(),
            os: "linux".to_string(),
            counts: BTreeMap::new(),
        }
    }

    fn record(group: &str, entity: &str, run_id: &str, at: &str) -> EpisodeRecord {
        EpisodeRecord {
            group_id: group.to_string(),
            entity_id: entity.to_string(),
            name: format!("Name of {entity}"),
            source: "project_seeding".to_string(),
            version: v("1.0.0"),
            created_at: t(at),
            updated_at: t(at),
            source_hash: Some("a".repeat(64)),
            content_hash: "c".repeat(64),
            source_path: Some(format!("docs/{entity}.md")),
            run_id: run_id.to_string(),
            body: format!(r#"{{"name":"{entity}"}}"#),
        }
    }

    fn writes(action: Action, records: &[EpisodeRecord]) -> Batch {
        Batch {
            writes: records
                .iter()
                .map(|r| EpisodeWrite {
                    action,
                    record: r.clone(),
                })
                .collect(),
            deletes: vec![],
        }
    }

    fn claim(group: &str, run_id: &str, owner: &str, at: &str, ttl_secs: i64) -> LockInfo {
        LockInfo {
            group_id: group.to_string(),
            owner: owner.to_string(),
            host: format!("{owner}-host"),
            run_id: run_id.to_string(),
            acquired_at: t(at),
            expires_at: t(at) + Span::seconds(ttl_secs),
        }
    }

    fn all(group: &str) -> EpisodeFilter {
        EpisodeFilter {
            group_id: Some(group.to_string()),
            ..EpisodeFilter::default()
        }
    }

    #[tokio::test]
    async fn open_creates_parent_directories_and_describes_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/.graphseed/graph.db");
        let store = SqliteStore::open(&path).unwrap();
        assert!(path.exists());
        assert_eq!(store.describe(), format!("sqlite:{}", path.display()));
        let conn = store.conn();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    }

    #[tokio::test]
    async fn open_failure_is_unreachable_and_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be.
        let path = dir.path().join("graph.db");
        std::fs::create_dir(&path).unwrap();
        let err = SqliteStore::open(&path)
            .err()
            .expect("opening a directory fails");
        assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
        assert!(err.to_string().contains("graph.db"), "{err}");
    }

    #[tokio::test]
    async fn check_schema_names_what_is_missing_until_init() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("graph.db")).unwrap();
        let err = store.check_schema().await.unwrap_err();
        let StoreError::SchemaMissing { missing, .. } = &err else {
            panic!("{err:?}")
        };
        for table in TABLES {
            assert!(missing.contains(table), "{missing}");
        }
        assert!(missing.contains("graphseed init"), "{missing}");
        // Reading before init says the same, not a raw SQL error.
        let err = store.load_episodes("g").await.unwrap_err();
        assert!(matches!(err, StoreError::SchemaMissing { .. }), "{err:?}");

        store.init().await.unwrap();
        store.init().await.unwrap(); // idempotent
        store.check_schema().await.unwrap();

        // A dropped index is noticed too.
        store
            .conn()
            .execute_batch("DROP INDEX episodes_group_run")
            .unwrap();
        let err = store.check_schema().await.unwrap_err();
        assert!(err.to_string().contains("episodes_group_run"), "{err}");
        store.init().await.unwrap();
        store.check_schema().await.unwrap();

        // A file from a newer graphseed is refused, not "repaired".
        store
            .conn()
            .execute_batch("UPDATE schema_version SET version = 99")
            .unwrap();
        let err = store.check_schema().await.unwrap_err();
        assert!(err.to_string().contains("newer graphseed"), "{err}");
        assert!(store.init().await.is_err());
    }

    #[tokio::test]
    async fn a_failed_batch_leaves_nothing_behind() {
        let (_dir, store) = fresh().await;
        let r1 = run("run-1", "g", "2024-01-01T00:00:00Z");
        // A trigger makes the second insert fail, after the first succeeded.
        store
            .conn()
            .execute_batch(
                "CREATE TRIGGER boom BEFORE INSERT ON episodes WHEN NEW.entity_id = 'docs_b'
                 BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            )
            .unwrap();
        let batch = writes(
            Action::Create,
            &[
                record("g", "docs_a", "run-1", "2024-01-01T00:00:00Z"),
                record("g", "docs_b", "run-1", "2024-01-01T00:00:00Z"),
            ],
        );
        let err = store.apply_batch(&r1, &batch).await.unwrap_err();
        assert!(matches!(err, StoreError::Query { .. }), "{err:?}");
        assert!(store.query_episodes(&all("g")).await.unwrap().is_empty());
        assert!(
            store
                .episode_history("g", "docs_a")
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.list_runs(None).await.unwrap().is_empty());
        assert_eq!(store.group_revision("g").await.unwrap(), 0);
        // The connection is usable afterwards.
        store.conn().execute_batch("DROP TRIGGER boom").unwrap();
        store.apply_batch(&r1, &batch).await.unwrap();
        assert_eq!(store.query_episodes(&all("g")).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn two_handles_on_one_file_contend_for_the_lock() {
        let (dir, first) = fresh().await;
        let second = SqliteStore::open(&dir.path().join("graph.db")).unwrap();
        second.check_schema().await.unwrap();
        let now = Utc::now();
        let mk = |run_id: &str, owner: &str| LockInfo {
            group_id: "g".into(),
            owner: owner.into(),
            host: "h".into(),
            run_id: run_id.into(),
            acquired_at: truncate_micros(now),
            expires_at: truncate_micros(now + Span::minutes(5)),
        };
        let a = mk("run-a", "alice");
        let b = mk("run-b", "bob");
        assert_eq!(
            first.acquire_lock(&a, false).await.unwrap(),
            LockOutcome::Acquired
        );
        assert_eq!(
            second.acquire_lock(&b, false).await.unwrap(),
            LockOutcome::Held(a.clone())
        );
        assert_eq!(second.read_lock("g").await.unwrap(), Some(a.clone()));
        first.release_lock("g", "run-a").await.unwrap();
        assert_eq!(
            second.acquire_lock(&b, false).await.unwrap(),
            LockOutcome::Acquired
        );
        assert_eq!(
            first.acquire_lock(&a, false).await.unwrap(),
            LockOutcome::Held(b)
        );
    }

    #[test]
    fn racing_claimants_never_both_win() {
        // Several "processes" (threads with their own handle and runtime)
        // claim the same free lock at once: exactly one gets it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("graph.db");
        let rt = || {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
        };
        rt().block_on(async { SqliteStore::open(&path).unwrap().init().await.unwrap() });
        let now = truncate_micros(Utc::now());
        let winners: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|i| {
                    let path = &path;
                    s.spawn(move || {
                        rt().block_on(async {
                            let store = SqliteStore::open(path).unwrap();
                            let claim = LockInfo {
                                group_id: "g".into(),
                                owner: format!("p{i}"),
                                host: "h".into(),
                                run_id: format!("run-{i}"),
                                acquired_at: now,
                                expires_at: now + Span::minutes(5),
                            };
                            store.acquire_lock(&claim, false).await.unwrap()
                                == LockOutcome::Acquired
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(winners, 1);
    }

    #[test]
    fn concurrent_writers_on_one_file_wait_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("graph.db");
        let rt = || {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
        };
        rt().block_on(async { SqliteStore::open(&path).unwrap().init().await.unwrap() });
        std::thread::scope(|s| {
            for w in 0..3 {
                let path = &path;
                s.spawn(move || {
                    rt().block_on(async {
                        let store = SqliteStore::open(path).unwrap();
                        let r = run(&format!("run-{w}"), "g", "2024-01-01T00:00:00Z");
                        for b in 0..10 {
                            let recs: Vec<_> = (0..50)
                                .map(|i| {
                                    record(
                                        "g",
                                        &format!("w{w}_{b}_{i}"),
                                        &r.run_id,
                                        "2024-01-01T00:00:00Z",
                                    )
                                })
                                .collect();
                            store
                                .apply_batch(&r, &writes(Action::Create, &recs))
                                .await
                                .unwrap();
                        }
                    })
                });
            }
        });
        rt().block_on(async {
            let store = SqliteStore::open(&path).unwrap();
            assert_eq!(store.group_revision("g").await.unwrap(), 30);
            assert_eq!(store.load_episodes("g").await.unwrap().len(), 1500);
        });
    }

    #[tokio::test]
    async fn a_writer_blocked_past_the_busy_timeout_gets_a_transient_error() {
        let (dir, _store) = fresh().await;
        let path = dir.path().join("graph.db");
        let impatient =
            SqliteStore::open_with_busy_timeout(&path, Duration::from_millis(50)).unwrap();
        // Another "process" holds the write lock.
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let r = run("run-1", "g", "2024-01-01T00:00:00Z");
        let batch = writes(
            Action::Create,
            &[record("g", "e", "run-1", "2024-01-01T00:00:00Z")],
        );
        let err = impatient.apply_batch(&r, &batch).await.unwrap_err();
        assert!(err.is_transient(), "{err:?}");
        let claim = claim("g", "run-1", "me", "2024-01-01T00:00:00Z", 60);
        assert!(
            impatient
                .acquire_lock(&claim, false)
                .await
                .unwrap_err()
                .is_transient()
        );
        // Readers are not blocked by a writer (WAL).
        assert!(impatient.load_episodes("g").await.unwrap().is_empty());
        other.execute_batch("ROLLBACK").unwrap();
        impatient.apply_batch(&r, &batch).await.unwrap();
    }

    #[tokio::test]
    async fn unreadable_stored_values_are_corrupt() {
        let (_dir, store) = fresh().await;
        let r = run("run-1", "g", "2024-01-01T00:00:00Z");
        store
            .apply_batch(
                &r,
                &writes(
                    Action::Create,
                    &[record("g", "e", "run-1", "2024-01-01T00:00:00Z")],
                ),
            )
            .await
            .unwrap();
        // A hand-edited, non-semver version is still loaded for planning (the
        // planner reports it) but cannot become an EpisodeRecord.
        store
            .conn()
            .execute_batch("UPDATE episodes SET version = 'one'")
            .unwrap();
        assert_eq!(&*store.load_episodes("g").await.unwrap()[0].version, "one");
        let err = store.query_episodes(&all("g")).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains("g/e"), "{err}");

        store
            .conn()
            .execute_batch("UPDATE episodes SET updated_at = 'yesterday'")
            .unwrap();
        let err = store.load_episodes("g").await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains("updated_at"), "{err}");

        // A value of the wrong SQL type (rusqlite's conversion error).
        store
            .conn()
            .execute_batch("UPDATE runs SET git_dirty = 'maybe'")
            .unwrap();
        let err = store.get_run("run-1").await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");

        store
            .conn()
            .execute_batch("UPDATE runs SET git_dirty = NULL, counts = 'nope'")
            .unwrap();
        let err = store.get_run("run-1").await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");

        store
            .conn()
            .execute_batch("UPDATE episode_history SET action = 'explode'")
            .unwrap();
        let err = store.episode_history("g", "e").await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    }

    /// `cargo test --release --lib stores::sqlite::tests::bench -- --ignored --nocapture`
    #[tokio::test]
    #[ignore = "timing, not a check: run by hand"]
    async fn bench_apply_100k_in_batches_of_1000() {
        let (_dir, store) = fresh().await;
        let r = run("run-bench", "g", "2024-01-01T00:00:00Z");
        let body = format!(r#"{{"text":"{}"}}"#, "lorem ipsum ".repeat(40));
        let records: Vec<EpisodeRecord> = (0..100_000)
            .map(|i| EpisodeRecord {
                body: body.clone(),
                ..record(
                    "g",
                    &format!("docs_episode_{i:06}"),
                    "run-bench",
                    "2024-01-01T00:00:00.123456Z",
                )
            })
            .collect();
        let started = std::time::Instant::now();
        for chunk in records.chunks(1000) {
            store
                .apply_batch(&r, &writes(Action::Create, chunk))
                .await
                .unwrap();
        }
        let apply = started.elapsed();
        let started = std::time::Instant::now();
        let loaded = store.load_episodes("g").await.unwrap();
        let load = started.elapsed();
        assert_eq!(loaded.len(), 100_000);
        // Replay (every row already there: the update path of the upsert).
        let started = std::time::Instant::now();
        for chunk in records.chunks(1000) {
            store
                .apply_batch(&r, &writes(Action::Update, chunk))
                .await
                .unwrap();
        }
        let replay = started.elapsed();
        let started = std::time::Instant::now();
        let by_run = store
            .query_episodes(&EpisodeFilter {
                run_id: Some("run-bench".into()),
                limit: Some(10),
                ..all("g")
            })
            .await
            .unwrap();
        let query = started.elapsed();
        assert_eq!(by_run.len(), 10);
        println!(
            "100,000 episodes, batches of 1,000: apply {apply:?}, replay {replay:?}, load_episodes {load:?}, query {query:?}"
        );
    }
}
