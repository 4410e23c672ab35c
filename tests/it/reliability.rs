//! Reliability (issue "one writer at a time, crash-safe convergence,
//! retries"), shown with the real binary against the real Neo4j and, where
//! the issue asks for it, the embedded SQLite store: seeders are killed with
//! SIGKILL mid-apply, a dedicated Neo4j is stopped and restarted under a run,
//! and a TCP proxy cuts a Bolt connection in the middle of a batch. Every test
//! then reads the graph itself (episodes, WRITTEN_BY links, runs, the lock).
//!
//! Timing: nothing here waits on a fixed sleep to "probably" be in the right
//! state. Each step polls the store (the lock holder, the group revision) for
//! the state it needs, and every test asserts that the state it relied on
//! really held (e.g. the first seeder was still running when the second was
//! refused), so a slow machine fails loudly instead of passing vacuously.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use graphseed::metadata::{EpisodeRecord, format_time};
use graphseed::stores::any::{self, AnyStore};
use graphseed::stores::prelude::*;
use graphseed::stores::{EpisodeFilter, LockInfo, Target};
use serde_json::Value;

use crate::support::neo4j;
use crate::support::rng::Rng;
use crate::support::workspace::{Backend, Ws};

/// The pinned run clock (`GRAPHSEED_NOW`) of the convergence tests, so an
/// interrupted sequence of runs and one clean run stamp the same times.
const NOW: &str = "2024-05-01T12:00:00Z";

// ---------------------------------------------------------------------------
// 1. One writer per (database, group)
// ---------------------------------------------------------------------------

/// Two seeders on one group: exactly one writes, the other exits 6 naming the
/// holder. Two seeders on two groups: both write at the same time.
#[test]
fn one_writer_per_group_neo4j() {
    let Some(ws) = Ws::new(Backend::Neo4j, "one_writer") else {
        return;
    };
    json_corpus(&ws, 3000);
    let probe = Probe::new(&ws.uri);

    // Batches of 25 make A's apply ~120 transactions (seconds), while B
    // starts, plans the same 3,000 files and asks for the lock in well under
    // one second. The test checks below that A really was still running.
    let mut a = spawn_seed(&ws, "a", &["--batch-size", "25"], false);
    let held = wait_until("seeder A takes the lock", Duration::from_secs(120), || {
        a.assert_running();
        probe.lock(&ws.group)
    });
    let b = ws.run(&["seed", "--json"]);
    let a_was_running = a.exited().is_none();
    let held_after = probe.lock(&ws.group);
    let b_stdout = String::from_utf8_lossy(&b.stdout).into_owned();
    let b_stderr = String::from_utf8_lossy(&b.stderr).into_owned();
    assert_eq!(
        b.status.code(),
        Some(6),
        "the second seeder must exit 6 (lock held)\nstdout:\n{b_stdout}\nstderr:\n{b_stderr}"
    );
    assert!(
        a_was_running,
        "A finished before B asked for the lock, so this run proved nothing: make A's apply longer"
    );
    let b_json: Value = serde_json::from_str(&b_stdout).expect("one JSON document from B");
    assert_eq!(b_json["exit_code"], 6);
    let message = b_json["error"].as_str().expect("an error message");
    assert_names_holder(message, &held, held_after.as_ref(), a.pid());
    assert!(b_stderr.contains(&held.run_id), "{b_stderr}");

    let (code, json, stderr) = a.finish(Duration::from_secs(180));
    assert_eq!(code, 0, "A failed: {json:#}\n{stderr}");
    assert_eq!(json["status"], "succeeded");
    assert_eq!(json["counts"]["create"], 3000);
    let a_run = json["run_id"].as_str().unwrap().to_string();
    assert_eq!(a_run, held.run_id);
    // Exactly one writer: B left no run record and wrote no episode.
    let runs = runs_json(&ws);
    assert_eq!(
        runs.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        [a_run.as_str()],
        "{runs:?}"
    );
    check_exactly_once(&probe.links(&ws.group), 3000, |_| Some(a_run.as_str()));

    // Two groups on one database: the lock is per group. A rewrites its group
    // in small batches again; while it holds that lock, a whole seed of
    // another group runs and succeeds.
    let other = Ws::new(Backend::Neo4j, "one_writer_other").unwrap();
    json_corpus(&other, 300);
    let mut a2 = spawn_seed(&ws, "a2", &["--force", "--batch-size", "25"], false);
    let held2 = wait_until("seeder A2 takes the lock", Duration::from_secs(120), || {
        a2.assert_running();
        probe.lock(&ws.group)
    });
    let other_json = other.seed_ok(&[]);
    let a2_was_running = a2.exited().is_none();
    assert_eq!(other_json["status"], "succeeded");
    assert_eq!(other_json["counts"]["create"], 300);
    assert!(
        a2_was_running,
        "A2 finished before the other group's seed did: the two runs did not overlap"
    );
    let other_run = other_json["run_id"].as_str().unwrap();
    assert_eq!(
        probe.lock(&ws.group).map(|l| l.run_id),
        Some(held2.run_id.clone()),
        "the other group's run left group A's lock alone"
    );
    let (code, json, stderr) = a2.finish(Duration::from_secs(180));
    assert_eq!(code, 0, "A2 failed: {json:#}\n{stderr}");
    assert_eq!(json["status"], "succeeded");
    check_exactly_once(&probe.links(&other.group), 300, |_| Some(other_run));
}

