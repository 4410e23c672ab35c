//! The seeding engine, end to end through the real binary, on both stores
//! (issue: seeding engine, "Show" 1–9).

use std::collections::BTreeMap;

use graphseed::metadata::{EpisodeRecord, format_time};
use serde_json::Value;

use crate::on_both_stores;
use crate::support::workspace::{Backend, Ws, sha256sum};

on_both_stores!(
    cold_seed_stamps_every_field,
    unchanged_reseed_parses_nothing_and_writes_nothing,
    editing_a_file_rewrites_only_what_changed,
    versions_compare_as_semver_and_downgrades_are_refused,
    force_rewrites_everything_and_keeps_created_at,
    a_version_bump_of_unchanged_files_replaces_without_parsing,
    orphans_are_reported_and_pruned_only_when_safe,
    prunes_commit_with_the_last_write_batch,
    plan_errors_are_all_listed_and_nothing_is_written,
    plan_is_byte_identical_across_runs,
    generated_episodes_dedupe_by_content_hash,
);

fn by_id(eps: Vec<EpisodeRecord>) -> BTreeMap<String, EpisodeRecord> {
    eps.into_iter().map(|e| (e.entity_id.clone(), e)).collect()
}

fn count(json: &Value, action: &str) -> u64 {
    json["counts"][action]
        .as_u64()
        .unwrap_or_else(|| panic!("no count {action} in {json:#}"))
}

fn cold_seed_stamps_every_field(ws: &Ws) {
    ws.copy_from_repo("seeds");
    let json = ws.seed_ok(&[]);
    let run_id = json["run_id"].as_str().unwrap().to_string();
    let eps = ws.episodes();
    assert!(
        eps.len() >= 60,
        "the sample knowledge base should hold many episodes, got {}",
        eps.len()
    );
    assert_eq!(count(&json, "create"), eps.len() as u64);
    assert_eq!(json["files"]["seen"], json["files"]["parsed"]);
    assert_eq!(json["status"], "succeeded");
    for e in &eps {
        assert_eq!(e.group_id, ws.group);
        assert_eq!(e.source, "project_seeding");
        assert_eq!(e.version.to_string(), "1.0.0");
        assert_eq!(e.created_at, e.updated_at, "{}", e.entity_id);
        assert_eq!(e.run_id, run_id);
        let path = e.source_path.as_deref().expect("file episodes have a path");
        // source_hash is exactly `sha256sum` of the file.
        assert_eq!(
            e.source_hash.as_deref(),
            Some(sha256sum(&ws.root().join(path)).as_str()),
            "{path}"
        );
        assert!(graphseed::hashing::is_sha256_hex(&e.content_hash));
        assert!(graphseed::sources::entity_id::is_valid(&e.entity_id));
        // The JSON body carries the same facts as the properties.
        let body: Value = serde_json::from_str(&e.body).unwrap();
        let m = &body["_metadata"];
        assert_eq!(m["source"], "project_seeding");
        assert_eq!(m["version"], "1.0.0");
        assert_eq!(m["created_at"], format_time(&e.created_at));
        assert_eq!(m["updated_at"], format_time(&e.updated_at));
        assert!(m["created_at"].as_str().unwrap().ends_with("+00:00"));
        assert_eq!(m["source_hash"].as_str(), e.source_hash.as_deref());
        assert_eq!(m["entity_id"], e.entity_id.as_str());
        assert_eq!(m["content_hash"], e.content_hash.as_str());
        assert_eq!(m["source_path"], path);
        assert_eq!(m["run_id"], run_id.as_str());
        let mut fields = body.as_object().unwrap().clone();
        fields.remove("_metadata");
        assert_eq!(graphseed::hashing::content_hash(&fields), e.content_hash);
    }
    // Every format of the sample set made it in.
    for ext in [".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".md", ".txt"] {
        assert!(
            eps.iter()
                .any(|e| e.source_path.as_deref().unwrap().ends_with(ext)),
            "no episode from a {ext} file"
        );
    }
}

