//! What the store contract (tests/it/store_contract.rs) cannot test: opening
//! a file, schema versions, rollback inside SQLite, busy timeouts, two handles
//! on one file, corrupt values, migrating an older file.

use std::collections::BTreeMap;

use chrono::Duration as Span;

use super::schema::TABLES;
use super::*;
use crate::metadata::{EpisodeRecord, truncate_micros};
use crate::stores::prelude::*;
use crate::stores::{Action, EpisodeFilter, EpisodeWrite, RunKind, RunStatus};
use crate::version::SeedVersion;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn v(s: &str) -> SeedVersion {
    SeedVersion::parse(s).unwrap()
}

async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("graph.db")).unwrap();
    store.init().await.unwrap();
    (dir, store)
}

/// A runtime of its own, for a thread that plays a separate process.
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// An initialised database file that several handles will open.
fn initialised_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.db");
    rt().block_on(async { SqliteStore::open(&path).unwrap().init().await.unwrap() });
    (dir, path)
}

fn run(run_id: &str, group: &str, started: &str) -> RunRecord {
    RunRecord {
        run_id: run_id.to_string(),
        group_id: group.to_string(),
        kind: RunKind::Seed,
        status: RunStatus::Running,
        started_at: t(started),
        finished_at: None,
        tool_version: "0.1.0".to_string(),
        seed_version: "1.0.0".to_string(),
        params_hash: "ab".repeat(32),
        params_json: r#"{"force":false}"#.to_string(),
        graph_signature: None,
        sources_signature: Some("cd".repeat(32)),
        git_commit: None,
        git_branch: None,
        git_dirty: None,
        hostname: "host-a".to_string(),
        os: "linux".to_string(),
        counts: BTreeMap::new(),
    }
}

fn record(group: &str, entity: &str, run_id: &str, at: &str) -> EpisodeRecord {
    EpisodeRecord {
        group_id: group.to_string(),
        entity_id: entity.to_string(),
        name: format!("Name of {entity}"),
        source: "project_seeding".to_string(),
        version: v("1.0.0"),
        created_at: t(at),
        updated_at: t(at),
        source_hash: Some("a".repeat(64)),
        content_hash: "c".repeat(64),
        source_path: Some(format!("docs/{entity}.md")),
        run_id: run_id.to_string(),
        body: format!(r#"{{"name":"{entity}"}}"#),
    }
}

fn writes(action: Action, records: &[EpisodeRecord]) -> Batch {
    Batch::of_episodes(
        records
            .iter()
            .map(|r| EpisodeWrite {
                action,
                record: r.clone(),
            })
            .collect(),
        vec![],
    )
}

fn claim(group: &str, run_id: &str, owner: &str, at: &str, ttl_secs: i64) -> LockInfo {
    LockInfo {
        group_id: group.to_string(),
        owner: owner.to_string(),
        host: format!("{owner}-host"),
        run_id: run_id.to_string(),
        acquired_at: t(at),
        expires_at: t(at) + Span::seconds(ttl_secs),
    }
}

fn all(group: &str) -> EpisodeFilter {
    EpisodeFilter {
        group_id: Some(group.to_string()),
        ..EpisodeFilter::default()
    }
}

#[tokio::test]
async fn open_creates_parent_directories_and_describes_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/.graphseed/graph.db");
    let store = SqliteStore::open(&path).unwrap();
    assert!(path.exists());
    assert_eq!(store.describe(), format!("sqlite:{}", path.display()));
    let conn = store.conn();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
}

#[tokio::test]
async fn open_failure_is_unreachable_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be.
    let path = dir.path().join("graph.db");
    std::fs::create_dir(&path).unwrap();
    let err = SqliteStore::open(&path)
        .err()
        .expect("opening a directory fails");
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("graph.db"), "{err}");
}

