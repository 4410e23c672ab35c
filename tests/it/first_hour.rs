//! A new user's first hour (issue 12), one test per numbered finding: closed
//! pipes, run ids that lead somewhere, `runs RUN_ID` for people, one JSON
//! shape, display, echoed credentials, control characters in paths, folders
//! that can be excluded, SQLite files that are missing, corrupt or read
//! only, and one summary line for a downgrade. All through the real binary.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::hostile::{Outcome, run_timed};
use crate::support::neo4j;
use crate::support::workspace::{Backend, Ws};

const DEADLINE: Duration = Duration::from_secs(120);

fn sqlite_ws(name: &str) -> Ws {
    Ws::new(Backend::Sqlite, name).expect("SQLite needs no server")
}

fn run(ws: &Ws, args: &[&str]) -> Outcome {
    let mut cmd = ws.process();
    cmd.args(args);
    run_timed(cmd, DEADLINE)
}

fn json(out: &Outcome) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out.stdout, out.stderr))
}

/// A workspace with a few sources, seeded once; returns its run id.
fn seeded(name: &str) -> (Ws, String) {
    let ws = sqlite_ws(name);
    ws.write("notes/alpha.md", "---\ntitle: Alpha\n---\nalpha\n");
    ws.write("items/list.jsonl", "{\"id\":\"one\"}\n{\"id\":\"two\"}\n");
    let run = ws.seed_ok(&[]);
    let id = run["run_id"].as_str().unwrap().to_string();
    (ws, id)
}

// ---------------------------------------------------------------- item 1

