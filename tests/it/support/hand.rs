#![allow(dead_code)]

//! Edits made by hand, outside graphseed, as a user with Neo4j Browser or
//! the `sqlite3` shell would make them: straight to the store, with no run,
//! no provenance link and no revision bump.

use crate::support::neo4j;
use crate::support::workspace::{Backend, Ws, block_on};

/// One hand edit of a stored episode.
#[derive(Debug, Clone)]
pub enum Edit {
    Delete,
    /// A tool-owned text property: `source_path`, `content_hash`, `version`,
    /// `source`.
    Text(&'static str, String),
    /// The JSON body, as a whole.
    Body(String),
    /// `created_at`, as RFC 3339.
    CreatedAt(String),
    /// `updated_at`, as RFC 3339.
    UpdatedAt(String),
}

/// The fixed property names a test may edit (never formatted from input).
const TEXT_PROPS: [&str; 4] = ["source_path", "content_hash", "version", "source"];

pub fn apply(ws: &Ws, entity_id: &str, edit: &Edit) {
    if let Edit::Text(p, _) = edit {
        assert!(TEXT_PROPS.contains(p), "not an editable property: {p}");
    }
    match ws.backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(ws.path().join("graph.db")).unwrap();
            let (sql, value): (String, Option<String>) = match edit {
                Edit::Delete => (
                    "DELETE FROM episodes WHERE group_id = ?1 AND entity_id = ?2".into(),
                    None,
                ),
                Edit::Text(p, v) => (
                    format!("UPDATE episodes SET {p} = ?3 WHERE group_id = ?1 AND entity_id = ?2"),
                    Some(v.clone()),
                ),
                Edit::Body(v) => (
                    "UPDATE episodes SET body = ?3 WHERE group_id = ?1 AND entity_id = ?2".into(),
                    Some(v.clone()),
                ),
                Edit::CreatedAt(v) => (
                    "UPDATE episodes SET created_at = ?3 WHERE group_id = ?1 AND entity_id = ?2"
                        .into(),
                    Some(v.clone()),
                ),
                Edit::UpdatedAt(v) => (
                    "UPDATE episodes SET updated_at = ?3 WHERE group_id = ?1 AND entity_id = ?2"
                        .into(),
                    Some(v.clone()),
                ),
            };
            let n = match value {
                Some(v) => conn.execute(&sql, rusqlite::params![ws.group, entity_id, v]),
                None => conn.execute(&sql, rusqlite::params![ws.group, entity_id]),
            }
            .unwrap();
            assert_eq!(n, 1, "{edit:?} of {entity_id} changed {n} rows");
        }
        Backend::Neo4j | Backend::Neo4jRouting => block_on(async {
            let graph = neo4j::graph(&ws.uri).await;
            let m = "MATCH (e:Episode {group_id: $g, entity_id: $id}) ";
            let (cypher, value) = match edit {
                Edit::Delete => (format!("{m}DETACH DELETE e RETURN 1 AS n"), None),
                Edit::Text(p, v) => (format!("{m}SET e.{p} = $v RETURN 1 AS n"), Some(v.clone())),
                Edit::Body(v) => (format!("{m}SET e.body = $v RETURN 1 AS n"), Some(v.clone())),
                Edit::CreatedAt(v) => (
                    format!("{m}SET e.created_at = datetime($v) RETURN 1 AS n"),
                    Some(v.clone()),
                ),
                Edit::UpdatedAt(v) => (
                    format!("{m}SET e.updated_at = datetime($v) RETURN 1 AS n"),
                    Some(v.clone()),
                ),
            };
            let mut q = neo4rs::query(&cypher)
                .param("g", ws.group.as_str())
                .param("id", entity_id);
            if let Some(v) = value {
                q = q.param("v", v);
            }
            let mut rows = graph.execute(q).await.unwrap();
            let mut n = 0;
            while rows.next().await.unwrap().is_some() {
                n += 1;
            }
            assert_eq!(n, 1, "{edit:?} of {entity_id} matched {n} nodes");
        }),
    }
}