#[tokio::test]
async fn check_schema_names_what_is_missing_until_init() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("graph.db")).unwrap();
    let err = store.check_schema().await.unwrap_err();
    let StoreError::SchemaMissing { missing, .. } = &err else {
        panic!("{err:?}")
    };
    for table in TABLES {
        assert!(missing.contains(table), "{missing}");
    }
    assert!(missing.contains("graphseed init"), "{missing}");
    // Reading before init says the same, not a raw SQL error.
    let err = store.load_episodes("g").await.unwrap_err();
    assert!(matches!(err, StoreError::SchemaMissing { .. }), "{err:?}");

    store.init().await.unwrap();
    store.init().await.unwrap(); // idempotent
    store.check_schema().await.unwrap();

    // A dropped index is noticed too.
    store
        .conn()
        .execute_batch("DROP INDEX episodes_group_run")
        .unwrap();
    let err = store.check_schema().await.unwrap_err();
    assert!(err.to_string().contains("episodes_group_run"), "{err}");
    store.init().await.unwrap();
    store.check_schema().await.unwrap();

    // A file from a newer graphseed is refused, not "repaired".
    store
        .conn()
        .execute_batch("UPDATE schema_version SET version = 99")
        .unwrap();
    let err = store.check_schema().await.unwrap_err();
    assert!(err.to_string().contains("newer graphseed"), "{err}");
    assert!(store.init().await.is_err());
}

#[tokio::test]
async fn a_failed_batch_leaves_nothing_behind() {
    let (_dir, store) = fresh().await;
    let r1 = run("run-1", "g", "2024-01-01T00:00:00Z");
    // A trigger makes the second insert fail, after the first succeeded.
    store
        .conn()
        .execute_batch(
            "CREATE TRIGGER boom BEFORE INSERT ON episodes WHEN NEW.entity_id = 'docs_b'
             BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        )
        .unwrap();
    let batch = writes(
        Action::Create,
        &[
            record("g", "docs_a", "run-1", "2024-01-01T00:00:00Z"),
            record("g", "docs_b", "run-1", "2024-01-01T00:00:00Z"),
        ],
    );
    let err = store.apply_batch(&r1, &batch).await.unwrap_err();
    assert!(matches!(err, StoreError::Query { .. }), "{err:?}");
    assert!(store.query_episodes(&all("g")).await.unwrap().is_empty());
    assert!(
        store
            .episode_history("g", "docs_a")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.list_runs(None).await.unwrap().is_empty());
    assert_eq!(store.group_revision("g").await.unwrap(), 0);
    // The connection is usable afterwards.
    store.conn().execute_batch("DROP TRIGGER boom").unwrap();
    store.apply_batch(&r1, &batch).await.unwrap();
    assert_eq!(store.query_episodes(&all("g")).await.unwrap().len(), 2);
}

#[tokio::test]
async fn two_handles_on_one_file_contend_for_the_lock() {
    let (dir, first) = fresh().await;
    let second = SqliteStore::open(&dir.path().join("graph.db")).unwrap();
    second.check_schema().await.unwrap();
    let now = Utc::now();
    let mk = |run_id: &str, owner: &str| LockInfo {
        group_id: "g".into(),
        owner: owner.into(),
        host: "h".into(),
        run_id: run_id.into(),
        acquired_at: truncate_micros(now),
        expires_at: truncate_micros(now + Span::minutes(5)),
    };
    let a = mk("run-a", "alice");
    let b = mk("run-b", "bob");
    assert_eq!(
        first.acquire_lock(&a, false).await.unwrap(),
        LockOutcome::Acquired
    );
    assert_eq!(
        second.acquire_lock(&b, false).await.unwrap(),
        LockOutcome::Held(a.clone())
    );
    assert_eq!(second.read_lock("g").await.unwrap(), Some(a.clone()));
    first.release_lock("g", "run-a").await.unwrap();
    assert_eq!(
        second.acquire_lock(&b, false).await.unwrap(),
        LockOutcome::Acquired
    );
    assert_eq!(
        first.acquire_lock(&a, false).await.unwrap(),
        LockOutcome::Held(b)
    );
}

