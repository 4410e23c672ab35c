//! Graphiti (issue 16): the change feed on both stores, the `graphiti`
//! profile on Neo4j (every command works on it; Graphiti's own nodes are
//! left alone), the example ingest script against the feed with a recording
//! stand-in, and graphiti-core 0.31.2 itself reading graphseed's episodes
//! over Bolt.

use std::path::{Path, PathBuf};
use std::process::Command as Proc;
use std::sync::OnceLock;

use graphseed::stores::Communities;
use serde_json::Value;

use crate::on_both_stores;
use crate::support::neo4j;
use crate::support::workspace::{Backend, Ws, block_on};

on_both_stores!(
    feed_lists_exactly_the_changes_of_each_run,
    example_script_feeds_only_changed_episodes_and_removes_prunes,
);

fn json_ok(ws: &Ws, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ws.ok(&all)).unwrap()
}

fn run_id(seed: &Value) -> String {
    seed["run_id"]
        .as_str()
        .expect("a run that wrote")
        .to_string()
}

/// (action, entity_id) of each change, in feed order.
fn actions(feed: &Value) -> Vec<(String, String)> {
    feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_string(),
                c["entity_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, e)| (a.to_string(), e.to_string()))
        .collect()
}

fn change<'a>(feed: &'a Value, entity_id: &str) -> &'a Value {
    feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["entity_id"] == entity_id)
        .unwrap_or_else(|| panic!("no change of {entity_id} in {feed:#}"))
}

/// Delete an episode by hand (Neo4j Browser / the sqlite3 shell).
fn delete_by_hand(ws: &Ws, entity_id: &str) {
    match ws.backend {
        Backend::Neo4j | Backend::Neo4jRouting => block_on(async {
            let g = neo4j::graph(&ws.uri).await;
            g.run(
                neo4rs::query("MATCH (e:Episode {group_id: $g, entity_id: $e}) DETACH DELETE e")
                    .param("g", ws.group.clone())
                    .param("e", entity_id),
            )
            .await
            .unwrap();
        }),
        Backend::Sqlite => {
            let c = rusqlite::Connection::open(ws.path().join("graph.db")).unwrap();
            c.execute(
                "DELETE FROM episodes WHERE group_id = ?1 AND entity_id = ?2",
                [&ws.group, entity_id],
            )
            .unwrap();
        }
    }
}

fn three_sources(ws: &Ws) {
    ws.write("notes/alpha.md", "# Alpha\n\nalpha text\n");
    ws.write("notes/beta.md", "# Beta\n\nbeta text\n");
    ws.write(
        "data/items.json",
        r#"[{"id": "gamma", "v": 1}, {"id": "delta", "v": 2}]"#,
    );
}

