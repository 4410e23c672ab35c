//! The links of the embedded store: table `links`, written inside the batch
//! envelope ([`write_links`]) after the episode part, read for `links`,
//! `verify` and the graph signature; beside them each episode's link facts
//! (tables `links_dangling` and `link_names`), read for planning.

use rusqlite::{Connection, params};

use super::SqliteStore;
use super::errors::{Fail, R};
use crate::links::{LinkFacts, LinkKind, Position, RawLink, StateWanted, StoredLinkState};
use crate::sql;
use crate::stores::{LinkChanges, Links, StoreError, StoredLink};

/// Replace the outgoing links (and link facts) of each set's episode, then
/// drop every link of the pruned ones. Replaying the part ends in the same
/// rows.
pub(super) fn write_links(conn: &Connection, group_id: &str, changes: &LinkChanges) -> R<()> {
    let mut clear = conn.prepare_cached(sql::LINKS_DELETE_SOURCE)?;
    let mut insert = conn.prepare_cached(sql::LINKS_INSERT)?;
    let mut clear_dangling = conn.prepare_cached(sql::LINKS_DANGLING_DELETE)?;
    let mut insert_dangling = conn.prepare_cached(sql::LINKS_DANGLING_INSERT)?;
    let mut names = conn.prepare_cached(sql::LINK_NAMES_UPSERT)?;
    for set in &changes.sets {
        clear.execute(params![group_id, set.source])?;
        clear_dangling.execute(params![group_id, set.source])?;
        for (seq, l) in set.facts.unresolved.iter().enumerate() {
            insert_dangling.execute(params![
                group_id,
                set.source,
                seq as i64,
                l.kind.as_str(),
                l.at.line as i64,
                l.at.column as i64,
                l.target,
                l.anchor
            ])?;
        }
        let aliases =
            serde_json::to_string(&set.facts.aliases).expect("a list of strings serializes");
        names.execute(params![group_id, set.source, aliases, set.facts.key])?;
        for e in &set.edges {
            insert.execute(params![
                group_id,
                set.source,
                e.target,
                e.kind.as_str(),
                e.count
            ])?;
        }
    }
    // A pruned episode's links in both directions: outgoing by the primary
    // key, incoming by `links_group_target`.
    let mut remove_incoming = conn.prepare_cached(sql::LINKS_DELETE_TARGET)?;
    let mut remove_names = conn.prepare_cached(sql::LINK_NAMES_DELETE)?;
    for id in &changes.removed {
        clear.execute(params![group_id, id])?;
        remove_incoming.execute(params![group_id, id])?;
        clear_dangling.execute(params![group_id, id])?;
        remove_names.execute(params![group_id, id])?;
    }
    Ok(())
}

/// Every stored unresolved link of a group: (its episode, the link).
fn load_dangling(conn: &Connection, group_id: &str) -> R<Vec<(String, RawLink)>> {
    let mut stmt = conn.prepare_cached(sql::LINKS_DANGLING_GROUP)?;
    let mut rows = stmt.query(params![group_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let kind: String = row.get(1)?;
        let (line, column): (i64, i64) = (row.get(2)?, row.get(3)?);
        let bad = |what: String| {
            Fail::Corrupt(format!("an unresolved link of group {group_id} has {what}"))
        };
        out.push((
            row.get(0)?,
            RawLink {
                kind: LinkKind::parse(&kind)
                    .ok_or_else(|| bad(format!("the unknown kind {kind:?}")))?,
                target: row.get(4)?,
                anchor: row.get(5)?,
                at: Position {
                    line: usize::try_from(line).map_err(|_| bad(format!("the line {line}")))?,
                    column: usize::try_from(column)
                        .map_err(|_| bad(format!("the column {column}")))?,
                },
            },
        ));
    }
    Ok(out)
}

impl Links for SqliteStore {
    async fn load_link_state(
        &self,
        group_id: &str,
        wanted: &StateWanted,
    ) -> Result<Vec<StoredLinkState>, StoreError> {
        self.with(|conn| {
            let mut dangling = load_dangling(conn, group_id)?.into_iter().peekable();
            let mut stmt = conn.prepare_cached(sql::LINKS_LOAD_STATE)?;
            let mut rows = stmt.query(params![group_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let entity_id: String = row.get(0)?;
                let known: bool = row.get(4)?;
                // Both in entity_id order: merged as they come.
                while dangling.next_if(|(s, _)| *s < entity_id).is_some() {}
                let mut unresolved = Vec::new();
                while let Some((_, l)) = dangling.next_if(|(s, _)| *s == entity_id) {
                    unresolved.push(l);
                }
                let facts = if known {
                    let aliases: String = row.get(2)?;
                    // An alias list edited into something else: unknown,
                    // so the file is read again and the row rewritten.
                    serde_json::from_str::<Vec<String>>(&aliases)
                        .ok()
                        .map(|aliases| {
                            LinkFacts {
                                aliases,
                                key: row.get(3).ok().flatten(),
                                unresolved,
                            }
                            .shared()
                        })
                } else {
                    None
                };
                let name: String = row.get(1)?;
                let state = StoredLinkState::new(&entity_id, &name, facts);
                if wanted.keeps(&state) {
                    out.push(state);
                }
            }
            Ok(out)
        })
    }

    async fn load_links(&self, group_id: &str) -> Result<Vec<StoredLink>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::LINKS_LOAD_GROUP)?;
            read_links(group_id, stmt.query(params![group_id])?)
        })
    }

    async fn links_of_episode(
        &self,
        group_id: &str,
        entity_id: &str,
    ) -> Result<Vec<StoredLink>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::LINKS_OF_EPISODE)?;
            read_links(group_id, stmt.query(params![group_id, entity_id])?)
        })
    }
}

/// Rows of (source_id, target_id, kind, count) as links of `group_id`.
fn read_links(group_id: &str, mut rows: rusqlite::Rows<'_>) -> R<Vec<StoredLink>> {
    let mut out: Vec<StoredLink> = Vec::new();
    while let Some(row) = rows.next()? {
        let kind: String = row.get(2)?;
        let count: i64 = row.get(3)?;
        // Rows come sorted by source: a run of one source's links shares
        // its text (see `StoredLink::share_sources`), compared before any
        // copy is made.
        let source = match (out.last(), row.get_ref(0)?.as_str()) {
            (Some(prev), Ok(s)) if *prev.source == *s => prev.source.clone(),
            _ => row.get(0)?,
        };
        out.push(StoredLink {
            source,
            target: row.get(1)?,
            kind: LinkKind::parse(&kind).ok_or_else(|| {
                Fail::Corrupt(format!(
                    "a link of group {group_id} has the unknown kind {kind:?}"
                ))
            })?,
            count: u32::try_from(count).map_err(|_| {
                Fail::Corrupt(format!("a link of group {group_id} has the count {count}"))
            })?,
        });
    }
    // Held through planning: the doubling's unused half, given back (a
    // link is 40 bytes; three a note).
    out.shrink_to_fit();
    Ok(out)
}
