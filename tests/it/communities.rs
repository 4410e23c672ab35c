//! Communities (issue 15): the Neo4j schema `init` creates for `:Community`
//! and the ready Cypher in `cypher/` (communities of an episode, members of a
//! community, communities written by a run), run over Bolt on a real Neo4j.
//!
//! The communities writer is not wired yet, so this test lays down a small
//! partition by hand, in the model the issue fixes:
//! `(:Community)-[:HAS_MEMBER]->(:Episode)` at level 0 and
//! `(:Community)-[:HAS_MEMBER]->(:Community)` between levels.

use std::collections::{BTreeMap, BTreeSet};

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

/// (level, entity_id, members and sub-communities) of each stored community.
fn partition(stored: &[StoredCommunity]) -> Vec<(u32, String, Vec<String>)> {
    stored
        .iter()
        .map(|c| {
            (
                c.level,
                c.entity_id.clone(),
                [c.members.clone(), c.children.clone()].concat(),
            )
        })
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

    let episode = ws.episodes()[0].entity_id.clone();
    let db = rusqlite::Connection::open(ws.path().join("graph.db")).unwrap();
    // Fixture: two communities, inserted out of order; one member row names
    // an episode that is not stored (pruned since), and is not read back.
    for (id, level, members) in [
        ("community_1_0", 1, vec!["community_0_0"]),
        ("community_0_0", 0, vec!["zz_gone", episode.as_str()]),
    ] {
        db.execute(
            "INSERT INTO communities (group_id, entity_id, uuid, level, size, name, summary, source, version, \
             content_hash, created_at, updated_at, run_id, params_hash, graph_signature) \
             VALUES (?1, ?2, 'u-' || ?2, ?3, ?4, ?2, '', 'communities', NULL, 'h', 't', 't', 'r1', 'p', 's')",
            rusqlite::params![ws.group, id, level, members.len() as i64],
        )
        .unwrap();
        for m in members {
            let kind = if m.starts_with("community") {
                "community"
            } else {
                "episode"
            };
            db.execute(
                "INSERT INTO community_members (group_id, community_id, member_kind, member_id, uuid, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 'm', 't')",
                rusqlite::params![ws.group, id, kind, m],
            )
            .unwrap();
        }
    }
    let stored = ws.with_store(async |st| st.load_communities(&ws.group).await.unwrap());
    assert_eq!(
        partition(&stored),
        [
            (0, "community_0_0".to_string(), vec![episode.clone()]),
            (
                1,
                "community_1_0".to_string(),
                vec!["community_0_0".to_string()]
            ),
        ]
    );
    assert_eq!(stored[1].children, ["community_0_0"]);
    assert_eq!(stored[0].uuid, "u-community_0_0");
    assert_eq!(stored[0].size, 2);

    // A layout-3 database (before communities and seals) fails the schema
    // check until `init` migrates it; then the tables exist and the data is
    // kept.
    db.execute_batch(
        "DROP TABLE community_members; ALTER TABLE episodes DROP COLUMN seal; \
         ALTER TABLE runs DROP COLUMN sources_signature; \
         UPDATE schema_version SET version = 3;",
    )
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

// ---------------------------------------------------------------------------
// The writer and `graphseed communities`, end to end, on both stores
// ---------------------------------------------------------------------------

/// `n` markdown files `{prefix}{i}.md`, each linking to every other one: a
/// clique, which Leiden keeps as one community.
fn clique(ws: &Ws, prefix: &str, n: usize, extra: &[&str]) {
    for i in 0..n {
        let mut body = format!("# {prefix}{i}\n");
        for j in (0..n).filter(|j| *j != i) {
            body.push_str(&format!("[{prefix}{j}]({prefix}{j}.md)\n"));
        }
        if i == 0 {
            for e in extra {
                body.push_str(&format!("[{e}]({e}.md)\n"));
            }
        }
        ws.write(&format!("{prefix}{i}.md"), body);
    }
}

fn json(ws: &Ws, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ws.ok(&all)).unwrap()
}

