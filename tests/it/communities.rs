//! Communities (issue 15): the Neo4j schema `init` creates for `:Community`
//! and the ready Cypher in `cypher/` (communities of an episode, members of a
//! community, communities written by a run), run over Bolt on a real Neo4j.
//!
//! The communities writer is not wired yet, so this test lays down a small
//! partition by hand, in the model the issue fixes:
//! `(:Community)-[:HAS_MEMBER]->(:Episode)` at level 0 and
//! `(:Community)-[:HAS_MEMBER]->(:Community)` between levels.

use std::collections::BTreeSet;

use graphseed::cypher as c;
use graphseed::stores::StoredCommunity;
use graphseed::stores::prelude::*;

use crate::support::neo4j;
use crate::support::workspace::{Backend, Ws, block_on};

/// Test fixture only (no writer exists yet): one community with its members,
/// matched by entity_id among the group's episodes or communities.
const FIXTURE: &str = "\
CREATE (c:Community {group_id: $group_id, entity_id: $entity_id, uuid: $uuid, level: $level,
                     size: size($members), name: $entity_id, run_id: $run_id, summary: '',
                     content_hash: 'h-' + $entity_id, params_hash: 'p', graph_signature: 's'})
WITH c
UNWIND $members AS m
MATCH (member:Episode|Community {group_id: $group_id, entity_id: m})
CREATE (c)-[:HAS_MEMBER {uuid: $uuid + '/' + m, group_id: $group_id, created_at: datetime()}]->(member)";

fn put(ws: &Ws, entity_id: &str, level: i64, members: &[&str]) -> Result<(), neo4rs::Error> {
    let (uri, group) = (ws.uri.clone(), ws.group.clone());
    let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
    let entity_id = entity_id.to_string();
    block_on(async move {
        let g = neo4j::graph(&uri).await;
        g.run(
            neo4rs::query(FIXTURE)
                .param("group_id", group)
                .param("uuid", format!("uuid-{entity_id}"))
                .param("entity_id", entity_id)
                .param("level", level)
                .param("members", members)
                .param("run_id", "run-communities-1"),
        )
        .await
    })
}

fn column(rows: &[neo4rs::Row], name: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r.get::<String>(name).unwrap())
        .collect()
}

#[test]
fn neo4j_community_schema_and_ready_queries() {
    let Some(ws) = Ws::new(Backend::Neo4j, "communities_schema") else {
        return;
    };
    ws.write("notes/alpha.md", "# Alpha\n");
    ws.write("notes/beta.md", "# Beta\n");
    ws.write("notes/gamma.md", "# Gamma\n");
    ws.seed_ok(&[]);
    let ids: BTreeSet<String> = ws.episodes().into_iter().map(|e| e.entity_id).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let (a, b, g) = (ids[0], ids[1], ids[2]);

    put(&ws, "community_0_0", 0, &[a, b]).unwrap();
    put(&ws, "community_0_1", 0, &[g]).unwrap();
    put(&ws, "community_1_0", 1, &["community_0_0", "community_0_1"]).unwrap();

    // init made (group_id, entity_id) unique on :Community, as on :Episode:
    // a second community under the same key is refused by the database.
    let again = put(&ws, "community_0_0", 0, &[a]);
    assert!(
        format!("{again:?}").contains("already exists with label `Community`"),
        "a duplicate community key was not refused: {again:?}"
    );

    let rows = |text: &'static str, params: Vec<(&'static str, neo4rs::BoltType)>| {
        neo4j::rows(&ws.uri, &ws.group, text, params)
    };
    let s = |v: &str| neo4rs::BoltType::from(v.to_string());

    let of_a = rows(c::COMMUNITIES_OF_EPISODE, vec![("entity_id", s(a))]);
    assert_eq!(column(&of_a, "community_id"), ["community_0_0"]);
    assert_eq!(of_a[0].get::<i64>("level").unwrap(), 0);
    assert_eq!(of_a[0].get::<i64>("size").unwrap(), 2);

    let top = rows(
        c::COMMUNITY_MEMBERS,
        vec![("uuid", s("uuid-community_1_0"))],
    );
    assert_eq!(
        column(&top, "entity_id"),
        ["community_0_0", "community_0_1"]
    );
    assert_eq!(column(&top, "kind"), ["Community", "Community"]);
    let low = rows(
        c::COMMUNITY_MEMBERS,
        vec![("uuid", s("uuid-community_0_0"))],
    );
    assert_eq!(column(&low, "entity_id"), [a, b]);
    assert_eq!(column(&low, "kind"), ["Episode", "Episode"]);

    let by_run = rows(
        c::COMMUNITIES_BY_RUN,
        vec![("run_id", s("run-communities-1"))],
    );
    assert_eq!(
        column(&by_run, "community_id"),
        ["community_0_0", "community_0_1", "community_1_0"]
    );
    assert!(rows(c::COMMUNITIES_BY_RUN, vec![("run_id", s("another-run"))]).is_empty());

    // The store reads the partition back: every community, its members.
    let stored = ws.with_store(async |st| st.load_communities(&ws.group).await.unwrap());
    assert_eq!(
        partition(&stored),
        [
            (
                0,
                "community_0_0".to_string(),
                vec![a.to_string(), b.to_string()]
            ),
            (0, "community_0_1".to_string(), vec![g.to_string()]),
            (
                1,
                "community_1_0".to_string(),
                vec!["community_0_0".to_string(), "community_0_1".to_string()]
            ),
        ]
    );
    assert_eq!(stored[0].uuid, "uuid-community_0_0");
    assert_eq!(stored[0].size, 2);
    assert_eq!(stored[0].content_hash, "h-community_0_0");
    assert_eq!(stored[2].run_id, "run-communities-1");
    let other = ws.with_store(async |st| st.load_communities("another_group").await.unwrap());
    assert!(other.is_empty());
}

