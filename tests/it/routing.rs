//! Clusters and Aura, against the scripted Bolt stub (`support::bolt_stub`):
//! what a single real Neo4j cannot stage. A follower that refuses writes, a
//! leader that moves between connections, and the HELLO each scheme sends.
//! (The store contract and seeding scenarios run over `neo4j://` against the
//! real test Neo4j in their own modules.)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use graphseed::applying::retry::{self, RetryPolicy};
use graphseed::cypher;
use graphseed::metadata::EpisodeRecord;
use graphseed::stores::neo4j::{self as neo4j_store, Neo4jOptions, Neo4jStore};
use graphseed::stores::{
    Action, Batch, EpisodeWrite, RunKind, RunRecord, RunStatus, Store, Target,
};
use graphseed::version::SeedVersion;

use crate::support::bolt_stub::{Reply, Run, Stub, Value, strings};
use crate::support::workspace::Ws;

/// Whether a statement writes, the way a follower decides it: by what it
/// does, not by the transaction it is in. Comment lines are not statements.
fn writes(query: &str) -> bool {
    query
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .any(|l| {
            ["MERGE", "CREATE", "SET ", "DELETE", "REMOVE"]
                .iter()
                .any(|w| l.contains(w))
        })
}

/// The answers graphseed's reads expect from an initialised, empty
/// database: `RETURN 1`, the five constraints `init` creates, and no rows
/// for everything else.
fn read(run: &Run) -> Reply {
    if run.query == cypher::PING {
        return Reply::single("one", Value::Int(1));
    }
    if run.query == cypher::SCHEMA_CONSTRAINTS_SHOW {
        let row = |name: &str, label: &str, props: &[&str]| {
            vec![
                Value::from(name),
                Value::from("UNIQUENESS"),
                Value::from("NODE"),
                strings(&[label]),
                strings(props),
            ]
        };
        return Reply::Rows {
            fields: ["name", "type", "entityType", "labelsOrTypes", "properties"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                row("k1", "Episode", &["group_id", "entity_id"]),
                row("k2", "SeedRun", &["run_id"]),
                row("k3", "SeedGroup", &["group_id"]),
                row("k4", "SeedLock", &["group_id"]),
                row("k5", "Community", &["group_id", "entity_id"]),
            ],
        };
    }
    Reply::empty()
}

/// A cluster follower reached without routing: reads work, writes are
/// refused.
fn follower(run: &Run) -> Reply {
    if writes(&run.query) {
        Reply::not_a_leader()
    } else {
        read(run)
    }
}

/// A leader's answer to graphseed's batch statements: the upsert reports
/// how many episodes it wrote, the rest return nothing.
fn leader(run: &Run) -> Reply {
    if run.query == cypher::EPISODE_UPSERT_BATCH {
        let n = run
            .param("writes")
            .and_then(Value::as_list)
            .map_or(0, <[Value]>::len);
        return Reply::single("written", Value::Int(n as i64));
    }
    read(run)
}

