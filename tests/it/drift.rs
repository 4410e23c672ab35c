//! The randomized drift test (issue 11): seed a group, edit the stored
//! episodes by hand at random (delete one, edit a body, a source_path, a
//! content_hash, a version, a created_at or an updated_at), then a plain
//! `seed` (no flag). Afterwards `verify` must pass and the graph_signature
//! must be a clean seed's.
//!
//! Reproduce a failure with the seed it prints:
//! `GRAPHSEED_DRIFT_SEED=<seed> cargo test --test it drift`.
//!
//! Seeds and verifies run in-process (the library's own command dispatch,
//! the same code as the binary) to keep 200 cases within seconds.

use std::panic::AssertUnwindSafe;
use std::path::Path;

use graphseed::planning;
use graphseed::stores::prelude::*;
use serde_json::Value;

use crate::support::hand::{self, Edit};
use crate::support::rng::Rng;
use crate::support::workspace::{Backend, Ws, block_on, copy_dir};

const SQLITE_CASES: u64 = 200;
const NEO4J_CASES: u64 = 20;

/// Run graphseed in this process; returns its exit code.
fn graphseed(ws: &Ws, args: &[&str]) -> i32 {
    let config = ws.path().join("graphseed.toml");
    let mut all = vec![
        "graphseed".to_string(),
        "--quiet".into(),
        "--config".into(),
        config.display().to_string(),
        "--uri".into(),
        ws.uri.clone(),
    ];
    all.extend(args.iter().map(|a| a.to_string()));
    let cli = <graphseed::cli::Cli as clap::Parser>::parse_from(all);
    let ui = graphseed::ui::Ui {
        json: true,
        verbose: 0,
        quiet: true,
    };
    use graphseed::cli::exit_codes;
    use graphseed::commands::Outcome;
    match block_on(graphseed::commands::run(cli.global, cli.command, ui)) {
        Ok(Outcome::Done) => exit_codes::OK,
        Ok(Outcome::Changes) => exit_codes::CHANGES_PENDING,
        Ok(Outcome::Reported(e)) | Err(e) => exit_codes::of(&e),
    }
}

/// The config of a case: the workspace's, with the audit trail kept in the
/// workspace (in-process runs share the test's working directory).
fn write_config(ws: &Ws) {
    let state = ws.path().join(".graphseed");
    let toml = format!(
        "group = \"{}\"\nversion = \"1.0.0\"\nstate_dir = \"{}\"\n\n[[sources]]\nroot = \"src\"\nsource = \"project_seeding\"\n",
        ws.group,
        state.display()
    );
    std::fs::write(ws.path().join("graphseed.toml"), toml).unwrap();
}

fn signature(ws: &Ws) -> String {
    let stored = ws.with_store(async |s| s.load_episodes(&ws.group).await.unwrap());
    planning::stored_signature(&stored)
}

/// A random index below `n`.
fn pick(rng: &mut Rng, n: usize) -> usize {
    rng.below(n as u64) as usize
}

/// A random RFC 3339 instant between 2010 and 2024.
fn random_time(rng: &mut Rng) -> String {
    format!(
        "20{:02}-0{}-1{}T0{}:00:00+00:00",
        10 + pick(rng, 15),
        1 + pick(rng, 9),
        pick(rng, 9),
        pick(rng, 9)
    )
}