/// What must agree between runs and stores: every stored fact of every
/// community but the run that wrote it.
type Fact = (u32, String, u64, String, String, Vec<String>, Vec<String>);

fn facts(ws: &Ws) -> Vec<Fact> {
    let stored = ws.with_store(async |st| st.load_communities(&ws.group).await.unwrap());
    let mut out: Vec<Fact> = stored
        .into_iter()
        .map(|c| {
            assert_eq!(c.entity_id, c.uuid);
            (
                c.level,
                c.uuid,
                c.size,
                c.name,
                c.content_hash,
                c.members,
                c.children,
            )
        })
        .collect();
    out.sort();
    out
}

fn members_of(facts: &[Fact]) -> BTreeSet<Vec<String>> {
    facts.iter().map(|f| f.5.clone()).collect()
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    v.sort();
    v
}

/// When each member joined a community (HAS_MEMBER's created_at), as stored.
fn member_since(ws: &Ws, uuid: &str) -> BTreeMap<String, String> {
    match ws.backend {
        Backend::Sqlite => {
            let db = rusqlite::Connection::open(ws.path().join("graph.db")).unwrap();
            let mut stmt = db
                .prepare(
                    "SELECT member_id, created_at FROM community_members WHERE group_id = ?1 AND community_id = ?2",
                )
                .unwrap();
            stmt.query_map(rusqlite::params![ws.group, uuid], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        }
        _ => neo4j::rows(
            &ws.uri,
            &ws.group,
            c::COMMUNITY_MEMBERS,
            vec![("uuid", neo4rs::BoltType::from(uuid.to_string()))],
        )
        .iter()
        .map(|r| {
            let at: chrono::DateTime<chrono::FixedOffset> = r.get("member_since").unwrap();
            (r.get::<String>("entity_id").unwrap(), at.to_rfc3339())
        })
        .collect(),
    }
}

fn counts(run: &serde_json::Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| {
        run["counts"][k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k}: {run:#}"))
    };
    (n("create"), n("update"), n("skip"), n("prune"))
}

/// The scenario of the issue on one store: create, skip, identity across a
/// small edit (HAS_MEMBER diffed), a params change forcing re-detection,
/// prune, and a cold rebuild agreeing with the warm runs. Returns the
/// stored facts after each step, for the two stores to be compared.
fn scenario(ws: &Ws) -> Vec<Vec<Fact>> {
    let mut steps = Vec::new();
    clique(ws, "p", 5, &["q0"]);
    clique(ws, "q", 5, &["r0"]);
    clique(ws, "r", 4, &[]);
    ws.seed_ok(&[]);

    // Create: three communities, one per clique, stamped with the run.
    let run1 = json(ws, &["communities"]);
    assert_eq!(run1["status"], "succeeded", "{run1:#}");
    assert_eq!(run1["kind"], "communities");
    assert_eq!(counts(&run1), (3, 0, 0, 0), "{run1:#}");
    let run1_id = run1["run_id"].as_str().unwrap().to_string();
    let first = facts(ws);
    assert_eq!(
        members_of(&first),
        BTreeSet::from([ids("p", 5), ids("q", 5), ids("r", 4)])
    );
    let stored = ws.with_store(async |st| st.load_communities(&ws.group).await.unwrap());
    for c in &stored {
        assert_eq!(c.run_id, run1_id);
        assert_eq!(c.params_hash, run1["params_hash"].as_str().unwrap());
        assert_eq!(
            Some(c.graph_signature.as_str()),
            run1["graph_signature"].as_str()
        );
        assert_eq!(c.size as usize, c.members.len());
    }
    let p_uuid = first
        .iter()
        .find(|f| f.5.contains(&"p0".to_string()))
        .unwrap()
        .1
        .clone();
    let shown = json(ws, &["communities", "show", &p_uuid]);
    assert_eq!(shown["members"], serde_json::json!(ids("p", 5)));
    assert_eq!(shown["level"], 0);
    let prov = json(ws, &["provenance", "--community", &p_uuid]);
    assert_eq!(prov["run"]["run_id"], run1_id.as_str());
    assert_eq!(prov["run"]["kind"], "communities");
    let listed = json(ws, &["communities", "list"]);
    assert_eq!(listed["communities"].as_array().unwrap().len(), 3);
    steps.push(first.clone());

    // Skip: same parameters, same graph. Nothing is written, not even a run.
    let (runs, revision) = (ws.runs().len(), ws.revision());
    let skipped = json(ws, &["communities"]);
    assert_eq!(skipped["status"], "skipped", "{skipped:#}");
    assert_eq!(skipped["skipped_after"], run1_id.as_str());
    assert_eq!((ws.runs().len(), ws.revision()), (runs, revision));
    assert_eq!(facts(ws), first);

    // A body edit that changes no link: graph_signature is the same, but
    // r's community covers its members' content hashes, so the run is not
    // skipped: r is updated (no HAS_MEMBER moves), p and q are skipped, and
    // every uuid stays.
    let r = |f: &[Fact]| f.iter().find(|x| x.5.contains(&"r1".to_string())).cloned();
    let r_before = r(&first).unwrap();
    let mut body = "# r1\nA line that links nowhere.\n".to_string();
    for j in [0, 2, 3] {
        body.push_str(&format!("[r{j}](r{j}.md)\n"));
    }
    ws.write("r1.md", body);
    ws.seed_ok(&[]);
    let edited = json(ws, &["communities"]);
    assert_eq!(edited["status"], "succeeded", "{edited:#}");
    assert_eq!(edited["graph_signature"], run1["graph_signature"]);
    assert_eq!(counts(&edited), (0, 1, 2, 0), "{edited:#}");
    let now = facts(ws);
    let r_after = r(&now).unwrap();
    assert_eq!((&r_after.1, &r_after.5), (&r_before.1, &r_before.5));
    assert_ne!(r_after.4, r_before.4, "r's content_hash follows r1's body");
    let first = now;
    steps.push(first.clone());

    // A small edit: a sixth member joins p. The graph changed, so detection
    // runs; p is updated (one HAS_MEMBER added, the others untouched), q and
    // r are skipped, and every uuid survives.
    let since = member_since(ws, &p_uuid);
    assert_eq!(since.len(), 5);
    let mut body = "# p5\n".to_string();
    for j in 0..5 {
        body.push_str(&format!("[p{j}](p{j}.md)\n"));
    }
    ws.write("p5.md", body);
    ws.seed_ok(&[]);
    let run2 = json(ws, &["communities"]);
    assert_eq!(run2["status"], "succeeded", "{run2:#}");
    assert_eq!(counts(&run2), (0, 1, 2, 0), "{run2:#}");
    let second = facts(ws);
    let uuids = |f: &[Fact]| f.iter().map(|x| x.1.clone()).collect::<BTreeSet<_>>();
    assert_eq!(
        uuids(&second),
        uuids(&first),
        "identity across a small edit"
    );
    let after = member_since(ws, &p_uuid);
    assert_eq!(after.len(), 6);
    for (m, at) in &since {
        assert_eq!(after.get(m), Some(at), "HAS_MEMBER to {m} was rewritten");
    }
    steps.push(second.clone());

    // A params change forces re-detection on the same graph; the partition
    // is the same, so every community is a skip.
    let toml = std::fs::read_to_string(ws.path().join("graphseed.toml")).unwrap();
    std::fs::write(
        ws.path().join("graphseed.toml"),
        format!("{toml}\n[communities]\nseed = 7\n"),
    )
    .unwrap();
    let run3 = json(ws, &["communities"]);
    assert_eq!(run3["status"], "succeeded", "{run3:#}");
    assert_ne!(run3["params_hash"], run2["params_hash"]);
    assert_eq!(run3["graph_signature"], run2["graph_signature"]);
    assert_eq!(counts(&run3), (0, 0, 3, 0), "{run3:#}");
    assert_eq!(facts(ws), second);

    // Prune: the r clique's files go (seed --prune); its community is
    // dissolved, node and edges removed, its members kept in the trail.
    for i in 0..4 {
        ws.remove(&format!("r{i}.md"));
    }
    ws.seed_ok(&["--prune"]);
    let before_dry_run = facts(ws);
    let out = ws.run(&["communities", "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(3), "a dry run with changes exits 3");
    let dry: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dry["run_id"], serde_json::Value::Null);
    assert_eq!(counts(&dry), (0, 0, 2, 1), "{dry:#}");
    assert_eq!(facts(ws), before_dry_run, "a dry run writes nothing");
    let run4 = json(ws, &["communities"]);
    assert_eq!(counts(&run4), (0, 0, 2, 1), "{run4:#}");
    let third = facts(ws);
    assert_eq!(
        members_of(&third),
        BTreeSet::from([ids("p", 6), ids("q", 5)])
    );
    let r_uuid = second
        .iter()
        .find(|f| f.5.contains(&"r0".to_string()))
        .unwrap()
        .1
        .clone();
    assert!(member_since(ws, &r_uuid).is_empty());
    let out = ws.run(&["communities", "show", &r_uuid]);
    assert_eq!(out.status.code(), Some(4));
    let trail = ws
        .path()
        .join(run4["audit_dir"].as_str().unwrap())
        .join("actions.jsonl");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&trail)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "one line per community decision");
    let pruned = lines.iter().find(|l| l["action"] == "prune").unwrap();
    assert_eq!(pruned["uuid"], r_uuid.as_str());
    // What it was (its members went with their episodes; the create line
    // of run 1 lists them).
    assert_eq!(pruned["size"], 4);
    assert_eq!(pruned["name"], "r0 / r1 / r2");
    let run1_trail = ws
        .path()
        .join(run1["audit_dir"].as_str().unwrap())
        .join("actions.jsonl");
    let created = std::fs::read_to_string(run1_trail).unwrap();
    let r_line = created
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["uuid"] == r_uuid.as_str())
        .unwrap();
    assert_eq!(r_line["action"], "create");
    assert_eq!(r_line["members"], serde_json::json!(ids("r", 4)));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(trail.with_file_name("manifest.json")).unwrap(),
    )
    .unwrap();
    assert!(
        manifest["modularity"].as_f64().unwrap() > 0.3,
        "{manifest:#}"
    );
    assert_eq!(manifest["sizes"]["communities"], 2);
    steps.push(third.clone());

    // Determinism: a cold rebuild finds the same partition the warm runs
    // kept, twice.
    let cold = json(ws, &["communities", "--rebuild"]);
    assert_eq!(counts(&cold), (0, 0, 2, 0), "{cold:#}");
    let cold2 = json(ws, &["communities", "--rebuild"]);
    assert_eq!(counts(&cold2), (0, 0, 2, 0), "{cold2:#}");
    assert_eq!(facts(ws), third);
    steps
}

