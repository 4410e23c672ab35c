//! Rows as graphseed's types. Strict on types (a hand-edited text time is
//! reported, not read), and every error names the property and the entity,
//! run or lock it belongs to.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use neo4rs::{BoltType, Row};
use serde::Deserialize;

use crate::metadata::{EpisodeRecord, StoredFields};
use crate::stores::{
    Action, HistoryEntry, LockInfo, RawValue, RunChange, RunKind, RunRecord, RunStatus,
};
use crate::version::SeedVersion;

/// A stored value graphseed cannot read: what and where (property, then
/// the entity, run or lock it belongs to). Becomes [`StoreError::Corrupt`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(super) struct Unreadable(pub(super) String);

impl From<String> for Unreadable {
    fn from(message: String) -> Self {
        Unreadable(message)
    }
}

impl Unreadable {
    /// The same problem, named as part of `what` (`run 0193...`).
    pub(super) fn of(self, what: impl std::fmt::Display) -> Self {
        Unreadable(format!("{what}: {}", self.0))
    }
}

/// Serde-based column read with the column named in the error.
pub(super) fn col<'r, T: Deserialize<'r>>(row: &'r Row, key: &str) -> Result<T, Unreadable> {
    row.get::<T>(key)
        .map_err(|e| Unreadable(format!("property `{key}`: {e}")))
}

pub(super) fn time_col(row: &Row, key: &str) -> Result<DateTime<Utc>, Unreadable> {
    opt_time_col(row, key)?.ok_or_else(|| {
        Unreadable(format!(
            "property `{key}`: missing (expected a zoned DATETIME)"
        ))
    })
}

/// A zoned DATETIME as an instant. Strict on the type: serde would happily
/// parse an RFC 3339 *string* too, but Cypher compares a string with a
/// DATETIME as null, so a hand-edited text time must be reported, not read.
pub(super) fn opt_time_col(row: &Row, key: &str) -> Result<Option<DateTime<Utc>>, Unreadable> {
    let bad = |what: &str| {
        Unreadable(format!(
            "property `{key}`: expected a zoned DATETIME, found {what}"
        ))
    };
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
pub(super) fn raw_value(v: &BoltType) -> RawValue {
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

pub(super) fn non_negative(v: i64, key: &str) -> Result<u64, Unreadable> {
    u64::try_from(v).map_err(|_| Unreadable(format!("property `{key}`: negative value {v}")))
}

pub(super) fn run_from_row(row: &Row) -> Result<RunRecord, Unreadable> {
    let run_id: String = col(row, "run_id")?;
    let inner = || -> Result<RunRecord, Unreadable> {
        let status: String = col(row, "status")?;
        let kind: String = col(row, "kind")?;
        let counts_json: String = col(row, "counts_json")?;
        let counts: BTreeMap<String, u64> = serde_json::from_str(&counts_json)
            .map_err(|e| format!("property `counts_json`: {e}"))?;
        Ok(RunRecord {
            run_id: run_id.clone(),
            group_id: col(row, "group_id")?,
            kind: RunKind::parse(&kind)
                .ok_or_else(|| format!("property `kind`: unknown kind `{kind}`"))?,
            status: RunStatus::parse(&status)
                .ok_or_else(|| format!("property `status`: unknown status `{status}`"))?,
            started_at: time_col(row, "started_at")?,
            finished_at: opt_time_col(row, "finished_at")?,
            tool_version: col(row, "tool_version")?,
            seed_version: col(row, "seed_version")?,
            params_hash: col(row, "params_hash")?,
            params_json: col(row, "params_json")?,
            graph_signature: col(row, "graph_signature")?,
            sources_signature: col(row, "sources_signature")?,
            git_commit: col(row, "git_commit")?,
            git_branch: col(row, "git_branch")?,
            git_dirty: col(row, "git_dirty")?,
            hostname: col(row, "hostname")?,
            os: col(row, "os")?,
            counts,
        })
    };
    inner().map_err(|e| e.of(format!("run {run_id}")))
}

/// The values of a stored-state row (`episode_load_group`'s columns), as
/// text borrowed from the row, before they are pushed to the stored state:
/// a reseed reads every stored episode, and a `String` per column was a
/// million allocations per column at 1M.
pub(super) struct StoredValues<'r> {
    pub(super) entity_id: &'r str,
    pub(super) source: &'r str,
    pub(super) version: &'r str,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) source_hash: Option<&'r str>,
    pub(super) content_hash: &'r str,
    pub(super) source_path: Option<&'r str>,
}

impl StoredValues<'_> {
    pub(super) fn fields(&self) -> StoredFields<'_> {
        StoredFields {
            entity_id: self.entity_id,
            source: self.source,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            source_hash: self.source_hash,
            content_hash: self.content_hash,
            source_path: self.source_path,
        }
    }
}

