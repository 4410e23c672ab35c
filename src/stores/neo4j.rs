//! The Neo4j store: Bolt through `neo4rs`.
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
//!   (the run that last wrote it) and `body` (the JSON, `_metadata` included).
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
//! [`StoreError::is_transient`], which [`classify`] feeds. Reads use
//! auto-commit queries (which the driver retries on transient errors) in
//! write mode, so on a cluster they go to the leader and see every committed
//! batch: the revision check depends on that.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use neo4rs::{BoltMap, BoltString, BoltType, ConfigBuilder, Graph, Query, Row, Txn, query};
use serde::Deserialize;

use super::target::Target;
use super::{
    Action, Batch, EpisodeFilter, EpisodeWrite, HistoryEntry, LockInfo, LockOutcome, RawEpisode,
    RawValue, RunRecord, RunStatus, StatusRow, Store, StoreError,
};
use crate::cypher;
use crate::metadata::{EpisodeRecord, Interner, StoredEpisode};
use crate::version::SeedVersion;

/// Connection tuning for [`connect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neo4jOptions {
    /// Bounds connecting AND every single read from the server (neo4rs uses
    /// it as the receive timeout), so it must stay well above the slowest
    /// batch commit, or a slow but healthy commit is reported as a dropped
    /// connection.
    pub connection_timeout: Duration,
    /// Rows per PULL when streaming results.
    pub fetch_size: usize,
    /// Size of the connection pool.
    pub max_connections: usize,
}

impl Default for Neo4jOptions {
    fn default() -> Self {
        Self {
            connection_timeout: Duration::from_secs(120),
            fetch_size: 10_000,
            max_connections: 8,
        }
    }
}

/// The store over one Neo4j database.
#[derive(Clone)]
pub struct Neo4jStore {
    graph: Graph,
    /// `target.describe()`: never carries the password.
    name: String,
}

impl std::fmt::Debug for Neo4jStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Neo4jStore")
            .field("target", &self.name)
            .finish_non_exhaustive()
    }
}

/// Connect to a Neo4j target and check it answers (`RETURN 1`), so a wrong
/// address, password or TLS setting fails here with a clear message rather
/// than in the middle of a run.
pub async fn connect(target: &Target, opts: &Neo4jOptions) -> Result<Neo4jStore, StoreError> {
    let name = target.describe();
    let Target::Neo4j {
        uri,
        host,
        database,
        username,
        password,
        ..
    } = target
    else {
        return Err(StoreError::Unreachable {
            target: name,
            message: "not a Neo4j target (bolt://, neo4j://, ...)".into(),
        });
    };
    let mut config = ConfigBuilder::default()
        .uri(uri.as_str())
        .user(username.as_str())
        // A server with auth disabled accepts any password; one with auth on
        // rejects the empty one, and the hint below says where to set it.
        .password(password.as_ref().map(|p| p.expose()).unwrap_or(""))
        .fetch_size(opts.fetch_size.max(1))
        .max_connections(opts.max_connections.max(1))
        .connection_timeout(opts.connection_timeout);
    // TLS follows the scheme inside neo4rs: `+s` verifies against the system
    // roots, `+ssc` accepts a self-signed certificate.
    if let Some(db) = database {
        config = config.db(db.as_str());
    }
    let config = config.build().map_err(|e| StoreError::Unreachable {
        target: name.clone(),
        message: format!("invalid connection settings: {e}"),
    })?;
    let graph = Graph::connect(config).map_err(|e| StoreError::Unreachable {
        target: name.clone(),
        message: connect_hint(&e, host, username, password.is_some(), opts),
    })?;
    let store = Neo4jStore { graph, name };
    let check = async {
        let mut rows = store.graph.execute(query(cypher::PING)).await?;
        let row = rows.next().await?;
        Ok::<_, neo4rs::Error>(row)
    };
    let unreachable = |message: String| StoreError::Unreachable {
        target: store.name.clone(),
        message,
    };
    match tokio::time::timeout(opts.connection_timeout, check).await {
        Err(_) => Err(unreachable(format!(
            "no answer within {} s (is the host reachable and the port a Bolt port?)",
            opts.connection_timeout.as_secs()
        ))),
        Ok(Err(e)) => Err(unreachable(connect_hint(
            &e,
            host,
            username,
            password.is_some(),
            opts,
        ))),
        Ok(Ok(None)) => Err(unreachable("`RETURN 1` returned no row".into())),
        Ok(Ok(Some(_))) => Ok(store),
    }
}

