//! The embedded default store: one SQLite file (`sqlite:.graphseed/graph.db`),
//! used when no Neo4j target is configured. Same facts and same semantics as
//! the Neo4j store, zero set-up.
//!
//! Layout (created and migrated by [`Coordination::init`], checked by
//! [`Coordination::check_schema`]; statements in `sql/`):
//!
//! | table | key | holds |
//! |---|---|---|
//! | `schema_version` | `id = 1` | the layout version of this file |
//! | `episodes` | `(group_id, entity_id)` | one row per episode, `_metadata` as columns, the body as JSON text, its seal (since layout 5) |
//! | `episode_history` | `(group_id, entity_id, run_id)` | one provenance link per run that wrote (or pruned) an episode |
//! | `runs` | `run_id` | every [`RunRecord`] field (its kind since layout 2), counts as JSON |
//! | `groups` | `group_id` | the group revision, bumped by every committed batch |
//! | `locks` | `group_id` | the lease lock of one group |
//!
//! Every value travels as a bound parameter; no SQL text is ever built from
//! input. Times are stored as text in the one format
//! [`format_time`] produces (`YYYY-MM-DDTHH:MM:SS.ffffff+00:00`): fixed width,
//! fixed offset, so text order *is* time order and SQL can compare them.
//!
//! One job per file: `schema` (layout, migrations), `locks`, `runs`,
//! `episodes` (reads, and the episode part of a batch), `decode` (rows as
//! graphseed's types), `errors`; this file opens the store and supplies the
//! batch envelope's primitives ([`BatchBackend`]).

mod communities;
mod decode;
mod episodes;
mod errors;
mod links;
mod locks;
mod read_only;
mod runs;
mod schema;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use self::errors::{Fail, R, map_sqlite_error};
use self::locks::{acquire_lock_in, force_unlock_in, release_lock_in, renew_lock_in, select_lock};
use self::schema::{check_schema_in, init_in};
use crate::metadata::format_time;
use crate::sql;
use crate::stores::{
    Batch, BatchBackend, BatchPart, Coordination, LockInfo, LockOutcome, RunRecord, Store,
    StoreError, batch,
};

/// How long a statement waits for another connection's write lock before
/// giving up with `SQLITE_BUSY` (reported as [`StoreError::Transient`]).
/// Two graphseed processes on one file then take turns instead of failing:
/// every transaction here is short, so 5 s is ample.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Enough room for every distinct statement of this module, so
/// `prepare_cached` never evicts one in the hot loop of `apply_batch`.
const STATEMENT_CACHE: usize = 64;

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
        let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
        configure(&conn, busy_timeout).map_err(|e| open_error(path, e))?;
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
            Fail::LockGone { group_id, run_id } => StoreError::LockGone {
                target,
                group_id,
                run_id,
            },
            Fail::Sql(e) => map_sqlite_error(target, e),
        }
    }
}

/// Why a file could not be opened. A file that is not a database (or is
/// damaged) is `Corrupt`, not `Unreachable`: no server or credentials to
/// check, and the file itself is left exactly as it is.
fn open_error(path: &Path, e: rusqlite::Error) -> StoreError {
    let target = describe_path(path);
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt {
                target,
                message: format!(
                    "{} is not a SQLite database graphseed can read ({e})",
                    path.display()
                ),
            }
        }
        _ => StoreError::Unreachable {
            target,
            message: format!("cannot open {}: {e}", path.display()),
        },
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

/// An IMMEDIATE transaction takes SQLite's write lock at `BEGIN`, before the
/// first read. Every read-then-write here (lock checks, prune reads) thus
/// sees the state it writes over: no other connection can commit in between.
/// (A DEFERRED transaction would read under a snapshot and could only fail
/// with BUSY, not wait, when upgrading to write.)
fn immediate(conn: &mut Connection) -> R<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

impl Coordination for SqliteStore {
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

