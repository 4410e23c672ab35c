//! The communities of the Neo4j store: `(:Community)-[:HAS_MEMBER]->`,
//! written inside the batch envelope ([`Neo4jStore::write_communities`]) and
//! read as the stored partition of a group.

use chrono::{DateTime, Utc};
use neo4rs::{BoltType, Txn, query};

use super::Neo4jStore;
use super::decode::col;
use super::params::bolt_map;
use crate::communities::writing::member_edge_uuid;
use crate::cypher;
use crate::stores::{Communities, CommunityChanges, RunRecord, StoreError, StoredCommunity};

impl Neo4jStore {
    /// The community part of a batch, in the envelope's order: edges to
    /// pruned episodes dropped, dissolved communities removed, every node
    /// written, then the HAS_MEMBER diff (a parent's edge needs its child).
    /// One UNWIND per step.
    pub(super) async fn write_communities(
        &self,
        txn: &mut Txn,
        run: &RunRecord,
        at: DateTime<Utc>,
        changes: &CommunityChanges,
    ) -> Result<(), StoreError> {
        let doing = format!(
            "writing {} communities and pruning {} for run {}",
            changes.writes.len(),
            changes.deletes.len(),
            run.run_id
        );
        let e = |e: neo4rs::Error| self.err(&doing, &e);
        let group = run.group_id.as_str();
        txn.run(query(cypher::COMMUNITY_DROP_PRUNED_MEMBERS).param("group_id", group))
            .await
            .map_err(e)?;
        if !changes.deletes.is_empty() {
            let ids: BoltType = changes.deletes.iter().map(String::as_str).collect();
            let q = query(cypher::COMMUNITY_DELETE_BATCH)
                .param("group_id", group)
                .param("entity_ids", ids);
            txn.run(q).await.map_err(e)?;
        }
        if !changes.writes.is_empty() {
            let nodes: BoltType = changes
                .writes
                .iter()
                .map(|w| {
                    bolt_map([
                        ("entity_id", BoltType::from(w.entity_id.as_str())),
                        ("uuid", BoltType::from(w.uuid.as_str())),
                        ("level", BoltType::from(i64::from(w.level))),
                        ("size", BoltType::from(w.size as i64)),
                        ("name", BoltType::from(w.name.as_str())),
                        ("summary", BoltType::from(w.summary.as_str())),
                        ("source", BoltType::from(w.source.as_str())),
                        ("version", BoltType::from(w.version.clone())),
                        ("content_hash", BoltType::from(w.content_hash.as_str())),
                        ("created_at", BoltType::from(w.created_at)),
                        ("updated_at", BoltType::from(w.updated_at)),
                        ("params_hash", BoltType::from(w.params_hash.as_str())),
                        (
                            "graph_signature",
                            BoltType::from(w.graph_signature.as_str()),
                        ),
                    ])
                })
                .collect();
            let q = query(cypher::COMMUNITY_UPSERT_BATCH)
                .param("group_id", group)
                .param("run_id", run.run_id.as_str())
                .param("communities", nodes);
            txn.run(q).await.map_err(e)?;
        }
        // Removals before additions: an edge is never both.
        let edges = |pick: fn(&crate::stores::CommunityWrite) -> &Vec<String>, with_uuid: bool| {
            let list: Vec<BoltType> = changes
                .writes
                .iter()
                .flat_map(|w| {
                    pick(w).iter().map(move |m| {
                        let mut entries = vec![
                            ("community", BoltType::from(w.entity_id.as_str())),
                            ("member", BoltType::from(m.as_str())),
                        ];
                        if with_uuid {
                            entries.push(("uuid", BoltType::from(member_edge_uuid(&w.uuid, m))));
                        }
                        bolt_map(entries)
                    })
                })
                .collect();
            list
        };
        // Each statement is named here (never chosen from a variable), one
        // per (direction, kind of member); `$at` only where edges are made.
        let steps = [
            (
                query(cypher::COMMUNITY_MEMBERS_REMOVE),
                edges(|w| &w.remove_episodes, false),
            ),
            (
                query(cypher::COMMUNITY_CHILDREN_REMOVE),
                edges(|w| &w.remove_children, false),
            ),
            (
                query(cypher::COMMUNITY_MEMBERS_ADD).param("at", at),
                edges(|w| &w.add_episodes, true),
            ),
            (
                query(cypher::COMMUNITY_CHILDREN_ADD).param("at", at),
                edges(|w| &w.add_children, true),
            ),
        ];
        for (q, list) in steps {
            if list.is_empty() {
                continue;
            }
            let q = q
                .param("group_id", group)
                .param("edges", BoltType::List(list.into()));
            txn.run(q).await.map_err(e)?;
        }
        Ok(())
    }
}

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
                    let mut children: Vec<String> = col(row, "children")?;
                    // Sorted here: Cypher and Rust order strings alike within
                    // the BMP only.
                    members.sort();
                    children.sort();
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
                        children,
                        entity_id,
                    })
                },
            )
            .await?;
        out.sort_by(|a, b| (a.level, &a.entity_id).cmp(&(b.level, &b.entity_id)));
        Ok(out)
    }
}