/// A connect-time error with a hint at the likely cause. Never includes the
/// password (neo4rs's messages do not carry it either).
fn connect_hint(
    e: &neo4rs::Error,
    host: &str,
    username: &str,
    have_password: bool,
    opts: &Neo4jOptions,
) -> String {
    use neo4rs::Error as E;
    match e {
        E::AuthenticationError(msg) => {
            let hint = if have_password {
                "check the user name (--username / NEO4J_USERNAME) and the password (NEO4J_PASSWORD / --password-file)"
            } else {
                "no password was given: set NEO4J_PASSWORD or use --password-file"
            };
            format!("authentication failed for user `{username}`: {msg}; {hint}")
        }
        E::IOError { detail } => {
            let text = detail.to_string();
            let lower = text.to_lowercase();
            match detail.kind() {
                std::io::ErrorKind::ConnectionRefused => format!(
                    "connection refused by {host}: is Neo4j running there, and is this its Bolt port (default 7687)?"
                ),
                _ if lower.contains("certificate")
                    || lower.contains("tls")
                    || lower.contains("handshake") =>
                {
                    format!(
                        "TLS handshake failed: {text} (a self-signed certificate needs bolt+ssc:// or neo4j+ssc://; a server without TLS needs bolt:// or neo4j://)"
                    )
                }
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => format!(
                    "the server closed the connection during the handshake ({text}); if it requires TLS use bolt+s:// or neo4j+s://"
                ),
                _ if lower.contains("lookup")
                    || lower.contains("resolve")
                    || lower.contains("name or service") =>
                {
                    format!("cannot resolve host {host}: {text}")
                }
                _ => format!("cannot connect to {host}: {text}"),
            }
        }
        E::ConnectionTimedOut => format!(
            "no answer from {host} within {} s (is the host reachable and the port a Bolt port?)",
            opts.connection_timeout.as_secs()
        ),
        E::Neo4j(n) if n.code() == "Neo.ClientError.Database.DatabaseNotFound" => {
            format!("the database does not exist: {}", n.message())
        }
        E::UnsupportedVersion(major, minor) => format!(
            "the server offers Bolt {major}.{minor}, which the neo4rs driver does not speak (Neo4j 4.4, 5.x and 2025.x are supported)"
        ),
        E::UnsupportedScheme(s) => format!("unsupported URI scheme `{s}`"),
        other => describe_error(other),
    }
}

/// The schema rule `init` asked for already exists (created concurrently).
fn is_already_there(code: &str) -> bool {
    matches!(
        code,
        "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"
            | "Neo.ClientError.Schema.IndexAlreadyExists"
            | "Neo.ClientError.Schema.ConstraintAlreadyExists"
    )
}

/// How an error should be handled by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Retry the whole transaction (with backoff).
    Transient,
    /// The query or the data is wrong: retrying cannot help.
    Query,
    /// Cannot talk to the database as configured (credentials, database).
    Unreachable,
}

/// Classify a Neo4j status code (`Neo.<Classification>.<Category>.<Title>`).
pub fn classify_code(code: &str) -> ErrorClass {
    match code {
        // Terminated by an administrator or by the server's own transaction
        // timeout. Neo4j files these under TransientError, but every official
        // driver treats them as final (neo4rs rewrites them to ClientError
        // too): a batch that timed out would time out again.
        "Neo.TransientError.Transaction.Terminated"
        | "Neo.TransientError.Transaction.LockClientStopped"
        | "Neo.ClientError.Transaction.Terminated"
        | "Neo.ClientError.Transaction.LockClientStopped"
        | "Neo.ClientError.Transaction.TransactionTimedOut"
        | "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration" => ErrorClass::Query,
        // Cluster leadership moved: the same transaction succeeds on the new
        // leader once the connection is renewed.
        "Neo.ClientError.Cluster.NotALeader"
        | "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase"
        // The auth token expired: a fresh connection re-authenticates.
        | "Neo.ClientError.Security.AuthorizationExpired" => ErrorClass::Transient,
        // Answer to a request sent after a failure on the same connection;
        // the real failure came first, a new connection starts clean.
        "Neo.ServerError.Ignored" => ErrorClass::Transient,
        "Neo.ClientError.Security.Unauthorized"
        | "Neo.ClientError.Security.AuthenticationRateLimit"
        | "Neo.ClientError.Security.CredentialsExpired"
        | "Neo.ClientError.Security.TokenExpired"
        | "Neo.ClientError.Database.DatabaseNotFound" => ErrorClass::Unreachable,
        // Deadlocks, leader elections, database temporarily unavailable,
        // out of memory pool: Neo4j says "retry".
        _ if code.starts_with("Neo.TransientError.") => ErrorClass::Transient,
        _ => ErrorClass::Query,
    }
}

/// Classify a driver error.
pub fn classify(e: &neo4rs::Error) -> ErrorClass {
    use neo4rs::Error as E;
    match e {
        E::Neo4j(n) => classify_code(n.code()),
        // The connection dropped, was reset or timed out, or got out of step
        // with the protocol: a new connection from the pool can redo the
        // whole transaction (nothing of an uncommitted one survived).
        E::IOError { .. }
        | E::ConnectionError
        | E::ConnectionTimedOut
        | E::IncompleteBoltExchange
        | E::ServerUnavailableError(_)
        | E::RoutingTableRefreshFailed(_)
        | E::RoutingTableError(_)
        | E::RequestIgnoredError
        | E::Ignored(_)
        | E::UnexpectedMessage(_) => ErrorClass::Transient,
        E::AuthenticationError(_) => ErrorClass::Unreachable,
        _ => ErrorClass::Query,
    }
}