/// Every command, its stdout closed before it writes a byte (the reader is
/// gone, as after `| head -1` or `| true`): no panic, nothing on stderr about
/// it, and the exit code the command has with a reader.
#[test]
fn every_command_exits_quietly_when_stdout_closes() {
    let (ws, id) = seeded("pipes");
    let commands: Vec<Vec<&str>> = vec![
        vec!["plan"],
        vec!["plan", "--json"],
        vec!["seed", "-v", "--force"],
        vec!["seed", "--json", "--force"],
        vec!["status"],
        vec!["status", "--json"],
        vec!["runs"],
        vec!["runs", "--json"],
        vec!["runs", &id],
        vec!["provenance"],
        vec!["provenance", "--json"],
        vec!["changes", "--run", &id],
        vec!["changes", "--run", &id, "--json"],
        vec!["validate"],
        vec!["verify"],
        vec!["unlock"],
        vec!["init"],
        vec!["--help"],
    ];
    for args in &commands {
        let with_reader = run(&ws, args);
        // The pipe's read end is closed at once: every write fails EPIPE.
        let mut cmd = ws.process();
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            with_reader.code,
            "graphseed {args:?} with a closed stdout: {stderr}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "graphseed {args:?}: {stderr}"
        );
        // And through a real `head -1`, the shell's view of the pipeline.
        let bin = assert_cmd::cargo::cargo_bin!("graphseed");
        let shell = Command::new("bash")
            .current_dir(ws.path())
            .arg("-c")
            .arg("set -o pipefail; \"$0\" --uri \"$1\" \"${@:2}\" | head -1 >/dev/null")
            .arg(bin)
            .arg(&ws.uri)
            .args(args)
            .env_remove("NEO4J_URI")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&shell.stderr);
        assert_eq!(
            shell.status.code(),
            with_reader.code,
            "graphseed {args:?} | head -1: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

// ---------------------------------------------------------------- item 2

#[test]
fn an_unchanged_seed_names_no_run_and_unknown_run_ids_are_errors() {
    let (ws, id) = seeded("noop_id");
    let out = run(&ws, &["seed"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with("No changes:"), "{}", out.stdout);
    assert!(!out.stdout.contains("Run "), "{}", out.stdout);
    let noop = json(&run(&ws, &["seed", "--json"]));
    assert_eq!(noop["run_id"], Value::Null);
    assert_eq!(noop["status"], "unchanged");
    // Every run id graphseed ever printed leads somewhere.
    assert_eq!(run(&ws, &["runs", &id]).code, Some(0));
    assert_eq!(run(&ws, &["provenance", "--run", &id]).code, Some(0));
    for bad in ["nonsense", "01900000-0000-7000-8000-000000000000"] {
        let out = run(&ws, &["provenance", "--run", bad]);
        assert_eq!(out.code, Some(4), "{}", out.stdout);
        assert!(
            out.stderr.contains(&format!("no run `{bad}`")),
            "{}",
            out.stderr
        );
        assert_eq!(run(&ws, &["runs", bad]).code, Some(4));
    }
    // An id that names nothing says which command lists the ids.
    for (args, lister) in [
        (vec!["runs", "nonsense"], "`graphseed runs` lists them"),
        (
            vec!["changes", "--run", "nonsense"],
            "`graphseed runs` lists them",
        ),
        (
            vec!["links", "no_such_note"],
            "`graphseed provenance` lists",
        ),
    ] {
        let out = run(&ws, &args);
        assert_eq!(out.code, Some(4), "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains(lister), "{args:?}: {}", out.stderr);
    }
}

// ---------------------------------------------------------------- item 3

#[test]
fn runs_run_id_prints_for_people_unless_json() {
    let (ws, id) = seeded("runs_human");
    let out = run(&ws, &["runs", &id]);
    assert_eq!(out.code, Some(0));
    assert!(
        out.stdout
            .starts_with(&format!("Run {id} (seed) succeeded\n")),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.trim_start().starts_with('{'), "{}", out.stdout);
    assert!(
        out.stdout.contains("  episodes         3 create,"),
        "{}",
        out.stdout
    );
    assert_eq!(
        json(&run(&ws, &["runs", &id, "--json"]))["run_id"],
        id.as_str()
    );
}

// ---------------------------------------------------------------- item 5

/// `counts` has the same keys everywhere, `files` the same numbers.
#[test]
fn counts_and_files_have_one_shape() {
    let (ws, id) = seeded("shape");
    ws.write("notes/beta.md", "beta\n");
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .unwrap_or_else(|| panic!("not an object: {v}"))
            .keys()
            .cloned()
            .collect()
    };
    let expected = [
        "create", "error", "orphan", "prune", "refresh", "repair", "replace", "restore", "rewrite",
        "skip", "transfer", "update",
    ];
    let plan = json(&run(&ws, &["plan", "--json"]));
    let seed = ws.seed_ok(&[]);
    let status = json(&run(&ws, &["status", "--json"]));
    let runs = json(&run(&ws, &["runs", "--json"]));
    let one = json(&run(&ws, &["runs", &id, "--json"]));
    for (what, counts) in [
        ("plan", &plan["counts"]),
        ("seed", &seed["counts"]),
        ("status.last_run", &status["last_run"]["counts"]),
        ("runs[0]", &runs[0]["counts"]),
        ("runs RUN_ID", &one["counts"]),
    ] {
        assert_eq!(keys(counts), expected, "{what}: {counts}");
    }
    for (what, files) in [("plan", &plan["files"]), ("seed", &seed["files"])] {
        assert_eq!(
            keys(files),
            ["bytes_hashed", "parsed", "seen", "skipped", "unchanged"],
            "{what}"
        );
        assert!(files["skipped"].is_u64(), "{what}: {files}");
    }
    assert!(plan["skipped"].is_array() && seed["skipped"].is_array());
    assert_eq!(plan["counts"]["create"], 1);
    assert_eq!(
        seed["params"]["sources"][0]["include"],
        serde_json::json!(["**/*"]),
        "the default include is shown as the walk applies it"
    );
}

// ---------------------------------------------------------------- item 6

#[test]
fn display_details() {
    let (ws, _) = seeded("display");
    ws.write("notes/beta.md", "beta\n");
    let out = run(&ws, &["seed"]);
    assert!(out.stdout.contains("  writes: 1 batch, "), "{}", out.stdout);
    // `seed -v` shows the plan; its hidden skips are listed by -vv.
    ws.write("notes/gamma.md", "gamma\n");
    let out = run(&ws, &["seed", "-v"]);
    assert!(
        out.stdout
            .contains("unchanged episodes not listed (-vv lists them)"),
        "{}",
        out.stdout
    );
    let out = run(&ws, &["plan"]);
    assert!(out.stdout.contains("(-v lists them)"), "{}", out.stdout);

    // Per-file errors go to stderr, beside the summary.
    ws.write("bad.json", "{ not json");
    let out = run(&ws, &["plan"]);
    assert_eq!(out.code, Some(4));
    assert!(!out.stdout.contains("error: "), "{}", out.stdout);
    assert!(out.stderr.contains("error: src/bad.json"), "{}", out.stderr);
    assert!(
        out.stderr.contains("the plan has 1 error(s)"),
        "{}",
        out.stderr
    );

    // "run `graphseed init`" once, not as message and hint.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::write(fresh.path().join("graph.db"), b"").unwrap();
    let out = run_in(fresh.path(), &["--uri", "sqlite:graph.db", "status"]);
    assert_eq!(out.code, Some(9), "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("graphseed init").count(),
        1,
        "{}",
        out.stderr
    );
}

fn run_in(dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
    cmd.current_dir(dir)
        .env_remove("NEO4J_URI")
        .env_remove("NEO4J_PASSWORD")
        .env_remove("GRAPHSEED_NOW")
        .args(args);
    run_timed(cmd, DEADLINE)
}

/// Files and folders under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            e.unwrap()
                .path()
                .strip_prefix(dir)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    v.sort();
    v
}

/// `plan` writes nothing, not even a database; read-only commands against a
/// mistyped path create nothing and say the file does not exist.
#[test]
fn plan_and_read_only_commands_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/a.md"), "a\n").unwrap();
    std::fs::write(
        dir.path().join("graphseed.toml"),
        "version = \"1.0.0\"\n\n[[sources]]\nroot = \"src\"\nsource = \"s\"\n",
    )
    .unwrap();
    let before = tree(dir.path());
    let out = run_in(dir.path(), &["plan"]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stdout.contains("+ create"), "{}", out.stdout);
    assert_eq!(tree(dir.path()), before, "plan created files");
    for cmd in ["status", "runs", "provenance", "validate", "verify"] {
        let out = run_in(dir.path(), &["--uri", "sqlite:typo/graph.db", cmd]);
        assert_eq!(out.code, Some(9), "{cmd}: {}", out.stderr);
        assert!(
            out.stderr.contains("the database file does not exist"),
            "{cmd}: {}",
            out.stderr
        );
        assert_eq!(tree(dir.path()), before, "{cmd} created files");
    }
}