/// A holder killed with SIGKILL keeps its lease: a new seeder is refused
/// until the lease expires, or at once with `--break-lock` / after
/// `graphseed unlock`; the killed runs end `abandoned`. Read-only commands
/// work while the lease is held.
fn a_killed_holder_blocks_until_its_lease_expires_or_is_broken(ws: &Ws) {
    json_corpus(ws, 2000);
    // The embedded store commits a batch in well under a millisecond: one
    // episode per transaction keeps its apply long enough to be caught.
    let batch = match ws.backend {
        Backend::Sqlite => "1",
        Backend::Neo4j | Backend::Neo4jRouting => "25",
    };
    let probe = Probe::new(&ws.uri);

    // A dies with a 5-second lease (short, yet room enough for the next
    // seeder to start and plan on a loaded CI machine), after its first batch
    // committed (so its run record exists and can be marked abandoned).
    let a = kill_mid_apply(ws, &probe, "a", &["--lock-ttl", "5", "--batch-size", batch]);
    let out = ws.run(&["seed", "--json"]);
    let answered = Utc::now();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(6),
        "a live lease must refuse a new seeder\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        answered < a.lock.expires_at,
        "the refusal came after the lease had expired ({} >= {}): it proves nothing",
        format_time(&answered),
        format_time(&a.lock.expires_at)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_names_holder(v["error"].as_str().unwrap(), &a.lock, None, a.pid);

    // Once the lease has run out, a plain seed takes the lock over, finishes
    // the work and marks the dead run abandoned.
    sleep_until(a.lock.expires_at + chrono::Duration::milliseconds(200));
    let json = ws.seed_ok(&[]);
    assert_eq!(json["status"], "succeeded");
    assert!(json["counts"]["create"].as_u64().unwrap() > 0, "{json:#}");
    assert_eq!(
        json["apply"]["runs_abandoned"],
        serde_json::json!([a.lock.run_id])
    );

    // B dies holding the default 60 s lease (a forced rewrite gives it work).
    let b = kill_mid_apply(ws, &probe, "b", &["--force", "--batch-size", batch]);
    // Read-only commands never take the lock: they work while it is held,
    // with their usual exit codes, and leave the holder's lease as it was.
    for (args, want) in [
        (&["plan", "--json"][..], 0),
        (&["status", "--json"][..], 0),
        (&["provenance", "--json", "--limit", "5"][..], 0),
        (&["validate", "--json"][..], 0),
        (&["verify", "--json"][..], 0),
        (&["runs", "--json"][..], 0),
    ] {
        let out = ws.run(args);
        assert_eq!(
            out.status.code(),
            Some(want),
            "graphseed {args:?} while the lock is held\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let status: Value = serde_json::from_str(&ws.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["lock"]["run_id"], b.lock.run_id.as_str());
    assert_eq!(
        probe.lock(&ws.group),
        Some(b.lock.clone()),
        "lease untouched"
    );
    // A writing seed is refused...
    let out = ws.run(&["seed", "--json", "--force"]);
    assert_eq!(out.status.code(), Some(6));
    // ...unless it breaks the lock, which it may do at once.
    let json = ws.seed_ok(&["--force", "--break-lock"]);
    assert!(Utc::now() < b.lock.expires_at, "B's lease was still live");
    assert_eq!(json["status"], "succeeded");
    assert_eq!(
        json["apply"]["runs_abandoned"],
        serde_json::json!([b.lock.run_id])
    );

    // C dies too; `graphseed unlock` names and removes its lock.
    let c = kill_mid_apply(ws, &probe, "c", &["--force", "--batch-size", batch]);
    let unlocked: Value = serde_json::from_str(&ws.ok(&["unlock", "--json"])).unwrap();
    assert_eq!(unlocked["released"]["run_id"], c.lock.run_id.as_str());
    assert_eq!(probe.lock(&ws.group), None);
    let json = ws.seed_ok(&["--force"]);
    assert_eq!(json["status"], "succeeded");
    assert_eq!(
        json["apply"]["runs_abandoned"],
        serde_json::json!([c.lock.run_id])
    );

    // The history: the three killed runs abandoned, everything else succeeded.
    let killed: BTreeSet<&str> = [&a, &b, &c]
        .iter()
        .map(|k| k.lock.run_id.as_str())
        .collect();
    let runs = runs_json(ws);
    assert_eq!(runs.len(), 6, "{runs:?}");
    for (id, status) in &runs {
        let want = if killed.contains(id.as_str()) {
            "abandoned"
        } else {
            "succeeded"
        };
        assert_eq!(status, want, "run {id}");
    }
    // A replay-free history: every episode was linked once per run that
    // wrote it, and the last forced rewrite wrote them all.
    let links = probe.links(&ws.group);
    assert_eq!(links.len(), 2000);
    let last = json["run_id"].as_str().unwrap();
    for l in &links {
        assert_eq!(l.run_id, last, "{}", l.entity_id);
        let runs: BTreeSet<&str> = l.links.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            runs.len(),
            l.links.len(),
            "one link per (episode, run): {l:?}"
        );
    }
}

mod killed_holder {
    use super::*;

    #[test]
    fn neo4j() {
        if let Some(ws) = Ws::new(Backend::Neo4j, "killed_holder") {
            a_killed_holder_blocks_until_its_lease_expires_or_is_broken(&ws);
        }
    }

    #[test]
    fn sqlite() {
        if let Some(ws) = Ws::new(Backend::Sqlite, "killed_holder") {
            a_killed_holder_blocks_until_its_lease_expires_or_is_broken(&ws);
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Crash convergence
// ---------------------------------------------------------------------------

/// How a store's kill schedule is tuned: batch size, how many more batches a
/// run may commit before it is killed, and the extra random delay (about one
/// batch, so kills land between and inside transactions alike).
struct KillPlan {
    batch: usize,
    max_extra_batches: u64,
    max_delay: Duration,
}

/// 20,000 episodes (2,000 JSONL files of 10). Ten seeders are killed with
/// SIGKILL at seeded-random points of their apply, each one rerun with
/// `--break-lock`; a last run finishes. The graph then equals, field for
/// field, the graph of one uninterrupted run into a fresh group; no key is
/// stored twice, each episode has exactly one WRITTEN_BY link (to the run
/// that wrote it), no killed run left half a batch, and every killed run
/// that wrote anything is `abandoned`.
fn crash_convergence(ws: &Ws, kp: KillPlan) {
    const FILES: usize = 2000;
    const LINES: usize = 10;
    const TOTAL: usize = FILES * LINES;
    const KILLS: usize = 10;
    let t0 = Instant::now();
    // Every item links to one in another file, often in a later batch: the
    // links must converge too (issue 14).
    link_corpus(ws, FILES, LINES);
    let probe = Probe::new(&ws.uri);
    let batch = kp.batch.to_string();
    let args = ["--break-lock", "--batch-size", batch.as_str()];
    let mut rng = Rng(0x5eed_2024_0501);

    struct Killed {
        run_id: String,
        wrote: bool,
    }
    let mut killed: Vec<Killed> = Vec::new();
    for i in 0..KILLS {
        let rev0 = probe.revision(&ws.group);
        let before = probe.lock(&ws.group).map(|l| l.run_id);
        let extra = rng.below(kp.max_extra_batches + 1);
        let delay = Duration::from_micros(rng.below(kp.max_delay.as_micros() as u64));
        let mut s = spawn_seed(ws, &format!("crash{i}"), &args, true);
        // Apply starts when this run holds the lock (it saves its run record
        // right after); then let it commit `extra` batches, wait `delay`, kill.
        let held = wait_until(
            "the seeder takes the lock",
            Duration::from_secs(120),
            || {
                s.assert_running();
                probe
                    .lock(&ws.group)
                    .filter(|l| Some(&l.run_id) != before.as_ref())
            },
        );
        wait_until(
            "the seeder commits batches",
            Duration::from_secs(120),
            || {
                s.assert_running();
                (probe.revision(&ws.group) >= rev0 + extra).then_some(())
            },
        );
        thread::sleep(delay);
        s.assert_running();
        s.kill();
        let wrote = probe.revision(&ws.group) > rev0;
        eprintln!(
            "crash_convergence[{}]: kill {i}: run {} after {extra} batch(es) + {delay:?}; wrote: {wrote}",
            backend_name(ws),
            held.run_id
        );
        killed.push(Killed {
            run_id: held.run_id,
            wrote,
        });
    }
    assert!(
        killed.iter().filter(|k| k.wrote).count() >= 5,
        "too few kills landed after a commit to test convergence"
    );

    // The last run finishes what is left (so it takes the lock and cleans up).
    let (code, last, stderr) = seed_pinned(ws, &args);
    assert_eq!(code, 0, "{last:#}\n{stderr}");
    assert_eq!(last["status"], "succeeded");
    let left = last["counts"]["create"].as_u64().unwrap();
    assert!(
        left > 0 && left < TOTAL as u64,
        "the kills should leave part of the work to the last run, left {left}"
    );
    let last_run = last["run_id"].as_str().unwrap().to_string();

    // Exactly once: one node per key, one link per episode, to its writer.
    let links = probe.links(&ws.group);
    check_exactly_once(&links, TOTAL, |_| None);
    // No killed run left half a batch: each wrote whole batches only.
    let mut per_run: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &links {
        *per_run.entry(l.run_id.as_str()).or_default() += 1;
    }
    for k in &killed {
        let n = per_run.get(k.run_id.as_str()).copied().unwrap_or(0);
        assert_eq!(
            n % kp.batch,
            0,
            "killed run {} wrote {n} episodes",
            k.run_id
        );
    }

    // Every killed run that wrote anything ends abandoned, none stays running.
    // Whether a killed run wrote is read from its own links: the group
    // revision seen around a kill can also move by the previous killed run's
    // commit landing late (the server finishes a COMMIT it received before
    // the client died).
    let runs: BTreeMap<String, String> = runs_json(ws).into_iter().collect();
    for k in &killed {
        let wrote = per_run.get(k.run_id.as_str()).copied().unwrap_or(0) > 0;
        match runs.get(&k.run_id) {
            Some(status) => assert_eq!(status, "abandoned", "killed run {}", k.run_id),
            None => assert!(!wrote, "killed run {} wrote but has no record", k.run_id),
        }
    }
    assert_eq!(runs.get(&last_run).map(String::as_str), Some("succeeded"));
    assert!(runs.values().all(|s| s != "running"), "{runs:?}");

    // The same graph as one uninterrupted run into a fresh group.
    let reference = neo4j::unique_group("crash_reference");
    let (code, clean, stderr) = seed_pinned(ws, &["--group", &reference, "--batch-size", &batch]);
    assert_eq!(code, 0, "{clean:#}\n{stderr}");
    assert_eq!(clean["counts"]["create"], TOTAL);
    let got = probe.facts(&ws.group);
    let want = probe.facts(&reference);
    assert_eq!(got.len(), TOTAL);
    assert!(got == want, "{}", first_difference(&got, &want));
    assert_eq!(last["graph_signature"], clean["graph_signature"]);
    // The same links, every one of them stored.
    let got_links = ws.links_of(&ws.group);
    assert_eq!(got_links.len(), TOTAL);
    assert!(got_links == ws.links_of(&reference), "the links differ");
    eprintln!(
        "crash_convergence[{}]: {:.1}s",
        backend_name(ws),
        t0.elapsed().as_secs_f64()
    );
}

mod crash_convergence {
    use super::*;

    #[test]
    fn neo4j() {
        if let Some(ws) = Ws::new(Backend::Neo4j, "crash_convergence") {
            // ~0.15-0.3 s per batch of 250: 80 batches, at most ~5 used per kill.
            crash_convergence(
                &ws,
                KillPlan {
                    batch: 250,
                    max_extra_batches: 3,
                    max_delay: Duration::from_millis(300),
                },
            );
        }
    }

    #[test]
    fn sqlite() {
        if let Some(ws) = Ws::new(Backend::Sqlite, "crash_convergence") {
            // ~10-20 ms per batch of 100: 200 batches, at most ~6 used per kill.
            crash_convergence(
                &ws,
                KillPlan {
                    batch: 100,
                    max_extra_batches: 3,
                    max_delay: Duration::from_millis(25),
                },
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 3. Neo4j stopped and restarted under a run
// ---------------------------------------------------------------------------

/// A dedicated Neo4j (own data dir and port) is stopped with SIGTERM while a
/// seed applies, and started again on the same port and data. The run either
/// completes through its retries or fails cleanly; either way no batch is
/// half there, every episode has exactly its run's link, and a rerun
/// converges to the uninterrupted result.
#[test]
fn neo4j_restart_mid_run() {
    let Some(mut ws) = Ws::new(Backend::Neo4j, "restart") else {
        return;
    };
    let t0 = Instant::now();
    const TOTAL: usize = 6_000;
    const BATCH: usize = 200;
    jsonl_corpus(&ws, TOTAL / 10, 10);
    let data = ws.path().join("neo4j-data");
    let port = free_port();
    let mut server = DedicatedNeo4j::start(&data, port);
    let shared = std::mem::replace(&mut ws.uri, server.uri.clone());
    eprintln!(
        "neo4j_restart_mid_run: dedicated Neo4j up after {:.1}s",
        t0.elapsed().as_secs_f64()
    );
    ws.ok(&["init"]);

    let batch = BATCH.to_string();
    let mut s = spawn_seed(&ws, "restart", &["--batch-size", &batch], true);
    {
        let probe = Probe::new(&ws.uri);
        wait_until("three batches commit", Duration::from_secs(180), || {
            s.assert_running();
            (probe.revision(&ws.group) >= 3).then_some(())
        });
    }
    s.assert_running();
    eprintln!(
        "neo4j_restart_mid_run: stopping Neo4j after {:.1}s",
        t0.elapsed().as_secs_f64()
    );
    let down = Instant::now();
    server.stop();
    server = DedicatedNeo4j::start(&data, port);
    eprintln!(
        "neo4j_restart_mid_run: Neo4j was down for {:.1}s",
        down.elapsed().as_secs_f64()
    );
    let (code, json, stderr) = s.finish(Duration::from_secs(300));
    let probe = Probe::new(&ws.uri);
    let run_id = json["run_id"].as_str().expect("the run's JSON").to_string();
    let runs: BTreeMap<String, String> = runs_json(&ws).into_iter().collect();
    let links = probe.links(&ws.group);
    if code == 0 {
        // Carried through by retries.
        eprintln!(
            "neo4j_restart_mid_run: the run completed with {} batch retries",
            json["apply"]["retries"]
        );
        assert_eq!(json["status"], "succeeded", "{json:#}");
        assert!(json["apply"]["retries"].as_u64().unwrap() >= 1, "{json:#}");
        assert_eq!(runs[&run_id], "succeeded");
        check_exactly_once(&links, TOTAL, |_| Some(run_id.as_str()));
    } else {
        // Or failed cleanly: a failed status, and whole batches only.
        eprintln!("neo4j_restart_mid_run: the run failed (exit {code}): {stderr}");
        assert_eq!(json["status"], "failed", "{json:#}");
        assert_eq!(runs[&run_id], "failed");
        assert!(links.len().is_multiple_of(BATCH) && links.len() >= 3 * BATCH);
        check_exactly_once(&links, links.len(), |_| Some(run_id.as_str()));
    }
    assert_eq!(probe.lock(&ws.group), None, "the run released its lock");

    // A rerun converges to the uninterrupted result.
    let (code, rerun, stderr) = seed_pinned(&ws, &[]);
    assert_eq!(code, 0, "{rerun:#}\n{stderr}");
    let got = probe.facts(&ws.group);
    drop(probe);
    server.stop();
    // The uninterrupted run goes to the shared server, whose JVM is warm:
    // the facts compared carry nothing of the server they came from.
    ws.uri = shared;
    let reference = neo4j::unique_group("restart_reference");
    let (code, clean, stderr) = seed_pinned(&ws, &["--group", &reference]);
    assert_eq!(code, 0, "{clean:#}\n{stderr}");
    let want = Probe::new(&ws.uri).facts(&reference);
    assert_eq!(got.len(), TOTAL);
    assert!(got == want, "{}", first_difference(&got, &want));
    assert_eq!(rerun["graph_signature"], clean["graph_signature"]);
    eprintln!("neo4j_restart_mid_run: {:.1}s", t0.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------
// 4. A connection cut in the middle of a batch
// ---------------------------------------------------------------------------

/// The proxy cuts the first connection that carries more than 200 KB
/// upstream, right there: the batch's statement never fully reached the
/// server. The batch is retried on a new connection and lands exactly once.
#[test]
fn connection_cut_mid_batch_is_retried_exactly_once() {
    connection_cut(
        Cut::MidUpload {
            threshold: 200 * 1024,
        },
        "cut_mid_batch",
    );
}

/// The proxy lets a big batch's COMMIT through and swallows the server's
/// answer, then cuts: the transaction committed but the client cannot know.
/// The replayed batch must not duplicate anything (MERGE on the key, one
/// link per (episode, run)).
#[test]
fn connection_cut_after_commit_is_replayed_exactly_once() {
    connection_cut(
        Cut::AfterCommit {
            threshold: 200 * 1024,
        },
        "cut_after_commit",
    );
}

fn connection_cut(mode: Cut, name: &str) {
    let Some(mut ws) = Ws::new(Backend::Neo4j, name) else {
        return;
    };
    const TOTAL: usize = 3000;
    jsonl_corpus(&ws, TOTAL / 10, 10);
    let probe = Probe::new(&ws.uri);
    let upstream: SocketAddr = ws
        .uri
        .strip_prefix("bolt://")
        .expect("the test server speaks bolt://")
        .parse()
        .expect("host:port");
    let proxy = CuttingProxy::start(upstream, mode);
    ws.uri = format!("bolt://{}", proxy.addr);

    // Batches of 1,000 episodes are ~1 MB statements: the cut lands inside
    // the first one.
    let (code, json, stderr) = ws.seed(&["--batch-size", "1000"]);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    eprintln!("{name}: {}", stderr.trim());
    assert!(proxy.fired(), "the proxy never cut");
    assert_eq!(json["status"], "succeeded");
    assert!(json["apply"]["retries"].as_u64().unwrap() >= 1, "{json:#}");
    assert_eq!(json["apply"]["batches"], 3);
    let run_id = json["run_id"].as_str().unwrap();
    check_exactly_once(&probe.links(&ws.group), TOTAL, |_| Some(run_id));
    // The revision counts committed batch transactions: the cut batch never
    // committed in one mode and committed twice (the unseen commit and its
    // replay) in the other, which proves each case was really exercised.
    let extra = match mode {
        Cut::AfterCommit { .. } => 1,
        _ => 0,
    };
    assert_eq!(probe.revision(&ws.group), 3 + extra);
}

/// Neo4j "goes away" (every connection cut, new ones refused for 0.6 s) at
/// each statement of a run in turn: the reads before and under the lock,
/// taking the lock, saving the run record, a batch, renewing the lease,
/// releasing it. Every run rides the outage out with retries (the driver
/// itself gives up at once when it cannot open a connection) and the graph
/// ends as it should: one link per (episode, run), the lock free.
#[test]
fn an_outage_at_any_statement_of_a_run_is_ridden_out() {
    let Some(mut ws) = Ws::new(Backend::Neo4j, "outage") else {
        return;
    };
    let t0 = Instant::now();
    const TOTAL: usize = 1000;
    jsonl_corpus(&ws, TOTAL / 10, 10);
    let probe = Probe::new(&ws.uri);
    let upstream: SocketAddr = ws.uri.strip_prefix("bolt://").unwrap().parse().unwrap();
    // (what, a text only that statement carries, which occurrence)
    let cases: &[(&str, &str, usize)] = &[
        ("reading the revision to plan", "MATCH (g:SeedGroup", 1),
        ("counting the stored episodes", "RETURN count(e) AS n", 1),
        (
            "reading the stored episodes' first page",
            "{group_id: $group_id})\nWHERE e.entity_id IS NOT NULL\nRETURN e.entity_id AS entity_id, CASE",
            1,
        ),
        ("taking the lock", "$takeover", 1),
        (
            "checking the revision under the lock",
            "MATCH (g:SeedGroup",
            2,
        ),
        (
            "listing runs for crashed ones",
            "WHERE $group_id IS NULL OR r.group_id = $group_id",
            1,
        ),
        ("saving the run record", "SET r.group_id = $group_id", 1),
        ("committing the second batch", "UNWIND $writes AS w", 2),
        ("renewing the lease", "SET l.expires_at = $expires_at", 1),
        ("releasing the lock", "REMOVE l.owner, l.host", 1),
    ];
    let mut writers = BTreeSet::new();
    for (i, &(what, marker, nth)) in cases.iter().enumerate() {
        let holders: Vec<&str> = graphseed::cypher::ALL
            .iter()
            .filter(|(_, text)| text.contains(marker))
            .map(|(file, _)| *file)
            .collect();
        assert_eq!(
            holders.len(),
            1,
            "{what}: `{marker}` must single out one statement: {holders:?}"
        );
        let proxy = CuttingProxy::start(
            upstream,
            Cut::Outage {
                marker,
                nth,
                down: Duration::from_millis(600),
            },
        );
        ws.uri = format!("bolt://{}", proxy.addr);
        // Every run has work (`--force` after the first); 20 batches (over
        // a second) and a 1 s lease make it renew the lease (due every 1/3 s)
        // at least once.
        let mut args = vec!["--batch-size", "50", "--lock-ttl", "1"];
        if i > 0 {
            args.push("--force");
        }
        let t = Instant::now();
        let (code, json, stderr) = ws.seed(&args);
        eprintln!(
            "outage while {what}: {:.1}s\n{stderr}",
            t.elapsed().as_secs_f64()
        );
        assert!(
            proxy.fired(),
            "{what}: the statement never went through the proxy\n{stderr}"
        );
        assert_eq!(
            code, 0,
            "{what}: the run did not ride out the outage: {json:#}\n{stderr}"
        );
        assert_eq!(json["status"], "succeeded", "{what}");
        assert_eq!(json["apply"]["episodes_written"], TOTAL, "{what}");
        assert_eq!(
            probe.lock(&ws.group),
            None,
            "{what}: the lock was not released"
        );
        writers.insert(json["run_id"].as_str().unwrap().to_string());
    }
    // One link per (episode, run): no replay added a second one.
    let links = probe.links(&ws.group);
    assert_eq!(links.len(), TOTAL);
    for l in &links {
        let runs: BTreeSet<String> = l.links.iter().map(|(r, _)| r.clone()).collect();
        assert_eq!(runs.len(), l.links.len(), "{l:?}");
        assert_eq!(runs, writers, "{}", l.entity_id);
    }
    eprintln!(
        "an_outage_at_any_statement_of_a_run_is_ridden_out: {:.1}s",
        t0.elapsed().as_secs_f64()
    );
}

/// An outage longer than `apply.retry_budget_secs` fails the run cleanly:
/// exit non-zero, one JSON document saying `failed`, the run recorded as
/// failed, the lock released, whole batches only; a rerun converges.
#[test]
fn a_run_that_outlives_its_retry_budget_fails_cleanly() {
    let Some(mut ws) = Ws::new(Backend::Neo4j, "retry_budget") else {
        return;
    };
    const TOTAL: usize = 1000;
    jsonl_corpus(&ws, TOTAL / 10, 10);
    // A 1 s budget: the third batch is tried at 0, 0.1, 0.3 and 0.7 s and
    // then given up (the next try would end past 1 s). The outage ends at
    // 1.05 s, before the failed run's record is saved (tried from ~0.7 s
    // until ~1.4 s), so the failure itself is recorded.
    let toml = ws.path().join("graphseed.toml");
    let mut cfg = std::fs::read_to_string(&toml).unwrap();
    cfg.push_str("\n[apply]\nretry_budget_secs = 1\n");
    std::fs::write(&toml, cfg).unwrap();
    let probe = Probe::new(&ws.uri);
    let upstream: SocketAddr = ws.uri.strip_prefix("bolt://").unwrap().parse().unwrap();
    let proxy = CuttingProxy::start(
        upstream,
        Cut::Outage {
            marker: "UNWIND $writes AS w",
            nth: 3,
            down: Duration::from_millis(1050),
        },
    );
    ws.uri = format!("bolt://{}", proxy.addr);

    let (code, json, stderr) = ws.seed(&["--batch-size", "100"]);
    assert!(proxy.fired());
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    assert_eq!(json["status"], "failed", "{json:#}");
    assert!(json["apply"]["failure"].is_string(), "{json:#}");
    assert_eq!(json["apply"]["batches"], 2, "{json:#}");
    assert!(stderr.contains("error: run"), "{stderr}");
    let run_id = json["run_id"].as_str().unwrap().to_string();
    let runs: BTreeMap<String, String> = runs_json(&ws).into_iter().collect();
    assert_eq!(runs[&run_id], "failed", "{stderr}");
    assert_eq!(
        probe.lock(&ws.group),
        None,
        "the failed run released its lock"
    );
    // Two whole batches, nothing of the third.
    check_exactly_once(&probe.links(&ws.group), 200, |_| Some(run_id.as_str()));

    let rerun = ws.seed_ok(&["--batch-size", "100"]);
    assert_eq!(rerun["counts"]["create"], TOTAL - 200);
    assert_eq!(rerun["apply"]["runs_abandoned"], serde_json::json!([]));
    let rerun_id = rerun["run_id"].as_str().unwrap();
    let links = probe.links(&ws.group);
    check_exactly_once(&links, TOTAL, |_| None);
    let by_run = links
        .iter()
        .fold(BTreeMap::<&str, usize>::new(), |mut m, l| {
            *m.entry(l.run_id.as_str()).or_default() += 1;
            m
        });
    assert_eq!(
        by_run,
        BTreeMap::from([(run_id.as_str(), 200), (rerun_id, TOTAL - 200)])
    );
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn backend_name(ws: &Ws) -> &'static str {
    match ws.backend {
        Backend::Sqlite => "sqlite",
        Backend::Neo4j | Backend::Neo4jRouting => "neo4j",
    }
}

/// `files` one-episode JSON files in ten categories.
fn json_corpus(ws: &Ws, files: usize) {
    for i in 0..files {
        ws.write(
            &format!("c{}/doc_{i:05}.json", i % 10),
            format!(r#"{{"title":"doc {i}","text":"{}"}}"#, filler(i)),
        );
    }
}

/// `files` JSONL files of `lines` episodes each, in twenty categories.
fn jsonl_corpus(ws: &Ws, files: usize, lines: usize) {
    for f in 0..files {
        let mut s = String::new();
        for l in 0..lines {
            let n = f * lines + l;
            s.push_str(&format!(
                r#"{{"id":"e{f:05}_{l}","text":"{}","n":{n}}}"#,
                filler(n)
            ));
            s.push('\n');
        }
        ws.write(&format!("c{:02}/f{f:05}.jsonl", f % 20), s);
    }
}

/// The corpus of [`jsonl_corpus`], each item also linking (a
/// `links` field holding an entity_id) to the same line of a file far away.
fn link_corpus(ws: &Ws, files: usize, lines: usize) {
    for f in 0..files {
        let g = (f * 7 + files / 2 + 1) % files;
        let mut s = String::new();
        for l in 0..lines {
            let n = f * lines + l;
            s.push_str(&format!(
                r#"{{"id":"e{f:05}_{l}","text":"{}","n":{n},"links":["c{:02}_e{g:05}_{l}"]}}"#,
                filler(n),
                g % 20
            ));
            s.push('\n');
        }
        ws.write(&format!("c{:02}/f{f:05}.jsonl", f % 20), s);
    }
}

fn filler(n: usize) -> String {
    format!("{} {n}", "lorem ipsum dolor sit amet consectetur".repeat(3))
}

/// Poll `f` every 5 ms until it yields, or panic after `timeout`.
fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

fn sleep_until(t: DateTime<Utc>) {
    if let Ok(d) = (t - Utc::now()).to_std() {
        thread::sleep(d);
    }
}

/// The message of a refused seeder names the holder: its run, owner (with
/// the holder's pid), host and lease expiry (`after` covers a renewal that
/// happened in between).
fn assert_names_holder(message: &str, lock: &LockInfo, after: Option<&LockInfo>, pid: u32) {
    assert!(message.contains(&lock.run_id), "{message}");
    assert!(message.contains(&lock.owner), "{message}");
    assert!(message.contains(&lock.host), "{message}");
    assert!(lock.owner.contains(&format!("pid {pid}")), "{lock:?}");
    let expiries: Vec<String> = [Some(lock), after]
        .into_iter()
        .flatten()
        .map(|l| format!("until {}", format_time(&l.expires_at)))
        .collect();
    assert!(
        expiries.iter().any(|e| message.contains(e.as_str())),
        "{message} names none of {expiries:?}"
    );
}

/// `graphseed runs --json` as (run_id, status), newest first.
fn runs_json(ws: &Ws) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(&ws.ok(&["runs", "--json"])).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["run_id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `seed --json` with the pinned clock, waiting for it: (exit, JSON, stderr).
fn seed_pinned(ws: &Ws, args: &[&str]) -> (i32, Value, String) {
    let out = ws
        .process()
        .env("GRAPHSEED_NOW", NOW)
        .args(["seed", "--json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "seed {args:?}: stdout is not one JSON document ({e}):\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), json, stderr)
}

/// A `graphseed seed --json` in the background. Its output goes to files: a
/// pipe nobody reads could fill up and stall it.
struct Seeder {
    child: Child,
    out: PathBuf,
    err: PathBuf,
    done: Option<i32>,
}

fn spawn_seed(ws: &Ws, name: &str, args: &[&str], pinned: bool) -> Seeder {
    let out = ws.path().join(format!("{name}.stdout"));
    let err = ws.path().join(format!("{name}.stderr"));
    let mut c = ws.process();
    c.args(["seed", "--json"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap());
    if pinned {
        c.env("GRAPHSEED_NOW", NOW);
    }
    Seeder {
        child: c.spawn().expect("spawn graphseed"),
        out,
        err,
        done: None,
    }
}

impl Seeder {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit code, once it has exited (-1: killed by a signal).
    fn exited(&mut self) -> Option<i32> {
        if self.done.is_none()
            && let Some(status) = self.child.try_wait().unwrap()
        {
            self.done = Some(status.code().unwrap_or(-1));
        }
        self.done
    }

    fn output(&self) -> (String, String) {
        (
            std::fs::read_to_string(&self.out).unwrap_or_default(),
            std::fs::read_to_string(&self.err).unwrap_or_default(),
        )
    }

    /// Panics (with its output) if the seeder is gone: a step that waits on
    /// it must not wait for a state that can no longer come.
    fn assert_running(&mut self) {
        if let Some(code) = self.exited() {
            let (out, err) = self.output();
            panic!("the seeder exited ({code}) too early\nstdout:\n{out}\nstderr:\n{err}");
        }
    }

    /// SIGKILL (std's `Child::kill`), and reap it.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.done = Some(-1);
    }

    fn finish(mut self, timeout: Duration) -> (i32, Value, String) {
        let code = wait_until("the seeder exits", timeout, || self.exited());
        let (out, err) = self.output();
        let json = serde_json::from_str(&out).unwrap_or_else(|e| {
            panic!("stdout is not one JSON document ({e}):\n{out}\nstderr:\n{err}")
        });
        (code, json, err)
    }
}

impl Drop for Seeder {
    fn drop(&mut self) {
        if self.done.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What a killed holder left: its lease as stored, and its pid.
struct KilledHolder {
    lock: LockInfo,
    pid: u32,
}

/// Start a seeder, wait until it holds the lock and its first batch has
/// committed, then SIGKILL it. Returns the lock it left behind.
fn kill_mid_apply(ws: &Ws, probe: &Probe, name: &str, args: &[&str]) -> KilledHolder {
    let rev0 = probe.revision(&ws.group);
    let before = probe.lock(&ws.group).map(|l| l.run_id);
    let mut s = spawn_seed(ws, name, args, false);
    let held = wait_until(
        "the seeder takes the lock",
        Duration::from_secs(120),
        || {
            s.assert_running();
            probe
                .lock(&ws.group)
                .filter(|l| Some(&l.run_id) != before.as_ref())
        },
    );
    wait_until("its first batch commits", Duration::from_secs(120), || {
        s.assert_running();
        (probe.revision(&ws.group) > rev0).then_some(())
    });
    s.assert_running();
    let pid = s.pid();
    s.kill();
    let lock = probe
        .lock(&ws.group)
        .expect("a killed holder keeps its lock");
    assert_eq!(lock.run_id, held.run_id);
    KilledHolder { lock, pid }
}

/// What the convergence tests compare: every stored fact of an episode but
/// the run that wrote it (which differs between two histories by design).
type Fact = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn first_difference(got: &[Fact], want: &[Fact]) -> String {
    for (g, w) in got.iter().zip(want) {
        if g != w {
            return format!("first difference:\n  got  {g:?}\n  want {w:?}");
        }
    }
    format!("{} facts, expected {}", got.len(), want.len())
}

/// One stored episode node (or row) and its WRITTEN_BY links.
#[derive(Debug)]
struct Links {
    entity_id: String,
    /// The run that last wrote it (`run_id` property).
    run_id: String,
    /// (run_id, action) of every link.
    links: Vec<(String, String)>,
}

/// Exactly once: `total` nodes, no key twice, and each episode linked once,
/// by a `create`, to the run it names (and to `writer(entity)` when given).
fn check_exactly_once<'a>(
    links: &'a [Links],
    total: usize,
    writer: impl Fn(&'a str) -> Option<&'a str>,
) {
    assert_eq!(links.len(), total, "episode nodes");
    let keys: BTreeSet<&str> = links.iter().map(|l| l.entity_id.as_str()).collect();
    assert_eq!(keys.len(), links.len(), "an entity_id is stored twice");
    for l in links {
        assert_eq!(
            l.links,
            [(l.run_id.clone(), "create".to_string())],
            "episode {}: exactly one WRITTEN_BY link, by the run that wrote it",
            l.entity_id
        );
        if let Some(w) = writer(&l.entity_id) {
            assert_eq!(l.run_id, w, "episode {}", l.entity_id);
        }
    }
}

/// Direct reads of the target, outside the binary: the lock, the revision,
/// the episodes, and (in the store's own query language) the links.
struct Probe {
    rt: tokio::runtime::Runtime,
    store: AnyStore,
    graph: Option<neo4rs::Graph>,
    sqlite: Option<PathBuf>,
}

impl Probe {
    fn new(uri: &str) -> Probe {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let target = Target::parse(uri, None, None, None).unwrap();
        let store = rt
            .block_on(any::open(&target, Duration::from_secs(60)))
            .unwrap_or_else(|e| panic!("open {uri}: {e}"));
        let (graph, sqlite) = match uri.strip_prefix("sqlite:") {
            Some(path) => (None, Some(PathBuf::from(path))),
            None => (Some(rt.block_on(neo4j::graph(uri))), None),
        };
        Probe {
            rt,
            store,
            graph,
            sqlite,
        }
    }

    fn revision(&self, group: &str) -> u64 {
        self.rt.block_on(self.store.group_revision(group)).unwrap()
    }

    fn lock(&self, group: &str) -> Option<LockInfo> {
        self.rt.block_on(self.store.read_lock(group)).unwrap()
    }

    fn episodes(&self, group: &str) -> Vec<EpisodeRecord> {
        let filter = EpisodeFilter {
            group_id: Some(group.to_string()),
            ..Default::default()
        };
        self.rt
            .block_on(self.store.query_episodes(&filter))
            .unwrap()
    }

    /// Sorted (entity_id, content_hash, version, created_at, updated_at,
    /// source_hash, source_path).
    fn facts(&self, group: &str) -> Vec<Fact> {
        let mut v: Vec<Fact> = self
            .episodes(group)
            .into_iter()
            .map(|e| {
                (
                    e.entity_id,
                    e.content_hash,
                    e.version.to_string(),
                    format_time(&e.created_at),
                    format_time(&e.updated_at),
                    e.source_hash,
                    e.source_path,
                )
            })
            .collect();
        v.sort();
        v
    }

    /// Every episode node (not de-duplicated by key) with its links.
    fn links(&self, group: &str) -> Vec<Links> {
        if let Some(graph) = &self.graph {
            return self.rt.block_on(async {
                let q = neo4rs::query(
                    "MATCH (e:Episode {group_id: $group}) \
                     OPTIONAL MATCH (e)-[l:WRITTEN_BY]->(r:SeedRun) \
                     RETURN e.entity_id AS entity_id, e.run_id AS run_id, \
                            collect(CASE WHEN r IS NULL THEN null ELSE [r.run_id, l.action] END) AS links",
                )
                .param("group", group);
                let mut rows = graph.execute(q).await.unwrap();
                let mut out = Vec::new();
                while let Some(row) = rows.next().await.unwrap() {
                    let links: Vec<Vec<String>> = row.get("links").unwrap();
                    out.push(Links {
                        entity_id: row.get("entity_id").unwrap(),
                        run_id: row.get("run_id").unwrap(),
                        links: sorted_links(links),
                    });
                }
                out
            });
        }
        let path = self.sqlite.as_ref().unwrap();
        let conn =
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT e.entity_id, e.run_id, h.run_id, h.action FROM episodes e \
                 LEFT JOIN episode_history h ON h.group_id = e.group_id AND h.entity_id = e.entity_id \
                 WHERE e.group_id = ?1 ORDER BY e.entity_id",
            )
            .unwrap();
        let mut by_id: BTreeMap<String, Links> = BTreeMap::new();
        let rows = stmt
            .query_map([group], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .unwrap();
        for row in rows {
            let (entity_id, run_id, link_run, action) = row.unwrap();
            let e = by_id.entry(entity_id.clone()).or_insert_with(|| Links {
                entity_id,
                run_id,
                links: vec![],
            });
            if let (Some(r), Some(a)) = (link_run, action) {
                e.links.push((r, a));
            }
        }
        by_id.into_values().collect()
    }
}

fn sorted_links(links: Vec<Vec<String>>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = links
        .into_iter()
        .map(|l| (l[0].clone(), l[1].clone()))
        .collect();
    v.sort();
    v
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Neo4j of its own for the restart test, from the same launcher as the
/// shared one, on a fixed port and a kept data dir so that a restart finds
/// the same database at the same address. Its stdin pipe is held (not
/// `--ignore-stdin`): if this test process dies, the kernel closes the pipe
/// and the server stops, so a failed test cannot leak a JVM. Stopped with
/// SIGTERM (the launcher's clean shutdown).
struct DedicatedNeo4j {
    child: Child,
    _stdin: ChildStdin,
    uri: String,
}

impl DedicatedNeo4j {
    fn start(data: &Path, port: u16) -> DedicatedNeo4j {
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("neo4j-restart-{port}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut child = Command::new("bash")
            .arg(neo4j::launcher_script())
            .args(["--port", &port.to_string(), "--data-dir"])
            .arg(data)
            .args(["--pagecache-mb", "128"])
            .env("NEO4J_TEST_HEAP", "1g")
            // C1 only: starts in ~17 s instead of ~28 s on two cores, and
            // this server lives for a few thousand small transactions.
            .env("NEO4J_TEST_JAVA_OPTS", "-XX:TieredStopAtLevel=1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the Neo4j launcher");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("GRAPHSEED_NEO4J_READY ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
            }
        });
        let uri = rx
            .recv_timeout(Duration::from_secs(240))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("the dedicated Neo4j on port {port} did not start (see target/tmp/neo4j-restart-{port}.log)")
            });
        assert_eq!(uri, format!("bolt://127.0.0.1:{port}"));
        DedicatedNeo4j {
            child,
            _stdin: stdin,
            uri,
        }
    }

    /// SIGTERM and wait (SIGKILL after a minute).
    fn stop(&mut self) {
        if self.child.try_wait().unwrap().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if start.elapsed() > Duration::from_secs(60) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DedicatedNeo4j {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// The first connection that has carried more than `threshold` bytes
    /// upstream is cut there, while the client is still sending.
    MidUpload { threshold: u64 },
    /// On the first connection past `threshold`, the next COMMIT is let
    /// through, the server's answer swallowed, and the connection cut.
    AfterCommit { threshold: u64 },
    /// The `nth` request whose bytes contain `marker`: Neo4j "goes away".
    /// Every open connection is cut before that request reaches the server,
    /// and new connections are refused (accepted and closed at once) for
    /// `down`.
    Outage {
        marker: &'static str,
        nth: usize,
        down: Duration,
    },
}

/// A Bolt COMMIT message as the driver sends it: one chunk of two bytes
/// (tiny struct marker 0xB0, signature 0x12) and the end marker.
const BOLT_COMMIT: [u8; 6] = [0x00, 0x02, 0xB0, 0x12, 0x00, 0x00];

/// A loopback TCP proxy in front of the real Neo4j that fails exactly once,
/// as its [`Cut`] says. The accept loop lives until the test process exits.
struct CuttingProxy {
    addr: SocketAddr,
    shared: Arc<ProxyState>,
}

struct ProxyState {
    mode: Cut,
    /// Whether the one failure has happened.
    fired: AtomicBool,
    /// Requests seen so far that carry the outage marker.
    seen: Mutex<usize>,
    down_until: Mutex<Option<Instant>>,
    conns: Mutex<Vec<Arc<Conn>>>,
}

impl CuttingProxy {
    fn start(upstream: SocketAddr, mode: Cut) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(ProxyState {
            mode,
            fired: AtomicBool::new(false),
            seen: Mutex::new(0),
            down_until: Mutex::new(None),
            conns: Mutex::new(Vec::new()),
        });
        let state = Arc::clone(&shared);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if state.is_down() {
                    drop(client); // refused: the handshake reads EOF
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                // As the driver and the server do: without it, Nagle's
                // algorithm stalls every small request behind a delayed ACK.
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let conn = Arc::new(Conn {
                    client: client.try_clone().unwrap(),
                    server: server.try_clone().unwrap(),
                    swallow: AtomicBool::new(false),
                });
                state.conns.lock().unwrap().push(Arc::clone(&conn));
                let up = (Arc::clone(&state), Arc::clone(&conn));
                thread::spawn(move || up.0.upstream(&up.1, client, server));
            }
        });
        CuttingProxy { addr, shared }
    }

    fn fired(&self) -> bool {
        self.shared.fired.load(Ordering::SeqCst)
    }
}

impl ProxyState {
    fn is_down(&self) -> bool {
        self.down_until
            .lock()
            .unwrap()
            .is_some_and(|t| Instant::now() < t)
    }

    /// Client to server, where every failure is decided. Also starts the
    /// server-to-client half.
    fn upstream(&self, conn: &Arc<Conn>, mut from: TcpStream, mut to: TcpStream) {
        {
            let conn = Arc::clone(conn);
            let (mut down_from, mut down_to) = (to.try_clone().unwrap(), from.try_clone().unwrap());
            thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match down_from.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if conn.swallow.load(Ordering::SeqCst) {
                        // The server answered the COMMIT, so it committed;
                        // the client never hears of it.
                        break;
                    }
                    if down_to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                conn.cut();
            });
        }
        let mut buf = vec![0u8; 256 * 1024];
        let mut sent: u64 = 0;
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            sent += n as u64;
            let chunk = &buf[..n];
            match self.mode {
                Cut::MidUpload { threshold } if sent > threshold && self.fire() => break,
                Cut::AfterCommit { threshold }
                    if sent > threshold && chunk.ends_with(&BOLT_COMMIT) && self.fire() =>
                {
                    // Armed before the COMMIT leaves, so its answer is the
                    // next thing to come back.
                    conn.swallow.store(true, Ordering::SeqCst);
                }
                Cut::Outage { marker, nth, down } if contains(chunk, marker.as_bytes()) => {
                    let mut seen = self.seen.lock().unwrap();
                    *seen += 1;
                    if *seen == nth && self.fire() {
                        *self.down_until.lock().unwrap() = Some(Instant::now() + down);
                        for c in self.conns.lock().unwrap().iter() {
                            c.cut();
                        }
                        break;
                    }
                }
                _ => {}
            }
            if to.write_all(chunk).is_err() {
                break;
            }
        }
        conn.cut();
    }

    /// True once: the failure is this one.
    fn fire(&self) -> bool {
        !self.fired.swap(true, Ordering::SeqCst)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Both sockets of one proxied connection.
struct Conn {
    client: TcpStream,
    server: TcpStream,
    /// Drop the next answer from the server and cut (after a COMMIT).
    swallow: AtomicBool,
}

impl Conn {
    /// Drop the connection on both sides at once: what a network failure or
    /// a dying server looks like to each end. Also how one side's close is
    /// passed on to the other.
    fn cut(&self) {
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }
}