/// The driver's message, with the Neo4j code when there is one. Adds a hint
/// for errors whose fix is a setting.
fn describe_error(e: &neo4rs::Error) -> String {
    match e {
        neo4rs::Error::Neo4j(n) => {
            let mut s = format!("{} ({})", n.message(), n.code());
            if n.code().contains("TransactionTimedOut") {
                s.push_str("; use smaller batches or raise db.transaction.timeout");
            }
            s
        }
        neo4rs::Error::ConnectionTimedOut => {
            "no answer within the connection timeout (raise it if batches are slow)".into()
        }
        other => other.to_string(),
    }
}

/// Serde-based column read with the column named in the error.
fn col<'r, T: Deserialize<'r>>(row: &'r Row, key: &str) -> Result<T, String> {
    row.get::<T>(key)
        .map_err(|e| format!("property `{key}`: {e}"))
}

fn time_col(row: &Row, key: &str) -> Result<DateTime<Utc>, String> {
    opt_time_col(row, key)?
        .ok_or_else(|| format!("property `{key}`: missing (expected a zoned DATETIME)"))
}

/// A zoned DATETIME as an instant. Strict on the type: serde would happily
/// parse an RFC 3339 *string* too, but Cypher compares a string with a
/// DATETIME as null, so a hand-edited text time must be reported, not read.
fn opt_time_col(row: &Row, key: &str) -> Result<Option<DateTime<Utc>>, String> {
    let bad = |what: &str| format!("property `{key}`: expected a zoned DATETIME, found {what}");
    let t: DateTime<FixedOffset> = match col::<BoltType>(row, key)? {
        BoltType::Null(_) => return Ok(None),
        BoltType::DateTime(t) => {
            DateTime::<FixedOffset>::try_from(&t).map_err(|e| bad(&e.to_string()))?
        }
        // `datetime('...[Europe/Berlin]')` by hand: still an instant.
        BoltType::DateTimeZoneId(t) => {
            DateTime::<FixedOffset>::try_from(&t).map_err(|e| bad(&e.to_string()))?
        }
        BoltType::LocalDateTime(_) => return Err(bad("a LOCAL DATETIME (no time zone)")),
        BoltType::String(s) => return Err(bad(&format!("the string {:?}", s.value))),
        other => return Err(bad(&format!("{other:?}"))),
    };
    Ok(Some(t.with_timezone(&Utc)))
}

/// A stored value as [`RawValue`], keeping its Neo4j type: `validate` must
/// see a text time as text and a LOCAL DATETIME as one.
fn raw_value(v: &BoltType) -> RawValue {
    use chrono::SecondsFormat;
    let instant = |t: Result<DateTime<FixedOffset>, neo4rs::Error>, what: &str| match t {
        Ok(t) => RawValue::DateTime(t.to_rfc3339_opts(SecondsFormat::AutoSi, false)),
        Err(_) => RawValue::Other(what.to_string()),
    };
    match v {
        BoltType::Null(_) => RawValue::Null,
        BoltType::Boolean(b) => RawValue::Bool(b.value),
        BoltType::Integer(i) => RawValue::Int(i.value),
        BoltType::Float(f) => RawValue::Float(f.value),
        BoltType::String(s) => RawValue::Str(s.value.clone()),
        BoltType::DateTime(t) => instant(DateTime::<FixedOffset>::try_from(t), "ZONED DATETIME"),
        BoltType::DateTimeZoneId(t) => {
            instant(DateTime::<FixedOffset>::try_from(t), "ZONED DATETIME")
        }
        BoltType::LocalDateTime(t) => match chrono::NaiveDateTime::try_from(t) {
            Ok(t) => RawValue::LocalDateTime(t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
            Err(_) => RawValue::Other("LOCAL DATETIME".into()),
        },
        BoltType::Date(_) => RawValue::Other("DATE".into()),
        BoltType::Time(_) => RawValue::Other("ZONED TIME".into()),
        BoltType::LocalTime(_) => RawValue::Other("LOCAL TIME".into()),
        BoltType::Duration(_) => RawValue::Other("DURATION".into()),
        BoltType::List(_) => RawValue::Other("LIST".into()),
        BoltType::Map(_) => RawValue::Other("MAP".into()),
        BoltType::Bytes(_) => RawValue::Other("BYTES".into()),
        BoltType::Point2D(_) | BoltType::Point3D(_) => RawValue::Other("POINT".into()),
        _ => RawValue::Other("unknown type".into()),
    }
}

fn non_negative(v: i64, key: &str) -> Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("property `{key}`: negative value {v}"))
}

fn bolt_map<'a>(entries: impl IntoIterator<Item = (&'a str, BoltType)>) -> BoltType {
    let map: BoltMap = entries
        .into_iter()
        .map(|(k, v)| (BoltString::from(k), v))
        .collect();
    BoltType::Map(map)
}