async fn connect(uri: &str) -> Neo4jStore {
    let target = Target::parse(uri, None, None, None).unwrap();
    let opts = Neo4jOptions {
        connection_timeout: Duration::from_secs(10),
        ..Neo4jOptions::default()
    };
    neo4j_store::connect(&target, &opts)
        .await
        .unwrap_or_else(|e| panic!("connect to the stub at {uri}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_scheme_asks_the_server_to_route_and_bolt_does_not() {
    let stub = Stub::start(read);
    connect(&stub.uri("neo4j")).await;
    connect(&stub.uri("bolt")).await;
    let log = stub.log();
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    assert_eq!(log.hellos.len(), 2, "{:?}", log.hellos);

    let address = log.hellos[0]
        .get("routing")
        .and_then(|r| r.get("address"))
        .and_then(Value::as_str);
    assert_eq!(
        address,
        Some(format!("127.0.0.1:{}", stub.port).as_str()),
        "neo4j:// HELLO: {:?}",
        log.hellos[0]
    );
    // bolt:// carries no routing context at all (absent, or null).
    let routing = log.hellos[1].get("routing");
    assert!(
        matches!(routing, None | Some(Value::Null)),
        "bolt:// HELLO: {:?}",
        log.hellos[1]
    );
}

#[test]
fn a_follower_refusing_writes_fails_fast_with_exit_9_and_the_routing_hint() {
    let stub = Stub::start(follower);
    let ws = Ws::on_uri(&stub.uri("bolt"), "follower");
    ws.write("notes/a.md", "# A\n");

    let started = Instant::now();
    let (code, json, stderr) = ws.seed(&[]);
    let took = started.elapsed();
    eprintln!("seed against a follower: exit {code} after {took:.1?}");

    assert_eq!(code, 9, "{json:#}\n{stderr}");
    let hint = json["hint"].as_str().unwrap_or_default();
    for needle in ["neo4j://", "dbms.routing.enabled=true", "leader"] {
        assert!(hint.contains(needle), "hint lacks {needle:?}: {json:#}");
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
    assert!(
        json["error"]
            .as_str()
            .is_some_and(|e| e.contains("NotALeader")),
        "{json:#}"
    );

    let log = stub.log();
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    let refused = log.runs.iter().filter(|r| writes(&r.query)).count();
    // The first write (taking the group's lock), then five retries: bounded,
    // not the 120 s transient budget.
    assert_eq!(refused, 6, "{:#?}", log.runs);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    // Each retry started on a new connection (a load balancer could have
    // put it on the leader).
    let connections: std::collections::BTreeSet<usize> = log
        .runs
        .iter()
        .filter(|r| writes(&r.query))
        .map(|r| r.connection)
        .collect();
    assert_eq!(connections.len(), 6, "{connections:?}");
    // Nothing was written anywhere.
    assert!(
        log.committed.iter().all(|r| !writes(&r.query)),
        "{:#?}",
        log.committed
    );
}

#[test]
fn init_on_a_follower_fails_fast_with_exit_9_too() {
    let stub = Stub::start(follower);
    let ws = Ws::on_uri(&stub.uri("bolt"), "follower_init");
    let started = Instant::now();
    let out = ws.run(&["init", "--json"]);
    let took = started.elapsed();
    eprintln!(
        "init against a follower: exit {:?} after {took:.1?}",
        out.status.code()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(9), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON error report");
    let hint = json["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("neo4j://"), "{json:#}");
    // Schema statements are not left to the driver, which would retry the
    // auto-commit query for a minute: the first statement, five retries.
    let log = stub.log();
    let refused = log.runs.iter().filter(|r| writes(&r.query)).count();
    assert_eq!(refused, 6, "{:#?}", log.runs);
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn run_record() -> RunRecord {
    RunRecord {
        run_id: "0190d6a4-0000-7000-8000-000000000001".into(),
        group_id: "moving_leader".into(),
        kind: RunKind::Seed,
        status: RunStatus::Running,
        started_at: t0(),
        finished_at: None,
        tool_version: "0.1.0".into(),
        seed_version: "1.0.0".into(),
        params_hash: "0".repeat(64),
        params_json: "{}".into(),
        graph_signature: None,
        sources_signature: None,
        git_commit: None,
        git_branch: None,
        git_dirty: None,
        hostname: "test".into(),
        os: "linux".into(),
        counts: BTreeMap::new(),
    }
}

fn batch_of(ids: &[String]) -> Batch {
    let writes = ids
        .iter()
        .map(|id| EpisodeWrite {
            record: EpisodeRecord {
                group_id: "moving_leader".into(),
                entity_id: id.clone(),
                name: id.clone(),
                source: "project_seeding".into(),
                version: SeedVersion::parse("1.0.0").unwrap(),
                created_at: t0(),
                updated_at: t0(),
                source_hash: None,
                content_hash: "0".repeat(64),
                source_path: None,
                run_id: "0190d6a4-0000-7000-8000-000000000001".into(),
                body: "{}".into(),
            },
            action: Action::Create,
        })
        .collect();
    Batch::of_episodes(writes, Vec::new())
}

/// The entity_ids of every committed upsert, in commit order.
fn committed_ids(stub: &Stub) -> Vec<String> {
    stub.log()
        .committed
        .iter()
        .filter(|r| r.query == cypher::EPISODE_UPSERT_BATCH)
        .flat_map(|r| {
            r.param("writes")
                .and_then(Value::as_list)
                .unwrap_or(&[])
                .to_vec()
        })
        .map(|w| {
            w.get("entity_id")
                .and_then(Value::as_str)
                .expect("entity_id in a write")
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_moves_between_connections_gets_every_batch_exactly_once() {
    // Connection 1 is a follower. From connection 2 on, each connection is
    // the leader until it has taken two batch upserts; then leadership moves
    // on, in the middle of that connection's third batch transaction (its
    // upsert is refused), so that batch must be redone on the next one.
    let leader_from = Arc::new(AtomicUsize::new(2));
    let upserts_by_leader = Arc::new(AtomicUsize::new(0));
    let stub = Stub::start({
        let leader_from = Arc::clone(&leader_from);
        let upserts = Arc::clone(&upserts_by_leader);
        move |run: &Run| {
            if !writes(&run.query) {
                return read(run);
            }
            if run.connection < leader_from.load(Ordering::SeqCst) {
                return Reply::not_a_leader();
            }
            if run.query == cypher::EPISODE_UPSERT_BATCH
                && upserts.fetch_add(1, Ordering::SeqCst) == 2
            {
                upserts.store(0, Ordering::SeqCst);
                leader_from.store(run.connection + 1, Ordering::SeqCst);
                return Reply::not_a_leader();
            }
            leader(run)
        }
    });
    let store = connect(&stub.uri("bolt")).await;
    let run = run_record();
    let policy = RetryPolicy {
        first_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    };

    let ids: Vec<String> = (0..12).map(|i| format!("e{i:02}")).collect();
    let mut retries = 0;
    for chunk in ids.chunks(2) {
        let batch = batch_of(chunk);
        retry::retry(
            policy,
            || store.apply_batch(&run, &batch),
            |_, _| retries += 1,
        )
        .await
        .unwrap_or_else(|e| panic!("batch {chunk:?}: {e}"));
    }

    let log = stub.log();
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    drop(log);
    assert_eq!(committed_ids(&stub), ids, "every batch once, in order");
    // The leader moved three times after the follower: 1 -> 2 -> 3 -> 4 -> ...
    assert!(retries >= 3, "{retries} retries");
    let connections = stub.log().connections;
    assert!(connections >= 4, "{connections} connections");
}

/// neo4rs opens its connections with Nagle's algorithm on; with it, every
/// batch waited on delayed ACKs (bench/results/profile.md, "Nagle"). The
/// store turns it off on each connection it uses, for reads and writes.
/// The stub's port is this test's alone, so the sockets counted are only
/// the ones made here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_turns_nagle_off_on_its_connections() {
    // The driver alone: Nagle on. If a neo4rs release sets TCP_NODELAY
    // itself, this fails and src/stores/neo4j/nodelay.rs can go.
    let plain = Stub::start(read);
    let config = neo4rs::ConfigBuilder::default()
        .uri(plain.uri("bolt"))
        .user("neo4j")
        .password("")
        .build()
        .unwrap();
    let graph = neo4rs::Graph::connect(config).unwrap();
    let mut rows = graph.execute(neo4rs::query(cypher::PING)).await.unwrap();
    while rows.next().await.unwrap().is_some() {}
    assert_eq!(
        neo4j_store::connections_to_port_have_nodelay(plain.port),
        Some(false)
    );

    let stub = Stub::start(leader);
    let store = connect(&stub.uri("bolt")).await;
    let run = run_record();
    store
        .apply_batch(&run, &batch_of(&["a".to_string(), "b".to_string()]))
        .await
        .unwrap();
    use graphseed::stores::Episodes;
    store.load_episodes("moving_leader").await.unwrap();
    assert_eq!(
        neo4j_store::connections_to_port_have_nodelay(stub.port),
        Some(true)
    );
    assert!(stub.log().errors.is_empty(), "{:?}", stub.log().errors);
    drop(graph);
}