#[test]
fn racing_claimants_never_both_win() {
    // Several "processes" (threads with their own handle and runtime)
    // claim the same free lock at once: exactly one gets it.
    let (_dir, path) = initialised_file();
    let now = truncate_micros(Utc::now());
    let winners: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let path = &path;
                s.spawn(move || {
                    rt().block_on(async {
                        let store = SqliteStore::open(path).unwrap();
                        let claim = LockInfo {
                            group_id: "g".into(),
                            owner: format!("p{i}"),
                            host: "h".into(),
                            run_id: format!("run-{i}"),
                            acquired_at: now,
                            expires_at: now + Span::minutes(5),
                        };
                        store.acquire_lock(&claim, false).await.unwrap() == LockOutcome::Acquired
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum()
    });
    assert_eq!(winners, 1);
}

#[test]
fn concurrent_writers_on_one_file_wait_instead_of_failing() {
    let (_dir, path) = initialised_file();
    std::thread::scope(|s| {
        for w in 0..3 {
            let path = &path;
            s.spawn(move || {
                rt().block_on(async {
                    let store = SqliteStore::open(path).unwrap();
                    let r = run(&format!("run-{w}"), "g", "2024-01-01T00:00:00Z");
                    for b in 0..10 {
                        let recs: Vec<_> = (0..50)
                            .map(|i| {
                                record(
                                    "g",
                                    &format!("w{w}_{b}_{i}"),
                                    &r.run_id,
                                    "2024-01-01T00:00:00Z",
                                )
                            })
                            .collect();
                        store
                            .apply_batch(&r, &writes(Action::Create, &recs))
                            .await
                            .unwrap();
                    }
                })
            });
        }
    });
    rt().block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.group_revision("g").await.unwrap(), 30);
        assert_eq!(store.load_episodes("g").await.unwrap().len(), 1500);
    });
}

#[tokio::test]
async fn a_writer_blocked_past_the_busy_timeout_gets_a_transient_error() {
    let (dir, _store) = fresh().await;
    let path = dir.path().join("graph.db");
    let impatient = SqliteStore::open_with_busy_timeout(&path, Duration::from_millis(50)).unwrap();
    // Another "process" holds the write lock.
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let r = run("run-1", "g", "2024-01-01T00:00:00Z");
    let batch = writes(
        Action::Create,
        &[record("g", "e", "run-1", "2024-01-01T00:00:00Z")],
    );
    let err = impatient.apply_batch(&r, &batch).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    let claim = claim("g", "run-1", "me", "2024-01-01T00:00:00Z", 60);
    assert!(
        impatient
            .acquire_lock(&claim, false)
            .await
            .unwrap_err()
            .is_transient()
    );
    // Readers are not blocked by a writer (WAL).
    assert!(impatient.load_episodes("g").await.unwrap().is_empty());
    other.execute_batch("ROLLBACK").unwrap();
    impatient.apply_batch(&r, &batch).await.unwrap();
}

#[tokio::test]
async fn unreadable_stored_values_are_corrupt() {
    let (_dir, store) = fresh().await;
    let r = run("run-1", "g", "2024-01-01T00:00:00Z");
    store
        .apply_batch(
            &r,
            &writes(
                Action::Create,
                &[record("g", "e", "run-1", "2024-01-01T00:00:00Z")],
            ),
        )
        .await
        .unwrap();
    // A hand-edited, non-semver version is still loaded for planning (the
    // planner reports it) but cannot become an EpisodeRecord.
    store
        .conn()
        .execute_batch("UPDATE episodes SET version = 'one'")
        .unwrap();
    assert_eq!(
        &**store.load_episodes("g").await.unwrap().get(0).version(),
        "one"
    );
    let err = store.query_episodes(&all("g")).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("g/e"), "{err}");

    store
        .conn()
        .execute_batch("UPDATE episodes SET updated_at = 'yesterday'")
        .unwrap();
    let err = store.load_episodes("g").await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("updated_at"), "{err}");

    // A value of the wrong SQL type (rusqlite's conversion error).
    store
        .conn()
        .execute_batch("UPDATE runs SET git_dirty = 'maybe'")
        .unwrap();
    let err = store.get_run("run-1").await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");

    store
        .conn()
        .execute_batch("UPDATE runs SET git_dirty = NULL, counts = 'nope'")
        .unwrap();
    let err = store.get_run("run-1").await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");

    store
        .conn()
        .execute_batch("UPDATE episode_history SET action = 'explode'")
        .unwrap();
    let err = store.episode_history("g", "e").await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

/// The plan SQLite picks for `statement`, one detail line per step.
fn query_plan(conn: &Connection, statement: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {statement}"))
        .unwrap();
    // Unbound parameters are NULL; the plan does not depend on their values.
    let mut rows = stmt.raw_query();
    let mut plan = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        plan.push(row.get(3).unwrap());
    }
    plan
}