/// Up to three random hand edits of distinct episodes.
fn random_edits(rng: &mut Rng, ids: &[String], bodies: &[String]) -> Vec<(String, Edit)> {
    let n = 1 + pick(rng, 3);
    let mut picked: Vec<usize> = Vec::new();
    while picked.len() < n {
        let i = pick(rng, ids.len());
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked
        .into_iter()
        .map(|i| {
            let hex: String = (0..4).map(|_| format!("{:016x}", rng.next())).collect();
            let edit = match pick(rng, 7) {
                0 => Edit::Delete,
                1 => {
                    // Change one value inside the content, keep the JSON valid.
                    let mut body: Value = serde_json::from_str(&bodies[i]).unwrap();
                    body.as_object_mut()
                        .unwrap()
                        .insert("edited_by_hand".into(), Value::from(rng.next() % 1000));
                    Edit::Body(body.to_string())
                }
                2 => Edit::Text("source_path", format!("moved/{}.json", &hex[..8])),
                3 => Edit::Text("content_hash", hex),
                4 => Edit::Text(
                    "version",
                    ["0.9.0", "9.9.9", "1.0.0-rc.1", "1.0.1"][pick(rng, 4)].to_string(),
                ),
                5 => Edit::CreatedAt(random_time(rng)),
                _ => Edit::UpdatedAt(random_time(rng)),
            };
            (ids[i].clone(), edit)
        })
        .collect()
}

/// One case: the edits, one plain `seed`, then `verify` must pass.
fn run_case(ws: &Ws, edits: &[(String, Edit)], clean: &str) {
    for (id, e) in edits {
        hand::apply(ws, id, e);
    }
    assert_eq!(graphseed(ws, &["seed"]), 0, "seed after the edits");
    if graphseed(ws, &["verify"]) != 0 {
        let out = ws.run(&[
            "--config",
            &ws.path().join("graphseed.toml").display().to_string(),
            "verify",
            "--json",
        ]);
        panic!(
            "verify fails after a plain seed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert_eq!(
        signature(ws),
        clean,
        "graph_signature differs from a clean seed's"
    );
}

fn case_seeds(base: u64, n: u64) -> Vec<u64> {
    match std::env::var("GRAPHSEED_DRIFT_SEED") {
        Ok(s) => vec![s.parse().expect("GRAPHSEED_DRIFT_SEED is a number")],
        Err(_) => (0..n).map(|i| base + i).collect(),
    }
}

/// Runs `case` for every seed; a failure names its seed and edits.
fn each_case(
    seeds: Vec<u64>,
    ids: &[String],
    bodies: &[String],
    mut case: impl FnMut(u64, &[(String, Edit)]),
) {
    for seed in seeds {
        let edits = random_edits(&mut Rng(seed), ids, bodies);
        if let Err(p) = std::panic::catch_unwind(AssertUnwindSafe(|| case(seed, &edits))) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("drift case failed: GRAPHSEED_DRIFT_SEED={seed} edits={edits:?}\n{msg}");
        }
    }
}

fn template(backend: Backend) -> Option<(Ws, String, Vec<String>, Vec<String>)> {
    let ws = Ws::new(backend, "drift")?;
    ws.copy_from_repo("seeds");
    write_config(&ws);
    assert_eq!(graphseed(&ws, &["seed"]), 0);
    let clean = signature(&ws);
    let eps = ws.episodes();
    let ids = eps.iter().map(|e| e.entity_id.clone()).collect();
    let bodies = eps.iter().map(|e| e.body.clone()).collect();
    Some((ws, clean, ids, bodies))
}

fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    match shm.is_dir() {
        true => tempfile::tempdir_in(shm).unwrap_or_else(|_| tempfile::tempdir().unwrap()),
        false => tempfile::tempdir().unwrap(),
    }
}

#[test]
fn random_hand_edits_are_repaired_sqlite() {
    let (tpl, clean, ids, bodies) = template(Backend::Sqlite).unwrap();
    each_case(case_seeds(1, SQLITE_CASES), &ids, &bodies, |_, edits| {
        // A copy of the seeded store and sources: same group, fresh files,
        // in memory where the machine has a tmpfs (the store's and the
        // audit trail's fsyncs are most of a case's time on a disk).
        let dir = scratch();
        copy_dir(&tpl.root(), &dir.path().join("src"));
        std::fs::copy(tpl.path().join("graph.db"), dir.path().join("graph.db")).unwrap();
        let ws = Ws {
            uri: format!("sqlite:{}", dir.path().join("graph.db").display()),
            dir,
            backend: Backend::Sqlite,
            group: tpl.group.clone(),
        };
        write_config(&ws);
        run_case(&ws, edits, &clean);
    });
}

#[test]
fn random_hand_edits_are_repaired_neo4j() {
    // The clean signature does not depend on the group or the store.
    let (_, clean, ids, bodies) = template(Backend::Sqlite).unwrap();
    if Ws::new(Backend::Neo4j, "drift_probe").is_none() {
        return;
    }
    each_case(
        case_seeds(10_001, NEO4J_CASES),
        &ids,
        &bodies,
        |_, edits| {
            let ws = Ws::new(Backend::Neo4j, "drift").unwrap();
            ws.copy_from_repo("seeds");
            write_config(&ws);
            assert_eq!(graphseed(&ws, &["seed"]), 0);
            run_case(&ws, edits, &clean);
        },
    );
}