fn unchanged_reseed_parses_nothing_and_writes_nothing(ws: &Ws) {
    ws.copy_from_repo("seeds");
    ws.seed_ok(&[]);
    let before = ws.episodes();
    let revision = ws.revision();
    let runs = ws.runs().len();
    let db_bytes = || std::fs::read(ws.path().join("graph.db")).unwrap();
    let sqlite_before = (ws.backend == Backend::Sqlite).then(db_bytes);

    let json = ws.seed_ok(&[]);
    assert_eq!(
        json["files"]["parsed"], 0,
        "an unchanged file must not be parsed"
    );
    assert_eq!(json["apply"]["write_transactions"], 0);
    assert_eq!(json["apply"]["locked"], false, "a no-op run takes no lock");
    assert_eq!(count(&json, "skip"), before.len() as u64);
    assert_eq!(
        ws.episodes(),
        before,
        "updated_at, run_id and bodies untouched"
    );
    assert_eq!(ws.revision(), revision, "no batch committed");
    assert_eq!(
        ws.runs().len(),
        runs,
        "a no-op run writes no run record to the graph"
    );
    if let Some(bytes) = sqlite_before {
        assert!(
            bytes == db_bytes(),
            "the SQLite file changed on a no-op run"
        );
    }
    // No run exists, so none is named and no audit trail points at one
    // (the README's "What an unchanged seed reports").
    assert_eq!(json["run_id"], serde_json::Value::Null, "{json:#}");
    assert_eq!(json["status"], "unchanged");
    assert_eq!(json["audit_dir"], serde_json::Value::Null);
    let trails = std::fs::read_dir(ws.path().join(".graphseed/runs"))
        .unwrap()
        .count();
    assert_eq!(trails, 1, "only the first seed left an audit trail");
}

fn editing_a_file_rewrites_only_what_changed(ws: &Ws) {
    ws.write("notes/alpha.md", "---\ntitle: Alpha\n---\nfirst text\n");
    ws.write("notes/beta.txt", "beta stays\n");
    ws.write(
        "items/list.json",
        r#"[{"id":"one","v":1},{"id":"two","v":2},{"id":"three","v":3}]"#,
    );
    ws.seed_ok(&[]);
    let before = by_id(ws.episodes());
    std::thread::sleep(std::time::Duration::from_millis(20));

    ws.write("notes/alpha.md", "---\ntitle: Alpha\n---\nsecond text\n");
    ws.write(
        "items/list.json",
        r#"[{"id":"one","v":1},{"id":"two","v":22},{"id":"three","v":3}]"#,
    );
    let json = ws.seed_ok(&[]);
    assert_eq!(
        json["files"]["parsed"], 2,
        "only the two edited files are parsed"
    );
    assert_eq!(count(&json, "update"), 2, "{json:#}");
    assert_eq!(count(&json, "refresh"), 2);
    assert_eq!(count(&json, "skip"), 1);
    let after = by_id(ws.episodes());

    for id in ["notes_alpha", "items_two"] {
        assert_eq!(
            after[id].created_at, before[id].created_at,
            "{id}: created_at kept"
        );
        assert!(
            after[id].updated_at > before[id].updated_at,
            "{id}: updated_at advances"
        );
        assert_ne!(after[id].content_hash, before[id].content_hash);
    }
    let list_hash = sha256sum(&ws.root().join("items/list.json"));
    for id in ["items_one", "items_three"] {
        // Content unchanged: not rewritten, only its file's hash refreshed.
        assert_eq!(
            after[id].updated_at, before[id].updated_at,
            "{id}: updated_at kept"
        );
        assert_eq!(after[id].content_hash, before[id].content_hash);
        assert_eq!(after[id].source_hash.as_deref(), Some(list_hash.as_str()));
    }
    assert_eq!(after["notes_beta"], before["notes_beta"]);

    // And the refreshed file is now skipped unparsed.
    let json = ws.seed_ok(&[]);
    assert_eq!(json["files"]["parsed"], 0);
}

