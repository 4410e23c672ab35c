//! The graph never silently drifts from its sources, and no path loses data
//! (issue 11). One test per numbered case of the issue, on both stores where
//! the case applies to both.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;

use graphseed::metadata::EpisodeRecord;
use graphseed::stores::prelude::*;
use graphseed::stores::{Action, Batch, EpisodeWrite, RunStatus};
use graphseed::version::SeedVersion;
use serde_json::Value;

use crate::on_both_stores;
use crate::support::hand::{self, Edit};
use crate::support::workspace::{Backend, Ws};

on_both_stores!(
    case1_a_reseed_restores_an_episode_deleted_by_hand,
    case2_a_changed_source_path_never_makes_an_orphan,
    case3_a_body_edited_by_hand_is_repaired,
    case4_force_is_a_rewrite_that_keeps_the_timestamps,
    case5_an_episode_belongs_to_its_source,
    case6_an_unwritable_audit_trail_stops_the_run_before_the_graph,
    case7_stdin_is_bounded_and_errors_are_capped,
    case9_an_abandoned_run_shows_what_it_committed,
    case10_verify_never_claims_a_flag_that_was_not_given,
    case11_what_a_store_cannot_index_is_a_plan_error,
);

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Insist on exit `code` and every needle on stderr; returns stderr.
fn fails(out: &std::process::Output, code: i32, needles: &[&str]) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    for n in needles {
        assert!(err.contains(n), "no {n:?} in:\n{err}");
    }
    err
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Case 6: `.graphseed/runs` is a regular file. The run fails (exit 1,
/// naming the path) before it takes the lock or writes anything.
fn case6_an_unwritable_audit_trail_stops_the_run_before_the_graph(ws: &Ws) {
    ws.write("notes/a.json", r#"{"k": 1}"#);
    std::fs::create_dir_all(ws.path().join(".graphseed")).unwrap();
    std::fs::write(ws.path().join(".graphseed/runs"), "not a folder").unwrap();
    let out = ws.run(&["seed"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(".graphseed/runs"), "{err}");
    assert!(err.contains("nothing was written to the graph"), "{err}");
    assert!(ws.episodes().is_empty(), "the graph was written");
    assert!(ws.runs().is_empty(), "a run record was written");
    assert!(
        ws.with_store(async |s| s.read_lock(&ws.group).await.unwrap())
            .is_none(),
        "the lock was taken"
    );
    // `plan` writes no trail, so it still works.
    assert_eq!(ws.run(&["plan"]).status.code(), Some(3));
    // Fixed, the same seed goes through.
    std::fs::remove_file(ws.path().join(".graphseed/runs")).unwrap();
    ws.seed_ok(&[]);
    assert_eq!(ws.episodes().len(), 1);
}

/// Case 6, second half: the trail cannot be written after the graph was
/// (a file size limit stands in for a full disk). Neo4j only: the embedded
/// store's own file would hit the same limit.
#[test]
fn case6_an_audit_failure_after_the_commit_is_recorded_and_fails_neo4j() {
    use std::os::unix::process::CommandExt;
    let Some(ws) = Ws::new(Backend::Neo4j, "case6_after_commit") else {
        return;
    };
    ws.write("notes/a.json", r#"{"k": 1}"#);
    let mut c = ws.process();
    c.args(["seed", "--json"]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(|| {
            // Writes past 64 bytes fail with EFBIG instead of killing the
            // process with SIGXFSZ: what a full disk looks like to a writer.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = c.output().unwrap();
    let err = fails(&out, 1, &["the audit trail could not be written"]);
    assert!(err.contains("audit_incomplete"), "{err}");
    assert_eq!(ws.episodes().len(), 1, "the graph was written");
    let runs = ws.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    assert_eq!(
        runs[0].counts.get("audit_incomplete"),
        Some(&1),
        "{:?}",
        runs[0].counts
    );
}

fn seed_stdin(ws: &Ws, args: &[&str], input: Vec<u8>) -> std::process::Output {
    let mut c = ws.process();
    c.args(["seed", "--stdin", "--source", "agent_memory"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    // graphseed may stop reading early (over the limit): a broken pipe is
    // then expected.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn set_limits(ws: &Ws, limits: &str) {
    let toml = std::fs::read_to_string(ws.path().join("graphseed.toml")).unwrap();
    std::fs::write(
        ws.path().join("graphseed.toml"),
        format!("{toml}\n[limits]\n{limits}\n"),
    )
    .unwrap();
}

/// Case 7: standard input is bounded as a whole and per line, and a million
/// bad lines do not print a million errors.
fn case7_stdin_is_bounded_and_errors_are_capped(ws: &Ws) {
    // An endless producer ends in an error (exit 4) at the default 16 MB.
    // The binary and its target, as `ws.process()` runs it, under `sh`.
    let c = ws.process();
    let bin = c.get_program().to_owned();
    let args: Vec<_> = c.get_args().map(|a| a.to_owned()).collect();
    let mut sh = std::process::Command::new("sh");
    sh.current_dir(ws.path())
        .arg("-c")
        // The address-space cap turns an unbounded reader into a quick
        // failure instead of a machine out of memory.
        .arg("ulimit -v 4194304; yes '{\"entity_id\":\"a\",\"x\":1}' | \"$0\" \"$@\" seed --stdin")
        .arg(&bin)
        .args(&args);
    let out = sh.output().unwrap();
    fails(
        &out,
        4,
        &["<stdin>: standard input is over the 16 MB limit ([limits] max_stdin_mb)"],
    );

    set_limits(ws, "max_file_mb = 1\nmax_stdin_mb = 2");
    // The whole stream: 3 MB of short lines.
    let line = b"{\"entity_id\":\"b\",\"x\":1}\n";
    let many: Vec<u8> = line.iter().copied().cycle().take(3 << 20).collect();
    let out = seed_stdin(ws, &[], many);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("over the 2 MB limit"),
        "{}",
        stderr(&out)
    );

    // One line over max_file_mb.
    let mut input = b"{\"entity_id\":\"ok\",\"x\":1}\n{\"entity_id\":\"big\",\"x\":\"".to_vec();
    input.extend(std::iter::repeat_n(b'y', (1 << 20) + 10));
    input.extend(b"\"}\n");
    let out = seed_stdin(ws, &[], input);
    fails(
        &out,
        4,
        &[
            "<stdin>:2: line is 1048612 bytes, over the 1 MB limit of one episode ([limits] max_file_mb)",
        ],
    );

    // 1,000 copies of one line: 999 duplicate errors, 100 listed.
    let dups: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 1000)
        .collect();
    let out = seed_stdin(ws, &["--json"], dups.clone());
    assert_eq!(out.status.code(), Some(4));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 100, "{v:#}");
    assert_eq!(v["errors_not_listed"], 899);
    assert_eq!(v["counts"]["error"], 999);
    let out = seed_stdin(ws, &[], dups);
    let text = stderr(&out);
    assert_eq!(text.matches("duplicate entity_id").count(), 100, "{text}");
    assert!(
        text.contains("... and 899 more error(s), not listed"),
        "{text}"
    );
    assert!(ws.episodes().is_empty());
}

/// Case 8: every numeric flag and config value is range-checked, with the
/// allowed range in the error; nothing panics, nothing is clamped.
#[test]
fn case8_numeric_settings_are_range_checked() {
    let ws = Ws::new(Backend::Sqlite, "case8").unwrap();
    ws.write("notes/a.json", r#"{"k": 1}"#);
    let refused = |args: &[&str], want: &str| {
        let out = ws.run(args);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    };
    let flags: [(&[&str], &str); 6] = [
        (
            &["seed", "--lock-ttl", "10000000000000"],
            "--lock-ttl = 10000000000000 is out of range: allowed 1..=86400",
        ),
        (
            &["seed", "--lock-ttl", "300000000000"],
            "--lock-ttl = 300000000000 is out of range: allowed 1..=86400",
        ),
        (
            &["seed", "--lock-ttl", "9223372036854775807"],
            "allowed 1..=86400",
        ),
        (&["seed", "--lock-ttl", "0"], "allowed 1..=86400"),
        (
            &["seed", "--batch-size", "0"],
            "--batch-size = 0 is out of range: allowed 1..=100000",
        ),
        (
            &["status", "--connection-timeout", "0"],
            "--connection-timeout = 0 is out of range: allowed 1..=86400",
        ),
    ];
    for (args, want) in flags {
        refused(args, want);
    }
    assert!(ws.episodes().is_empty());
    let toml = std::fs::read_to_string(ws.path().join("graphseed.toml")).unwrap();
    for (section, bad, want) in [
        (
            "apply",
            "retry_budget_secs = 100000000",
            "[apply] retry_budget_secs = 100000000 is out of range: allowed 0..=86400",
        ),
        (
            "apply",
            "lock_ttl_secs = 0",
            "[apply] lock_ttl_secs = 0 is out of range: allowed 1..=86400",
        ),
        (
            "apply",
            "batch_size = 1000000",
            "[apply] batch_size = 1000000 is out of range: allowed 1..=100000",
        ),
        (
            "limits",
            "max_file_mb = 0",
            "[limits] max_file_mb = 0 is out of range: allowed 1..=1024",
        ),
        (
            "limits",
            "max_stdin_mb = 100000",
            "[limits] max_stdin_mb = 100000 is out of range: allowed 1..=4096",
        ),
    ] {
        std::fs::write(
            ws.path().join("graphseed.toml"),
            format!("{toml}\n[{section}]\n{bad}\n"),
        )
        .unwrap();
        let args: &[&str] = if section == "limits" && bad.contains("stdin") {
            &["seed", "--stdin"]
        } else {
            &["seed"]
        };
        refused(args, want);
    }
    std::fs::write(ws.path().join("graphseed.toml"), toml).unwrap();
    // The largest allowed lease works, and is read back.
    ws.seed_ok(&["--lock-ttl", "86400"]);
}

/// Case 9: a run that died after some batches is marked abandoned with what
/// it committed (read from its provenance links), not what it planned.
fn case9_an_abandoned_run_shows_what_it_committed(ws: &Ws) {
    for i in 1..=5 {
        ws.write(&format!("notes/n{i}.json"), format!(r#"{{"k": {i}}}"#));
    }
    // A run that planned 5 creates and died after committing 2 of them, as
    // a killed seeder leaves it: its record `running`, with planned counts.
    let now = chrono::Utc::now();
    let mut run = graphseed::provenance::record::new_run(
        &ws.group,
        "1.0.0",
        &serde_json::json!({}),
        &Default::default(),
        now,
    );
    run.counts = BTreeMap::from([("create".to_string(), 5), ("skip".to_string(), 0)]);
    let writes = (1..=2)
        .map(|i| {
            let mut r = EpisodeRecord {
                group_id: ws.group.clone(),
                entity_id: format!("notes_n{i}"),
                name: format!("n{i}"),
                source: "project_seeding".into(),
                version: SeedVersion::parse("1.0.0").unwrap(),
                created_at: now,
                updated_at: now,
                source_hash: Some("0".repeat(64)),
                content_hash: String::new(),
                source_path: Some(format!("notes/n{i}.json")),
                run_id: run.run_id.clone(),
                body: String::new(),
            };
            let fields = serde_json::json!({ "k": i });
            r.content_hash = graphseed::hashing::content_hash(fields.as_object().unwrap());
            r.stamp_body(fields.as_object().unwrap());
            EpisodeWrite {
                action: Action::Create,
                record: r,
            }
        })
        .collect();
    ws.with_store(async |s| {
        s.apply_batch(&run, &Batch::of_episodes(writes, vec![]))
            .await
            .unwrap()
    });
    let json = ws.seed_ok(&[]);
    assert_eq!(
        json["apply"]["runs_abandoned"],
        serde_json::json!([run.run_id])
    );
    let dead = ws
        .runs()
        .into_iter()
        .find(|r| r.run_id == run.run_id)
        .unwrap();
    assert_eq!(dead.status, RunStatus::Abandoned);
    assert_eq!(dead.counts.get("create"), Some(&2), "{:?}", dead.counts);
    // And `runs` prints what the store holds.
    let out = ws.ok(&["runs", "--json"]);
    let runs: Value = serde_json::from_str(&out).unwrap();
    let shown = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["run_id"] == run.run_id.as_str())
        .unwrap();
    assert_eq!(shown["counts"]["create"], 2, "{shown:#}");
}

/// Case 10: a stored version newer than the sources is reported as a
/// downgrade a seed would refuse, never as "allowed by --allow-downgrade".
fn case10_verify_never_claims_a_flag_that_was_not_given(ws: &Ws) {
    ws.write("notes/a.json", r#"{"k": 1}"#);
    ws.seed_ok(&["--seed-version", "1.10.0"]);
    ws.set_version("1.1.0");
    let out = ws.run(&["verify"]);
    assert_eq!(out.status.code(), Some(8));
    let text = stdout(&out);
    assert!(!text.contains("allowed by --allow-downgrade"), "{text}");
    assert!(
        text.contains("`notes_a` is stored at version 1.10.0, newer than the sources' 1.1.0"),
        "{text}"
    );
    let v: Value = serde_json::from_slice(&ws.run(&["verify", "--json"]).stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v:#}");
    assert_eq!(findings[0]["kind"], "newer_in_graph");
    assert!(
        findings[0]["fix"]
            .as_str()
            .unwrap()
            .contains("graphseed seed --allow-downgrade"),
        "{v:#}"
    );
}

/// Case 11: an entity_id longer than an index key can hold is a plan error
/// on both stores, naming the file and the limit; the valid rest goes in
/// with --keep-going.
fn case11_what_a_store_cannot_index_is_a_plan_error(ws: &Ws) {
    ws.write("notes/ok.json", r#"{"k": 1}"#);
    ws.write(
        "notes/long.json",
        format!(r#"{{"entity_id": "{}", "k": 2}}"#, "a".repeat(10_000)),
    );
    let out = ws.run(&["seed"]);
    fails(
        &out,
        4,
        &[
            "src/notes/long.json:1: the episode: entity_id is 10000 bytes, over the 4096-byte limit of an index key",
        ],
    );
    assert!(ws.episodes().is_empty());
    let out = ws.run(&["seed", "--keep-going"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(!stderr(&out).contains("again"), "{}", stderr(&out));
    let ids: Vec<_> = ws.episodes().into_iter().map(|e| e.entity_id).collect();
    assert_eq!(ids, ["notes_ok"]);
    // The same from standard input, and for a source label.
    let line = format!("{{\"entity_id\": \"{}\", \"x\": 1}}\n", "b".repeat(5000));
    let out = seed_stdin(ws, &[], line.into_bytes());
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("<stdin>:1: "), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("over the 4096-byte limit"),
        "{}",
        stderr(&out)
    );
    let long_source = "s".repeat(5000);
    let out = ws
        .cmd()
        .args(["seed", "--stdin", "--source", &long_source])
        .write_stdin("{\"entity_id\": \"c\", \"x\": 1}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("source is 5000 bytes, over the 4096-byte limit"),
        "{}",
        stderr(&out)
    );
    assert_eq!(ws.episodes().len(), 1);
}

fn verify_json(ws: &Ws) -> (i32, Value) {
    let out = ws.run(&["verify", "--json"]);
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn decisions(plan: &Value) -> Vec<(String, String)> {
    plan["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["action"] != "skip")
        .map(|d| {
            (
                d["action"].as_str().unwrap().to_string(),
                d["entity_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn plan_json(ws: &Ws, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["plan", "--json"];
    all.extend_from_slice(args);
    let out = ws.run(&all);
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

const PRUNE_FLAG: &str = "commands_flag_prune";

/// Case 1: one episode of a multi-episode file deleted by hand. The group's
/// signature no longer matches the last run's, so the plan parses the files
/// and restores it: no --force.
fn case1_a_reseed_restores_an_episode_deleted_by_hand(ws: &Ws) {
    ws.copy_from_repo("seeds");
    ws.seed_ok(&[]);
    let before = ws.episode(PRUNE_FLAG);
    hand::apply(ws, PRUNE_FLAG, &Edit::Delete);
    let (code, plan) = plan_json(ws, &[]);
    assert_eq!(code, 3, "{plan:#}");
    assert_eq!(
        decisions(&plan),
        [("restore".to_string(), PRUNE_FLAG.to_string())]
    );
    let json = ws.seed_ok(&[]);
    assert_eq!(json["counts"]["restore"], 1, "{json:#}");
    let back = ws.episode(PRUNE_FLAG);
    assert_eq!(back.content_hash, before.content_hash);
    assert_eq!(back.source_path, before.source_path);
    let history = ws.with_store(async |s| s.episode_history(&ws.group, PRUNE_FLAG).await.unwrap());
    assert_eq!(history.last().unwrap().action, Action::Restore);
    let (code, v) = verify_json(ws);
    assert_eq!(code, 0, "{v:#}");
    // And the next reseed trusts the files again: nothing parsed.
    let json = ws.seed_ok(&[]);
    assert_eq!(json["files"]["parsed"], 0, "{json:#}");
}

/// Case 2: a stored source_path changed by hand. The file still produces the
/// episode, so it is no orphan and `--prune` keeps it (its path is
/// refreshed).
fn case2_a_changed_source_path_never_makes_an_orphan(ws: &Ws) {
    ws.copy_from_repo("seeds");
    ws.seed_ok(&[]);
    let before = ws.episode(PRUNE_FLAG);
    hand::apply(
        ws,
        PRUNE_FLAG,
        &Edit::Text("source_path", "commands/elsewhere.jsonl".into()),
    );
    let (_, plan) = plan_json(ws, &["--prune"]);
    let ds = decisions(&plan);
    assert!(
        !ds.iter().any(|(a, _)| a == "prune" || a == "orphan"),
        "{plan:#}"
    );
    let json = ws.seed_ok(&["--prune"]);
    assert_eq!(json["counts"]["prune"], 0, "{json:#}");
    let after = ws.episode(PRUNE_FLAG);
    assert_eq!(after.source_path, before.source_path);
    assert_eq!(after.created_at, before.created_at);
    let (code, v) = verify_json(ws);
    assert_eq!(code, 0, "{v:#}");
}

/// Case 3: a body edited by hand. verify names `graphseed seed` as the fix;
/// a plain seed (no flag) repairs it and keeps its timestamps. A tool-owned
/// timestamp edited by hand is repaired the same way.
fn case3_a_body_edited_by_hand_is_repaired(ws: &Ws) {
    ws.copy_from_repo("seeds");
    ws.seed_ok(&[]);
    let before = ws.episode(PRUNE_FLAG);
    let edited = before
        .body
        .replacen("Delete orphans", "Delete everything", 1);
    assert_ne!(edited, before.body);
    hand::apply(ws, PRUNE_FLAG, &Edit::Body(edited.clone()));
    let (code, v) = verify_json(ws);
    assert_eq!(code, 8);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["kind"], "edited_by_hand", "{v:#}");
        assert_eq!(f["fix"], "graphseed seed", "{v:#}");
    }
    let json = ws.seed_ok(&[]);
    assert_eq!(json["counts"]["repair"], 1, "{json:#}");
    let after = ws.episode(PRUNE_FLAG);
    assert_eq!(
        after.body.len(),
        before.body.len() - before.run_id.len() + after.run_id.len()
    );
    assert_eq!(after.created_at, before.created_at);
    assert_eq!(
        after.updated_at, before.updated_at,
        "content unchanged: updated_at kept"
    );
    let (code, v) = verify_json(ws);
    assert_eq!(code, 0, "{v:#}");

    // Body edited and another episode deleted: the signature changed, so a
    // plain seed reconciles and repairs both.
    hand::apply(ws, PRUNE_FLAG, &Edit::Body(edited));
    hand::apply(ws, "commands_flag_force", &Edit::Delete);
    let json = ws.seed_ok(&[]);
    assert_eq!(json["counts"]["repair"], 1, "{json:#}");
    assert_eq!(json["counts"]["restore"], 1, "{json:#}");
    let (code, v) = verify_json(ws);
    assert_eq!(code, 0, "{v:#}");

    // created_at moved by hand: the signature does not see it, the plain
    // seed's hand-edit check does, and puts the recorded value back.
    let before = ws.episode(PRUNE_FLAG);
    hand::apply(
        ws,
        PRUNE_FLAG,
        &Edit::CreatedAt("2011-01-01T00:00:00+00:00".into()),
    );
    let (code, v) = verify_json(ws);
    assert_eq!(code, 8, "{v:#}");
    assert_eq!(v["findings"][0]["fix"], "graphseed seed", "{v:#}");
    let json = ws.seed_ok(&[]);
    assert_eq!(json["counts"]["repair"], 1, "{json:#}");
    assert_eq!(ws.episode(PRUNE_FLAG).created_at, before.created_at);
    let (code, v) = verify_json(ws);
    assert_eq!(code, 0, "{v:#}");
}

/// Case 4: `--force` with unchanged content is a `rewrite`: created_at and
/// updated_at kept, history says `rewrite`, and `provenance --since` does
/// not report it as changed.
fn case4_force_is_a_rewrite_that_keeps_the_timestamps(ws: &Ws) {
    ws.write("notes/a.json", r#"{"k": 1}"#);
    ws.write("notes/b.json", r#"{"k": 2}"#);
    ws.seed_ok(&[]);
    let before = ws.episodes();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let since = graphseed::metadata::format_time(&chrono::Utc::now());
    ws.write("notes/b.json", r#"{"k": 3}"#);
    let json = ws.seed_ok(&["--force"]);
    assert_eq!(json["counts"]["rewrite"], 1, "{json:#}");
    assert_eq!(json["counts"]["update"], 1, "{json:#}");
    let after = ws.episodes();
    let (a0, a1) = (&before[0], &after[0]);
    assert_eq!(a1.entity_id, "notes_a");
    assert_eq!(a1.created_at, a0.created_at);
    assert_eq!(a1.updated_at, a0.updated_at);
    assert_ne!(a1.run_id, a0.run_id, "rewritten by this run");
    assert!(after[1].updated_at > before[1].updated_at);
    let history = ws.with_store(async |s| s.episode_history(&ws.group, "notes_a").await.unwrap());
    let actions: Vec<_> = history.iter().map(|h| h.action).collect();
    assert_eq!(actions, [Action::Create, Action::Rewrite]);
    let out = ws.ok(&["provenance", "--since", &since, "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<_> = v["episodes"]
        .as_array()
        .or_else(|| v.as_array())
        .unwrap()
        .iter()
        .map(|e| e["entity_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["notes_b"], "{v:#}");
}

/// Case 5: an entity_id written by one source cannot be taken over by
/// another in a later run, unless --transfer-ownership says so (recorded
/// as `transfer`).
fn case5_an_episode_belongs_to_its_source(ws: &Ws) {
    let fact = "{\"entity_id\": \"shared_fact\", \"text\": \"from an agent\"}\n";
    let from_agent = || seed_stdin(ws, &[], fact.as_bytes().to_vec());
    let out = from_agent();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    ws.write(
        "notes/shared.json",
        r#"{"entity_id": "shared_fact", "text": "from a file"}"#,
    );
    let out = ws.run(&["seed"]);
    let text = fails(
        &out,
        4,
        &[
            "src/notes/shared.json:1: `shared_fact` belongs to source `agent_memory` (<stdin>), not to `project_seeding`",
        ],
    );
    assert!(text.contains("--transfer-ownership"), "{text}");
    assert_eq!(ws.episode("shared_fact").source, "agent_memory");

    let json = ws.seed_ok(&["--transfer-ownership"]);
    assert_eq!(json["counts"]["transfer"], 1, "{json:#}");
    let e = ws.episode("shared_fact");
    assert_eq!(e.source, "project_seeding");
    assert_eq!(e.source_path.as_deref(), Some("notes/shared.json"));
    let history =
        ws.with_store(async |s| s.episode_history(&ws.group, "shared_fact").await.unwrap());
    assert_eq!(history.last().unwrap().action, Action::Transfer);

    // And back again: refused the same way.
    let out = from_agent();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`shared_fact` belongs to source `project_seeding` (notes/shared.json), not to `agent_memory`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(ws.episode("shared_fact").source, "project_seeding");
}