fn partition(stored: &[StoredCommunity]) -> Vec<(u32, String, Vec<String>)> {
    stored
        .iter()
        .map(|c| (c.level, c.entity_id.clone(), c.members.clone()))
        .collect()
}

/// The embedded store: `init` makes layout 4 (tables `communities` and
/// `community_members`, an older layout is migrated), and the stored
/// partition reads back grouped and ordered as on Neo4j.
#[test]
fn sqlite_community_tables_and_stored_partition() {
    let ws = Ws::new(Backend::Sqlite, "communities_sqlite").unwrap();
    ws.write("notes/a.json", r#"{"k": 1}"#);
    ws.seed_ok(&[]);
    let empty = ws.with_store(async |st| st.load_communities(&ws.group).await.unwrap());
    assert!(empty.is_empty());

    let db = rusqlite::Connection::open(ws.path().join("graph.db")).unwrap();
    // Fixture (no writer yet): two communities, inserted out of order.
    for (id, level, members) in [
        ("community_1_0", 1, vec!["community_0_0"]),
        ("community_0_0", 0, vec!["z", "a"]),
    ] {
        db.execute(
            "INSERT INTO communities (group_id, entity_id, uuid, level, size, name, summary, source, version, \
             content_hash, created_at, updated_at, run_id, params_hash, graph_signature) \
             VALUES (?1, ?2, 'u-' || ?2, ?3, ?4, ?2, '', 'communities', NULL, 'h', 't', 't', 'r1', 'p', 's')",
            rusqlite::params![ws.group, id, level, members.len() as i64],
        )
        .unwrap();
        for m in members {
            db.execute(
                "INSERT INTO community_members (group_id, community_id, member_id, uuid, created_at) \
                 VALUES (?1, ?2, ?3, 'm', 't')",
                rusqlite::params![ws.group, id, m],
            )
            .unwrap();
        }
    }
    let stored = ws.with_store(async |st| st.load_communities(&ws.group).await.unwrap());
    assert_eq!(
        partition(&stored),
        [
            (
                0,
                "community_0_0".to_string(),
                vec!["a".to_string(), "z".to_string()]
            ),
            (
                1,
                "community_1_0".to_string(),
                vec!["community_0_0".to_string()]
            ),
        ]
    );
    assert_eq!(stored[0].uuid, "u-community_0_0");
    assert_eq!(stored[0].size, 2);

    // A layout-3 database (before communities) fails the schema check until
    // `init` migrates it; then the tables exist and the data is kept.
    db.execute_batch("DROP TABLE community_members; UPDATE schema_version SET version = 3;")
        .unwrap();
    drop(db);
    let out = ws.run(&["status"]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("community_members"), "{err}");
    ws.ok(&["init"]);
    assert_eq!(ws.episodes().len(), 1);
    let stored = ws.with_store(async |st| st.load_communities(&ws.group).await.unwrap());
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|c| c.members.is_empty()));
}

/// `[communities]` in graphseed.toml: every number is range-checked when the
/// config loads (exit 4, the key and its range named), before anything is
/// stored; valid values are accepted.
#[test]
fn communities_config_values_are_range_checked() {
    let ws = Ws::new(Backend::Sqlite, "communities_config").unwrap();
    ws.write("notes/a.json", r#"{"k": 1}"#);
    let toml = std::fs::read_to_string(ws.path().join("graphseed.toml")).unwrap();
    let with = |table: &str| {
        std::fs::write(
            ws.path().join("graphseed.toml"),
            format!("{toml}\n[communities]\n{table}\n"),
        )
        .unwrap();
    };
    for (bad, want) in [
        (
            "resolution = 0.0",
            "[communities] resolution = 0 is out of range: allowed above 0 up to 1000",
        ),
        (
            "resolution = nan",
            "[communities] resolution = NaN is out of range",
        ),
        (
            "iterations = 0",
            "[communities] iterations = 0 is out of range: allowed 1..=100",
        ),
        (
            "min_size = 0",
            "[communities] min_size = 0 is out of range: allowed 1..=1000000",
        ),
        (
            "max_cluster_size = 1",
            "[communities] max_cluster_size = 1 is out of range: allowed 2..=100000000",
        ),
        ("seed = -1", "graphseed.toml"),
        ("resolutoin = 1.0", "unknown field"),
    ] {
        with(bad);
        let out = ws.run(&["seed"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{bad}: {err}");
        assert!(err.contains(want), "{bad}: {err}");
    }
    assert!(ws.episodes().is_empty());
    with(
        "enabled = false\nresolution = 0.5\nseed = 7\niterations = 3\nmax_cluster_size = 50\nmin_size = 1",
    );
    ws.seed_ok(&[]);
    assert_eq!(ws.episodes().len(), 1);
}