/// One write as a map for the `$writes` list of `episode_upsert_batch`.
fn write_map(w: &EpisodeWrite) -> BoltType {
    let r = &w.record;
    bolt_map([
        ("group_id", BoltType::from(r.group_id.as_str())),
        ("entity_id", BoltType::from(r.entity_id.as_str())),
        ("name", BoltType::from(r.name.as_str())),
        ("source", BoltType::from(r.source.as_str())),
        ("version", BoltType::from(r.version.to_string())),
        ("version_major", BoltType::from(r.version.major())),
        ("version_minor", BoltType::from(r.version.minor())),
        ("version_patch", BoltType::from(r.version.patch())),
        ("version_pre", BoltType::from(r.version.pre())),
        ("created_at", BoltType::from(r.created_at)),
        ("updated_at", BoltType::from(r.updated_at)),
        ("source_hash", BoltType::from(r.source_hash.clone())),
        ("content_hash", BoltType::from(r.content_hash.as_str())),
        ("source_path", BoltType::from(r.source_path.clone())),
        ("run_id", BoltType::from(r.run_id.as_str())),
        ("body", BoltType::from(r.body.as_str())),
        ("action", BoltType::from(w.action.as_str())),
    ])
}

fn release_query(group_id: &str, run_id: &str) -> Query {
    query(cypher::LOCK_RELEASE)
        .param("group_id", group_id)
        .param("run_id", run_id)
}

fn run_query(run: &RunRecord) -> Query {
    let counts =
        serde_json::to_string(&run.counts).expect("a map of strings to integers serializes");
    query(cypher::RUN_UPSERT)
        .param("run_id", run.run_id.as_str())
        .param("group_id", run.group_id.as_str())
        .param("status", run.status.as_str())
        .param("started_at", run.started_at)
        .param("finished_at", run.finished_at)
        .param("tool_version", run.tool_version.as_str())
        .param("seed_version", run.seed_version.as_str())
        .param("params_hash", run.params_hash.as_str())
        .param("params_json", run.params_json.as_str())
        .param("graph_signature", run.graph_signature.clone())
        .param("git_commit", run.git_commit.clone())
        .param("git_branch", run.git_branch.clone())
        .param("git_dirty", run.git_dirty)
        .param("hostname", run.hostname.as_str())
        .param("os", run.os.as_str())
        .param("counts_json", counts)
}

fn run_from_row(row: &Row) -> Result<RunRecord, String> {
    let run_id: String = col(row, "run_id")?;
    let inner = || -> Result<RunRecord, String> {
        let status: String = col(row, "status")?;
        let counts_json: String = col(row, "counts_json")?;
        let counts: BTreeMap<String, u64> = serde_json::from_str(&counts_json)
            .map_err(|e| format!("property `counts_json`: {e}"))?;
        Ok(RunRecord {
            run_id: run_id.clone(),
            group_id: col(row, "group_id")?,
            status: RunStatus::parse(&status)
                .ok_or_else(|| format!("property `status`: unknown status `{status}`"))?,
            started_at: time_col(row, "started_at")?,
            finished_at: opt_time_col(row, "finished_at")?,
            tool_version: col(row, "tool_version")?,
            seed_version: col(row, "seed_version")?,
            params_hash: col(row, "params_hash")?,
            params_json: col(row, "params_json")?,
            graph_signature: col(row, "graph_signature")?,
            git_commit: col(row, "git_commit")?,
            git_branch: col(row, "git_branch")?,
            git_dirty: col(row, "git_dirty")?,
            hostname: col(row, "hostname")?,
            os: col(row, "os")?,
            counts,
        })
    };
    inner().map_err(|e| format!("run {run_id}: {e}"))
}

fn stored_from_row(
    row: &Row,
    group_id: &str,
    interner: &mut Interner,
) -> Result<StoredEpisode, String> {
    let entity_id: String = col(row, "entity_id")?;
    let mut inner = || -> Result<StoredEpisode, String> {
        Ok(StoredEpisode {
            entity_id: entity_id.clone(),
            source: interner.get(&col::<String>(row, "source")?),
            version: interner.get(&col::<String>(row, "version")?),
            created_at: time_col(row, "created_at")?,
            updated_at: time_col(row, "updated_at")?,
            source_hash: col::<Option<String>>(row, "source_hash")?.map(Arc::from),
            content_hash: Arc::from(col::<String>(row, "content_hash")?),
            source_path: col(row, "source_path")?,
        })
    };
    inner().map_err(|e| format!("episode {group_id}/{entity_id}: {e}"))
}

fn record_from_row(row: &Row) -> Result<EpisodeRecord, String> {
    let group_id: String = col(row, "group_id")?;
    let entity_id: String = col(row, "entity_id")?;
    let inner = || -> Result<EpisodeRecord, String> {
        let version: String = col(row, "version")?;
        Ok(EpisodeRecord {
            group_id: group_id.clone(),
            entity_id: entity_id.clone(),
            name: col(row, "name")?,
            source: col(row, "source")?,
            version: SeedVersion::parse(&version)
                .map_err(|e| format!("property `version`: {e}"))?,
            created_at: time_col(row, "created_at")?,
            updated_at: time_col(row, "updated_at")?,
            source_hash: col(row, "source_hash")?,
            content_hash: col(row, "content_hash")?,
            source_path: col(row, "source_path")?,
            run_id: col(row, "run_id")?,
            body: col(row, "body")?,
        })
    };
    inner().map_err(|e| format!("episode {group_id}/{entity_id}: {e}"))
}

