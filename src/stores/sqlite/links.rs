//! The links of the embedded store: table `links`, written inside the batch
//! envelope ([`write_links`]) after the episode part, read for `links`,
//! `verify` and the graph signature.

use rusqlite::{Connection, params};

use super::SqliteStore;
use super::errors::{Fail, R};
use crate::links::LinkKind;
use crate::sql;
use crate::stores::{LinkChanges, Links, StoreError, StoredLink};

/// Replace the outgoing links of each set's episode, then drop every link
/// of the pruned ones. Replaying the part ends in the same rows.
pub(super) fn write_links(conn: &Connection, group_id: &str, changes: &LinkChanges) -> R<()> {
    let mut clear = conn.prepare_cached(sql::LINKS_DELETE_SOURCE)?;
    let mut insert = conn.prepare_cached(sql::LINKS_INSERT)?;
    for set in &changes.sets {
        clear.execute(params![group_id, set.source])?;
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
    let mut remove = conn.prepare_cached(sql::LINKS_DELETE_EPISODE)?;
    for id in &changes.removed {
        remove.execute(params![group_id, id])?;
    }
    Ok(())
}

impl Links for SqliteStore {
    async fn load_links(&self, group_id: &str) -> Result<Vec<StoredLink>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::LINKS_LOAD_GROUP)?;
            let mut rows = stmt.query(params![group_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let kind: String = row.get(2)?;
                let count: i64 = row.get(3)?;
                out.push(StoredLink {
                    source: row.get(0)?,
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
            Ok(out)
        })
    }
}