/// Statements a reseed runs once per page or once per episode must seek
/// their index on every key they are given. A plan that narrows by
/// `group_id` alone reads the whole group on each call: the hand-edit pages
/// did (an `?2 IS NULL OR` the planner cannot use), which made a no-op
/// reseed at 1M episodes 4x slower than linear; so did the links of each
/// pruned episode (`source_id = ?2 OR target_id = ?2`).
#[test]
fn per_page_and_per_episode_statements_seek_every_key() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(sql::SCHEMA).unwrap();
    let table: &[(&str, &str, &str)] = &[
        (
            "episode_raw_page",
            sql::EPISODE_RAW_PAGE,
            "sqlite_autoindex_episodes_1 (group_id=? AND entity_id>?)",
        ),
        (
            "episode_prune_read",
            sql::EPISODE_PRUNE_READ,
            "sqlite_autoindex_episodes_1 (group_id=? AND entity_id=?)",
        ),
        (
            "episode_delete",
            sql::EPISODE_DELETE,
            "sqlite_autoindex_episodes_1 (group_id=? AND entity_id=?)",
        ),
        (
            "links_delete_source",
            sql::LINKS_DELETE_SOURCE,
            "sqlite_autoindex_links_1 (group_id=? AND source_id=?)",
        ),
        (
            "links_delete_target",
            sql::LINKS_DELETE_TARGET,
            "links_group_target (group_id=? AND target_id=?)",
        ),
        (
            "links_dangling_delete",
            sql::LINKS_DANGLING_DELETE,
            "sqlite_autoindex_links_dangling_1 (group_id=? AND source_id=?)",
        ),
        (
            "link_names_delete",
            sql::LINK_NAMES_DELETE,
            "sqlite_autoindex_link_names_1 (group_id=? AND entity_id=?)",
        ),
    ];
    for (name, statement, seeks) in table {
        let plan = query_plan(&conn, statement);
        assert!(
            plan.len() == 1 && plan[0].ends_with(seeks),
            "{name}: plan {plan:?}, expected one step seeking {seeks}"
        );
    }
    // The pages of a group come in key order straight off the index: no
    // sort of the group per page.
    for (name, statement) in [
        ("episode_raw_page_first", sql::EPISODE_RAW_PAGE_FIRST),
        ("episode_raw_page", sql::EPISODE_RAW_PAGE),
        ("episode_load_group", sql::EPISODE_LOAD_GROUP),
    ] {
        let plan = query_plan(&conn, statement);
        assert!(
            plan.iter().all(|step| !step.contains("TEMP B-TREE")),
            "{name} sorts: {plan:?}"
        );
    }
}

/// `graphseed provenance` and `graphseed links` must cost their answer, not
/// the group: the entity and the run each seek their own index (an `?x IS
/// NULL OR` filter cannot, and for `--run` the planner preferred walking the
/// primary key to spare the sort), the group's scan comes in key order so a
/// LIMIT stops it, and an episode's links are two seeks, incoming ones
/// included.
#[test]
fn provenance_statements_seek_the_entity_the_run_and_the_links() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(sql::SCHEMA).unwrap();
    let table: &[(&str, &str, &[&str])] = &[
        (
            "episode_query_entity",
            sql::EPISODE_QUERY_ENTITY,
            &["sqlite_autoindex_episodes_1 (group_id=? AND entity_id=?)"],
        ),
        (
            "episode_query_run",
            sql::EPISODE_QUERY_RUN,
            &["episodes_group_run (group_id=? AND run_id=?)"],
        ),
        (
            "links_of_episode",
            sql::LINKS_OF_EPISODE,
            &[
                "sqlite_autoindex_links_1 (group_id=? AND source_id=?)",
                "links_group_target (group_id=? AND target_id=?)",
            ],
        ),
    ];
    for (name, statement, seeks) in table {
        let plan = query_plan(&conn, statement);
        let scans: Vec<&String> = plan
            .iter()
            .filter(|s| s.starts_with("SEARCH") || s.starts_with("SCAN"))
            .collect();
        assert!(
            scans.len() == seeks.len()
                && scans.iter().zip(seeks.iter()).all(|(s, k)| s.ends_with(k)),
            "{name}: plan {plan:?}, expected seeks {seeks:?}"
        );
    }
    let plan = query_plan(&conn, sql::EPISODE_QUERY_GROUP);
    assert!(
        plan.iter().all(|step| !step.contains("TEMP B-TREE")),
        "episode_query_group sorts the group: {plan:?}"
    );
}

