//! The episodes of the embedded store: written inside the batch envelope
//! ([`write_episodes`]), read for planning and provenance.

use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::decode::{
    LOAD_COLUMNS, StoredColumns, opt_time, parse_time, read_record_row, read_stored_row, to_i64,
};
use super::errors::{Fail, R};
use crate::metadata::{EpisodeRecord, StoredEpisodes, format_time, truncate_micros};
use crate::sql;
use crate::stores::{
    Action, EditPage, EpisodeChanges, EpisodeFilter, EpisodeSeek, Episodes, HistoryEntry,
    RawEpisode, RawValue, RunChange, RunRecord, StatusRow, StoreError,
};

/// The episode part of a batch, inside the envelope's transaction: upserts
/// with their history links, then prunes. A prune link records what was
/// deleted, read under the write lock just before the delete; an entity
/// already gone (a replayed batch) is skipped, so the first prune's link
/// stands unchanged.
pub(super) fn write_episodes(
    conn: &Connection,
    run: &RunRecord,
    at: &str,
    changes: &EpisodeChanges,
) -> R<()> {
    let mut upsert = conn.prepare_cached(sql::EPISODE_UPSERT)?;
    let mut history = conn.prepare_cached(sql::EPISODE_HISTORY_UPSERT)?;
    for write in &changes.writes {
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
            // The times as this store keeps them (microseconds, see
            // `format_time`): the values read back must hash to it.
            r.seal(truncate_micros),
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
    }
    let mut read = conn.prepare_cached(sql::EPISODE_PRUNE_READ)?;
    let mut delete = conn.prepare_cached(sql::EPISODE_DELETE)?;
    for entity_id in &changes.deletes {
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
    Ok(())
}

pub(super) fn query_episodes_in(
    conn: &Connection,
    filter: &EpisodeFilter,
) -> R<Vec<EpisodeRecord>> {
    // One fixed statement per seek (all with the same parameters): an
    // optional filter written `?x IS NULL OR` cannot use x's index, so the
    // entity and the run get statements of their own; with a group only the
    // primary key narrows the scan, in order, so a LIMIT stops it early.
    let mut stmt = match filter.seek() {
        EpisodeSeek::Everywhere => conn.prepare_cached(sql::EPISODE_QUERY)?,
        EpisodeSeek::Entity => conn.prepare_cached(sql::EPISODE_QUERY_ENTITY)?,
        EpisodeSeek::Run => conn.prepare_cached(sql::EPISODE_QUERY_RUN)?,
        EpisodeSeek::Group => conn.prepare_cached(sql::EPISODE_QUERY_GROUP)?,
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

impl Episodes for SqliteStore {
    async fn load_episodes(&self, group_id: &str) -> Result<StoredEpisodes, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::EPISODE_LOAD_GROUP)?;
            let mut rows = stmt.query(params![group_id])?;
            let mut out = StoredEpisodes::default();
            while let Some(row) = rows.next()? {
                read_stored_row(group_id, row, &LOAD_COLUMNS, &mut out)?;
            }
            // Held whole while planning: without the slack of its last
            // doubling (up to half of it).
            out.shrink_to_fit();
            Ok(out)
        })
    }

    async fn count_episodes(&self, group_id: &str) -> Result<u64, StoreError> {
        self.with(|conn| {
            let n: i64 =
                conn.query_row(sql::EPISODE_COUNT_GROUP, params![group_id], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    async fn entity_id_at(
        &self,
        group_id: &str,
        position: u64,
    ) -> Result<Option<String>, StoreError> {
        let at = i64::try_from(position).unwrap_or(i64::MAX);
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::EPISODE_ENTITY_ID_AT)?;
            let mut rows = stmt.query(params![group_id, at])?;
            Ok(match rows.next()? {
                // Not text (planted by hand): no key to page from.
                Some(row) => row.get_ref(0)?.as_str().ok().map(str::to_string),
                None => None,
            })
        })
    }

    fn reads_side_by_side(&self) -> bool {
        false
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

    async fn run_changes(
        &self,
        group_id: &str,
        run_id: &str,
    ) -> Result<Vec<RunChange>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::EPISODE_CHANGES_RUN)?;
            let mut rows = stmt.query(params![group_id, run_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let entity_id: String = row.get(0)?;
                let what = |col: &str| {
                    format!("change of `{group_id}/{entity_id}` by run `{run_id}`: {col}")
                };
                let action = |i: usize, col: &str| -> R<Option<Action>> {
                    match row.get::<_, Option<String>>(i)? {
                        None => Ok(None),
                        Some(a) => Action::parse(&a)
                            .map(Some)
                            .ok_or_else(|| Fail::Corrupt(format!("{} is `{a}`", what(col)))),
                    }
                };
                out.push(RunChange {
                    action: action(1, "action")?
                        .ok_or_else(|| Fail::Corrupt(format!("{} is missing", what("action"))))?,
                    at: parse_time(&what("at"), &row.get::<_, String>(2)?)?,
                    version: row.get(3)?,
                    content_hash: row.get(4)?,
                    source_hash: row.get(5)?,
                    previous_action: action(6, "previous action")?,
                    previous_content_hash: row.get(7)?,
                    name: row.get(8)?,
                    body: row.get(9)?,
                    entity_id,
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
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::EPISODE_RAW_GROUP)?;
            Ok(raw_rows(&mut stmt, params![group_id])?)
        })
    }

    /// No seals here: a local file's rows cost little to read and check in
    /// full, so every episode goes to the full check.
    async fn hand_edit_page(
        &self,
        group_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<EditPage, StoreError> {
        self.with(|conn| match after {
            None => sealed_page(
                group_id,
                &mut conn.prepare_cached(sql::EPISODE_RAW_PAGE_FIRST)?,
                params![group_id, limit],
            ),
            Some(after) => sealed_page(
                group_id,
                &mut conn.prepare_cached(sql::EPISODE_RAW_PAGE)?,
                params![group_id, after, limit],
            ),
        })
    }
}

/// The columns an episode's seal covers, in [`crate::hashing::SealFields`]'
/// order, then the seal itself.
const SEALED: [&str; 11] = [
    "entity_id",
    "source",
    "version",
    "content_hash",
    "source_hash",
    "source_path",
    "run_id",
    "created_at",
    "updated_at",
    "body",
    "seal",
];

/// One page of the hand-edit check: every row counted, only those whose
/// seal does not vouch for them read in full. A row is hashed as read (no
/// JSON parsing, no map of its columns): at a million episodes, parsing
/// every body was 11 s of a 19 s no-op reseed.
fn sealed_page(
    group_id: &str,
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
) -> R<EditPage> {
    use rusqlite::types::ValueRef;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    // Every column is in layout 5 (`init` and `seed` migrate older files).
    let mut at = [0; SEALED.len()];
    for (at, c) in at.iter_mut().zip(SEALED) {
        *at = names
            .iter()
            .position(|n| n == c)
            .ok_or_else(|| Fail::Corrupt(format!("the episodes table has no `{c}` column")))?;
    }
    // The stored state's columns, in `read_stored_row`'s order.
    let stored_at: StoredColumns = [at[0], at[1], at[2], at[7], at[8], at[4], at[3], at[5]];
    let mut rows = stmt.query(params)?;
    let (mut unsealed, mut episodes) = (Vec::new(), StoredEpisodes::default());
    while let Some(row) = rows.next()? {
        read_stored_row(group_id, row, &stored_at, &mut episodes)?;
        let value = |i: usize| row.get_ref(at[i]).ok();
        // Anything unexpected (another type, a missing value) only means
        // "not vouched for": the full check says what is wrong.
        let text = |i: usize| match value(i) {
            Some(ValueRef::Text(t)) => std::str::from_utf8(t).ok(),
            _ => None,
        };
        let opt_text = |i: usize| match value(i) {
            Some(ValueRef::Text(t)) => std::str::from_utf8(t).ok().map(Some),
            Some(ValueRef::Null) => Some(None),
            _ => None,
        };
        let time = |i: usize| {
            chrono::DateTime::parse_from_rfc3339(text(i)?)
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        let fields = || {
            Some(crate::hashing::SealFields {
                entity_id: text(0)?,
                source: text(1)?,
                version: text(2)?,
                content_hash: text(3)?,
                source_hash: opt_text(4)?,
                source_path: opt_text(5)?,
                run_id: text(6)?,
                created_at: time(7)?,
                updated_at: time(8)?,
                body: text(9)?,
            })
        };
        let sealed = match (text(10), fields()) {
            (Some(seal), Some(f)) => crate::hashing::seal_matches(&f, seal),
            _ => false,
        };
        if !sealed {
            unsealed.push(raw_episode(&names, row)?);
        }
    }
    // Every row became an episode (or the page failed): the last one's
    // entity_id is text, and is where the next page starts.
    Ok(EditPage {
        read: episodes.len(),
        last: episodes.last().map(|s| s.entity_id().to_string()),
        unsealed,
        episodes,
    })
}

/// Every column of every row as stored, whatever its declared type says
/// (SQLite is dynamically typed: a hand edit can put any type anywhere).
fn raw_rows(
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<RawEpisode>> {
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(raw_episode(&names, row)?);
    }
    Ok(out)
}

/// One row, every column as stored.
fn raw_episode(names: &[String], row: &rusqlite::Row<'_>) -> rusqlite::Result<RawEpisode> {
    use rusqlite::types::ValueRef;
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
    Ok(e)
}
