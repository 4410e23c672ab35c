//! The communities of the embedded store: tables `communities` and
//! `community_members`, read as the stored partition of a group.

use std::collections::BTreeMap;

use rusqlite::params;

use super::SqliteStore;
use super::errors::Fail;
use crate::sql;
use crate::stores::{Communities, StoreError, StoredCommunity};

impl Communities for SqliteStore {
    async fn load_communities(&self, group_id: &str) -> Result<Vec<StoredCommunity>, StoreError> {
        self.with(|conn| {
            // Two reads in one connection: members grouped by community,
            // then the communities in (level, entity_id) order.
            let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut stmt = conn.prepare_cached(sql::COMMUNITY_MEMBERS_LOAD_GROUP)?;
            let mut rows = stmt.query(params![group_id])?;
            while let Some(row) = rows.next()? {
                members.entry(row.get(0)?).or_default().push(row.get(1)?);
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
                    entity_id,
                });
            }
            Ok(out)
        })
    }
}