fn versions_compare_as_semver_and_downgrades_are_refused(ws: &Ws) {
    ws.write("a/one.json", r#"{"k":1}"#);
    ws.write("a/two.yaml", "k: 2\n");
    ws.set_version("1.9.0");
    ws.seed_ok(&[]);
    let first = by_id(ws.episodes());

    // 1.10.0 > 1.9.0 as semver (a string compare would say the opposite).
    ws.set_version("1.10.0");
    let json = ws.seed_ok(&[]);
    assert_eq!(count(&json, "replace"), 2, "{json:#}");
    for e in ws.episodes() {
        assert_eq!(e.version.to_string(), "1.10.0");
        assert_eq!(
            (e.version.major(), e.version.minor(), e.version.patch()),
            (1, 10, 0)
        );
        assert_eq!(
            e.created_at, first[&e.entity_id].created_at,
            "replace keeps created_at"
        );
    }

    ws.set_version("1.9.0");
    let (code, json, _) = ws.seed(&[]);
    assert_eq!(code, 5, "downgrade refused with its own code: {json:#}");
    assert_eq!(
        json["errors"].as_array().unwrap().len(),
        2,
        "every refused episode listed"
    );
    assert!(
        ws.episodes()
            .iter()
            .all(|e| e.version.to_string() == "1.10.0"),
        "nothing written"
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.status.code(), Some(5));

    let json = ws.seed_ok(&["--allow-downgrade"]);
    assert_eq!(count(&json, "replace"), 2);
    assert!(
        ws.episodes()
            .iter()
            .all(|e| e.version.to_string() == "1.9.0")
    );

    // Pre-releases order below their release.
    ws.set_version("2.0.0-rc.1");
    ws.seed_ok(&[]);
    ws.set_version("2.0.0");
    assert_eq!(count(&ws.seed_ok(&[]), "replace"), 2);
}

fn force_rewrites_everything_and_keeps_created_at(ws: &Ws) {
    ws.write("a/one.md", "one\n");
    ws.write("b/many.jsonl", "{\"id\":\"x\"}\n{\"id\":\"y\"}\n");
    let first = ws.seed_ok(&[]);
    let before = by_id(ws.episodes());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let json = ws.seed_ok(&["--force"]);
    assert_eq!(count(&json, "update"), 3);
    assert_eq!(json["files"]["parsed"], 2, "--force parses every file");
    for (id, e) in by_id(ws.episodes()) {
        assert_eq!(e.created_at, before[&id].created_at, "{id}");
        assert!(e.updated_at > before[&id].updated_at, "{id}");
        assert_eq!(e.run_id, json["run_id"].as_str().unwrap());
        assert_ne!(e.run_id, first["run_id"].as_str().unwrap());
    }
}

fn a_version_bump_of_unchanged_files_replaces_without_parsing(ws: &Ws) {
    ws.write("a/one.md", "one\n");
    ws.write(
        "b/many.jsonl",
        "{\"id\":\"x\",\"k\":1}\n{\"id\":\"y\",\"k\":2}\n",
    );
    ws.seed_ok(&[]);
    let before = by_id(ws.episodes());

    ws.set_version("1.1.0");
    let json = ws.seed_ok(&[]);
    assert_eq!(count(&json, "replace"), 3, "{json:#}");
    assert_eq!(
        json["files"]["parsed"], 0,
        "bytes unchanged: planned from the stored items"
    );
    let after = by_id(ws.episodes());
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    for (id, e) in &after {
        let b = &before[id];
        assert_eq!(e.version.to_string(), "1.1.0", "{id}");
        assert_eq!(e.run_id, json["run_id"].as_str().unwrap(), "{id}");
        // Written from the file read again: the same item, name and hashes.
        assert_eq!(e.name, b.name, "{id}");
        assert_eq!(e.content_hash, b.content_hash, "{id}");
        assert_eq!(e.source_hash, b.source_hash, "{id}");
        assert_eq!(e.created_at, b.created_at, "{id}");
        let fields = |r: &EpisodeRecord| {
            let mut v: Value = serde_json::from_str(&r.body).unwrap();
            v.as_object_mut().unwrap().remove("_metadata");
            v
        };
        assert_eq!(fields(e), fields(b), "{id}");
    }

    // An edited file among them is parsed; the unchanged one still is not.
    ws.write(
        "b/many.jsonl",
        "{\"id\":\"x\",\"k\":1}\n{\"id\":\"y\",\"k\":3}\n",
    );
    ws.set_version("1.2.0");
    let json = ws.seed_ok(&[]);
    assert_eq!(count(&json, "replace"), 3, "{json:#}");
    assert_eq!(json["files"]["parsed"], 1);
    let y_id = before.keys().find(|id| id.ends_with('y')).unwrap();
    let y = &by_id(ws.episodes())[y_id];
    assert_ne!(y.content_hash, before[y_id].content_hash);
    assert!(y.body.contains("\"k\":3"), "{}", y.body);
}

fn orphans_are_reported_and_pruned_only_when_safe(ws: &Ws) {
    ws.write("a/keep.md", "keep\n");
    ws.write("a/gone.md", "gone\n");
    ws.write("b/fragile.json", r#"{"ok":true}"#);
    ws.seed_ok(&[]);

    ws.remove("a/gone.md");
    let json = ws.seed_ok(&[]);
    assert_eq!(count(&json, "orphan"), 1);
    assert!(
        by_id(ws.episodes()).contains_key("a_gone"),
        "orphans are kept without --prune"
    );

    // A file that fails to parse never loses its episodes, even with --prune.
    ws.write("b/fragile.json", "{\"ok\": tru");
    let (code, json, _) = ws.seed(&["--prune"]);
    assert_eq!(code, 4, "{json:#}");
    let ids = by_id(ws.episodes());
    assert!(
        ids.contains_key("b_fragile") && ids.contains_key("a_gone"),
        "nothing written"
    );
    let (code, json, _) = ws.seed(&["--prune", "--keep-going"]);
    assert_eq!(code, 4, "--keep-going still exits non-zero");
    assert_eq!(count(&json, "prune"), 1, "{json:#}");
    let ids = by_id(ws.episodes());
    assert!(
        ids.contains_key("b_fragile"),
        "the unparsable file's episode survives"
    );
    assert!(!ids.contains_key("a_gone"), "the real orphan is pruned");

    // An empty walk never prunes.
    ws.remove("a/keep.md");
    ws.remove("b/fragile.json");
    let (code, json, _) = ws.seed(&["--prune"]);
    assert_eq!(code, 4);
    let msg = json["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("refusing to prune"), "{msg}");
    assert_eq!(ws.episodes().len(), 2);
}

fn prunes_commit_with_the_last_write_batch(ws: &Ws) {
    for f in ["one", "two", "three", "gone"] {
        ws.write(&format!("a/{f}.md"), format!("{f}\n"));
    }
    ws.seed_ok(&[]);
    ws.write("a/one.md", "one, edited\n");
    ws.write("a/two.md", "two, edited\n");
    ws.write("a/three.md", "three, edited\n");
    ws.remove("a/gone.md");
    let json = ws.seed_ok(&["--prune", "--batch-size", "2"]);
    assert_eq!((count(&json, "update"), count(&json, "prune")), (3, 1));
    // Writes in batches of 2 (2 + 1); the prune rides with the second one,
    // not in a transaction of its own.
    assert_eq!(json["apply"]["batches"], 2, "{json:#}");
    assert_eq!(json["apply"]["episodes_written"], 3, "{json:#}");
    assert_eq!(json["apply"]["episodes_pruned"], 1, "{json:#}");
    let ids = by_id(ws.episodes());
    assert_eq!(
        ids.keys().collect::<Vec<_>>(),
        ["a_one", "a_three", "a_two"]
    );
    // With more prunes than fit the last write batch, the rest follow in
    // batches of their own, after every write.
    for f in ["p1", "p2", "p3", "p4"] {
        ws.write(&format!("a/{f}.md"), format!("{f}\n"));
    }
    ws.seed_ok(&[]);
    for f in ["p1", "p2", "p3", "p4"] {
        ws.remove(&format!("a/{f}.md"));
    }
    ws.write("a/one.md", "one, edited again\n");
    let json = ws.seed_ok(&["--prune", "--batch-size", "2"]);
    assert_eq!((count(&json, "update"), count(&json, "prune")), (1, 4));
    assert_eq!(json["apply"]["batches"], 2, "{json:#}");
    assert_eq!(json["apply"]["episodes_pruned"], 4, "{json:#}");
    assert_eq!(ws.episodes().len(), 3);
}

fn plan_errors_are_all_listed_and_nothing_is_written(ws: &Ws) {
    ws.write("a/first.json", r#"{"entity_id":"same_id","v":1}"#);
    ws.write("b/second.md", "---\nentity_id: same_id\n---\nbody\n");
    ws.write("c/broken.json", "{\n  \"a\": 1,\n  \"b\": \n}\n");
    ws.write("d/fine.txt", "fine\n");
    let (code, json, _) = ws.seed(&[]);
    assert_eq!(code, 4, "{json:#}");
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    let text = serde_json::to_string(errors).unwrap();
    assert!(
        text.contains("src/a/first.json") && text.contains("src/b/second.md"),
        "{text}"
    );
    let broken = errors
        .iter()
        .find(|e| e["path"] == "src/c/broken.json")
        .unwrap();
    assert_eq!(broken["line"], 4);
    assert!(
        ws.episodes().is_empty(),
        "a plan with errors writes nothing"
    );
    assert!(ws.runs().is_empty());

    // For people, the per-file errors go to stderr, beside the summary.
    let out = ws.run(&["plan"]);
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: src/c/broken.json:4:1: invalid JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("duplicate entity_id `same_id`"), "{stderr}");

    ws.set_version("1.0");
    let out = ws.run(&["plan"]);
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("graphseed.toml:2: invalid `version`"),
        "{stderr}"
    );
}

fn plan_is_byte_identical_across_runs(ws: &Ws) {
    ws.copy_from_repo("seeds");
    ws.seed_ok(&[]);
    ws.write("commands/new-thing.md", "a new episode\n");
    std::fs::remove_file(ws.root().join("guides/quickstart.md")).ok();
    for args in [
        &["plan"][..],
        &["plan", "--json"],
        &["plan", "-v"],
        &["seed", "--dry-run"],
    ] {
        let a = ws.run(args);
        let b = ws.run(args);
        assert_eq!(
            a.status.code(),
            Some(3),
            "changes pending: {}",
            String::from_utf8_lossy(&a.stderr)
        );
        assert_eq!(a.stdout, b.stdout, "{args:?}");
    }
    let before = ws.episodes();
    ws.run(&["seed", "--dry-run"]);
    assert_eq!(ws.episodes(), before, "a dry run writes nothing");
}

fn generated_episodes_dedupe_by_content_hash(ws: &Ws) {
    let feed = |input: &str| {
        let out = ws
            .cmd()
            .args(["seed", "--json", "--stdin", "--source", "agent_memory"])
            .write_stdin(input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let lines = "{\"id\":\"fact-1\",\"text\":\"a\"}\n{\"id\":\"fact-2\",\"text\":\"b\"}\n";
    assert_eq!(count(&feed(lines), "create"), 2);
    for e in ws.episodes() {
        assert_eq!(e.source_hash, None, "generated content has no source_hash");
        assert_eq!(e.source_path, None);
        assert_eq!(e.source, "agent_memory");
        let body: Value = serde_json::from_str(&e.body).unwrap();
        assert_eq!(body["_metadata"]["source_hash"], Value::Null);
    }
    assert_eq!(count(&feed(lines), "skip"), 2);
    let changed = "{\"id\":\"fact-1\",\"text\":\"a\"}\n{\"id\":\"fact-2\",\"text\":\"B\"}\n";
    let json = feed(changed);
    assert_eq!((count(&json, "skip"), count(&json, "update")), (1, 1));
}

/// The README's first command: `graphseed seed` in the repository, no
/// server, no flags: the embedded store is created and filled.
#[test]
fn readme_main_command_seeds_the_sample_into_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        repo.join("graphseed.toml"),
        dir.path().join("graphseed.toml"),
    )
    .unwrap();
    crate::support::workspace::copy_dir(&repo.join("seeds"), &dir.path().join("seeds"));
    let seed = || {
        let out = assert_cmd::Command::cargo_bin("graphseed")
            .unwrap()
            .current_dir(dir.path())
            .env_remove("NEO4J_URI")
            .arg("seed")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        )
    };
    let (ok, stdout, stderr) = seed();
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("succeeded"), "{stdout}");
    assert!(stdout.contains("on sqlite:"), "{stdout}");
    assert!(dir.path().join(".graphseed/graph.db").is_file());
    // And the second run is a no-op.
    let (_, stdout, _) = seed();
    assert!(
        stdout.contains(" 0 create, 0 update, 0 replace, 0 refresh,"),
        "{stdout}"
    );
}

