//! A reseed that changes nothing is known from the walk and the last seed's
//! record, without holding the stored state (issue 17): it must say exactly
//! what a full plan says, and anything that is not that case must plan in
//! full. `-v` shows which way a reseed went; the reference is the same
//! reseed after the last run's record lost its fingerprint (as a run
//! recorded by an older graphseed has none), which plans in full.

use graphseed::stores::prelude::*;
use serde_json::Value;

use crate::on_both_stores;
use crate::support::hand::{self, Edit};
use crate::support::workspace::Ws;

on_both_stores!(
    a_reseed_of_what_the_last_seed_recorded_holds_nothing_and_says_the_same,
    whatever_the_last_seed_did_not_record_plans_in_full,
);

/// What the lean read says at `-v`.
const HELD_NOTHING: &str = "none held";

/// `seed --json` at `-v`: (JSON, whether the stored state was held).
fn reseed(ws: &Ws, args: &[&str]) -> (Value, bool) {
    let mut all = vec!["-v"];
    all.extend_from_slice(args);
    let (code, json, stderr) = ws.seed(&all);
    assert_eq!(code, 0, "seed {args:?}: {json:#}\n{stderr}");
    (json, !stderr.contains(HELD_NOTHING))
}

/// A run's JSON without what differs between two runs of one plan.
fn comparable(mut v: Value) -> Value {
    v["apply"]["seconds"] = Value::Null;
    v["started_at"] = Value::Null;
    v
}

/// The last recorded seed's sources_signature.
fn recorded(ws: &Ws) -> Option<String> {
    ws.runs()
        .into_iter()
        .find(|r| r.graph_signature.is_some())
        .and_then(|r| r.sources_signature)
}

/// The last run's record as a graphseed before fingerprints wrote it.
fn forget_fingerprint(ws: &Ws) {
    ws.with_store(async |s| {
        let mut last = s.list_runs(Some(&ws.group)).await.unwrap().remove(0);
        assert!(last.sources_signature.take().is_some());
        s.save_run(&last).await.unwrap();
    });
}

fn a_reseed_of_what_the_last_seed_recorded_holds_nothing_and_says_the_same(ws: &Ws) {
    // Markdown with links between notes, JSON and JSONL (several episodes a
    // file): every kind of file a closed seed records.
    ws.copy_from_repo("seeds");
    ws.write(
        "data/items.jsonl",
        "{\"id\": \"i1\", \"k\": 1}\n{\"id\": \"i2\", \"k\": 2}\n",
    );
    let first = ws.seed_ok(&[]);
    let signature = first["sources_signature"].as_str().map(str::to_owned);
    assert!(signature.is_some(), "a closed seed records it: {first:#}");
    assert_eq!(recorded(ws), signature, "as stored");

    let (lean, held) = reseed(ws, &[]);
    assert!(!held, "the sources are the recorded ones: nothing held");
    // `-vv` in text lists every skip: made in full (its JSON lists none).
    let out = ws.run(&["-vv", "seed"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(HELD_NOTHING), "{stderr}");
    assert!(stderr.contains("loaded"), "{stderr}");
    let (_, _, stderr) = ws.seed(&["-vv"]);
    assert!(stderr.contains(HELD_NOTHING), "{stderr}");
    forget_fingerprint(ws);
    let (full, held) = reseed(ws, &[]);
    assert!(held, "no fingerprint: planned in full");
    assert_eq!(comparable(lean.clone()), comparable(full), "same outcome");
    assert_eq!(lean["status"], "unchanged", "{lean:#}");
    assert_eq!(
        lean["counts"]["skip"], first["counts"]["create"],
        "{lean:#}"
    );
    assert_eq!(lean["graph_signature"], first["graph_signature"]);
    assert_eq!(lean["sources_signature"], first["sources_signature"]);
    assert_eq!(lean["files"]["parsed"], 0, "{lean:#}");

    // The plan's text at -v counts the skips it did not hold.
    let out = ws.run(&["seed", "-v"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let skips = lean["counts"]["skip"].as_u64().unwrap();
    assert!(
        text.contains(&format!("= {skips} unchanged episodes not listed")),
        "{text}"
    );
}

fn whatever_the_last_seed_did_not_record_plans_in_full(ws: &Ws) {
    ws.write("a.json", r#"{"k": 1}"#);
    ws.write("b.json", r#"{"k": 2}"#);
    ws.seed_ok(&[]);
    assert!(!reseed(ws, &[]).1);

    // A file edited: the walk is not the recorded one. Its run records the
    // new walk, which the next reseed finds again.
    ws.write("a.json", r#"{"k": 3}"#);
    let (json, held) = reseed(ws, &[]);
    assert!(held);
    assert_eq!(json["counts"]["update"], 1, "{json:#}");
    assert!(!reseed(ws, &[]).1);

    // A version bump is not the recorded walk either.
    ws.set_version("1.1.0");
    let (json, held) = reseed(ws, &[]);
    assert!(held);
    assert_eq!(json["counts"]["replace"], 2, "{json:#}");
    assert!(!reseed(ws, &[]).1);

    // A body edited by hand after the seed: the walk is the recorded one,
    // the seals are not; the reseed reads the group again and repairs it.
    let id = ws.episodes()[0].entity_id.clone();
    hand::apply(ws, &id, &Edit::Body(r#"{"k": 99}"#.into()));
    let (json, held) = reseed(ws, &[]);
    assert!(held);
    assert_eq!(json["counts"]["repair"], 1, "{json:#}");
    assert!(!reseed(ws, &[]).1);

    // An episode deleted by hand: the group's count is not the recorded one.
    hand::apply(ws, &id, &Edit::Delete);
    let (_, held) = reseed(ws, &[]);
    assert!(held);
    assert_eq!(ws.episodes().len(), 2, "put back");

    // A file gone without --prune leaves an orphan: nothing is written, so
    // nothing recorded, and the walk is not the recorded one.
    ws.remove("b.json");
    let (json, held) = reseed(ws, &[]);
    assert!(held);
    assert_eq!(json["counts"]["orphan"], 1, "{json:#}");
    assert!(reseed(ws, &[]).1, "still not the recorded walk");
    ws.seed_ok(&["--prune"]);
    assert!(!reseed(ws, &[]).1);

    // A file of no episodes is parsed by every reseed: a seed with one
    // records nothing.
    ws.write("empty.json", "[]");
    let json = ws.seed_ok(&[]);
    assert_eq!(json["sources_signature"], Value::Null, "{json:#}");
    assert!(reseed(ws, &[]).1);
    ws.remove("empty.json");

    // Another source's episodes in the group: a seed of one source does not
    // stand for the group.
    std::fs::create_dir_all(ws.path().join("other")).unwrap();
    std::fs::write(ws.path().join("other/c.json"), r#"{"k": 4}"#).unwrap();
    ws.seed_ok(&["--root", "other", "--source", "other"]);
    let json = ws.seed_ok(&[]);
    assert_eq!(json["sources_signature"], Value::Null, "{json:#}");
    let (json, held) = reseed(ws, &[]);
    assert!(held);
    assert_eq!(json["counts"]["skip"], 1, "{json:#}");

    // A dry run lists its plan: always made in full.
    let out = ws.run(&[
        "-v",
        "seed",
        "--dry-run",
        "--root",
        "other",
        "--source",
        "other",
    ]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(HELD_NOTHING),
        "{out:?}"
    );
}
