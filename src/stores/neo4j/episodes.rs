//! The episodes of the Neo4j store: `(:Episode)` nodes, written inside the
//! batch envelope ([`Neo4jStore::write_episodes`]), read for planning and
//! provenance.

use chrono::{DateTime, Utc};
use neo4rs::{BoltType, Txn, query};

use super::Neo4jStore;
use super::decode::*;
use super::params::write_map;
use crate::cypher;
use crate::metadata::{EpisodeRecord, StoredEpisodes};
use crate::stores::{
    EditPage, EpisodeChanges, EpisodeFilter, EpisodeSeek, Episodes, HistoryEntry, RawEpisode,
    RunChange, RunRecord, StatusRow, StoreError,
};

impl Neo4jStore {
    /// The episode part of a batch, inside the envelope's transaction: one
    /// UNWIND upsert (with the provenance links) and one prune statement.
    pub(super) async fn write_episodes(
        &self,
        txn: &mut Txn,
        run: &RunRecord,
        at: DateTime<Utc>,
        changes: &EpisodeChanges,
    ) -> Result<(), StoreError> {
        let doing = format!(
            "writing {} episodes and pruning {} for run {}",
            changes.writes.len(),
            changes.deletes.len(),
            run.run_id
        );
        let e = |e: neo4rs::Error| self.err(&doing, &e);
        if !changes.writes.is_empty() {
            // One list parameter for the whole batch (built with FromIterator,
            // no intermediate Vec<BoltType> clones), one UNWIND: a round trip
            // per batch, not per episode.
            let writes: BoltType = changes
                .writes
                .iter()
                .map(|w| write_map(w, self.profile))
                .collect();
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
            if written != Some(changes.writes.len() as i64) {
                return Err(StoreError::Query {
                    target: self.name.clone(),
                    message: format!(
                        "{doing}: the upsert wrote {written:?} episodes, expected {}",
                        changes.writes.len()
                    ),
                });
            }
        }
        if !changes.deletes.is_empty() {
            let ids: BoltType = changes.deletes.iter().map(String::as_str).collect();
            let q = query(cypher::EPISODE_DELETE_BATCH)
                .param("group_id", run.group_id.as_str())
                .param("entity_ids", ids)
                .param("run_id", run.run_id.as_str())
                .param("at", at);
            txn.run(q).await.map_err(e)?;
        }
        Ok(())
    }
}

impl Episodes for Neo4jStore {
    async fn load_episodes(&self, group_id: &str) -> Result<StoredEpisodes, StoreError> {
        let q = query(cypher::EPISODE_LOAD_GROUP).param("group_id", group_id);
        let mut episodes = StoredEpisodes::default();
        // Each row is pushed as it arrives; `read` collects only `()`s.
        self.read(
            &format!("loading the episodes of group {group_id}"),
            q,
            |row| {
                stored_values(row, group_id, |v| {
                    episodes.push(v.fields());
                    Ok(())
                })
            },
        )
        .await?;
        // Cypher orders strings by UTF-16 code unit, Rust by code point; they
        // differ only beyond the BMP, but planning relies on this order.
        if !episodes.is_sorted_by_id(false) {
            episodes.sort_by_id();
        }
        // Held whole while planning: without the slack of its last doubling.
        episodes.shrink_to_fit();
        Ok(episodes)
    }

    async fn count_episodes(&self, group_id: &str) -> Result<u64, StoreError> {
        let q = query(cypher::EPISODE_COUNT_GROUP).param("group_id", group_id);
        let n = self
            .read(
                &format!("counting the episodes of group {group_id}"),
                q,
                |row| col::<i64>(row, "n"),
            )
            .await?;
        Ok(n.first().map_or(0, |&n| u64::try_from(n).unwrap_or(0)))
    }

    async fn entity_id_at(
        &self,
        group_id: &str,
        position: u64,
    ) -> Result<Option<String>, StoreError> {
        let q = query(cypher::EPISODE_ENTITY_ID_AT)
            .param("group_id", group_id)
            // SKIP plus LIMIT must fit a long: past that there is no
            // episode anyway.
            .param(
                "skip",
                i64::try_from(position).map_or(i64::MAX - 1, |p| p.min(i64::MAX - 1)),
            );
        let ids = self
            .read(
                &format!("finding where to split the read of group {group_id}"),
                q,
                // Not text (planted by hand): no key to page from.
                |row| Ok(row.get::<String>("entity_id").ok()),
            )
            .await?;
        Ok(ids.into_iter().next().flatten())
    }

    fn reads_side_by_side(&self) -> bool {
        true
    }