fn feed_lists_exactly_the_changes_of_each_run(ws: &Ws) {
    three_sources(ws);
    let r1 = run_id(&ws.seed_ok(&[]));
    let first = json_ok(ws, &["changes", "--run", &r1]);
    assert_eq!(first["runs"], serde_json::json!([r1]));
    assert_eq!(
        actions(&first),
        pairs(&[
            ("create", "data_delta"),
            ("create", "data_gamma"),
            ("create", "notes_alpha"),
            ("create", "notes_beta"),
        ])
    );
    let alpha = change(&first, "notes_alpha");
    let stored = ws.episode("notes_alpha");
    assert_eq!(
        alpha["uuid"],
        graphseed::graphiti::episode_uuid(&ws.group, "notes_alpha").to_string()
    );
    assert_eq!(alpha["content_hash"], stored.content_hash.as_str());
    assert!(alpha["previous_content_hash"].is_null());
    assert_eq!(alpha["source_type"], "text");
    assert_eq!(change(&first, "data_gamma")["source_type"], "json");
    assert_eq!(alpha["source_description"], "project_seeding");
    assert_eq!(alpha["superseded"], false);
    // The body is the stored one, _metadata included.
    let body: Value = serde_json::from_str(&stored.body).unwrap();
    assert_eq!(alpha["body"], body);
    assert_eq!(alpha["body"]["_metadata"]["entity_id"], "notes_alpha");

    // Edit beta, drop delta, add epsilon (gamma's file changes: a refresh,
    // not fed), prune.
    let beta_before = ws.episode("notes_beta").content_hash;
    ws.write("notes/beta.md", "# Beta\n\nbeta text, edited\n");
    ws.write(
        "data/items.json",
        r#"[{"id": "gamma", "v": 1}, {"id": "epsilon", "v": 3}]"#,
    );
    let s2 = ws.seed_ok(&["--prune"]);
    assert_eq!(s2["counts"]["refresh"], 1, "{s2:#}");
    let r2 = run_id(&s2);
    let second = json_ok(ws, &["changes", "--run", &r2]);
    assert_eq!(
        actions(&second),
        pairs(&[
            ("prune", "data_delta"),
            ("create", "data_epsilon"),
            ("update", "notes_beta")
        ])
    );
    let beta = change(&second, "notes_beta");
    assert_eq!(beta["previous_content_hash"], beta_before.as_str());
    assert_eq!(
        beta["content_hash"],
        ws.episode("notes_beta").content_hash.as_str()
    );
    assert!(beta["body"]["content"].as_str().unwrap().contains("edited"));
    let delta = change(&second, "data_delta");
    assert!(delta["body"].is_null() && delta["content_hash"].is_null());
    assert!(delta["previous_content_hash"].is_string());
    // --since-run r1 is r2's changes; run 1 itself now shows beta and delta
    // superseded (their content is gone), alpha and gamma still current.
    let since = json_ok(ws, &["changes", "--since-run", &r1]);
    assert_eq!(since["runs"], serde_json::json!([r2]));
    assert_eq!(since["changes"], second["changes"]);
    let again = json_ok(ws, &["changes", "--run", &r1]);
    for (id, superseded) in [
        ("notes_beta", true),
        ("data_delta", true),
        ("notes_alpha", false),
        ("data_gamma", false),
    ] {
        assert_eq!(change(&again, id)["superseded"], superseded, "{id}");
        assert_eq!(change(&again, id)["body"].is_null(), superseded, "{id}");
    }

    // --force rewrites everything with unchanged content: nothing to feed.
    let r3 = run_id(&ws.seed_ok(&["--force"]));
    assert!(actions(&json_ok(ws, &["changes", "--run", &r3])).is_empty());

    // Deleted by hand while its file (which still holds epsilon) is
    // unchanged, then restored: fed as a restore with no previous content.
    delete_by_hand(ws, "data_gamma");
    let s4 = ws.seed_ok(&["--reconcile"]);
    let r4 = run_id(&s4);
    let fourth = json_ok(ws, &["changes", "--run", &r4]);
    assert_eq!(actions(&fourth), pairs(&[("restore", "data_gamma")]));
    assert!(change(&fourth, "data_gamma")["previous_content_hash"].is_null());
    let since = json_ok(ws, &["changes", "--since-run", &r2]);
    assert_eq!(since["runs"], serde_json::json!([r3, r4]));
    assert_eq!(actions(&since), pairs(&[("restore", "data_gamma")]));

    // The human table lists the same decisions.
    let text = ws.ok(&["changes", "--run", &r2]);
    assert!(
        text.contains("update") && text.contains("notes_beta"),
        "{text}"
    );
    assert!(text.contains("3 change(s) in 1 run(s)"), "{text}");

    // The profile is Neo4j's: the embedded store says it ignores it.
    if ws.backend == Backend::Sqlite {
        let out = ws.run(&["init", "--profile", "graphiti"]);
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("changes nothing in the embedded store"),
            "{err}"
        );
    }

    // Unknown runs and a missing selector are clear errors.
    let out = ws.run(&["changes", "--run", "no-such-run"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "an unknown run is an input error"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run `no-such-run`"));
    // A --group naming another group than the run's is refused, not ignored.
    let out = ws.run(&["changes", "--run", &r2, "--group", "other"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not `other`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ws.run(&["changes"]);
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}

/// The example's stand-in harness: the script, with Graphiti's two calls
/// recorded instead of made. Returns the calls of this invocation.
fn ingest_with_stand_in(ws: &Ws) -> Vec<Value> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let calls = ws.path().join("calls.jsonl");
    let _ = std::fs::remove_file(&calls);
    let out = Proc::new("python3")
        .arg(repo.join("tests/fixtures/graphiti/standin_ingest.py"))
        .arg(repo.join("examples/graphiti_ingest.py"))
        .arg(&calls)
        .arg("--")
        .arg("--state")
        .arg(ws.path().join("graphiti_state.json"))
        .arg("--graphseed")
        .arg(assert_cmd::cargo::cargo_bin!("graphseed"))
        .arg("--")
        .arg("--uri")
        .arg(&ws.uri)
        .current_dir(ws.path())
        .output()
        .expect("python3 runs (the example needs it)");
    assert!(
        out.status.success(),
        "graphiti_ingest.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&calls)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn example_script_feeds_only_changed_episodes_and_removes_prunes(ws: &Ws) {
    three_sources(ws);
    ws.seed_ok(&[]);
    let first = ingest_with_stand_in(ws);
    let mut added: Vec<&str> = first
        .iter()
        .map(|c| {
            assert_eq!(c["call"], "add_episode", "{c}");
            c["name"].as_str().unwrap()
        })
        .collect();
    added.sort();
    assert_eq!(added, ["alpha", "beta", "delta", "gamma"]);
    let beta = first.iter().find(|c| c["name"] == "beta").unwrap();
    assert_eq!(beta["source"], "text");
    assert_eq!(beta["source_description"], "project_seeding");
    assert_eq!(beta["group_id"], ws.group.as_str());
    let body: Value = serde_json::from_str(beta["episode_body"].as_str().unwrap()).unwrap();
    assert_eq!(body["_metadata"]["entity_id"], "notes_beta");
    let beta_uuid = beta["uuid"].as_str().unwrap().to_string();
    let delta_uuid = first.iter().find(|c| c["name"] == "delta").unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_string();

    // Nothing changed: nothing fed.
    ws.seed_ok(&[]);
    assert!(ingest_with_stand_in(ws).is_empty());

    // Edit beta, drop delta, prune: beta removed then added again, delta
    // removed, alpha and gamma untouched.
    ws.write("notes/beta.md", "# Beta\n\nbeta text, edited\n");
    ws.write("data/items.json", r#"[{"id": "gamma", "v": 1}]"#);
    ws.seed_ok(&["--prune"]);
    let second = ingest_with_stand_in(ws);
    let calls: Vec<(String, String)> = second
        .iter()
        .map(|c| {
            (
                c["call"].as_str().unwrap().to_string(),
                c["uuid"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(calls.len(), 3, "{second:#?}");
    assert_eq!(calls[0], ("remove_episode".to_string(), delta_uuid));
    assert_eq!(calls[1], ("remove_episode".to_string(), beta_uuid));
    assert_eq!(calls[2].0, "add_episode");
    let body: Value = serde_json::from_str(second[2]["episode_body"].as_str().unwrap()).unwrap();
    assert!(body["content"].as_str().unwrap().contains("edited"));

    // The script's own record of what it fed.
    let log = std::fs::read_to_string(ws.path().join("graphiti_state.json.log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 4 + 3);
}

// ------------------------------------------------------------ the profile

/// A Neo4j workspace in the graphiti profile (config file), initialised.
fn graphiti_ws(name: &str) -> Option<Ws> {
    let ws = Ws::new(Backend::Neo4j, name)?;
    let toml = std::fs::read_to_string(ws.path().join("graphseed.toml")).unwrap();
    std::fs::write(
        ws.path().join("graphseed.toml"),
        format!("{toml}\n[target]\nprofile = \"graphiti\"\n"),
    )
    .unwrap();
    ws.ok(&["init"]);
    Some(ws)
}

/// Every node of the group with its labels and properties, by (name, uuid).
fn nodes(ws: &Ws, label_filter: &'static str) -> Vec<(Vec<String>, neo4rs::BoltMap)> {
    let rows = neo4j::rows(&ws.uri, &ws.group, label_filter, vec![]);
    rows.iter()
        .map(|r| {
            (
                r.get::<Vec<String>>("labels").unwrap(),
                r.get::<neo4rs::BoltMap>("props").unwrap(),
            )
        })
        .collect()
}

fn prop<'a>(m: &'a neo4rs::BoltMap, k: &str) -> &'a neo4rs::BoltType {
    m.value
        .get(&neo4rs::BoltString::from(k))
        .unwrap_or_else(|| panic!("no property {k} in {m:?}"))
}

fn text(m: &neo4rs::BoltMap, k: &str) -> String {
    match prop(m, k) {
        neo4rs::BoltType::String(s) => s.value.clone(),
        other => panic!("{k} is {other:?}"),
    }
}

const EPISODIC: &str = "MATCH (e:Episodic {group_id: $group_id}) RETURN labels(e) AS labels, properties(e) AS props ORDER BY e.name";

#[test]
fn graphiti_profile_writes_episodic_nodes_and_every_command_works() {
    let Some(ws) = graphiti_ws("graphiti_profile") else {
        return;
    };
    three_sources(&ws);
    ws.write(
        "notes/alpha.md",
        "# Alpha\n\nalpha links to [beta](beta.md)\n",
    );
    let r1 = run_id(&ws.seed_ok(&[]));
    let episodic = nodes(&ws, EPISODIC);
    assert_eq!(episodic.len(), 4);
    for (labels, p) in &episodic {
        let mut labels = labels.clone();
        labels.sort();
        assert_eq!(labels, ["Episode", "Episodic"]);
        let entity = text(p, "entity_id");
        assert_eq!(
            text(p, "uuid"),
            graphseed::graphiti::episode_uuid(&ws.group, &entity).to_string()
        );
        assert_eq!(text(p, "content"), text(p, "body"));
        assert_eq!(text(p, "source_description"), "project_seeding");
        let want = if entity.starts_with("notes_") {
            "text"
        } else {
            "json"
        };
        assert_eq!(text(p, "source"), want, "{entity}");
        assert!(matches!(prop(p, "valid_at"), neo4rs::BoltType::DateTime(_)));
        assert_eq!(prop(p, "valid_at"), prop(p, "updated_at"));
        assert!(matches!(
            prop(p, "created_at"),
            neo4rs::BoltType::DateTime(_)
        ));
        assert_eq!(
            prop(p, "entity_edges"),
            &neo4rs::BoltType::List(Default::default())
        );
    }
    // Graphiti's indexes, under Graphiti's names.
    let names: Vec<String> = block_on(async {
        let g = neo4j::graph(&ws.uri).await;
        let mut s = g
            .execute(neo4rs::query("SHOW INDEXES YIELD name RETURN name"))
            .await
            .unwrap();
        let mut out = Vec::new();
        while let Some(r) = s.next().await.unwrap() {
            out.push(r.get::<String>("name").unwrap());
        }
        out
    });
    for want in [
        "episode_uuid",
        "episode_group_id",
        "valid_at_episodic_index",
        "episode_content",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }

    // Every command reads the profile: the source label, not Graphiti's type.
    assert_eq!(ws.run(&["plan"]).status.code(), Some(0), "nothing to do");
    let status = json_ok(&ws, &["status"]);
    assert!(status.to_string().contains("project_seeding"), "{status:#}");
    assert!(!status.to_string().contains("\"text\""), "{status:#}");
    let prov = json_ok(&ws, &["provenance", "--source", "project_seeding"]);
    assert_eq!(prov["episodes"].as_array().unwrap().len(), 4);
    let prov = json_ok(&ws, &["provenance", "--source", "text"]);
    assert!(prov["episodes"].as_array().unwrap().is_empty());
    assert_eq!(json_ok(&ws, &["runs"]).as_array().unwrap().len(), 1);
    ws.ok(&["validate"]);
    ws.ok(&["verify"]);
    let links = json_ok(&ws, &["links", "notes_alpha"]);
    assert!(links.to_string().contains("notes_beta"), "{links:#}");
    assert_eq!(actions(&json_ok(&ws, &["changes", "--run", &r1])).len(), 4);

    // An edit and a prune: the pruned node stops being :Episodic.
    ws.write("notes/beta.md", "# Beta\n\nedited\n");
    ws.write("data/items.json", r#"[{"id": "gamma", "v": 1}]"#);
    ws.seed_ok(&["--prune"]);
    let episodic = nodes(&ws, EPISODIC);
    assert_eq!(episodic.len(), 3);
    let beta = &episodic
        .iter()
        .find(|(_, p)| text(p, "entity_id") == "notes_beta")
        .unwrap()
        .1;
    assert!(text(beta, "content").contains("edited"));
    assert_eq!(text(beta, "content"), text(beta, "body"));
    ws.ok(&["verify"]);

    // Hand edits of Graphiti's copy of the body, or of the label (now in
    // `source_description`), are reported by verify and repaired by a
    // reconciling seed; the repair restores content consumers already have,
    // so the feed does not list it.
    for edit in [
        "MATCH (e:Episode {group_id: $group_id, entity_id: 'notes_alpha'}) SET e.content = 'edited by hand'",
        "MATCH (e:Episode {group_id: $group_id, entity_id: 'notes_alpha'}) SET e.source_description = 'hand'",
    ] {
        neo4j::rows(&ws.uri, &ws.group, edit, vec![]);
        let out = ws.run(&["verify"]);
        assert!(!out.status.success(), "verify missed: {edit}");
        let report = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(report.contains("notes_alpha"), "{edit}: {report}");
        let fix = ws.seed_ok(&["--reconcile"]);
        assert_eq!(fix["counts"]["repair"], 1, "{edit}: {fix:#}");
        ws.ok(&["verify"]);
        let alpha = nodes(&ws, EPISODIC)
            .into_iter()
            .find(|(_, p)| text(p, "entity_id") == "notes_alpha")
            .unwrap()
            .1;
        assert_eq!(text(&alpha, "content"), text(&alpha, "body"));
        assert_eq!(text(&alpha, "source_description"), "project_seeding");
        assert!(actions(&json_ok(&ws, &["changes", "--run", &run_id(&fix)])).is_empty());
    }
}

#[test]
fn default_profile_rewrite_undoes_the_graphiti_fields() {
    let Some(ws) = graphiti_ws("graphiti_undo") else {
        return;
    };
    three_sources(&ws);
    ws.seed_ok(&[]);
    assert_eq!(nodes(&ws, EPISODIC).len(), 4);
    // Back to the default profile: an episode it rewrites stops being
    // :Episodic and loses Graphiti's fields; the ones it does not rewrite
    // keep them (nothing was written to them).
    ws.write("notes/beta.md", "# Beta\n\nedited\n");
    ws.seed_ok(&["--profile", "default"]);
    let all = nodes(
        &ws,
        "MATCH (e:Episode {group_id: $group_id}) RETURN labels(e) AS labels, properties(e) AS props ORDER BY e.name",
    );
    let beta = all
        .iter()
        .find(|(_, p)| text(p, "entity_id") == "notes_beta")
        .unwrap();
    assert_eq!(beta.0, ["Episode"], "{beta:?}");
    for gone in [
        "uuid",
        "source_description",
        "content",
        "valid_at",
        "entity_edges",
    ] {
        assert!(
            !beta.1.value.contains_key(&neo4rs::BoltString::from(gone)),
            "{gone} left on {beta:?}"
        );
    }
    assert_eq!(text(&beta.1, "source"), "project_seeding");
    assert_eq!(nodes(&ws, EPISODIC).len(), 3);
}

#[test]
fn graphseed_leaves_graphiti_written_nodes_alone() {
    let Some(ws) = graphiti_ws("graphiti_coexist") else {
        return;
    };
    // What Graphiti's own EpisodicNode.save writes (SET n = {...}), in the
    // same group, plus an entity it extracted.
    let own = "MERGE (n:Episodic {uuid: 'graphiti-own-1'}) SET n = {uuid: 'graphiti-own-1', name: 'chat', group_id: $group_id, source: 'message', source_description: 'chat', content: 'user: hi', entity_edges: [], created_at: datetime('2025-01-01T00:00:00Z'), valid_at: datetime('2025-01-01T00:00:00Z')} MERGE (x:Entity {uuid: 'graphiti-entity-1'}) SET x.group_id = $group_id, x.name = 'Hi' MERGE (n)-[:MENTIONS {uuid: 'm1', group_id: $group_id}]->(x) MERGE (c:Community {uuid: 'graphiti-community-1'}) SET c = {uuid: 'graphiti-community-1', name: 'Greetings', group_id: $group_id, summary: 'hi', created_at: datetime('2025-01-01T00:00:00Z')} MERGE (c)-[:HAS_MEMBER {uuid: 'hm1', group_id: $group_id, created_at: datetime('2025-01-01T00:00:00Z')}]->(x) RETURN n.uuid AS uuid";
    neo4j::rows(&ws.uri, &ws.group, own, vec![]);
    let theirs = "MATCH (n {group_id: $group_id}) WHERE n.uuid STARTS WITH 'graphiti-' OPTIONAL MATCH (n)-[r]-() WITH n, count(r) AS rels ORDER BY n.uuid RETURN labels(n) AS labels, properties(n) AS props, rels";
    let snapshot = |ws: &Ws| -> Vec<(Vec<String>, neo4rs::BoltMap, i64)> {
        neo4j::rows(&ws.uri, &ws.group, theirs, vec![])
            .iter()
            .map(|r| {
                (
                    r.get("labels").unwrap(),
                    r.get("props").unwrap(),
                    r.get("rels").unwrap(),
                )
            })
            .collect()
    };
    let before = snapshot(&ws);
    assert_eq!(before.len(), 3);

    three_sources(&ws);
    ws.write("notes/alpha.md", "# Alpha\n\n[Beta](beta.md)\n");
    ws.seed_ok(&[]);
    // graphseed's communities neither read Graphiti's community (no
    // entity_id: not graphseed's) nor prune it.
    ws.ok(&["communities"]);
    ws.write("notes/beta.md", "# Beta\n\nedited\n");
    ws.remove("notes/alpha.md");
    ws.seed_ok(&["--prune"]);
    ws.ok(&["communities"]);
    ws.seed_ok(&["--force"]);
    std::fs::remove_dir_all(ws.root().join("notes")).unwrap();
    ws.seed_ok(&["--prune", "--reconcile"]);
    ws.ok(&["communities", "--rebuild"]);
    let listed = json_ok(&ws, &["communities", "list"]);
    assert!(
        !listed.to_string().contains("graphiti-community-1"),
        "{listed:#}"
    );
    assert_eq!(snapshot(&ws), before, "graphseed touched Graphiti's nodes");
    // graphseed's commands do not count or report them either.
    ws.ok(&["validate"]);
    ws.ok(&["verify"]);
    let prov = json_ok(&ws, &["provenance"]);
    assert_eq!(prov["episodes"].as_array().unwrap().len(), 2);
    // Graphiti sees both: its own and graphseed's.
    assert_eq!(nodes(&ws, EPISODIC).len(), 3);
}

// ------------------------------------------------------ graphiti-core itself

/// The venv with the pinned graphiti-core (tools/graphiti-venv.sh, cached
/// under target/). Never a silent skip: if it cannot be made, the test fails
/// with the installer's message.
fn graphiti_python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Proc::new("bash")
            .arg(repo.join("tools/graphiti-venv.sh"))
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "cannot install graphiti-core 0.31.2 for the interop test (tools/graphiti-venv.sh needs python3 with venv and PyPI):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        PathBuf::from(stdout.lines().last().unwrap().trim())
    })
}

fn read_back(ws: &Ws) -> Value {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let user = std::env::var("NEO4J_TEST_USER").unwrap_or_else(|_| "neo4j".into());
    let password = std::env::var("NEO4J_TEST_PASSWORD").unwrap_or_else(|_| "neo4j".into());
    let out = Proc::new(graphiti_python())
        .arg(repo.join("tests/fixtures/graphiti/read_back.py"))
        .args([ws.uri.as_str(), &user, &password, &ws.group])
        .env("GRAPHITI_TELEMETRY_ENABLED", "false")
        .env("OPENAI_API_KEY", "sk-dummy-graphseed-interop-test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "graphiti-core could not read the group:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn graphiti_core_reads_graphseed_episodes() {
    let Some(ws) = graphiti_ws("graphiti_interop") else {
        return;
    };
    three_sources(&ws);
    ws.seed_ok(&[]);
    let seen = read_back(&ws);
    let episodes = seen["get_by_group_ids"].as_array().unwrap();
    assert_eq!(episodes.len(), 4, "{seen:#}");
    let stored = ws.episodes();
    for e in &stored {
        let g = episodes
            .iter()
            .find(|g| g["name"] == e.name.as_str())
            .unwrap_or_else(|| panic!("Graphiti did not return {}: {seen:#}", e.entity_id));
        assert_eq!(
            g["uuid"],
            graphseed::graphiti::episode_uuid(&ws.group, &e.entity_id).to_string()
        );
        assert_eq!(g["group_id"], ws.group.as_str());
        assert_eq!(g["content"], e.body.as_str());
        assert_eq!(g["source_description"], "project_seeding");
        let want = if e.entity_id.starts_with("notes_") {
            "text"
        } else {
            "json"
        };
        assert_eq!(g["source"], want);
        let at = |k: &str| {
            chrono::DateTime::parse_from_rfc3339(g[k].as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        assert_eq!(at("valid_at"), e.updated_at);
        assert_eq!(at("created_at"), e.created_at);
        assert_eq!(g["entity_edges"], serde_json::json!([]));
    }
    let mut uuids: Vec<String> = stored
        .iter()
        .map(|e| graphseed::graphiti::episode_uuid(&ws.group, &e.entity_id).to_string())
        .collect();
    uuids.sort();
    assert_eq!(seen["retrieve_episodes"], serde_json::json!(uuids));
    // valid_at is the content's time: nothing existed in 2000.
    assert_eq!(seen["retrieve_episodes_2000"], 0);

    // After a prune Graphiti no longer sees the episode.
    ws.remove("notes/alpha.md");
    ws.seed_ok(&["--prune"]);
    let seen = read_back(&ws);
    assert_eq!(seen["get_by_group_ids"].as_array().unwrap().len(), 3);
    assert_eq!(seen["retrieve_episodes"].as_array().unwrap().len(), 3);
}

/// graphseed's communities through Graphiti's own API:
/// `CommunityNode.get_by_group_ids` returns every community graphseed
/// stored, with its uuid, name, summary and created_at.
#[test]
fn graphiti_core_reads_graphseed_communities() {
    let Some(ws) = graphiti_ws("graphiti_communities") else {
        return;
    };
    // Two cliques of four notes, one link between them: two communities.
    for prefix in ["p", "q"] {
        for i in 0..4 {
            let mut body = format!("# {prefix}{i}\n");
            for j in (0..4).filter(|j| *j != i) {
                body.push_str(&format!("[{prefix}{j}]({prefix}{j}.md)\n"));
            }
            if prefix == "p" && i == 0 {
                body.push_str("[q0](q0.md)\n");
            }
            ws.write(&format!("notes/{prefix}{i}.md"), body);
        }
    }
    ws.seed_ok(&[]);
    let run = json_ok(&ws, &["communities"]);
    assert_eq!(run["counts"]["create"], 2, "{run:#}");
    let stored = ws.with_store(async |st| st.load_communities(&ws.group).await.unwrap());
    assert_eq!(stored.len(), 2);

    let seen = read_back(&ws);
    let got = seen["communities"].as_array().unwrap();
    assert_eq!(got.len(), stored.len(), "{seen:#}");
    // created_at as stored: a DateTime (Graphiti parses a string too, but
    // compares dates), the instant Graphiti returns.
    let stored_at: Vec<(String, String, String)> = neo4j::rows(
        &ws.uri,
        &ws.group,
        "MATCH (c:Community {group_id: $group_id}) RETURN c.uuid AS uuid, toString(c.created_at) AS at, valueType(c.created_at) AS type",
        vec![],
    )
    .iter()
    .map(|r| (r.get("uuid").unwrap(), r.get("at").unwrap(), r.get("type").unwrap()))
    .collect();
    let at = |v: &str| {
        chrono::DateTime::parse_from_rfc3339(v)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    for c in &stored {
        let g = got
            .iter()
            .find(|g| g["uuid"] == c.uuid.as_str())
            .unwrap_or_else(|| panic!("Graphiti did not return {}: {seen:#}", c.uuid));
        assert_eq!(g["name"], c.name.as_str());
        assert_eq!(g["summary"], c.summary.as_str());
        assert_eq!(g["group_id"], ws.group.as_str());
        let (_, mine, kind) = stored_at.iter().find(|s| s.0 == c.uuid).unwrap();
        assert!(kind.starts_with("ZONED DATETIME"), "{kind}");
        assert_eq!(at(g["created_at"].as_str().unwrap()), at(mine));
    }
}