/// `cargo test --release --lib stores::sqlite::tests::bench -- --ignored --nocapture`
#[tokio::test]
#[ignore = "timing, not a check: run by hand"]
async fn bench_apply_100k_in_batches_of_1000() {
    let (_dir, store) = fresh().await;
    let r = run("run-bench", "g", "2024-01-01T00:00:00Z");
    let body = format!(r#"{{"text":"{}"}}"#, "lorem ipsum ".repeat(40));
    let records: Vec<EpisodeRecord> = (0..100_000)
        .map(|i| EpisodeRecord {
            body: body.clone(),
            ..record(
                "g",
                &format!("docs_episode_{i:06}"),
                "run-bench",
                "2024-01-01T00:00:00.123456Z",
            )
        })
        .collect();
    let started = std::time::Instant::now();
    for chunk in records.chunks(1000) {
        store
            .apply_batch(&r, &writes(Action::Create, chunk))
            .await
            .unwrap();
    }
    let apply = started.elapsed();
    let started = std::time::Instant::now();
    let loaded = store.load_episodes("g").await.unwrap();
    let load = started.elapsed();
    assert_eq!(loaded.len(), 100_000);
    // Replay (every row already there: the update path of the upsert).
    let started = std::time::Instant::now();
    for chunk in records.chunks(1000) {
        store
            .apply_batch(&r, &writes(Action::Update, chunk))
            .await
            .unwrap();
    }
    let replay = started.elapsed();
    let started = std::time::Instant::now();
    let by_run = store
        .query_episodes(&EpisodeFilter {
            run_id: Some("run-bench".into()),
            limit: Some(10),
            ..all("g")
        })
        .await
        .unwrap();
    let query = started.elapsed();
    assert_eq!(by_run.len(), 10);
    println!(
        "100,000 episodes, batches of 1,000: apply {apply:?}, replay {replay:?}, load_episodes {load:?}, query {query:?}"
    );
}

/// A file written by a graphseed before runs had kinds (layout version 1):
/// `check_schema` asks for `init`, and `init` migrates it, keeping its runs
/// as seeds.
#[tokio::test]
async fn init_migrates_a_version_1_file() {
    let (_dir, store) = fresh().await;
    store
        .save_run(&run("old", "g", "2024-01-01T00:00:00Z"))
        .await
        .unwrap();
    store
        .conn()
        .execute_batch(
            "ALTER TABLE runs DROP COLUMN kind;
             ALTER TABLE runs DROP COLUMN sources_signature;
             ALTER TABLE episodes DROP COLUMN seal;
             DROP TABLE links;
             DROP TABLE links_dangling;
             DROP TABLE link_names;
             DROP TABLE community_members;
             DROP TABLE communities;
             UPDATE schema_version SET version = 1;",
        )
        .unwrap();
    let err = store.check_schema().await.unwrap_err();
    assert!(
        err.to_string().contains("schema version 1, expected 6"),
        "{err}"
    );
    store.init().await.unwrap();
    store.check_schema().await.unwrap();
    // Layout 3's links table and layout 4's link facts and communities came
    // with it.
    assert!(store.load_links("g").await.unwrap().is_empty());
    assert!(
        store
            .load_link_state("g", &crate::links::StateWanted::All)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.load_communities("g").await.unwrap().is_empty());
    let old = store.get_run("old").await.unwrap().unwrap();
    assert_eq!(old.kind, RunKind::Seed);
    // Layout 6's sources signature: none for a run recorded before it.
    assert_eq!(old.sources_signature, None);
    let mut new = run("new", "g", "2024-01-02T00:00:00Z");
    new.kind = RunKind::Communities;
    store.save_run(&new).await.unwrap();
    assert_eq!(store.get_run("new").await.unwrap(), Some(new));
    // A second init changes nothing.
    store.init().await.unwrap();
    assert_eq!(store.get_run("old").await.unwrap(), Some(old));
}
