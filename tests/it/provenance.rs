//! Runs and provenance (issue: runs and provenance, "Show" 1–7), through the
//! real binary on both stores; Cypher files checked over real Bolt.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command as Proc;

use serde_json::{Value, json};

use crate::on_both_stores;
use crate::support::neo4j;
use crate::support::workspace::{Backend, Ws, block_on};

on_both_stores!(
    params_hash_is_stable_and_tracks_every_parameter,
    graph_signature_is_recomputed_by_verify_and_tracks_changes,
    audit_trail_is_complete_and_parses_with_jq,
    provenance_filters_return_exactly_the_right_episodes,
    validate_catches_each_planted_violation,
    verify_catches_changed_files_hand_edits_and_deletions,
);

fn ids(v: &Value) -> BTreeSet<String> {
    v["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entity_id"].as_str().unwrap().to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Change the stored graph by hand, the way a user with Neo4j Browser or
/// the sqlite3 shell would.
fn plant(ws: &Ws, cypher: &str, sql: &str) {
    match ws.backend {
        Backend::Neo4j | Backend::Neo4jRouting => block_on(async {
            let g = neo4j::graph(&ws.uri).await;
            g.run(neo4rs::query(cypher).param("g", ws.group.clone()))
                .await
                .unwrap();
        }),
        Backend::Sqlite => {
            let c = rusqlite::Connection::open(ws.path().join("graph.db")).unwrap();
            c.execute(sql, [&ws.group]).unwrap();
        }
    }
}

fn json_of(ws: &Ws, args: &[&str]) -> (i32, Value) {
    let out = ws.run(args);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: {e}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), v)
}

