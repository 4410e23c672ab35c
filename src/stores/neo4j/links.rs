//! The links of the Neo4j store: `(:Episode)-[:LINKS_TO {kind, count}]->(:Episode)`,
//! written inside the batch envelope after the episode part, read for
//! `links`, `verify` and the graph signature.

use neo4rs::{BoltType, Txn, query};

use super::Neo4jStore;
use super::decode::col;
use super::params::bolt_map;
use crate::cypher;
use crate::links::LinkKind;
use crate::stores::{LinkChanges, Links, RunRecord, StoreError, StoredLink};

impl Neo4jStore {
    /// One UNWIND for the replaced sets, one for the pruned episodes.
    pub(super) async fn write_links(
        &self,
        txn: &mut Txn,
        run: &RunRecord,
        changes: &LinkChanges,
    ) -> Result<(), StoreError> {
        let doing = format!(
            "writing the links of {} episodes for run {}",
            changes.sets.len(),
            run.run_id
        );
        let e = |e: neo4rs::Error| self.err(&doing, &e);
        if !changes.sets.is_empty() {
            let sets: BoltType = changes
                .sets
                .iter()
                .map(|set| {
                    let edges: BoltType = set
                        .edges
                        .iter()
                        .map(|edge| {
                            bolt_map([
                                ("target", BoltType::from(edge.target.as_str())),
                                ("kind", BoltType::from(edge.kind.as_str())),
                                ("count", BoltType::from(i64::from(edge.count))),
                            ])
                        })
                        .collect();
                    bolt_map([
                        ("source", BoltType::from(set.source.as_str())),
                        ("edges", edges),
                    ])
                })
                .collect();
            let q = query(cypher::LINKS_REPLACE_BATCH)
                .param("group_id", run.group_id.as_str())
                .param("sets", sets);
            txn.run(q).await.map_err(e)?;
        }
        if !changes.removed.is_empty() {
            let ids: BoltType = changes.removed.iter().map(String::as_str).collect();
            let q = query(cypher::LINKS_REMOVE_PRUNED)
                .param("group_id", run.group_id.as_str())
                .param("entity_ids", ids);
            txn.run(q).await.map_err(e)?;
        }
        Ok(())
    }
}

impl Links for Neo4jStore {
    async fn load_links(&self, group_id: &str) -> Result<Vec<StoredLink>, StoreError> {
        let q = query(cypher::LINKS_LOAD_GROUP).param("group_id", group_id);
        let mut links = self
            .read(
                &format!("loading the links of group {group_id}"),
                q,
                |row| {
                    let kind: String = col(row, "kind")?;
                    let count: i64 = col(row, "count")?;
                    Ok(StoredLink {
                        source: col(row, "source")?,
                        target: col(row, "target")?,
                        kind: LinkKind::parse(&kind)
                            .ok_or_else(|| format!("a link has the unknown kind {kind:?}"))?,
                        count: u32::try_from(count)
                            .map_err(|_| format!("a link has the count {count}"))?,
                    })
                },
            )
            .await?;
        // Cypher and Rust order strings alike within the BMP only.
        links.sort();
        Ok(links)
    }
}