fn history_from_row(row: &Row) -> Result<HistoryEntry, String> {
    let action: String = col(row, "action")?;
    Ok(HistoryEntry {
        run_id: col(row, "run_id")?,
        action: Action::parse(&action)
            .ok_or_else(|| format!("property `action`: unknown action `{action}`"))?,
        at: time_col(row, "at")?,
        version: col(row, "version")?,
        content_hash: col(row, "content_hash")?,
        source_hash: col(row, "source_hash")?,
    })
}

/// The lock row of `lock_acquire` / `lock_renew` / `lock_force_unlock`: the
/// holder it had before, or `None` when it was free.
fn holder_from_row(row: &Row, group_id: &str) -> Result<Option<LockInfo>, String> {
    let run_id: Option<String> = col(row, "run_id")?;
    let Some(run_id) = run_id else {
        return Ok(None);
    };
    let inner = || -> Result<LockInfo, String> {
        Ok(LockInfo {
            group_id: group_id.to_string(),
            owner: col(row, "owner")?,
            host: col(row, "host")?,
            run_id: run_id.clone(),
            acquired_at: time_col(row, "acquired_at")?,
            expires_at: time_col(row, "expires_at")?,
        })
    };
    inner()
        .map(Some)
        .map_err(|e| format!("lock of group {group_id}: {e}"))
}

