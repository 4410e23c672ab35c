//! The links of the Neo4j store: `(:Episode)-[:LINKS_TO {kind, count}]->(:Episode)`,
//! written inside the batch envelope after the episode part, read for
//! `links`, `verify` and the graph signature.

use neo4rs::{BoltType, Txn, query};

use super::Neo4jStore;
use super::decode::{Unreadable, col};
use super::params::bolt_map;
use crate::cypher;
use crate::links::{LinkFacts, LinkKind, StateWanted, StoredLinkState, state};
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
            let sets: BoltType = last_per_key(&changes.sets, |set| set.source.as_str())
                .into_iter()
                .map(|set| {
                    let edges: BoltType = last_per_key(&set.edges, |e| (e.target.as_str(), e.kind))
                        .into_iter()
                        .map(|edge| {
                            bolt_map([
                                ("target", BoltType::from(edge.target.as_str())),
                                ("kind", BoltType::from(edge.kind.as_str())),
                                ("count", BoltType::from(i64::from(edge.count))),
                            ])
                        })
                        .collect();
                    let f = &set.facts;
                    let aliases: BoltType = f.aliases.iter().map(String::as_str).collect();
                    let dangling: BoltType = f
                        .unresolved
                        .iter()
                        .map(state::encode)
                        .collect::<Vec<_>>()
                        .into();
                    bolt_map([
                        ("source", BoltType::from(set.source.as_str())),
                        ("aliases", aliases),
                        ("key", BoltType::from(f.key.as_deref())),
                        ("dangling", dangling),
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

/// The last item per key, in their order. The link write CREATEs edges
/// after deleting a source's old ones (see links_replace_batch.cypher), so a
/// source or an edge listed twice would be written twice; the embedded store
/// replaces them (the last wins), and so does this one.
fn last_per_key<'a, T, K: Eq + std::hash::Hash>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> Vec<&'a T> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<&T> = items.iter().rev().filter(|i| seen.insert(key(i))).collect();
    out.reverse();
    out
}

impl Links for Neo4jStore {
    async fn load_link_state(
        &self,
        group_id: &str,
        wanted: &StateWanted,
    ) -> Result<Vec<StoredLinkState>, StoreError> {
        let q = query(cypher::LINKS_LOAD_STATE).param("group_id", group_id);
        let mut out = self
            .read_where(
                &format!("loading the link names of group {group_id}"),
                q,
                |row| {
                    // Lenient: a value edited into another type makes the
                    // facts unknown (the file is read again and they are
                    // rewritten), not the seed fail.
                    let aliases: Option<Vec<String>> = row.get("aliases").ok().flatten();
                    let dangling: Option<Vec<String>> = row.get("dangling").ok().flatten();
                    let unresolved: Option<Vec<_>> = dangling
                        .unwrap_or_default()
                        .iter()
                        .map(|s| state::decode(s))
                        .collect();
                    let facts = aliases.zip(unresolved).map(|(aliases, unresolved)| {
                        LinkFacts {
                            aliases,
                            key: row.get::<Option<String>>("key").ok().flatten(),
                            unresolved,
                        }
                        .shared()
                    });
                    Ok(StoredLinkState::new(
                        col::<&str>(row, "entity_id")?,
                        row.get::<Option<&str>>("name")
                            .ok()
                            .flatten()
                            .unwrap_or_default(),
                        facts,
                    ))
                },
                |state| wanted.keeps(state),
            )
            .await?;
        // Cypher and Rust order strings alike within the BMP only.
        out.sort_by(|a, b| a.entity_id().cmp(b.entity_id()));
        Ok(out)
    }

    async fn load_links(&self, group_id: &str) -> Result<Vec<StoredLink>, StoreError> {
        let q = query(cypher::LINKS_LOAD_GROUP).param("group_id", group_id);
        let mut links = self
            .read(
                &format!("loading the links of group {group_id}"),
                q,
                link_from_row,
            )
            .await?;
        // Cypher and Rust order strings alike within the BMP only.
        links.sort();
        StoredLink::share_sources(&mut links);
        // Held through planning: the doubling's unused half, given back.
        links.shrink_to_fit();
        Ok(links)
    }

    async fn links_of_episode(
        &self,
        group_id: &str,
        entity_id: &str,
    ) -> Result<Vec<StoredLink>, StoreError> {
        let q = query(cypher::LINKS_OF_EPISODE)
            .param("group_id", group_id)
            .param("entity_id", entity_id);
        let mut links = self
            .read(
                &format!("loading the links of {group_id}/{entity_id}"),
                q,
                link_from_row,
            )
            .await?;
        // A UNION has no order of its own; the same order as load_links.
        links.sort();
        Ok(links)
    }
}

fn link_from_row(row: &neo4rs::Row) -> Result<StoredLink, Unreadable> {
    let kind: String = col(row, "kind")?;
    let count: i64 = col(row, "count")?;
    Ok(StoredLink {
        source: col::<String>(row, "source")?.into(),
        target: col::<String>(row, "target")?.into(),
        kind: LinkKind::parse(&kind)
            .ok_or_else(|| format!("a link has the unknown kind {kind:?}"))?,
        count: u32::try_from(count).map_err(|_| format!("a link has the count {count}"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::last_per_key;

    #[test]
    fn last_per_key_keeps_the_last_of_each_key_in_order() {
        type Items = &'static [(&'static str, u32)];
        let cases: &[(Items, Items)] = &[
            (&[], &[]),
            (&[("a", 1)], &[("a", 1)]),
            (&[("a", 1), ("b", 2)], &[("a", 1), ("b", 2)]),
            (&[("a", 1), ("a", 2)], &[("a", 2)]),
            (&[("a", 1), ("b", 2), ("a", 3)], &[("b", 2), ("a", 3)]),
            (
                &[("b", 1), ("a", 2), ("b", 3), ("a", 4)],
                &[("b", 3), ("a", 4)],
            ),
        ];
        for (items, want) in cases {
            let got: Vec<_> = last_per_key(items, |i| i.0).into_iter().copied().collect();
            assert_eq!(got, *want, "{items:?}");
        }
    }
}