/// The whole scenario on Neo4j and on SQLite, under one group name: both
/// stores go through the same decisions and end with byte-identical
/// communities (uuids, names, hashes, members) after every step.
#[test]
fn communities_runs_agree_on_both_stores() {
    let Some(neo) = Ws::new(Backend::Neo4j, "communities_e2e") else {
        return;
    };
    let mut lite = Ws::new(Backend::Sqlite, "communities_e2e").unwrap();
    lite.group = neo.group.clone();
    lite.set_version("1.0.0");
    let a = scenario(&lite);
    let b = scenario(&neo);
    assert_eq!(a, b, "the two stores disagree");
}

/// A planted partition: `n` notes in `k` groups, each linking 8 others,
/// nine in ten inside its own group (the same corpus on every call).
fn planted(ws: &Ws, n: usize, k: usize) {
    let mut rng = crate::support::rng::Rng(7);
    for i in 0..n {
        let mut links = BTreeSet::new();
        for _ in 0..8 {
            let j = if rng.below(10) < 9 {
                rng.below((n / k) as u64) as usize * k + i % k
            } else {
                rng.below(n as u64) as usize
            };
            if j != i && j < n {
                links.insert(j);
            }
        }
        let mut body = format!("# n{i}\n");
        for j in links {
            body.push_str(&format!("[n{j}](n{j}.md)\n"));
        }
        ws.write(&format!("n{i}.md"), body);
    }
}