/// Read a stored-state row and hand its values to `then`; a problem with
/// any of them (or one `then` reports) names the episode.
pub(super) fn stored_values<'r, T>(
    row: &'r Row,
    group_id: &str,
    then: impl FnOnce(StoredValues<'r>) -> Result<T, Unreadable>,
) -> Result<T, Unreadable> {
    let entity_id: &str = col(row, "entity_id")?;
    let inner = || -> Result<T, Unreadable> {
        then(StoredValues {
            source: col(row, "source")?,
            version: col(row, "version")?,
            created_at: time_col(row, "created_at")?,
            updated_at: time_col(row, "updated_at")?,
            source_hash: col(row, "source_hash")?,
            content_hash: col(row, "content_hash")?,
            source_path: col(row, "source_path")?,
            entity_id,
        })
    };
    inner().map_err(|e| e.of(format!("episode {group_id}/{entity_id}")))
}

pub(super) fn record_from_row(row: &Row) -> Result<EpisodeRecord, Unreadable> {
    let group_id: String = col(row, "group_id")?;
    let entity_id: String = col(row, "entity_id")?;
    let inner = || -> Result<EpisodeRecord, Unreadable> {
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
    inner().map_err(|e| e.of(format!("episode {group_id}/{entity_id}")))
}

pub(super) fn history_from_row(row: &Row) -> Result<HistoryEntry, Unreadable> {
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

pub(super) fn change_from_row(row: &Row) -> Result<RunChange, Unreadable> {
    let action = |name: &str| -> Result<Option<Action>, Unreadable> {
        match col::<Option<String>>(row, name)? {
            None => Ok(None),
            Some(a) => Action::parse(&a)
                .map(Some)
                .ok_or_else(|| format!("property `action`: unknown action `{a}`").into()),
        }
    };
    let entity_id: String = col(row, "entity_id")?;
    let inner = || -> Result<RunChange, Unreadable> {
        Ok(RunChange {
            entity_id: entity_id.clone(),
            action: action("action")?
                .ok_or_else(|| Unreadable("property `action`: missing".into()))?,
            at: time_col(row, "at")?,
            version: col(row, "version")?,
            content_hash: col(row, "content_hash")?,
            source_hash: col(row, "source_hash")?,
            previous_action: action("previous_action")?,
            previous_content_hash: col(row, "previous_content_hash")?,
            name: col(row, "name")?,
            body: col(row, "body")?,
        })
    };
    inner().map_err(|e| e.of(format!("episode {entity_id}")))
}

/// The lock row of `lock_acquire` / `lock_renew` / `lock_force_unlock`: the
/// holder it had before, or `None` when it was free.
pub(super) fn holder_from_row(row: &Row, group_id: &str) -> Result<Option<LockInfo>, Unreadable> {
    let run_id: Option<String> = col(row, "run_id")?;
    let Some(run_id) = run_id else {
        return Ok(None);
    };
    let inner = || -> Result<LockInfo, Unreadable> {
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
        .map_err(|e| e.of(format!("lock of group {group_id}")))
}