    async fn query_episodes(
        &self,
        filter: &EpisodeFilter,
    ) -> Result<Vec<EpisodeRecord>, StoreError> {
        let limit = filter
            .limit
            .map(|l| i64::try_from(l).unwrap_or(i64::MAX))
            .unwrap_or(i64::MAX);
        // One fixed statement per seek rather than one with `$x IS NULL OR`:
        // that form hides x from the planner, which then scans the group (or
        // every group) instead of seeking x in its index.
        let q = match filter.seek() {
            EpisodeSeek::Everywhere => query(cypher::EPISODE_QUERY),
            EpisodeSeek::Entity => query(cypher::EPISODE_QUERY_ENTITY),
            EpisodeSeek::Run => query(cypher::EPISODE_QUERY_RUN),
            EpisodeSeek::Group => query(cypher::EPISODE_QUERY_GROUP),
        };
        let q = q
            .param("group_id", filter.group_id.as_deref())
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
                history_from_row(row)
                    .map_err(|e| e.of(format!("history of {group_id}/{entity_id}")))
            },
        )
        .await
    }

    async fn run_changes(
        &self,
        group_id: &str,
        run_id: &str,
    ) -> Result<Vec<RunChange>, StoreError> {
        let q = query(cypher::EPISODE_CHANGES_RUN)
            .param("group_id", group_id)
            .param("run_id", run_id);
        self.read(
            &format!("reading the changes of run {run_id} in group {group_id}"),
            q,
            |row| change_from_row(row).map_err(|e| e.of(format!("changes of run {run_id}"))),
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

    async fn raw_episodes(&self, group_id: &str) -> Result<Vec<RawEpisode>, StoreError> {
        let q = query(cypher::EPISODE_RAW_GROUP).param("group_id", group_id);
        self.read(
            &format!("reading the stored episodes of group {group_id}"),
            q,
            raw_row,
        )
        .await
    }

    async fn hand_edit_page(
        &self,
        group_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<EditPage, StoreError> {
        // Two fixed statements, as in query_episodes: with `$after IS NULL OR`
        // the planner scanned every episode for every page.
        let q = match after {
            None => query(cypher::EPISODE_SEALED_PAGE),
            Some(after) => query(cypher::EPISODE_SEALED_PAGE_AFTER).param("after", after),
        };
        let q = q
            .param("group_id", group_id)
            .param("limit", i64::from(limit));
        let doing = format!("reading a page of the stored episodes of group {group_id}");
        let mut episodes = StoredEpisodes::default();
        let rows = self
            .read(&doing, q, |row| {
                stored_values(row, group_id, |v| {
                    // Borrowed from the row (the body is not copied): a
                    // value of another type only means "not vouched for".
                    let sealed = row
                        .get::<Option<[&str; 3]>>("sealed")
                        .ok()
                        .flatten()
                        .is_some_and(|s| seal_matches(&v, s));
                    episodes.push(v.fields());
                    Ok(sealed)
                })
            })
            .await?;
        // `rows[i]`: whether episode `i`'s seal vouches for it.
        let last = episodes.last().map(|s| s.entity_id().to_string());
        let suspects: Vec<&str> = episodes
            .iter()
            .zip(&rows)
            .filter(|(_, sealed)| !**sealed)
            .map(|(s, _)| s.entity_id())
            .collect();
        let unsealed = if suspects.is_empty() {
            Vec::new()
        } else {
            let q = query(cypher::EPISODE_RAW_BY_IDS)
                .param("group_id", group_id)
                .param("entity_ids", suspects);
            self.read(&doing, q, raw_row).await?
        };
        Ok(EditPage {
            read: rows.len(),
            last,
            unsealed,
            episodes,
        })
    }
}

/// Whether an episode's seal vouches for its values as read: `sealed` is
/// `[seal, run_id, body]` (`episode_sealed_page`), the rest of what the seal
/// covers. Anything unexpected (a value of another type, no list) only
/// means "not vouched for": the full check reads the episode and says what
/// is wrong.
fn seal_matches(v: &StoredValues<'_>, [seal, run_id, body]: [&str; 3]) -> bool {
    let f = crate::hashing::SealFields {
        entity_id: v.entity_id,
        source: v.source,
        version: v.version,
        content_hash: v.content_hash,
        source_hash: v.source_hash,
        source_path: v.source_path,
        run_id,
        created_at: v.created_at,
        updated_at: v.updated_at,
        body,
    };
    crate::hashing::seal_matches(&f, seal)
}

/// One row's `properties` map, every value as stored.
fn raw_row(row: &neo4rs::Row) -> Result<RawEpisode, Unreadable> {
    match col::<BoltType>(row, "properties")? {
        BoltType::Map(m) => Ok(m
            .value
            .iter()
            .map(|(k, v)| (k.value.clone(), raw_value(v)))
            .collect()),
        other => Err(format!("properties of an episode: not a map: {other:?}").into()),
    }
}