/// kill -9 while a communities run holds the lock: the stored partition is
/// all or nothing (one batch), the lock stays with the dead run, and a rerun
/// (`--break-lock`) converges to exactly what a clean run on a fresh store
/// writes.
fn killed_communities_run_converges(ws: &Ws) {
    planted(ws, 4000, 40);
    ws.seed_ok(&[]);
    let mut child = ws
        .process()
        .args(["communities", "--lock-ttl", "60"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let held = ws.with_store(async |st| {
        loop {
            if let Some(lock) = st.read_lock(&ws.group).await.unwrap() {
                return Some(lock);
            }
            if child.try_wait().unwrap().is_some() {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    });
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    let held = held.expect("the communities run ended before it was seen holding the lock");
    assert!(
        still_running,
        "the communities run finished before the kill: this run proved nothing, make the corpus bigger"
    );
    let lock = ws.with_store(async |st| st.read_lock(&ws.group).await.unwrap());
    assert_eq!(
        lock.map(|l| l.run_id),
        Some(held.run_id.clone()),
        "a killed run keeps its lock"
    );
    let partial = facts(ws);
    assert!(
        partial.is_empty() || partial.len() == 40,
        "a killed run left {} communities: one batch is all or nothing",
        partial.len()
    );

    let rerun = json(ws, &["communities", "--break-lock"]);
    assert_eq!(rerun["status"], "succeeded", "{rerun:#}");
    let converged = facts(ws);
    assert_eq!(converged.len(), 40);
    let runs = ws.runs();
    if let Some(killed) = runs.iter().find(|r| r.run_id == held.run_id) {
        // It committed its batch before it died: its record says so.
        assert_eq!(killed.status.as_str(), "abandoned");
    }

    let mut clean = Ws::new(Backend::Sqlite, "communities_clean").unwrap();
    clean.group = ws.group.clone();
    clean.set_version("1.0.0");
    planted(&clean, 4000, 40);
    clean.seed_ok(&[]);
    json(&clean, &["communities"]);
    assert_eq!(converged, facts(&clean), "the rerun did not converge");
}

#[test]
fn killed_communities_run_converges_sqlite() {
    let ws = Ws::new(Backend::Sqlite, "communities_kill").unwrap();
    killed_communities_run_converges(&ws);
}

#[test]
fn killed_communities_run_converges_neo4j() {
    let Some(ws) = Ws::new(Backend::Neo4j, "communities_kill") else {
        return;
    };
    killed_communities_run_converges(&ws);
}

/// `[communities] enabled = true`: a seed that wrote runs detection after
/// it (its own `communities` run, in the seed's JSON); a seed with nothing
/// to do does not.
#[test]
fn seed_runs_communities_when_enabled() {
    let ws = Ws::new(Backend::Sqlite, "communities_enabled").unwrap();
    let toml = std::fs::read_to_string(ws.path().join("graphseed.toml")).unwrap();
    std::fs::write(
        ws.path().join("graphseed.toml"),
        format!("{toml}\n[communities]\nenabled = true\n"),
    )
    .unwrap();
    clique(&ws, "p", 4, &["q0"]);
    clique(&ws, "q", 4, &[]);
    let seeded = ws.seed_ok(&[]);
    assert_eq!(seeded["kind"], "seed");
    let detected = &seeded["communities"];
    assert_eq!(detected["kind"], "communities", "{seeded:#}");
    assert_eq!(detected["status"], "succeeded");
    assert_eq!(counts(detected), (2, 0, 0, 0));
    assert_eq!(
        members_of(&facts(&ws)),
        BTreeSet::from([ids("p", 4), ids("q", 4)])
    );
    let kinds: Vec<&str> = ws.runs().iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["communities", "seed"]);
    let again = ws.seed_ok(&[]);
    assert_eq!(again["status"], "unchanged");
    assert!(again.get("communities").is_none(), "{again:#}");
}
