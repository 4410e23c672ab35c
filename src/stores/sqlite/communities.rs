//! The communities of the embedded store: tables `communities` and
//! `community_members`, written inside the batch envelope
//! ([`write_communities`]) and read as the stored partition of a group.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::SqliteStore;
use super::errors::{Fail, R};
use crate::communities::writing::member_edge_uuid;
use crate::metadata::format_time;
use crate::sql;
use crate::stores::{Communities, CommunityChanges, RunRecord, StoreError, StoredCommunity};

/// The community part of a batch, in the envelope's order: edges to pruned
/// episodes dropped, dissolved communities removed, every node written,
/// then the HAS_MEMBER diff (a parent's edge needs its child's row).
/// Replaying it ends in the same rows.
pub(super) fn write_communities(
    conn: &Connection,
    run: &RunRecord,
    at: &str,
    changes: &CommunityChanges,
) -> R<()> {
    let group = &run.group_id;
    conn.prepare_cached(sql::COMMUNITY_MEMBERS_DROP_PRUNED)?
        .execute(params![group])?;
    let mut edges = conn.prepare_cached(sql::COMMUNITY_MEMBERS_DELETE_OF)?;
    let mut delete = conn.prepare_cached(sql::COMMUNITY_DELETE)?;
    for id in &changes.deletes {
        edges.execute(params![group, id])?;
        delete.execute(params![group, id])?;
    }
    let mut upsert = conn.prepare_cached(sql::COMMUNITY_UPSERT)?;
    for w in &changes.writes {
        upsert.execute(params![
            group,
            w.entity_id,
            w.uuid,
            i64::from(w.level),
            w.size as i64,
            w.name,
            w.summary,
            w.source,
            w.version,
            w.content_hash,
            format_time(&w.created_at),
            format_time(&w.updated_at),
            run.run_id,
            w.params_hash,
            w.graph_signature,
        ])?;
    }
    let mut add = conn.prepare_cached(sql::COMMUNITY_MEMBER_INSERT)?;
    let mut remove = conn.prepare_cached(sql::COMMUNITY_MEMBER_DELETE)?;
    for w in &changes.writes {
        for (kind, added, removed) in [
            ("episode", &w.add_episodes, &w.remove_episodes),
            ("community", &w.add_children, &w.remove_children),
        ] {
            for m in removed {
                remove.execute(params![group, w.entity_id, kind, m])?;
            }
            for m in added {
                let uuid = member_edge_uuid(&w.uuid, m);
                add.execute(params![group, w.entity_id, kind, m, uuid, at])?;
            }
        }
    }
    Ok(())
}

impl Communities for SqliteStore {
    async fn load_communities(&self, group_id: &str) -> Result<Vec<StoredCommunity>, StoreError> {
        self.with(|conn| {
            // Two reads in one connection: members grouped by community
            // and kind, then the communities in (level, entity_id) order.
            let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut stmt = conn.prepare_cached(sql::COMMUNITY_MEMBERS_LOAD_GROUP)?;
            let mut rows = stmt.query(params![group_id])?;
            while let Some(row) = rows.next()? {
                let community: String = row.get(0)?;
                let kind: String = row.get(1)?;
                let into = match kind.as_str() {
                    "episode" => &mut members,
                    "community" => &mut children,
                    other => {
                        return Err(Fail::Corrupt(format!(
                            "a member of community {community} of group {group_id} has the unknown kind {other:?}"
                        )));
                    }
                };
                into.entry(community).or_default().push(row.get(2)?);
            }
            let mut stmt = conn.prepare_cached(sql::COMMUNITIES_LOAD_GROUP)?;
            let mut rows = stmt.query(params![group_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let entity_id: String = row.get(0)?;
                let level: i64 = row.get(2)?;
                let size: i64 = row.get(3)?;
                let corrupt = |what: &str| {
                    Fail::Corrupt(format!(
                        "community {entity_id} of group {group_id} has the {what}"
                    ))
                };
                out.push(StoredCommunity {
                    uuid: row.get(1)?,
                    level: u32::try_from(level).map_err(|_| corrupt(&format!("level {level}")))?,
                    size: u64::try_from(size).map_err(|_| corrupt(&format!("size {size}")))?,
                    name: row.get(4)?,
                    summary: row.get(5)?,
                    content_hash: row.get(6)?,
                    run_id: row.get(7)?,
                    params_hash: row.get(8)?,
                    graph_signature: row.get(9)?,
                    members: members.remove(&entity_id).unwrap_or_default(),
                    children: children.remove(&entity_id).unwrap_or_default(),
                    entity_id,
                });
            }
            Ok(out)
        })
    }
}