/// A failure between two batches must not leave a file half-written: the
/// written half would carry the file's new `source_hash`, and later runs
/// would skip the file unparsed, never creating the rest. The fault is a
/// real SQLite trigger refusing one episode.
#[test]
fn a_file_s_episodes_commit_together() {
    let ws = Ws::new(Backend::Sqlite, "file_together").unwrap();
    ws.write("many.jsonl", "{\"entity_id\":\"p\",\"k\":1}\n");
    ws.seed_ok(&[]);
    let first = ws.episode("p");

    let db = rusqlite::Connection::open(ws.path().join("graph.db")).unwrap();
    db.execute_batch(
        "CREATE TRIGGER refuse_q BEFORE INSERT ON episodes WHEN NEW.entity_id = 'q'
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .unwrap();
    ws.write(
        "many.jsonl",
        "{\"entity_id\":\"p\",\"k\":2}\n{\"entity_id\":\"q\",\"k\":3}\n",
    );
    // One episode per batch asked for; the file's two still go together.
    let (code, json, stderr) = ws.seed(&["--batch-size", "1"]);
    assert_ne!(code, 0, "the trigger must fail the run: {json:#}\n{stderr}");
    let p = ws.episode("p");
    assert_eq!(p.source_hash, first.source_hash, "p rolled back with q");
    assert_eq!(p.content_hash, first.content_hash);

    db.execute_batch("DROP TRIGGER refuse_q").unwrap();
    let json = ws.seed_ok(&["--batch-size", "1"]);
    assert_eq!(json["files"]["parsed"], 1, "{json:#}");
    let eps = by_id(ws.episodes());
    assert_eq!(eps.keys().collect::<Vec<_>>(), ["p", "q"]);
    let hash = sha256sum(&ws.root().join("many.jsonl"));
    for e in eps.values() {
        assert_eq!(
            e.source_hash.as_deref(),
            Some(hash.as_str()),
            "{}",
            e.entity_id
        );
    }
}
