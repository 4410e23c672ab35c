//! The embedded store's layout: creating and migrating it (`init`), and
//! checking it (`check_schema`). The statements are `sql/schema*.sql`.

use rusqlite::{Connection, OptionalExtension, params};

use super::errors::{Fail, R};
use super::immediate;
use crate::sql;

/// The layout version `init` writes and `check_schema` expects.
pub(super) const SCHEMA_VERSION: i64 = 6;

/// The steps from an older layout: (version reached, statement). Applied in
/// order, each once, inside `init`'s transaction. Versions 3 (the `links`
/// table) and 4 (`links_dangling`, `link_names`, `communities`,
/// `community_members`) need no step: `schema.sql` creates missing tables
/// itself, and an episode without link names is read again once for its
/// links. Version 5 adds the episode's seal (NULL, so read in full, until
/// the episode is written again). Version 6 adds a run's sources
/// signature (NULL for runs recorded before).
const MIGRATIONS: &[(i64, &str)] = &[
    (2, sql::SCHEMA_V2_RUN_KIND),
    (5, sql::SCHEMA_V5_EPISODE_SEAL),
    (6, sql::SCHEMA_V6_RUN_SOURCES),
];

/// What `check_schema` looks for. Keep in step with `sql/schema.sql`.
pub(super) const TABLES: &[&str] = &[
    "schema_version",
    "runs",
    "episodes",
    "episode_history",
    "groups",
    "locks",
    "links",
    "links_dangling",
    "link_names",
    "communities",
    "community_members",
];
pub(super) const INDEXES: &[&str] = &[
    "runs_group_started",
    "episodes_group_source",
    "episodes_group_run",
    "episodes_group_updated",
    "episodes_group_version",
    "episode_history_run",
    "links_group_target",
    "communities_group_level",
    "communities_run",
    "community_members_member",
];

pub(super) fn check_schema_in(conn: &Connection) -> R<Option<String>> {
    let mut exists = conn.prepare_cached(sql::SCHEMA_OBJECT_EXISTS)?;
    let mut missing_tables = Vec::new();
    for table in TABLES {
        if !exists.exists(params!["table", table])? {
            missing_tables.push(*table);
        }
    }
    let mut missing_indexes = Vec::new();
    for index in INDEXES {
        if !exists.exists(params!["index", index])? {
            missing_indexes.push(*index);
        }
    }
    let mut problems = Vec::new();
    if !missing_tables.is_empty() {
        problems.push(format!("missing tables {}", missing_tables.join(", ")));
    }
    if !missing_indexes.is_empty() {
        problems.push(format!("missing indexes {}", missing_indexes.join(", ")));
    }
    if !missing_tables.contains(&"schema_version") {
        let version: Option<i64> = conn
            .query_row(sql::SCHEMA_VERSION_GET, [], |row| row.get(0))
            .optional()?;
        match version {
            Some(SCHEMA_VERSION) => {}
            Some(v) if v > SCHEMA_VERSION => {
                return Ok(Some(format!(
                    "schema version {v} was written by a newer graphseed (this one knows version {SCHEMA_VERSION}); upgrade graphseed"
                )));
            }
            Some(v) => problems.push(format!("schema version {v}, expected {SCHEMA_VERSION}")),
            None => problems.push("no schema version recorded".to_string()),
        }
    }
    if problems.is_empty() {
        Ok(None)
    } else {
        Ok(Some(format!(
            "{} (run `graphseed init`)",
            problems.join("; ")
        )))
    }
}

pub(super) fn init_in(conn: &mut Connection) -> R<()> {
    // In one transaction, so two concurrent `init`s cannot interleave, and a
    // failure leaves no half-made schema.
    let tx = immediate(conn)?;
    tx.execute_batch(sql::SCHEMA)?;
    let version: Option<i64> = tx
        .query_row(sql::SCHEMA_VERSION_GET, [], |row| row.get(0))
        .optional()?;
    match version {
        None => {
            tx.prepare_cached(sql::SCHEMA_VERSION_INSERT)?
                .execute(params![SCHEMA_VERSION])?;
        }
        Some(v) if v > SCHEMA_VERSION => {
            return Err(Fail::Refused(format!(
                "schema version {v} was written by a newer graphseed (this one knows version {SCHEMA_VERSION}); upgrade graphseed"
            )));
        }
        Some(v) => {
            // `schema.sql` skipped the tables that exist: bring them up to
            // this layout, one step at a time.
            for (_, step) in MIGRATIONS.iter().filter(|(to, _)| *to > v) {
                tx.execute_batch(step)?;
            }
            tx.prepare_cached(sql::SCHEMA_VERSION_SET)?
                .execute(params![SCHEMA_VERSION])?;
        }
    }
    tx.commit()?;
    Ok(())
}
