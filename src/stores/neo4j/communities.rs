//! The communities of the Neo4j store: `(:Community)-[:HAS_MEMBER]->`,
//! read as the stored partition of a group.

use neo4rs::query;

use super::Neo4jStore;
use super::decode::col;
use crate::cypher;
use crate::stores::{Communities, StoreError, StoredCommunity};

impl Communities for Neo4jStore {
    async fn load_communities(&self, group_id: &str) -> Result<Vec<StoredCommunity>, StoreError> {
        let q = query(cypher::COMMUNITIES_LOAD_GROUP).param("group_id", group_id);
        let mut out = self
            .read(
                &format!("loading the communities of group {group_id}"),
                q,
                |row| {
                    let entity_id: String = col(row, "entity_id")?;
                    let level: i64 = col(row, "level")?;
                    let size: i64 = col(row, "size")?;
                    let mut members: Vec<String> = col(row, "members")?;
                    // Cypher and Rust order strings alike within the BMP only.
                    members.sort();
                    Ok(StoredCommunity {
                        uuid: col(row, "uuid")?,
                        level: u32::try_from(level)
                            .map_err(|_| format!("community {entity_id} has the level {level}"))?,
                        size: u64::try_from(size)
                            .map_err(|_| format!("community {entity_id} has the size {size}"))?,
                        name: col(row, "name")?,
                        summary: col(row, "summary")?,
                        content_hash: col(row, "content_hash")?,
                        run_id: col(row, "run_id")?,
                        params_hash: col(row, "params_hash")?,
                        graph_signature: col(row, "graph_signature")?,
                        members,
                        entity_id,
                    })
                },
            )
            .await?;
        out.sort_by(|a, b| (a.level, &a.entity_id).cmp(&(b.level, &b.entity_id)));
        Ok(out)
    }
}
