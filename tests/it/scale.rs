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