    async fn read_lock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError> {
        self.with(|conn| select_lock(conn, group_id))
    }

    async fn force_unlock(&self, group_id: &str) -> Result<Option<LockInfo>, StoreError> {
        self.with(|conn| force_unlock_in(conn, group_id))
    }
}

/// An open IMMEDIATE transaction of the batch envelope. It holds the
/// connection (and with it SQLite's write lock) until it ends; dropped
/// without [`BatchBackend::commit`], it rolls back.
pub struct SqliteTx<'a> {
    conn: MutexGuard<'a, Connection>,
    open: bool,
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Its own failure leaves nothing to undo: SQLite rolls back a
            // transaction whose statement failed fatally.
            let _ = self.conn.execute_batch(sql::TX_ROLLBACK);
        }
    }
}

impl SqliteStore {
    /// Run one primitive of the envelope on the transaction's connection.
    fn in_tx<T>(
        &self,
        tx: &SqliteTx<'_>,
        f: impl FnOnce(&Connection) -> R<T>,
    ) -> Result<T, StoreError> {
        f(&tx.conn).map_err(|e| self.error(e))
    }
}

impl BatchBackend for SqliteStore {
    type Tx<'a> = SqliteTx<'a>;

    fn target(&self) -> String {
        self.describe()
    }

    async fn begin(&self, _doing: &str) -> Result<Self::Tx<'_>, StoreError> {
        // IMMEDIATE takes the write lock at BEGIN: the lease read by the
        // fence cannot change until this transaction ends.
        let conn = self.conn();
        conn.execute_batch(sql::TX_BEGIN_IMMEDIATE)
            .map_err(|e| self.error(Fail::Sql(e)))?;
        Ok(SqliteTx { conn, open: true })
    }

    async fn commit(&self, mut tx: Self::Tx<'_>, _doing: &str) -> Result<(), StoreError> {
        tx.conn
            .execute_batch(sql::TX_COMMIT)
            .map_err(|e| self.error(Fail::Sql(e)))?;
        tx.open = false;
        Ok(())
    }

    async fn rollback(&self, tx: Self::Tx<'_>) {
        drop(tx);
    }

    async fn lease_holder(
        &self,
        tx: &mut Self::Tx<'_>,
        group_id: &str,
        _run_id: &str,
        _now: DateTime<Utc>,
    ) -> Result<Option<LockInfo>, StoreError> {
        self.in_tx(tx, |conn| locks::select_lock(conn, group_id))
    }

    async fn put_run(&self, tx: &mut Self::Tx<'_>, run: &RunRecord) -> Result<(), StoreError> {
        self.in_tx(tx, |conn| runs::upsert_run(conn, run))
    }

    async fn write_part(
        &self,
        tx: &mut Self::Tx<'_>,
        run: &RunRecord,
        at: DateTime<Utc>,
        part: BatchPart<'_>,
    ) -> Result<(), StoreError> {
        let at = format_time(&at);
        match part {
            BatchPart::Episodes(changes) => {
                self.in_tx(tx, |conn| episodes::write_episodes(conn, run, &at, changes))
            }
            BatchPart::Links(changes) => {
                self.in_tx(tx, |conn| links::write_links(conn, &run.group_id, changes))
            }
            BatchPart::Communities(changes) => self.in_tx(tx, |conn| {
                communities::write_communities(conn, run, &at, changes)
            }),
        }
    }

    async fn bump_revision(&self, tx: &mut Self::Tx<'_>, group_id: &str) -> Result<(), StoreError> {
        self.in_tx(tx, |conn| {
            conn.prepare_cached(sql::GROUP_REVISION_BUMP)?
                .execute(params![group_id])?;
            Ok(())
        })
    }
}

impl Store for SqliteStore {
    async fn apply_batch(&self, run: &RunRecord, batch: &Batch) -> Result<(), StoreError> {
        batch::apply_batch(self, run, batch).await
    }
}
