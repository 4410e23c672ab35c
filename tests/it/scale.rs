//! Scale (seeding engine, "Show" 10): a generated 100,000-episode corpus
//! seeds into the real Neo4j in batches, and its no-op reseed parses no file
//! and commits no transaction. Timings are printed for the record, never
//! asserted (speed is shown by `bench/`).

use std::time::Instant;

use crate::support::workspace::{Backend, Ws};

#[test]
fn a_hundred_thousand_episodes_seed_in_batches_and_reseed_write_free() {
    let Some(ws) = Ws::new(Backend::Neo4j, "scale_100k") else {
        return;
    };
    let n: usize = std::env::var("GRAPHSEED_SCALE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // 100 episodes per JSONL file: 1,000 files for 100k.
    for f in 0..n.div_ceil(100) {
        let mut text = String::new();
        for i in f * 100..((f + 1) * 100).min(n) {
            text.push_str(&format!(
                "{{\"id\":\"e{i}\",\"title\":\"episode {i}\",\"body\":\"{}\",\"n\":{i}}}\n",
                "knowledge ".repeat(20)
            ));
        }
        ws.write(&format!("d{:03}/f{f}.jsonl", f / 100), text);
    }
    let t = Instant::now();
    let cold = ws.seed_ok(&["--batch-size", "5000"]);
    let cold_s = t.elapsed().as_secs_f64();
    assert_eq!(cold["counts"]["create"], n as u64);
    let batches = cold["apply"]["batches"].as_u64().unwrap();
    assert_eq!(
        batches,
        n.div_ceil(5000) as u64,
        "one transaction per batch of 5,000"
    );

    let t = Instant::now();
    let out = ws.run(&["-vv", "seed", "--json"]);
    let noop_s = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "no-op reseed failed:\n{stderr}");
    let noop: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // A group this large is read in two key ranges side by side, and the
    // two together are the whole group: no episode missed or read twice
    // (either would load the group whole and say so).
    if n >= 20_000 {
        assert!(stderr.contains("in two ranges"), "{stderr}");
    }
    assert!(!stderr.contains("loading it whole"), "{stderr}");
    assert_eq!(noop["counts"]["skip"], n as u64);
    assert_eq!(noop["files"]["parsed"], 0);
    assert_eq!(noop["apply"]["write_transactions"], 0);
    assert_eq!(noop["graph_signature"], cold["graph_signature"]);
    eprintln!(
        "scale: {n} episodes: cold seed {cold_s:.1}s in {batches} batches; no-op reseed {noop_s:.1}s, 0 writes, 0 files parsed"
    );
}

/// A plan whose lists wait in temporary files (`GRAPHSEED_SPILL_AFTER=0`:
/// every list from its first record, where by default only plans of more
/// than about a hundred thousand episodes spill) is byte for byte the plan
/// held in memory: cold, then after edits, additions and deletions, with
/// `--prune`, `--force`, `--reconcile` and a version bump, on notes with
/// links, JSON Lines files of several items and JSON files. A seed made
/// with spilled lists then leaves nothing to do.
#[test]
fn a_plan_spilled_to_temporary_files_is_the_plan_held_in_memory() {
    let ws = Ws::new(Backend::Sqlite, "spill").unwrap();
    for i in 0..400 {
        ws.write(
            &format!("notes/n{i:03}.md"),
            format!(
                "---\ntitle: Note {i}\naliases: [alias{i}]\n---\n# Note {i}\n\nSee [[n{:03}]], [[alias{}]] and [the other](n{:03}.md).\n",
                (i + 1) % 400,
                (i + 7) % 400,
                (i * 3) % 500
            ),
        );
    }
    for f in 0..40 {
        let items: String = (0..5)
            .map(|k| format!("{{\"id\":\"j{f}_{k}\",\"text\":\"item {k} of {f}\",\"related\":[\"j{f}_{}\"]}}\n", (k + 1) % 5))
            .collect();
        ws.write(&format!("log/f{f:02}.jsonl"), items);
        ws.write(
            &format!("facts/x{f:02}.json"),
            format!("{{\"id\":\"x{f}\",\"n\":{f}}}"),
        );
    }
    let plan = |spill: bool, args: &[&str]| -> String {
        let mut cmd = ws.cmd();
        if spill {
            cmd.env("GRAPHSEED_SPILL_AFTER", "0");
        } else {
            cmd.env_remove("GRAPHSEED_SPILL_AFTER");
        }
        let out = cmd
            .env("GRAPHSEED_NOW", "2024-01-01T00:00:00Z")
            .args(["-vv", "plan", "--json"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || out.status.code() == Some(3),
            "{args:?}: {stderr}"
        );
        // The spilled plan says where its lists went; the other holds them.
        assert_eq!(
            stderr.contains("MB in temporary files"),
            spill,
            "{args:?}: {stderr}"
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let same = |args: &[&str]| {
        let (held, spilled) = (plan(false, args), plan(true, args));
        assert!(held.len() > 1000, "{args:?}: {held}");
        assert!(held == spilled, "{args:?}: the spilled plan differs");
    };
    same(&[]);
    ws.seed_ok(&[]);
    for i in (0..400).step_by(37) {
        ws.write(
            &format!("notes/n{i:03}.md"),
            format!("# Edited {i}\n\n[[n{:03}]]\n", (i + 2) % 400),
        );
    }
    for i in [5, 55, 155] {
        ws.remove(&format!("notes/n{i:03}.md"));
    }
    ws.remove("log/f07.jsonl");
    for i in 400..410 {
        ws.write(
            &format!("notes/n{i:03}.md"),
            format!("# New {i}\n\n[[n{:03}]]\n", i - 400),
        );
    }
    for args in [&[][..], &["--prune"], &["--force"], &["--reconcile"]] {
        same(args);
    }
    ws.set_version("1.1.0");
    same(&[]);
    same(&["--prune"]);

    let mut cmd = ws.cmd();
    cmd.env("GRAPHSEED_SPILL_AFTER", "0")
        .args(["seed", "--json", "--prune"]);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after: serde_json::Value =
        serde_json::from_slice(&plan(false, &["--prune"]).into_bytes()).unwrap();
    let counts = after["counts"].as_object().unwrap();
    for (action, n) in counts {
        let want = if action == "skip" {
            n.as_u64().unwrap()
        } else {
            0
        };
        assert_eq!(
            n.as_u64().unwrap(),
            want,
            "{action} after the spilled seed: {after}"
        );
    }
    assert!(counts["skip"].as_u64().unwrap() > 500);
}