// --------------------------------------------------------------- item 11

#[test]
fn a_corrupt_sqlite_file_is_named_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let junk = b"this is not a database, it is a shopping list\n".repeat(200);
    std::fs::write(dir.path().join("graph.db"), &junk).unwrap();
    let source = ["--root", ".", "--seed-version", "1.0.0"];
    for args in [
        vec!["status"],
        vec!["init"],
        [&["seed"][..], &source].concat(),
        [&["plan"][..], &source].concat(),
    ] {
        let cmd = args[0];
        let out = run_in(
            dir.path(),
            &[&["--uri", "sqlite:graph.db"][..], &args].concat(),
        );
        assert_eq!(out.code, Some(1), "{cmd}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("graph.db is not a SQLite database graphseed can read"),
            "{cmd}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("server"), "{cmd}: {}", out.stderr);
        assert_eq!(std::fs::read(dir.path().join("graph.db")).unwrap(), junk);
    }
}

/// The commands that only look at the store.
fn looking_commands(run_id: &str) -> Vec<Vec<&str>> {
    vec![
        vec!["status"],
        vec!["runs"],
        vec!["runs", run_id],
        vec!["provenance"],
        vec!["links", "notes_alpha"],
        vec!["validate"],
        vec!["verify"],
    ]
}

/// Read-only commands open the file read-only: the database is byte-for-byte
/// the same afterwards, and no file appears but SQLite's own WAL
/// housekeeping: the `-shm` index where every reader leaves its read marks,
/// and an empty `-wal` a read-only connection may not delete.
#[test]
fn read_only_commands_leave_the_sqlite_file_untouched() {
    let (ws, id) = seeded("ro");
    let snapshot = || {
        tree(ws.path())
            .into_iter()
            .filter(|p| {
                let empty_wal = p.ends_with("-wal")
                    && std::fs::metadata(ws.path().join(p)).is_ok_and(|m| m.len() == 0);
                !p.starts_with(".graphseed")
                    && !p.starts_with("src")
                    && !p.ends_with("-shm")
                    && !empty_wal
            })
            .map(|p| {
                let bytes = std::fs::read(ws.path().join(&p)).unwrap_or_default();
                (p, bytes)
            })
            .collect::<Vec<_>>()
    };
    let before = snapshot();
    for args in looking_commands(&id).iter().chain([&vec!["plan"]]) {
        let out = run(&ws, args);
        assert!(matches!(out.code, Some(0 | 3)), "{args:?}: {}", out.stderr);
        assert!(snapshot() == before, "{args:?} changed the database folder");
    }
}