#[test]
fn params_hash_test_vector() {
    // printf '{"a":[1,"x"],"b":{"c":null}}' | sha256sum
    let v = json!({"b": {"c": null}, "a": [1, "x"]});
    assert_eq!(
        graphseed::hashing::canonical_json(&v),
        r#"{"a":[1,"x"],"b":{"c":null}}"#
    );
    // A fixed vector: the same on every machine and every run.
    assert_eq!(
        graphseed::hashing::canonical_hash(&v),
        "dbc2bd6885edefe4702fe028ee9b2df226e6c7cede1fe397b01c24945b57fa9f"
    );
    assert_eq!(
        sha256_of(r#"{"a":[1,"x"],"b":{"c":null}}"#),
        "dbc2bd6885edefe4702fe028ee9b2df226e6c7cede1fe397b01c24945b57fa9f"
    );
}

fn sha256_of(s: &str) -> String {
    let out = Proc::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(s.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn params_hash_is_stable_and_tracks_every_parameter(ws: &Ws) {
    ws.write("a/one.md", "one\n");
    let h = |args: &[&str]| {
        ws.seed_ok(args)["params_hash"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let base = h(&[]);
    assert_eq!(base, h(&[]), "same parameters, same hash");
    assert_eq!(base.len(), 64);
    let mut seen = BTreeSet::from([base.clone()]);
    for args in [
        &["--batch-size", "7"][..],
        &["--force"],
        &["--prune"],
        &["--keep-going"],
        &["--allow-downgrade"],
    ] {
        assert!(seen.insert(h(args)), "{args:?} must change params_hash");
    }
    ws.set_version("1.0.1");
    assert!(seen.insert(h(&[])), "the version is a parameter");
    // The recorded parameters are the ones hashed.
    let run = &ws.runs()[0];
    assert_eq!(
        graphseed::hashing::sha256_hex(run.params_json.as_bytes()),
        run.params_hash
    );
}

fn graph_signature_is_recomputed_by_verify_and_tracks_changes(ws: &Ws) {
    ws.write("a/one.md", "one\n");
    ws.write("a/two.json", r#"{"k": 2}"#);
    let first = ws.seed_ok(&[]);
    let sig = first["graph_signature"].as_str().unwrap().to_string();
    let (code, v) = json_of(ws, &["verify", "--json"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["graph_signature"]["computed"], sig.as_str());
    assert_eq!(v["graph_signature"]["recorded"], sig.as_str());
    ws.write("a/two.json", r#"{"k": 3}"#);
    let second = ws.seed_ok(&[]);
    assert_ne!(
        second["graph_signature"], first["graph_signature"],
        "changes with any episode"
    );
    // The signature depends only on content and versions: both stores agree.
    let expected = graphseed::planning::graph_signature(
        ws.episodes()
            .iter()
            .map(|e| (e.entity_id.as_str(), e.content_hash.as_str(), "1.0.0")),
    );
    assert_eq!(second["graph_signature"], expected.as_str());
}

/// The same sources give the same signature on Neo4j and on SQLite.
#[test]
fn graph_signature_is_the_same_on_both_stores() {
    let Some(neo) = Ws::new(Backend::Neo4j, "sig_neo") else {
        return;
    };
    let lite = Ws::new(Backend::Sqlite, "sig_lite").unwrap();
    for ws in [&neo, &lite] {
        ws.copy_from_repo("seeds");
    }
    let a = neo.seed_ok(&[]);
    let b = lite.seed_ok(&[]);
    assert_eq!(a["graph_signature"], b["graph_signature"]);
}

fn audit_trail_is_complete_and_parses_with_jq(ws: &Ws) {
    ws.write("a/one.md", "one\n");
    ws.write("b/many.jsonl", "{\"id\":\"x\"}\n{\"id\":\"y\"}\n");
    let run = ws.seed_ok(&[]);
    let dir = ws.path().join(run["audit_dir"].as_str().unwrap());
    assert!(dir.ends_with(run["run_id"].as_str().unwrap()));
    let jq = |args: &[&str], file: &Path| {
        let out = Proc::new("jq").args(args).arg(file).output().unwrap();
        assert!(
            out.status.success(),
            "jq {args:?} {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        jq(&["-r", ".run_id"], &dir.join("manifest.json")).trim(),
        run["run_id"].as_str().unwrap()
    );
    assert_eq!(
        jq(&["-r", ".status"], &dir.join("manifest.json")).trim(),
        "succeeded"
    );
    assert_eq!(
        jq(&["-r", ".params_hash"], &dir.join("manifest.json")).trim(),
        run["params_hash"].as_str().unwrap()
    );
    let actions = jq(
        &[
            "-c",
            "[.action, .entity_id, .after.content_hash != null, .run_id]",
        ],
        &dir.join("actions.jsonl"),
    );
    assert_eq!(actions.lines().count(), 3, "{actions}");
    assert!(
        actions
            .lines()
            .all(|l| l.starts_with("[\"create\"") && l.contains(run["run_id"].as_str().unwrap()))
    );
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("| create | 3 |"), "{summary}");
    // An update records before and after.
    ws.write("a/one.md", "one changed\n");
    let run2 = ws.seed_ok(&[]);
    let dir2 = ws.path().join(run2["audit_dir"].as_str().unwrap());
    let upd = jq(
        &[
            "-c",
            "select(.action == \"update\") | [.before.content_hash != .after.content_hash, .before.version, .after.version]",
        ],
        &dir2.join("actions.jsonl"),
    );
    assert_eq!(upd.trim(), "[true,\"1.0.0\",\"1.0.0\"]");
}

/// Killing the process while it writes its audit trail never leaves a
/// half-written run folder: each is complete or absent (a `.tmp-` folder
/// may stay behind).
#[test]
fn killed_runs_never_leave_half_written_audit_files() {
    let ws = Ws::new(Backend::Sqlite, "audit_kill").unwrap();
    for i in 0..3000 {
        ws.write(
            &format!("d{}/f{i}.json", i / 100),
            format!("{{\"id\":{i},\"text\":\"{}\"}}", "x".repeat(200)),
        );
    }
    for attempt in 0..10u64 {
        let mut child = ws
            .process()
            .args(["seed", "--force", "-q"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(40 + attempt * 37));
        let _ = child.kill();
        let _ = child.wait();
        ws.ok(&["unlock"]);
    }
    // One run that finishes, so there is at least one whole trail to check.
    ws.seed_ok(&["--force"]);
    let runs = ws.path().join(".graphseed/runs");
    let mut complete = 0;
    for entry in std::fs::read_dir(&runs).into_iter().flatten() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp-") {
            continue;
        }
        for f in ["manifest.json", "actions.jsonl", "summary.md"] {
            assert!(entry.path().join(f).is_file(), "{name}/{f} missing");
        }
        let out = Proc::new("jq")
            .args(["-e", ".run_id"])
            .arg(entry.path().join("manifest.json"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}/manifest.json does not parse");
        complete += 1;
    }
    assert!(complete >= 1, "the finished run left a trail");
}

fn provenance_filters_return_exactly_the_right_episodes(ws: &Ws) {
    ws.write("a/one.md", "one\n");
    ws.write("a/two.md", "two\n");
    ws.write("b/three.md", "three\n");
    let run1 = ws.seed_ok(&[]);
    let generated = ws
        .cmd()
        .args(["seed", "--json", "--stdin", "--source", "agent_memory"])
        .write_stdin("{\"id\":\"gen-one\",\"text\":\"g\"}\n")
        .output()
        .unwrap();
    assert!(generated.status.success());
    std::thread::sleep(std::time::Duration::from_millis(20));
    ws.write("a/one.md", "one, edited\n");
    let run3 = ws.seed_ok(&[]);
    let r1 = run1["run_id"].as_str().unwrap();
    let r3 = run3["run_id"].as_str().unwrap();
    let since = run3["started_at"].as_str().unwrap();

    let q = |args: &[&str]| {
        let mut all = vec!["provenance", "--json"];
        all.extend_from_slice(args);
        let (code, v) = json_of(ws, &all);
        assert_eq!(code, 0);
        v
    };
    assert_eq!(
        ids(&q(&["--source", "project_seeding"])),
        set(&["a_one", "a_two", "b_three"])
    );
    assert_eq!(ids(&q(&["--source", "agent_memory"])), set(&["gen_one"]));
    assert_eq!(ids(&q(&["--run", r3])), set(&["a_one"]));
    assert_eq!(ids(&q(&["--run", r1])), set(&["a_two", "b_three"]));
    assert_eq!(ids(&q(&["--version", "1.0.0"])).len(), 4);
    assert!(ids(&q(&["--version", "2.0.0"])).is_empty());
    assert_eq!(ids(&q(&["--since", since])), set(&["a_one"]));
    assert_eq!(
        ids(&q(&["--until", since])),
        set(&["a_two", "b_three", "gen_one"])
    );
    assert_eq!(ids(&q(&["--limit", "2"])).len(), 2);
    let one = q(&["--entity", "a_one"]);
    assert_eq!(ids(&one), set(&["a_one"]));
    let history: Vec<(String, String)> = one["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap().into(),
                h["run_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            ("create".to_string(), r1.to_string()),
            ("update".to_string(), r3.to_string())
        ]
    );
    // The human table names them too.
    let table = ws.ok(&["provenance", "--run", r3]);
    assert!(
        table.contains("a_one") && table.contains("1 episode(s)"),
        "{table}"
    );
}

fn validate_catches_each_planted_violation(ws: &Ws) {
    for name in ["one", "two", "three", "four", "five"] {
        ws.write(&format!("a/{name}.md"), format!("{name}\n"));
    }
    ws.seed_ok(&[]);
    let (code, v) = json_of(ws, &["validate", "--json"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["episodes_checked"], 5);

    plant(
        ws,
        "MATCH (e:Episode {group_id: $g, entity_id: 'a_one'}) REMOVE e.source",
        "UPDATE episodes SET source = '' WHERE group_id = ?1 AND entity_id = 'a_one'",
    );
    plant(
        ws,
        "MATCH (e:Episode {group_id: $g, entity_id: 'a_two'}) SET e.version = '1.0'",
        "UPDATE episodes SET version = '1.0' WHERE group_id = ?1 AND entity_id = 'a_two'",
    );
    plant(
        ws,
        "MATCH (e:Episode {group_id: $g, entity_id: 'a_three'}) SET e.created_at = localdatetime('2024-01-30T12:00:00')",
        "UPDATE episodes SET created_at = '2024-01-30T12:00:00' WHERE group_id = ?1 AND entity_id = 'a_three'",
    );
    plant(
        ws,
        "MATCH (e:Episode {group_id: $g, entity_id: 'a_four'}) SET e.source_hash = 'not-a-hash'",
        "UPDATE episodes SET source_hash = 'not-a-hash' WHERE group_id = ?1 AND entity_id = 'a_four'",
    );
    plant(
        ws,
        "MATCH (e:Episode {group_id: $g, entity_id: 'a_five'}) SET e.entity_id = 'A Five!'",
        "UPDATE episodes SET entity_id = 'A Five!' WHERE group_id = ?1 AND entity_id = 'a_five'",
    );
    let (code, v) = json_of(ws, &["validate", "--json"]);
    assert_eq!(code, 7, "{v:#}");
    let found: BTreeSet<(String, String)> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["entity_id"].as_str().unwrap().into(),
                x["field"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (id, field) in [
        ("a_one", "source"),
        ("a_two", "version"),
        ("a_three", "created_at"),
        ("a_four", "source_hash"),
        ("A Five!", "entity_id"),
    ] {
        assert!(
            found.contains(&(id.to_string(), field.to_string())),
            "{id}.{field} not caught: {found:?}"
        );
    }
}

fn verify_catches_changed_files_hand_edits_and_deletions(ws: &Ws) {
    ws.write("a/one.md", "one\n");
    ws.write("a/two.md", "two\n");
    ws.write("a/three.md", "three\n");
    ws.seed_ok(&[]);
    let (code, v) = json_of(ws, &["verify", "--json"]);
    assert_eq!(
        (code, v["findings"].as_array().unwrap().len()),
        (0, 0),
        "{v:#}"
    );
    let kinds = |v: &Value| -> BTreeSet<(String, String)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["kind"].as_str().unwrap().into(),
                    f["entity_id"].as_str().unwrap_or("-").into(),
                )
            })
            .collect()
    };

    ws.write("a/one.md", "one, changed on disk\n");
    let (code, v) = json_of(ws, &["verify", "--json"]);
    assert_eq!(code, 8);
    assert!(
        kinds(&v).contains(&("content_drift".into(), "a_one".into())),
        "{v:#}"
    );
    ws.write("a/one.md", "one\n");

    plant(
        ws,
        "MATCH (e:Episode {group_id: $g, entity_id: 'a_two'}) SET e.body = replace(e.body, '\"two\\\\n\"', '\"TWO\\\\n\"')",
        "UPDATE episodes SET body = replace(body, '\"two\\n\"', '\"TWO\\n\"') WHERE group_id = ?1 AND entity_id = 'a_two'",
    );
    plant(
        ws,
        "MATCH (e:Episode {group_id: $g, entity_id: 'a_three'}) DETACH DELETE e",
        "DELETE FROM episodes WHERE group_id = ?1 AND entity_id = 'a_three'",
    );
    let (code, v) = json_of(ws, &["verify", "--json"]);
    assert_eq!(code, 8);
    let k = kinds(&v);
    assert!(
        k.contains(&("edited_by_hand".into(), "a_two".into())),
        "{k:?}"
    );
    assert!(
        k.contains(&("missing_from_graph".into(), "a_three".into())),
        "{k:?}"
    );
    assert!(
        k.contains(&("signature_mismatch".into(), "-".into())),
        "{k:?}"
    );
    assert!(
        !k.iter().any(|(_, id)| id == "a_one"),
        "the restored file is clean: {k:?}"
    );
}

/// Commit, branch and dirty flag of the source tree land in the run record;
/// a dirty tree warns.
#[test]
fn git_state_is_captured_and_a_dirty_tree_warns() {
    let ws = Ws::new(Backend::Sqlite, "git").unwrap();
    let git = |args: &[&str]| {
        let out = Proc::new("git")
            .arg("-C")
            .arg(ws.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["config", "user.email", "t@example.com"]);
    git(&["config", "user.name", "t"]);
    ws.write("a/one.md", "one\n");
    git(&["add", "src", "graphseed.toml"]);
    git(&["commit", "-q", "-m", "sources"]);
    git(&["checkout", "-q", "-b", "feature/provenance"]);
    let head = git(&["rev-parse", "HEAD"]);
    // graph.db and .graphseed are outside src/: they do not make it dirty.
    let out = ws.run(&["seed", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["git"],
        json!({"commit": head, "branch": "feature/provenance", "dirty": false}),
        "{v:#}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("uncommitted"));

    ws.write("a/two.md", "two\n");
    let out = ws.run(&["seed", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["git"]["dirty"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("uncommitted changes"));
    let stored = ws.runs();
    assert_eq!(stored[0].git_dirty, Some(true));
    assert_eq!(stored[0].git_commit.as_deref(), Some(head.as_str()));
}

/// The ready Cypher in `cypher/provenance_*.cypher`, run over Bolt as a user
/// would paste it, gives the same answers as `graphseed provenance`.
#[test]
fn provenance_cypher_files_agree_with_the_command() {
    let Some(ws) = Ws::new(Backend::Neo4j, "prov_cypher") else {
        return;
    };
    ws.write("a/one.md", "one\n");
    ws.write("a/two.md", "two\n");
    ws.set_version("1.9.0");
    let run1 = ws.seed_ok(&[]);
    ws.write("b/three.md", "three\n");
    ws.set_version("1.10.0");
    let run2 = ws.seed_ok(&[]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    ws.write("a/one.md", "one, edited\n");
    let run3 = ws.seed_ok(&[]);
    let (r1, r3) = (
        run1["run_id"].as_str().unwrap(),
        run3["run_id"].as_str().unwrap(),
    );
    let cmd = |args: &[&str]| {
        let mut all = vec!["provenance", "--json"];
        all.extend_from_slice(args);
        ids(&json_of(&ws, &all).1)
    };
    let cypher = |text: &'static str, params: Vec<(&'static str, neo4rs::BoltType)>| {
        neo4j::rows(&ws.uri, &ws.group, text, params)
    };
    let ids_of = |rows: Vec<neo4rs::Row>| -> BTreeSet<String> {
        rows.iter()
            .map(|r| r.get::<String>("entity_id").unwrap())
            .collect()
    };
    use graphseed::cypher as c;
    let s = |v: &str| neo4rs::BoltType::from(v.to_string());
    assert_eq!(
        ids_of(cypher(
            c::PROVENANCE_BY_SOURCE,
            vec![("source", s("project_seeding"))]
        )),
        cmd(&["--source", "project_seeding"])
    );
    assert_eq!(
        ids_of(cypher(
            c::PROVENANCE_BY_VERSION,
            vec![("version", s("1.10.0"))]
        )),
        cmd(&["--version", "1.10.0"])
    );
    assert_eq!(
        cmd(&["--version", "1.10.0"]),
        set(&["a_one", "a_two", "b_three"])
    );
    assert_eq!(
        ids_of(cypher(c::PROVENANCE_BY_RUN, vec![("run_id", s(r3))])),
        cmd(&["--run", r3])
    );
    // 1.10.0 is newer than 1.9.0: nothing is older than 1.10.0, all of it is
    // older than 1.11.0 (numbers, not strings).
    let older = |minor: i64| {
        ids_of(cypher(
            c::PROVENANCE_OLDER_THAN_VERSION,
            vec![
                ("major", 1.into()),
                ("minor", minor.into()),
                ("patch", 0.into()),
            ],
        ))
    };
    assert!(older(10).is_empty());
    assert_eq!(older(11).len(), 3);
    let since = run3["started_at"].as_str().unwrap();
    let t = |v: &str| neo4rs::BoltType::from(chrono::DateTime::parse_from_rfc3339(v).unwrap());
    assert_eq!(
        ids_of(cypher(
            c::PROVENANCE_CHANGED_BETWEEN,
            vec![("since", t(since)), ("until", t("2999-01-01T00:00:00Z"))]
        )),
        cmd(&["--since", since])
    );
    let history = cypher(
        c::PROVENANCE_ENTITY_HISTORY,
        vec![("entity_id", s("a_one"))],
    );
    let via_cmd = json_of(&ws, &["provenance", "--json", "--entity", "a_one"]).1;
    let actions: Vec<(String, String)> = history
        .iter()
        .map(|r| (r.get("action").unwrap(), r.get("run_id").unwrap()))
        .collect();
    let expected: Vec<(String, String)> = via_cmd["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap().into(),
                h["run_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(actions, expected);
    assert_eq!(
        actions.iter().map(|a| a.0.as_str()).collect::<Vec<_>>(),
        ["create", "replace", "update"]
    );
    assert_eq!(actions[0].1, r1);
    let runs = cypher(c::PROVENANCE_RUNS, vec![]);
    let run_ids: Vec<String> = runs.iter().map(|r| r.get("run_id").unwrap()).collect();
    assert_eq!(run_ids, [r3, run2["run_id"].as_str().unwrap(), r1]);
}

/// `keep_trails = 2`: after each run that wrote, only the two newest
/// trails remain (newest by run id, a UUIDv7); a folder that is not a run's
/// is left alone; a value out of range is refused (exit 4, the key and its
/// range named) before anything is written.
#[test]
fn keep_trails_keeps_the_newest_audit_trails() {
    let ws = Ws::new(Backend::Sqlite, "keep_trails").unwrap();
    let config = ws.path().join("graphseed.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    let runs = ws.path().join(".graphseed/runs");
    std::fs::create_dir_all(runs.join("notes-of-mine")).unwrap();
    let trails = || {
        let mut names: Vec<String> = std::fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };

    std::fs::write(&config, format!("keep_trails = 2000000\n{toml}")).unwrap();
    ws.write("a.json", r#"{"k": 0}"#);
    let out = ws.run(&["seed"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("keep_trails") && err.contains("0..=1000000"),
        "{err}"
    );
    assert!(ws.episodes().is_empty());

    std::fs::write(&config, format!("keep_trails = 2\n{toml}")).unwrap();
    let mut ids = Vec::new();
    for k in 1..=4 {
        ws.write("a.json", format!(r#"{{"k": {k}}}"#));
        let run = ws.seed_ok(&[]);
        ids.push(run["run_id"].as_str().unwrap().to_string());
        let mut expected = vec!["notes-of-mine".to_string()];
        expected.extend(ids.iter().rev().take(2).cloned());
        expected.sort();
        assert_eq!(trails(), expected, "after run {k}");
    }
    // Every run is still recorded in the store: only the files went.
    assert_eq!(ws.runs().len(), 4);
}
