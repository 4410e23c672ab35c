//! Rows as graphseed's types, and graphseed's values as SQLite text. Every
//! error names the column and the entity, run or lock it belongs to.

use chrono::{DateTime, Utc};
use rusqlite::Row;

use super::errors::{Fail, R};
use crate::metadata::{EpisodeRecord, StoredEpisodes, StoredFields, format_time};
use crate::stores::{LockInfo, RunKind, RunRecord, RunStatus};
use crate::version::SeedVersion;

pub(super) fn parse_time(what: &str, s: &str) -> R<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Fail::Corrupt(format!("{what} is `{s}`, not an RFC 3339 time: {e}")))
}

pub(super) fn parse_opt_time(what: &str, s: Option<String>) -> R<Option<DateTime<Utc>>> {
    s.map(|s| parse_time(what, &s)).transpose()
}

pub(super) fn opt_time(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.as_ref().map(format_time)
}

/// u64 → SQLite's signed 64-bit integer, saturating (no count or limit ever
/// gets near 2^63).
pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn read_lock_row(row: &Row<'_>) -> R<LockInfo> {
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

pub(super) fn read_run_row(row: &Row<'_>) -> R<RunRecord> {
    let run_id: String = row.get(0)?;
    let what = |col: &str| format!("run `{run_id}`: {col}");
    let status: String = row.get(2)?;
    let status = RunStatus::parse(&status)
        .ok_or_else(|| Fail::Corrupt(format!("{} is `{status}`", what("status"))))?;
    let kind: String = row.get(16)?;
    let kind = RunKind::parse(&kind)
        .ok_or_else(|| Fail::Corrupt(format!("{} is `{kind}`", what("kind"))))?;
    let counts: String = row.get(15)?;
    let counts = serde_json::from_str(&counts).map_err(|e| {
        Fail::Corrupt(format!(
            "{} is not a JSON map of counts: {e}",
            what("counts")
        ))
    })?;
    Ok(RunRecord {
        group_id: row.get(1)?,
        kind,
        status,
        started_at: parse_time(&what("started_at"), &row.get::<_, String>(3)?)?,
        finished_at: parse_opt_time(&what("finished_at"), row.get(4)?)?,
        tool_version: row.get(5)?,
        seed_version: row.get(6)?,
        params_hash: row.get(7)?,
        params_json: row.get(8)?,
        graph_signature: row.get(9)?,
        sources_signature: row.get(17)?,
        git_commit: row.get(10)?,
        git_branch: row.get(11)?,
        git_dirty: row.get(12)?,
        hostname: row.get(13)?,
        os: row.get(14)?,
        counts,
        run_id,
    })
}

/// Where [`read_stored_row`] finds each value: entity_id, source, version,
/// created_at, updated_at, source_hash, content_hash, source_path.
pub(super) type StoredColumns = [usize; 8];

/// The columns of `episode_load_group.sql`, in its order.
pub(super) const LOAD_COLUMNS: StoredColumns = [0, 1, 2, 3, 4, 5, 6, 7];

pub(super) fn read_stored_row(
    group_id: &str,
    row: &Row<'_>,
    at: &StoredColumns,
    into: &mut StoredEpisodes,
) -> R<()> {
    let entity_id: String = row.get(at[0])?;
    let what = |col: &str| format!("episode `{group_id}/{entity_id}`: {col}");
    let source_hash: Option<String> = row.get(at[5])?;
    let content_hash: String = row.get(at[6])?;
    let source_path: Option<String> = row.get(at[7])?;
    into.push(StoredFields {
        source: &row.get::<_, String>(at[1])?,
        version: &row.get::<_, String>(at[2])?,
        created_at: parse_time(&what("created_at"), &row.get::<_, String>(at[3])?)?,
        updated_at: parse_time(&what("updated_at"), &row.get::<_, String>(at[4])?)?,
        source_hash: source_hash.as_deref(),
        content_hash: &content_hash,
        source_path: source_path.as_deref(),
        entity_id: &entity_id,
    });
    Ok(())
}

pub(super) fn read_record_row(row: &Row<'_>) -> R<EpisodeRecord> {
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