// ---------------------------------------------------------------- item 9

/// A file name with a newline cannot fake an output line: every printed path
/// shows control characters escaped.
#[test]
fn control_characters_in_paths_are_escaped() {
    let ws = sqlite_ws("ctl");
    ws.write("notes/evil\nerror: fake.md", "x\n");
    ws.write("notes/bell\u{7}.json", "{ broken");
    let plan = run(&ws, &["plan"]);
    assert!(
        plan.stdout.contains("evil\\nerror: fake.md"),
        "{}",
        plan.stdout
    );
    assert!(plan.stderr.contains("bell\\u{7}.json"), "{}", plan.stderr);
    for out in [&plan] {
        for line in out.stdout.lines().chain(out.stderr.lines()) {
            assert!(!line.starts_with("error: fake"), "faked line: {line}");
            assert!(!line.contains('\u{7}'), "raw control character: {line:?}");
        }
    }
    ws.remove("notes/bell\u{7}.json");
    ws.seed_ok(&[]);
    let prov = run(&ws, &["provenance"]);
    assert!(
        prov.stdout.contains("evil\\nerror: fake.md"),
        "{}",
        prov.stdout
    );
    assert!(!prov.stdout.lines().any(|l| l.starts_with("error: fake")));
    // JSON keeps the real name (serde escapes it).
    let j = json(&run(&ws, &["provenance", "--json"]));
    assert!(
        j["episodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["source_path"]
                .as_str()
                .is_some_and(|p| p.ends_with("notes/evil\nerror: fake.md"))),
        "{j:#}"
    );
}

// --------------------------------------------------------------- item 10

#[test]
fn an_excluded_folder_is_never_entered() {
    use std::os::unix::ffi::OsStrExt;
    let ws = sqlite_ws("exclude_dir");
    ws.write("keep.md", "k\n");
    let bad = ws
        .root()
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9-drafts"));
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("x.md"), "x\n").unwrap();
    let out = run(&ws, &["plan"]);
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert!(out.stderr.contains("exclude"), "the hint: {}", out.stderr);
    let out = run(&ws, &["plan", "--root", "src", "--exclude", "caf*"]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
}

// --------------------------------------------------------------- item 13