fn lock_params(q: Query, claim: &LockInfo) -> Query {
    q.param("group_id", claim.group_id.as_str())
        .param("owner", claim.owner.as_str())
        .param("host", claim.host.as_str())
        .param("run_id", claim.run_id.as_str())
        .param("acquired_at", claim.acquired_at)
        .param("expires_at", claim.expires_at)
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
    fn err(&self, doing: &str, e: &neo4rs::Error) -> StoreError {
        let target = self.name.clone();
        let message = format!("{doing}: {}", describe_error(e));
        match classify(e) {
            ErrorClass::Transient => StoreError::Transient { target, message },
            ErrorClass::Query => StoreError::Query { target, message },
            ErrorClass::Unreachable => StoreError::Unreachable { target, message },
        }
    }

    fn corrupt(&self, message: String) -> StoreError {
        StoreError::Corrupt {
            target: self.name.clone(),
            message,
        }
    }

    /// Run a read (auto-commit) and map every row; all rows are fetched,
    /// `fetch_size` at a time.
    async fn read<T>(
        &self,
        doing: &str,
        q: Query,
        mut map: impl FnMut(&Row) -> Result<T, String>,
    ) -> Result<Vec<T>, StoreError> {
        let mut rows = self
            .graph
            .execute(q)
            .await
            .map_err(|e| self.err(doing, &e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(|e| self.err(doing, &e))? {
            out.push(map(&row).map_err(|m| self.corrupt(m))?);
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
        let mut txn = self
            .graph
            .start_txn()
            .await
            .map_err(|e| self.err(doing, &e))?;
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

    /// Run one statement in its own explicit transaction and map its rows.
    async fn write<T>(
        &self,
        doing: &str,
        q: Query,
        mut map: impl FnMut(&Row) -> Result<T, String>,
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

    /// The body of `apply_batch`, inside the caller's transaction.
    async fn apply_in(
        &self,
        txn: &mut Txn,
        doing: &str,
        run: &RunRecord,
        batch: &Batch,
    ) -> Result<(), StoreError> {
        let e = |e: neo4rs::Error| self.err(doing, &e);
        // The time of this write on the provenance links; kept by a replay.
        let at = crate::clock::now();
        // Fencing first: if another run holds a live lease on the group (we
        // lost ours, e.g. during a long outage), nothing of this batch may
        // commit. The statement also write-locks the lease until commit.
        let fence = query(cypher::BATCH_FENCE)
            .param("group_id", run.group_id.as_str())
            .param("run_id", run.run_id.as_str())
            .param("now", crate::clock::wall());
        let mut rows = txn.execute(fence).await.map_err(e)?;
        while let Some(row) = rows.next(txn.handle()).await.map_err(e)? {
            if let Some(holder) =
                holder_from_row(&row, &run.group_id).map_err(|m| self.corrupt(m))?
            {
                return Err(StoreError::Fenced {
                    target: self.name.clone(),
                    holder: Box::new(holder),
                });
            }
        }
        // The run node first: the links below point at it.
        txn.run(run_query(run)).await.map_err(e)?;
        if !batch.writes.is_empty() {
            // One list parameter for the whole batch (built with FromIterator,
            // no intermediate Vec<BoltType> clones), one UNWIND: a round trip
            // per batch, not per episode.
            let writes: BoltType = batch.writes.iter().map(write_map).collect();
            let q = query(cypher::EPISODE_UPSERT_BATCH)
                .param("run_id", run.run_id.as_str())
                .param("at", at)
                .param("writes", writes);
            let mut rows = txn.execute(q).await.map_err(e)?;
            let mut written = None;
            while let Some(row) = rows.next(txn.handle()).await.map_err(e)? {
                written = Some(
                    row.get::<i64>("written")
                        .map_err(|x| self.corrupt(x.to_string()))?,
                );
            }
            // Cheap guard against a statement that silently matched nothing:
            // the transaction is rolled back rather than half-applied.
            if written != Some(batch.writes.len() as i64) {
                return Err(StoreError::Query {
                    target: self.name.clone(),
                    message: format!(
                        "{doing}: the upsert wrote {written:?} episodes, expected {}",
                        batch.writes.len()
                    ),
                });
            }
        }
        if !batch.deletes.is_empty() {
            let ids: BoltType = batch.deletes.iter().map(String::as_str).collect();
            let q = query(cypher::EPISODE_DELETE_BATCH)
                .param("group_id", run.group_id.as_str())
                .param("entity_ids", ids)
                .param("run_id", run.run_id.as_str())
                .param("at", at);
            txn.run(q).await.map_err(e)?;
        }
        // In the same transaction as the writes: a planner that sees the
        // revision unchanged knows no batch committed in between.
        let q = query(cypher::GROUP_REVISION_BUMP).param("group_id", run.group_id.as_str());
        txn.run(q).await.map_err(e)?;
        Ok(())
    }
}

/// A required uniqueness constraint: (name as `init` creates it, label,
/// properties).
const REQUIRED_CONSTRAINTS: &[(&str, &str, &[&str])] = &[
    (
        "graphseed_episode_key",
        "Episode",
        &["group_id", "entity_id"],
    ),
    ("graphseed_run_key", "SeedRun", &["run_id"]),
    ("graphseed_group_key", "SeedGroup", &["group_id"]),
    ("graphseed_lock_key", "SeedLock", &["group_id"]),
];

/// One row of `SHOW CONSTRAINTS`.
struct ShownConstraint {
    kind: String,
    entity: String,
    labels: Vec<String>,
    properties: Vec<String>,
}

impl ShownConstraint {
    /// Enforces uniqueness of `props` on `label`, whatever its name (a user
    /// may have created an equivalent one, or a NODE KEY on Enterprise).
    fn enforces(&self, label: &str, props: &[&str]) -> bool {
        let unique = matches!(
            self.kind.as_str(),
            "UNIQUENESS" | "NODE_PROPERTY_UNIQUENESS" | "NODE_KEY"
        );
        let mut have: Vec<&str> = self.properties.iter().map(String::as_str).collect();
        let mut want = props.to_vec();
        have.sort_unstable();
        want.sort_unstable();
        unique && self.entity == "NODE" && self.labels == [label] && have == want
    }
}

impl Store for Neo4jStore {
    fn describe(&self) -> String {
        self.name.clone()
    }

    async fn init(&self) -> Result<(), StoreError> {
        // Schema commands cannot share a transaction with data writes; each
        // runs on its own (auto-commit, retried by the driver when transient)
        // and all are IF NOT EXISTS, so a rerun is a no-op.
        for statement in cypher::SCHEMA {
            match self.graph.run(query(statement)).await {
                Ok(_) => {}
                // Two `init`s at once: IF NOT EXISTS is checked before the
                // rule is created, so the slower one can still be told the
                // rule exists. That is the outcome it asked for.
                Err(neo4rs::Error::Neo4j(e)) if is_already_there(e.code()) => {}
                Err(e) => return Err(self.err("creating graphseed's constraints and indexes", &e)),
            }
        }
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

    async fn load_episodes(&self, group_id: &str) -> Result<Vec<StoredEpisode>, StoreError> {
        let q = query(cypher::EPISODE_LOAD_GROUP).param("group_id", group_id);
        let mut episodes = self
            .read(&format!("loading the episodes of group {group_id}"), q, {
                let mut interner = Interner::default();
                move |row| stored_from_row(row, group_id, &mut interner)
            })
            .await?;
        // Cypher orders strings by UTF-16 code unit, Rust by code point; they
        // differ only beyond the BMP, but planning relies on this order.
        if !episodes.is_sorted_by(|a, b| a.entity_id <= b.entity_id) {
            episodes.sort_by(|a, b| a.entity_id.cmp(&b.entity_id));
        }
        Ok(episodes)
    }

    async fn group_revision(&self, group_id: &str) -> Result<u64, StoreError> {
        let q = query(cypher::GROUP_REVISION_GET).param("group_id", group_id);
        let revisions = self
            .read(
                &format!("reading the revision of group {group_id}"),
                q,
                |row| {
                    let v: i64 = col(row, "revision")?;
                    non_negative(v, "revision").map_err(|e| format!("group {group_id}: {e}"))
                },
            )
            .await?;
        Ok(revisions.first().copied().unwrap_or(0))
    }

    async fn apply_batch(&self, run: &RunRecord, batch: &Batch) -> Result<(), StoreError> {
        // A run that changes nothing writes nothing: not even its run node.
        if batch.is_empty() {
            return Ok(());
        }
        if let Some(w) = batch
            .writes
            .iter()
            .find(|w| w.record.group_id != run.group_id)
        {
            return Err(StoreError::Query {
                target: self.name.clone(),
                message: format!(
                    "episode {} belongs to group {}, but run {} writes group {}",
                    w.record.entity_id, w.record.group_id, run.run_id, run.group_id
                ),
            });
        }
        let doing = format!(
            "applying a batch of {} writes and {} deletes for run {}",
            batch.writes.len(),
            batch.deletes.len(),
            run.run_id
        );
        // ONE explicit transaction for the run record, the episodes, their
        // links, the deletes and the revision: a crash or a lost connection
        // leaves all of it or none of it. Every statement is a MERGE keyed on
        // a uniqueness constraint (or a delete of what may already be gone),
        // so when the commit's outcome is unknown the caller can replay the
        // batch and end in the same state.
        self.in_txn(&doing, async |txn: &mut Txn| {
            self.apply_in(txn, &doing, run, batch).await
        })
        .await
    }

    async fn save_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        self.write(
            &format!("saving run {}", run.run_id),
            run_query(run),
            |_| Ok(()),
        )
        .await
        .map(drop)
    }

    async fn list_runs(&self, group_id: Option<&str>) -> Result<Vec<RunRecord>, StoreError> {
        let q = query(cypher::RUN_LIST).param("group_id", group_id);
        self.read("listing runs", q, run_from_row).await
    }

    async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let q = query(cypher::RUN_GET).param("run_id", run_id);
        let runs = self
            .read(&format!("reading run {run_id}"), q, run_from_row)
            .await?;
        Ok(runs.into_iter().next())
    }

    async fn run_action_counts(&self, run_id: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        let q = query(cypher::RUN_ACTION_COUNTS).param("run_id", run_id);
        let rows = self
            .read(&format!("counting the writes of run {run_id}"), q, |row| {
                Ok((col::<String>(row, "action")?, col::<i64>(row, "n")? as u64))
            })
            .await?;
        Ok(rows.into_iter().collect())
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
            Some((false, None)) | None => Err(StoreError::Query {
                target: self.name.clone(),
                message: format!(
                    "run {} no longer holds the lock of group {group}: it was released or removed (graphseed unlock)",
                    claim.run_id
                ),
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

    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let doing = format!(
            "recording run {} and releasing the lock of group {}",
            run.run_id, run.group_id
        );
        self.in_txn(&doing, async |txn: &mut Txn| {
            let e = |e: neo4rs::Error| self.err(&doing, &e);
            txn.run(run_query(run)).await.map_err(e)?;
            txn.run(release_query(&run.group_id, &run.run_id))
                .await
                .map_err(e)
        })
        .await
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

    async fn query_episodes(
        &self,
        filter: &EpisodeFilter,
    ) -> Result<Vec<EpisodeRecord>, StoreError> {
        let limit = filter
            .limit
            .map(|l| i64::try_from(l).unwrap_or(i64::MAX))
            .unwrap_or(i64::MAX);
        // Two fixed statements rather than one with `$group_id IS NULL OR`:
        // that form hides the group from the planner, which then scans every
        // episode of every group instead of seeking the group in the index.
        let q = match filter.group_id.as_deref() {
            Some(group_id) => query(cypher::EPISODE_QUERY_GROUP).param("group_id", group_id),
            None => query(cypher::EPISODE_QUERY),
        };
        let q = q
            .param("source", filter.source.as_deref())
            .param("version", filter.version.as_deref())
            .param("entity_id", filter.entity_id.as_deref())
            .param("run_id", filter.run_id.as_deref())
            .param("since", filter.since)
            .param("until", filter.until)
            .param("limit", limit);
        self.read("querying episodes", q, record_from_row).await
    }

    async fn episode_history(
        &self,
        group_id: &str,
        entity_id: &str,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let q = query(cypher::EPISODE_HISTORY)
            .param("group_id", group_id)
            .param("entity_id", entity_id);
        self.read(
            &format!("reading the history of {group_id}/{entity_id}"),
            q,
            |row| {
                history_from_row(row).map_err(|e| format!("history of {group_id}/{entity_id}: {e}"))
            },
        )
        .await
    }

    async fn raw_episodes(&self, group_id: &str) -> Result<Vec<RawEpisode>, StoreError> {
        let q = query(cypher::EPISODE_RAW_GROUP).param("group_id", group_id);
        self.read(
            &format!("reading the stored episodes of group {group_id}"),
            q,
            |row| match col::<BoltType>(row, "properties")? {
                BoltType::Map(m) => Ok(m
                    .value
                    .iter()
                    .map(|(k, v)| (k.value.clone(), raw_value(v)))
                    .collect()),
                other => Err(format!("properties of an episode: not a map: {other:?}")),
            },
        )
        .await
    }

    async fn status(&self, group_id: Option<&str>) -> Result<Vec<StatusRow>, StoreError> {
        // As in query_episodes: a separate statement per case keeps the
        // group's index seek.
        let q = match group_id {
            Some(group_id) => query(cypher::EPISODE_STATUS_GROUP).param("group_id", group_id),
            None => query(cypher::EPISODE_STATUS),
        };
        let mut rows = self
            .read("counting episodes", q, |row| {
                let episodes: i64 = col(row, "episodes")?;
                Ok(StatusRow {
                    group_id: col(row, "group_id")?,
                    source: col::<Option<String>>(row, "source")?.unwrap_or_default(),
                    version: col::<Option<String>>(row, "version")?.unwrap_or_default(),
                    episodes: non_negative(episodes, "episodes")?,
                })
            })
            .await?;
        // Same order on every store, whatever the database's collation.
        rows.sort();
        Ok(rows)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_codes_are_retried() {
        for code in [
            "Neo.TransientError.Transaction.DeadlockDetected",
            "Neo.TransientError.Transaction.LockAcquisitionTimeout",
            "Neo.TransientError.General.DatabaseUnavailable",
            "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
            "Neo.TransientError.Cluster.ReplicationFailure",
            "Neo.ClientError.Cluster.NotALeader",
            "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase",
            "Neo.ClientError.Security.AuthorizationExpired",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Transient, "{code}");
        }
    }

    #[test]
    fn terminated_and_timed_out_transactions_are_final() {
        for code in [
            "Neo.TransientError.Transaction.Terminated",
            "Neo.TransientError.Transaction.LockClientStopped",
            "Neo.ClientError.Transaction.Terminated",
            "Neo.ClientError.Transaction.LockClientStopped",
            "Neo.ClientError.Transaction.TransactionTimedOut",
            "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Query, "{code}");
        }
    }

    #[test]
    fn client_and_database_errors_are_query_errors() {
        for code in [
            "Neo.ClientError.Statement.SyntaxError",
            "Neo.ClientError.Schema.ConstraintValidationFailed",
            "Neo.ClientError.Statement.ParameterMissing",
            "Neo.ClientError.Statement.TypeError",
            "Neo.ClientError.Security.Forbidden",
            "Neo.DatabaseError.General.UnknownError",
            "",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Query, "{code}");
        }
    }

    #[test]
    fn credentials_and_missing_database_are_unreachable() {
        for code in [
            "Neo.ClientError.Security.Unauthorized",
            "Neo.ClientError.Security.AuthenticationRateLimit",
            "Neo.ClientError.Security.CredentialsExpired",
            "Neo.ClientError.Database.DatabaseNotFound",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Unreachable, "{code}");
        }
    }

    #[test]
    fn dropped_connections_are_transient() {
        use std::io::{Error as IoError, ErrorKind};
        for kind in [
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionAborted,
            ErrorKind::BrokenPipe,
            ErrorKind::UnexpectedEof,
            ErrorKind::ConnectionRefused,
            ErrorKind::TimedOut,
        ] {
            let e = neo4rs::Error::IOError {
                detail: IoError::from(kind),
            };
            assert_eq!(classify(&e), ErrorClass::Transient, "{kind:?}");
        }
        for e in [
            neo4rs::Error::ConnectionError,
            neo4rs::Error::ConnectionTimedOut,
            neo4rs::Error::IncompleteBoltExchange,
            neo4rs::Error::RequestIgnoredError,
            neo4rs::Error::ServerUnavailableError("gone".into()),
        ] {
            assert_eq!(classify(&e), ErrorClass::Transient, "{e}");
        }
    }

    #[test]
    fn driver_misuse_is_not_retried() {
        for e in [
            neo4rs::Error::ConversionError,
            neo4rs::Error::InvalidConfig,
            neo4rs::Error::StringTooLong,
            neo4rs::Error::UnsupportedScheme("http".into()),
        ] {
            assert_eq!(classify(&e), ErrorClass::Query, "{e}");
        }
        assert_eq!(
            classify(&neo4rs::Error::AuthenticationError("bad".into())),
            ErrorClass::Unreachable
        );
    }

    #[test]
    fn connect_hints_name_the_cause_and_never_the_password() {
        let opts = Neo4jOptions::default();
        let refused = neo4rs::Error::IOError {
            detail: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        assert!(connect_hint(&refused, "db", "neo4j", true, &opts).contains("refused"));
        let auth = neo4rs::Error::AuthenticationError("The client is unauthorized".into());
        let text = connect_hint(&auth, "db", "neo4j", false, &opts);
        assert!(
            text.contains("authentication failed") && text.contains("NEO4J_PASSWORD"),
            "{text}"
        );
        let tls = neo4rs::Error::IOError {
            detail: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "invalid peer certificate: UnknownIssuer",
            ),
        };
        assert!(connect_hint(&tls, "db", "neo4j", true, &opts).contains("bolt+ssc://"));
    }

    #[test]
    fn default_timeout_leaves_room_for_slow_batches() {
        assert!(Neo4jOptions::default().connection_timeout >= Duration::from_secs(120));
    }

    #[test]
    fn constraint_matching_ignores_names_and_property_order() {
        let c = ShownConstraint {
            kind: "UNIQUENESS".into(),
            entity: "NODE".into(),
            labels: vec!["Episode".into()],
            properties: vec!["entity_id".into(), "group_id".into()],
        };
        assert!(c.enforces("Episode", &["group_id", "entity_id"]));
        assert!(!c.enforces("Episode", &["group_id"]));
        assert!(!c.enforces("SeedRun", &["group_id", "entity_id"]));
        let index_only = ShownConstraint {
            kind: "NODE_PROPERTY_EXISTENCE".into(),
            ..c
        };
        assert!(!index_only.enforces("Episode", &["group_id", "entity_id"]));
    }
}