#[test]
fn a_downgrade_is_one_summary_line_unless_verbose() {
    let (ws, _) = seeded("downgrade");
    ws.seed_ok(&["--seed-version", "1.1.0"]);
    let out = run(&ws, &["plan"]);
    assert_eq!(out.code, Some(5), "{}", out.stderr);
    let lines = out.stderr.lines().count();
    assert!(lines <= 4, "{lines} lines:\n{}", out.stderr);
    assert!(
        out.stderr
            .contains("3 episode(s) are stored at a newer version than the sources' 1.0.0"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--seed-version"), "{}", out.stderr);
    assert!(
        out.stderr.contains("`version` in graphseed.toml"),
        "{}",
        out.stderr
    );
    let verbose = run(&ws, &["plan", "-v"]);
    assert!(verbose.stderr.lines().count() >= 6, "{}", verbose.stderr);
    let j = json(&run(&ws, &["plan", "--json"]));
    assert_eq!(j["errors"].as_array().unwrap().len(), 3);
}

// ---------------------------------------------------------------- item 8

const MARK: &str = "Mk7-redact-SECRET";

/// URIs a user could mistype or paste, each carrying the marker password:
/// wrong schemes, cases and typos, userinfo, query strings and fragments.
fn hostile_uris() -> Vec<String> {
    [
        "http://neo4j:{M}@localhost:7474",
        "HTTP://neo4j:{M}@localhost:7474",
        "https://neo4j:{M}@db.example.com",
        "BOLT://neo4j:{M}@localhost:7687",
        "Bolt://neo4j:{M}@localhost",
        "NEO4J+S://neo4j:{M}@localhost",
        "bolt//neo4j:{M}@localhost:7687",
        "bolt:/neo4j:{M}@localhost:7687",
        "bolt:neo4j:{M}@localhost",
        "//neo4j:{M}@localhost:7687",
        "neo4j:{M}@localhost:7687",
        "ftp://neo4j:{M}@localhost",
        "bolt+x://neo4j:{M}@localhost",
        "neo4j+sss://neo4j:{M}@localhost",
        "bolt://neo4j:{M}@localhost:7687",
        "neo4j+s://neo4j:{M}@db.example.com",
        "bolt+ssc://:{M}@localhost",
        "bolt://neo4j:{M}@",
        "bolt://neo4j%3A{M}@localhost",
        "bolt://127.0.0.1:1?password={M}",
        "bolt://127.0.0.1:1/?password={M}",
        "neo4j://127.0.0.1:1?auth=neo4j:{M}",
        "bolt://127.0.0.1:1#{M}",
        "BOLT://localhost:7687?password={M}",
        "bolt://[::1]:1?password={M}",
        " bolt://neo4j:{M}@localhost",
        "mailto:neo4j:{M}@localhost",
    ]
    .iter()
    .map(|u| u.replace("{M}", MARK))
    .collect()
}

fn assert_no_marker(what: &str, out: &Outcome) {
    assert!(
        !out.stdout.contains(MARK) && !out.stderr.contains(MARK),
        "{what} echoed the marker:\nstdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
}

/// Every file under `dir` but the config the test itself wrote the URI to.
fn assert_no_file_holds_marker(dir: &Path) {
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        if e.file_type().is_file() && e.file_name() != "graphseed.toml" {
            let bytes = std::fs::read(e.path()).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(MARK),
                "{} holds the marker",
                e.path().display()
            );
        }
    }
}

/// Through the flag, `NEO4J_URI` and graphseed.toml, in human and JSON
/// output, for a command that only connects and one that would write.
#[test]
fn no_uri_echoes_its_password() {
    let uris = hostile_uris();
    assert!(uris.len() >= 20);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/a.md"), "a\n").unwrap();
    let base_toml = "version = \"1.0.0\"\n\n[[sources]]\nroot = \"src\"\nsource = \"s\"\n";
    for uri in &uris {
        for command in [&["status"][..], &["seed", "--json"], &["plan", "-vv"]] {
            let common = ["--connection-timeout", "3"];
            // The flag.
            std::fs::write(dir.path().join("graphseed.toml"), base_toml).unwrap();
            let mut args: Vec<&str> = vec!["--uri", uri];
            args.extend(common);
            args.extend(command);
            assert_no_marker(
                &format!("--uri {uri:?} {command:?}"),
                &run_in(dir.path(), &args),
            );
            // The environment.
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
            cmd.current_dir(dir.path())
                .env("NEO4J_URI", uri)
                .args(common)
                .args(command);
            assert_no_marker(
                &format!("NEO4J_URI={uri:?} {command:?}"),
                &run_timed(cmd, DEADLINE),
            );
            // The config file.
            let toml = format!("{base_toml}\n[target]\nuri = {}\n", toml_string(uri));
            std::fs::write(dir.path().join("graphseed.toml"), toml).unwrap();
            let mut args: Vec<&str> = common.to_vec();
            args.extend(command);
            assert_no_marker(
                &format!("graphseed.toml uri {uri:?} {command:?}"),
                &run_in(dir.path(), &args),
            );
        }
    }
    assert_no_file_holds_marker(dir.path());
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The one URI form Neo4j accepts with a password in it: a query string on
/// a reachable server. Whatever the driver makes of it, the marker reaches
/// no output, no run record and no audit file.
#[test]
fn a_reachable_uri_with_a_password_in_its_query_is_never_recorded() {
    let Some(ws) = Ws::new(Backend::Neo4j, "redact_query") else {
        return;
    };
    ws.write("a.md", "a\n");
    let uri = format!("{}?password={MARK}", neo4j::neo4j_uri().unwrap());
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
    cmd.current_dir(ws.path())
        .env_remove("NEO4J_URI")
        .args(["--uri", &uri, "seed", "--json"]);
    let out = run_timed(cmd, DEADLINE);
    assert_no_marker("seed with ?password=", &out);
    for args in [&["runs", "--json"][..], &["status", "--json"], &["runs"]] {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
        cmd.current_dir(ws.path())
            .env_remove("NEO4J_URI")
            .args(["--uri", &uri])
            .args(args);
        assert_no_marker(
            &format!("{args:?} with ?password="),
            &run_timed(cmd, DEADLINE),
        );
    }
    for r in ws.runs() {
        let text = format!("{r:?}");
        assert!(!text.contains(MARK), "run record: {text}");
    }
    assert_no_file_holds_marker(ws.path());
}

// --------------------------------------------------------------- item 12

/// Run one of the documented `cypher/provenance_*.cypher` queries over Bolt.
fn cypher(
    ws: &Ws,
    text: &'static str,
    params: Vec<(&'static str, neo4rs::BoltType)>,
) -> Vec<neo4rs::Row> {
    neo4j::rows(&ws.uri, &ws.group, text, params)
}

fn strings(rows: &[neo4rs::Row], column: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r.get::<String>(column).unwrap())
        .collect()
}

/// The documented queries agree with the CLI: a pruned episode's history,
/// a time window given as strings, newest change first by source, and the
/// runs of a group outside a git repository.
#[test]
fn documented_provenance_queries_agree_with_the_cli() {
    use graphseed::cypher as c;
    let Some(ws) = Ws::new(Backend::Neo4j, "cypher_fixes") else {
        return;
    };
    let s = |v: &str| neo4rs::BoltType::from(v.to_string());
    ws.write("keep.md", "keep\n");
    ws.write("gone.md", "gone\n");
    ws.write("edit.md", "edit\n");
    ws.seed_ok(&[]);
    std::thread::sleep(Duration::from_millis(20));
    ws.write("edit.md", "edited\n");
    ws.remove("gone.md");
    let second = ws.seed_ok(&["--prune"]);
    let id = |path: &str| {
        ws.episodes()
            .into_iter()
            .find(|e| e.source_path.as_deref().is_some_and(|p| p.ends_with(path)))
            .unwrap()
            .entity_id
    };
    let (keep, edit) = (id("keep.md"), id("edit.md"));

    // A pruned episode: the CLI shows create, prune; so does the query.
    let cli = json(&run(&ws, &["provenance", "--json", "--entity", "gone"]));
    let cli_actions: Vec<String> = cli["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(cli_actions, ["create", "prune"]);
    let rows = cypher(
        &ws,
        c::PROVENANCE_ENTITY_HISTORY,
        vec![("entity_id", s("gone"))],
    );
    assert_eq!(strings(&rows, "action"), cli_actions);
    assert!(
        rows[0]
            .get::<Option<String>>("git_commit")
            .unwrap()
            .is_none()
    );

    // Strings and datetimes alike; a date means its midnight (UTC).
    let since = second["started_at"].as_str().unwrap();
    let by_cli = |args: &[&str]| -> Vec<String> {
        let v = json(&run(&ws, &[&["provenance", "--json"][..], args].concat()));
        let mut ids: Vec<String> = v["episodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["entity_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let t = |v: &str| neo4rs::BoltType::from(chrono::DateTime::parse_from_rfc3339(v).unwrap());
    for (from, to) in [
        (s(since), s("2999-01-01")),
        (t(since), t("2999-01-01T00:00:00Z")),
        (s(since), t("2999-01-01T00:00:00Z")),
    ] {
        let rows = cypher(
            &ws,
            c::PROVENANCE_CHANGED_BETWEEN,
            vec![("since", from), ("until", to)],
        );
        let mut ids = strings(&rows, "entity_id");
        ids.sort();
        assert_eq!(ids, by_cli(&["--since", since]));
        assert_eq!(ids, std::slice::from_ref(&edit));
    }
    let all = cypher(
        &ws,
        c::PROVENANCE_CHANGED_BETWEEN,
        vec![("since", s("2000-01-01")), ("until", s("2999-12-31"))],
    );
    assert_eq!(all.len(), 2, "a date string window matches, not 0 rows");

    // Newest change first, as its header says.
    let rows = cypher(
        &ws,
        c::PROVENANCE_BY_SOURCE,
        vec![("source", s("project_seeding"))],
    );
    assert_eq!(strings(&rows, "entity_id"), [edit, keep]);

    // The runs, outside a git repository: no git fields, still every run.
    let rows = cypher(&ws, c::PROVENANCE_RUNS, vec![]);
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.get::<Option<String>>("git_commit").unwrap().is_none())
    );
}

/// A database in a folder the user cannot write to can still be read by the
/// commands that only look (SQLite cannot create its `-shm` file there; the
/// file is then read as immutable). Root writes everywhere, so as root the
/// commands run as `nobody` (setpriv); as anyone else the folder is made
/// read-only. `seed` there still fails, naming the path.
#[test]
fn a_database_in_a_read_only_folder_can_still_be_read() {
    use std::os::unix::fs::PermissionsExt;
    let (ws, id) = seeded("ro_folder");
    let set_mode =
        |mode| std::fs::set_permissions(ws.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    let root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    // Readable by all, writable by none.
    set_mode(0o555);
    let as_reader = |args: &[&str]| -> Outcome {
        let bin = assert_cmd::cargo::cargo_bin!("graphseed");
        let mut cmd = if root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(bin);
            c
        } else {
            Command::new(bin)
        };
        cmd.current_dir(ws.path())
            .env_remove("NEO4J_URI")
            .args(["--uri", &ws.uri])
            .args(args);
        run_timed(cmd, DEADLINE)
    };
    for args in &looking_commands(&id) {
        let out = as_reader(args);
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
    }
    let out = as_reader(&["status", "--json"]);
    assert_eq!(json(&out)["last_run"]["run_id"], id.as_str());
    set_mode(0o755);
}

// ---------------------------------------------------------------- item 4

/// The Graphiti recipe in seeds/guides/graphiti-integration.md feeds a run's
/// `actions.jsonl`: it names every change the run made, prunes included,
/// where `provenance --run` lists only what the run still owns.
#[test]
fn the_graphiti_recipe_sees_every_change_of_a_run() {
    let (ws, _) = seeded("graphiti");
    ws.write("notes/alpha.md", "---\ntitle: Alpha\n---\nalpha, changed\n");
    ws.remove("items/list.jsonl");
    let run = ws.seed_ok(&["--prune"]);
    let id = run["run_id"].as_str().unwrap();
    let actions = std::fs::read_to_string(
        ws.path()
            .join(".graphseed/runs")
            .join(id)
            .join("actions.jsonl"),
    )
    .unwrap();
    let mut fed: Vec<(String, String)> = actions
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|a| a["action"] != "skip" && a["action"] != "refresh")
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_string(),
                a["entity_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    fed.sort();
    assert_eq!(
        fed,
        [
            ("prune".into(), "items_one".into()),
            ("prune".into(), "items_two".into()),
            ("update".into(), "notes_alpha".into()),
        ]
    );
    let recipe = include_str!("../../seeds/guides/graphiti-integration.md");
    assert!(
        recipe.contains("actions.jsonl"),
        "the recipe reads the audit trail"
    );
    // What provenance --run lists misses the prunes.
    let owned = json(&run_timed(
        {
            let mut c = ws.process();
            c.args(["provenance", "--json", "--run", id]);
            c
        },
        DEADLINE,
    ));
    assert_eq!(owned["episodes"].as_array().unwrap().len(), 1);
    // A run that changed nothing has no id: nothing to feed.
    assert_eq!(ws.seed_ok(&[])["run_id"], Value::Null);
}
