//! The store contract: the same scenarios run against Neo4j (a real server
//! over Bolt) and the embedded SQLite store, so both keep the same facts with
//! the same semantics. Each `contract_*` function is generic over [`Store`];
//! `contract_tests!` turns each into one test per store.
//!
//! Neo4j tests share one database with the rest of this binary: every test
//! writes only under its own `unique_group`, and deletes that group at the
//! end. Queries that span groups (`status(None)`, `list_runs(None)`, a filter
//! without a group) are checked on this test's groups only.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use graphseed::links::{Edge, LinkKind};
use graphseed::metadata::{EpisodeRecord, StoredEpisodes, StoredFields};
use graphseed::stores::neo4j::{self as neo4j_store, Neo4jOptions, Neo4jStore};
use graphseed::stores::prelude::*;
use graphseed::stores::sqlite::SqliteStore;
use graphseed::stores::target::Secret;
use graphseed::stores::{
    Action, Batch, EpisodeFilter, EpisodeWrite, HistoryEntry, LockInfo, LockOutcome, RawValue,
    RunKind, RunRecord, RunStatus, StatusRow, Store, StoreError, Target,
};
use graphseed::stores::{LinkSet, StoredLink};
use graphseed::version::SeedVersion;
use serde_json::json;

use crate::support::neo4j;

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// A time with microseconds, the precision every store round-trips exactly.
fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

const T0: &str = "2024-03-01T10:00:00.123456Z";

fn t0() -> DateTime<Utc> {
    t(T0)
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn hex64(seed: &str) -> String {
    graphseed::hashing::sha256_hex(seed.as_bytes())
}

fn run_record(group: &str, run_id: &str, started_at: DateTime<Utc>) -> RunRecord {
    RunRecord {
        run_id: run_id.to_string(),
        group_id: group.to_string(),
        kind: RunKind::Seed,
        status: RunStatus::Running,
        started_at,
        finished_at: None,
        tool_version: "0.1.0".into(),
        seed_version: "1.0.0".into(),
        params_hash: hex64("params"),
        params_json: r#"{"force":false,"group":"g"}"#.into(),
        graph_signature: None,
        // Read back as written on both stores (layout 6 on the embedded one).
        sources_signature: Some(hex64("sources")),
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        git_branch: Some("main".into()),
        git_dirty: Some(false),
        hostname: "ci-runner".into(),
        os: "linux".into(),
        counts: BTreeMap::new(),
    }
}

/// An episode as the planner would hand it to a store.
struct Ep<'a> {
    group: &'a str,
    entity: &'a str,
    version: &'a str,
    run_id: &'a str,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    source: &'a str,
    /// `None`: generated content (no file), so no source_hash / source_path.
    file: Option<&'a str>,
    text: &'a str,
}

impl<'a> Ep<'a> {
    fn new(group: &'a str, entity: &'a str, run_id: &'a str) -> Self {
        Ep {
            group,
            entity,
            version: "1.0.0",
            run_id,
            created_at: t0(),
            updated_at: t0(),
            source: "project_seeding",
            file: Some("docs/a.md"),
            text: "hello",
        }
    }

    fn record(&self) -> EpisodeRecord {
        let item = json!({"name": self.entity, "content": self.text});
        let content_hash =
            graphseed::hashing::sha256_hex(graphseed::hashing::canonical_json(&item).as_bytes());
        let mut r = EpisodeRecord {
            group_id: self.group.to_string(),
            entity_id: self.entity.to_string(),
            name: self.entity.to_string(),
            source: self.source.to_string(),
            version: SeedVersion::parse(self.version).unwrap(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            source_hash: self.file.map(|f| hex64(&format!("{f}:{}", self.text))),
            content_hash,
            source_path: self.file.map(str::to_string),
            run_id: self.run_id.to_string(),
            body: String::new(),
        };
        r.stamp_body(item.as_object().unwrap());
        r
    }

    fn write(&self, action: Action) -> EpisodeWrite {
        EpisodeWrite {
            action,
            record: self.record(),
        }
    }
}

/// The stored state of these records, as a store loads it.
fn stored<'r>(records: impl IntoIterator<Item = &'r EpisodeRecord>) -> StoredEpisodes {
    let mut out = StoredEpisodes::default();
    for r in records {
        out.push(StoredFields {
            entity_id: &r.entity_id,
            source: &r.source,
            version: &r.version.to_string(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            source_hash: r.source_hash.as_deref(),
            content_hash: &r.content_hash,
            source_path: r.source_path.as_deref(),
        });
    }
    out
}

/// The entity_ids of a stored state, in its order.
fn stored_ids(s: &StoredEpisodes) -> Vec<String> {
    s.iter().map(|e| e.entity_id().to_string()).collect()
}

fn batch(writes: Vec<EpisodeWrite>, deletes: &[&str]) -> Batch {
    Batch::of_episodes(writes, deletes.iter().map(|s| s.to_string()).collect())
}

fn claim(group: &str, run_id: &str, owner: &str, now: DateTime<Utc>, lease_s: i64) -> LockInfo {
    LockInfo {
        group_id: group.to_string(),
        owner: owner.to_string(),
        host: format!("{owner}-host"),
        run_id: run_id.to_string(),
        acquired_at: now,
        expires_at: now + secs(lease_s),
    }
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|x| id(x).to_string()).collect()
}

fn by_group(group: &str) -> EpisodeFilter {
    EpisodeFilter {
        group_id: Some(group.to_string()),
        ..EpisodeFilter::default()
    }
}

// ---------------------------------------------------------------------------
// Contracts
// ---------------------------------------------------------------------------

/// Every field survives a write and a read, on both read paths, with exact
/// times, absent source_hash / source_path and a pre-release version.
async fn contract_round_trip<S: Store>(s: &S, group: &str) {
    let run_id = format!("{group}_r1");
    let run = run_record(group, &run_id, t0());
    let mut a = Ep::new(group, "guides_alpha", &run_id);
    a.created_at = t("2024-01-30T12:00:00.000001Z");
    a.updated_at = t("2024-02-29T23:59:59.999999Z");
    let mut b = Ep::new(group, "generated_beta", &run_id);
    b.file = None;
    b.text = "from stdin";
    let mut c = Ep::new(group, "guides_gamma", &run_id);
    c.version = "2.10.3-rc.1";
    c.source = "guardkit_seeding";
    c.text = "ünïcödé \"quoted\" \n newline";
    let records = [a.record(), b.record(), c.record()];
    assert_eq!(s.group_revision(group).await.unwrap(), 0);
    s.apply_batch(
        &run,
        &batch(
            records
                .iter()
                .map(|r| EpisodeWrite {
                    action: Action::Create,
                    record: r.clone(),
                })
                .collect(),
            &[],
        ),
    )
    .await
    .unwrap();

    let mut expected: Vec<EpisodeRecord> = records.to_vec();
    expected.sort_by(|x, y| x.entity_id.cmp(&y.entity_id));
    let loaded = s.load_episodes(group).await.unwrap();
    assert_eq!(loaded, stored(&expected));
    let queried = s.query_episodes(&by_group(group)).await.unwrap();
    assert_eq!(queried, expected);
    let beta = loaded
        .iter()
        .find(|e| e.entity_id() == "generated_beta")
        .unwrap();
    assert_eq!((beta.source_hash(), beta.source_path()), (None, None));
    assert_eq!(s.group_revision(group).await.unwrap(), 1);

    // The run record was created by the first batch of the run.
    assert_eq!(s.get_run(&run_id).await.unwrap(), Some(run));
    // An unknown group is empty, not an error.
    assert!(
        s.load_episodes(&format!("{group}_none"))
            .await
            .unwrap()
            .is_empty()
    );
}

/// An update batch keeps created_at as the planner passes it, replaces the
/// rest, and the history shows both writes.
async fn contract_update_keeps_created_at<S: Store>(s: &S, group: &str) {
    let (r1, r2) = (format!("{group}_r1"), format!("{group}_r2"));
    let created = t("2024-01-01T00:00:00.000001Z");
    let mut v1 = Ep::new(group, "guides_alpha", &r1);
    v1.created_at = created;
    v1.updated_at = created;
    s.apply_batch(
        &run_record(group, &r1, created),
        &batch(vec![v1.write(Action::Create)], &[]),
    )
    .await
    .unwrap();

    let later = t("2024-06-01T08:30:00.654321Z");
    let between = Utc::now();
    let mut v2 = Ep::new(group, "guides_alpha", &r2);
    v2.created_at = created;
    v2.updated_at = later;
    v2.version = "1.1.0";
    v2.text = "changed";
    v2.file = Some("docs/moved.md");
    s.apply_batch(
        &run_record(group, &r2, later),
        &batch(vec![v2.write(Action::Replace)], &[]),
    )
    .await
    .unwrap();

    let loaded = s.load_episodes(group).await.unwrap();
    assert_eq!(loaded, stored(&[v2.record()]));
    assert_eq!(loaded.get(0).created_at(), created);
    assert_eq!(loaded.get(0).updated_at(), later);
    let queried = s.query_episodes(&by_group(group)).await.unwrap();
    assert_eq!(queried[0].run_id, r2);
    assert_eq!(queried, vec![v2.record()]);

    let history = s.episode_history(group, "guides_alpha").await.unwrap();
    let (h1, h2) = (v1.record(), v2.record());
    assert_eq!(history.len(), 2, "{history:?}");
    // `at` is when the batch was written (not a record field): between the calls.
    assert!(
        history[0].at <= between && between <= history[1].at,
        "{history:?}"
    );
    assert_eq!(
        history,
        vec![
            HistoryEntry {
                run_id: r1.clone(),
                action: Action::Create,
                at: history[0].at,
                version: "1.0.0".into(),
                content_hash: h1.content_hash.clone(),
                source_hash: h1.source_hash.clone(),
            },
            HistoryEntry {
                run_id: r2.clone(),
                action: Action::Replace,
                at: history[1].at,
                version: "1.1.0".into(),
                content_hash: h2.content_hash.clone(),
                source_hash: h2.source_hash.clone(),
            },
        ]
    );
    assert_eq!(s.group_revision(group).await.unwrap(), 2);
}

/// Replaying a committed batch (what the applier does when a commit's outcome
/// is unknown) leaves the same episodes, links and run; only the revision
/// counts the second commit.
async fn contract_replay_is_idempotent<S: Store>(s: &S, group: &str) {
    let r1 = format!("{group}_r1");
    let run = run_record(group, &r1, t0());
    let mut gen_ep = Ep::new(group, "generated_two", &r1);
    gen_ep.file = None;
    let b = batch(
        vec![
            Ep::new(group, "guides_one", &r1).write(Action::Create),
            gen_ep.write(Action::Create),
        ],
        &["guides_never_existed"],
    );
    s.apply_batch(&run, &b).await.unwrap();
    let loaded = s.load_episodes(group).await.unwrap();
    let queried = s.query_episodes(&by_group(group)).await.unwrap();
    let history = s.episode_history(group, "guides_one").await.unwrap();
    assert_eq!(history.len(), 1);

    s.apply_batch(&run, &b).await.unwrap();
    assert_eq!(s.load_episodes(group).await.unwrap(), loaded);
    assert_eq!(s.query_episodes(&by_group(group)).await.unwrap(), queried);
    assert_eq!(
        s.episode_history(group, "guides_one").await.unwrap(),
        history,
        "duplicate link"
    );
    assert_eq!(
        s.episode_history(group, "generated_two")
            .await
            .unwrap()
            .len(),
        1
    );
    let runs = s.list_runs(Some(group)).await.unwrap();
    assert_eq!(runs, vec![run]);
    assert_eq!(s.group_revision(group).await.unwrap(), 2);
}

/// Deletes remove the episode and its links, leave the others, and tolerate
/// ids that are already gone.
async fn contract_deletes<S: Store>(s: &S, group: &str) {
    let (r1, r2) = (format!("{group}_r1"), format!("{group}_r2"));
    let writes = ["guides_a", "guides_b", "guides_c"]
        .iter()
        .map(|e| Ep::new(group, e, &r1).write(Action::Create))
        .collect();
    s.apply_batch(&run_record(group, &r1, t0()), &batch(writes, &[]))
        .await
        .unwrap();

    let prune = batch(vec![], &["guides_b", "guides_gone"]);
    let run2 = run_record(group, &r2, t0() + secs(60));
    s.apply_batch(&run2, &prune).await.unwrap();
    assert_eq!(
        stored_ids(&s.load_episodes(group).await.unwrap()),
        ["guides_a", "guides_c"]
    );
    // The pruned episode's history outlives it and ends with the prune, which
    // records what was removed.
    let gone = Ep::new(group, "guides_b", &r1).record();
    let history = s.episode_history(group, "guides_b").await.unwrap();
    let actions: Vec<(&str, Action)> = history
        .iter()
        .map(|h| (h.run_id.as_str(), h.action))
        .collect();
    assert_eq!(
        actions,
        [(r1.as_str(), Action::Create), (r2.as_str(), Action::Prune)]
    );
    assert_eq!(
        (
            history[1].version.as_str(),
            &history[1].content_hash,
            &history[1].source_hash
        ),
        ("1.0.0", &gone.content_hash, &gone.source_hash)
    );
    // Nothing was pruned for an id that did not exist.
    assert!(
        s.episode_history(group, "guides_gone")
            .await
            .unwrap()
            .is_empty()
    );
    let filter = EpisodeFilter {
        entity_id: Some("guides_b".into()),
        ..by_group(group)
    };
    assert!(s.query_episodes(&filter).await.unwrap().is_empty());
    // A prune-only batch still records its run and bumps the revision.
    assert_eq!(s.get_run(&r2).await.unwrap(), Some(run2.clone()));
    assert_eq!(s.group_revision(group).await.unwrap(), 2);

    // Replay of the prune: nothing left to delete, nothing else touched, and
    // the prune link stands as it was.
    s.apply_batch(&run2, &prune).await.unwrap();
    assert_eq!(s.load_episodes(group).await.unwrap().len(), 2);
    assert_eq!(s.episode_history(group, "guides_b").await.unwrap(), history);

    // Created again later: a fresh episode whose history continues the old one.
    let r4 = format!("{group}_r4");
    let again = Ep::new(group, "guides_b", &r4);
    s.apply_batch(
        &run_record(group, &r4, t0() + secs(120)),
        &batch(vec![again.write(Action::Create)], &[]),
    )
    .await
    .unwrap();
    assert_eq!(
        stored_ids(&s.load_episodes(group).await.unwrap()),
        ["guides_a", "guides_b", "guides_c"]
    );
    let runs: Vec<String> = ids(&s.episode_history(group, "guides_b").await.unwrap(), |h| {
        &h.run_id
    });
    assert_eq!(runs, [r1.clone(), r2.clone(), r4.clone()]);

    // Deletes are scoped to the run's group.
    let other = format!("{group}_other");
    let r3 = format!("{group}_r3");
    s.apply_batch(
        &run_record(&other, &r3, t0()),
        &batch(vec![], &["guides_a"]),
    )
    .await
    .unwrap();
    assert_eq!(s.load_episodes(group).await.unwrap().len(), 3);
}

fn edge(target: &str, kind: LinkKind, count: u32) -> Edge {
    Edge {
        target: target.into(),
        kind,
        count,
    }
}

fn link_set(source: &str, edges: Vec<Edge>) -> LinkSet {
    LinkSet {
        source: source.into(),
        edges,
        facts: Default::default(),
    }
}

fn stored_link(source: &str, target: &str, kind: LinkKind, count: u32) -> StoredLink {
    StoredLink {
        source: source.into(),
        target: target.into(),
        kind,
        count,
    }
}

/// Links: written with their episode's batch (after it, so a target written
/// in the same batch exists), replaced as a whole set per source, never to
/// an episode that is not stored, removed from and to a pruned episode, and
/// scoped to the group.
async fn contract_links<S: Store>(s: &S, group: &str) {
    use LinkKind::*;
    let (r1, r2, r3) = (
        format!("{group}_r1"),
        format!("{group}_r2"),
        format!("{group}_r3"),
    );
    let mut b = batch(
        ["notes_a", "notes_b", "notes_c"]
            .iter()
            .map(|e| Ep::new(group, e, &r1).write(Action::Create))
            .collect(),
        &[],
    );
    b.links.sets = vec![
        link_set(
            "notes_a",
            vec![
                edge("notes_b", Wikilink, 2),
                edge("notes_b", Embed, 1),
                edge("notes_c", Markdown, 1),
                // Not stored: left out, never a dangling edge.
                edge("notes_later", Field, 1),
            ],
        ),
        link_set("notes_b", vec![edge("notes_a", Frontmatter, 1)]),
    ];
    let run1 = run_record(group, &r1, t0());
    s.apply_batch(&run1, &b).await.unwrap();
    let want = vec![
        stored_link("notes_a", "notes_b", Wikilink, 2),
        stored_link("notes_a", "notes_b", Embed, 1),
        stored_link("notes_a", "notes_c", Markdown, 1),
        stored_link("notes_b", "notes_a", Frontmatter, 1),
    ];
    let mut sorted = want.clone();
    sorted.sort();
    assert_eq!(s.load_links(group).await.unwrap(), sorted);
    // Replayed: the same links, not twice as many.
    s.apply_batch(&run1, &b).await.unwrap();
    assert_eq!(s.load_links(group).await.unwrap(), sorted);
    // A source or an edge listed twice in one batch: the last one stands,
    // once (Neo4j creates edges after deleting the old ones, so a store that
    // did not pick the last would write them twice).
    let mut twice = b.clone();
    twice
        .links
        .sets
        .insert(0, link_set("notes_a", vec![edge("notes_c", Embed, 7)]));
    twice.links.sets.push(link_set(
        "notes_b",
        vec![
            edge("notes_a", Frontmatter, 3),
            edge("notes_a", Frontmatter, 1),
        ],
    ));
    s.apply_batch(&run1, &twice).await.unwrap();
    assert_eq!(s.load_links(group).await.unwrap(), sorted);

    // A new set replaces the old one whole: a removed link is gone, a changed
    // count is updated; an episode with no set keeps its links.
    let mut b2 = batch(
        vec![Ep::new(group, "notes_a", &r2).write(Action::Update)],
        &[],
    );
    b2.links.sets = vec![link_set("notes_a", vec![edge("notes_b", Wikilink, 5)])];
    s.apply_batch(&run_record(group, &r2, t0() + secs(60)), &b2)
        .await
        .unwrap();
    assert_eq!(
        s.load_links(group).await.unwrap(),
        [
            stored_link("notes_a", "notes_b", Wikilink, 5),
            stored_link("notes_b", "notes_a", Frontmatter, 1),
        ]
    );

    // Pruning an episode removes its links both ways.
    let mut b3 = batch(vec![], &["notes_b"]);
    b3.links.removed = vec!["notes_b".into()];
    s.apply_batch(&run_record(group, &r3, t0() + secs(120)), &b3)
        .await
        .unwrap();
    assert!(s.load_links(group).await.unwrap().is_empty());

    // Another group sees none of them.
    assert!(
        s.load_links(&format!("{group}_other"))
            .await
            .unwrap()
            .is_empty()
    );
}

/// History: one entry per run that wrote the episode, oldest first, each with
/// its action, the time of the write and what was written.
async fn contract_history<S: Store>(s: &S, group: &str) {
    let ra = format!("{group}_ra");
    let rb = format!("{group}_rb");
    let rc = format!("{group}_rc");
    let before = Utc::now() - secs(1);
    for (run_id, action, text) in [
        (&rb, Action::Create, "one"),
        (&ra, Action::Update, "two"),
        (&rc, Action::Refresh, "two"),
    ] {
        let mut e = Ep::new(group, "guides_h", run_id);
        e.text = text;
        s.apply_batch(
            &run_record(group, run_id, t0()),
            &batch(vec![e.write(action)], &[]),
        )
        .await
        .unwrap();
        // Distinct write times, whatever the clock's resolution.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let after = Utc::now() + secs(1);
    let history = s.episode_history(group, "guides_h").await.unwrap();
    let got: Vec<(String, Action)> = history
        .iter()
        .map(|h| (h.run_id.clone(), h.action))
        .collect();
    assert_eq!(
        got,
        vec![
            (rb.clone(), Action::Create),
            (ra.clone(), Action::Update),
            (rc.clone(), Action::Refresh)
        ]
    );
    for h in &history {
        assert!(before <= h.at && h.at <= after, "{h:?}");
        assert_eq!(
            h.at,
            graphseed::metadata::truncate_micros(h.at),
            "microsecond precision"
        );
    }
    assert!(history.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(history[0].source_hash, Some(hex64("docs/a.md:one")));
    assert_eq!(history[1].source_hash, Some(hex64("docs/a.md:two")));
    assert_ne!(history[0].content_hash, history[1].content_hash);
    assert_eq!(history[1].content_hash, history[2].content_hash);
    assert!(
        s.episode_history(group, "guides_unknown")
            .await
            .unwrap()
            .is_empty()
    );
}

/// The revision starts at 0, counts committed batches of its own group only.
/// Fencing: while another run holds a live lease on the group, a batch is
/// refused whole (a writer that lost its lease never commits); an expired
/// lease fences nothing. Lease times are real time, as the stores compare
/// them with their own clock.
async fn contract_fencing<S: Store>(s: &S, group: &str) {
    // Microseconds: what every store keeps.
    let now = graphseed::clock::wall();
    let (ra, rb, rc) = (
        format!("{group}_fa"),
        format!("{group}_fb"),
        format!("{group}_fc"),
    );
    let holder = claim(group, &ra, "alice", now, 60);
    assert_eq!(
        s.acquire_lock(&holder, false).await.unwrap(),
        LockOutcome::Acquired
    );
    let e = Ep::new(group, "fenced_x", &rb);
    let refused = s
        .apply_batch(
            &run_record(group, &rb, now),
            &batch(vec![e.write(Action::Create)], &[]),
        )
        .await;
    match refused {
        Err(StoreError::Fenced { holder: h, .. }) => assert_eq!(*h, holder),
        other => panic!("expected Fenced, got {other:?}"),
    }
    assert!(
        s.load_episodes(group).await.unwrap().is_empty(),
        "nothing of a fenced batch commits"
    );
    assert_eq!(s.group_revision(group).await.unwrap(), 0);
    assert!(
        s.get_run(&rb).await.unwrap().is_none(),
        "not even its run record"
    );
    // The holder itself writes.
    let a = Ep::new(group, "fenced_a", &ra);
    s.apply_batch(
        &run_record(group, &ra, now),
        &batch(vec![a.write(Action::Create)], &[]),
    )
    .await
    .unwrap();
    // A lease that has expired fences nothing.
    let stale = claim(group, &rc, "carol", now - secs(120), 60);
    assert_eq!(
        s.acquire_lock(&stale, true).await.unwrap(),
        LockOutcome::Acquired
    );
    s.apply_batch(
        &run_record(group, &rb, now),
        &batch(vec![e.write(Action::Create)], &[]),
    )
    .await
    .unwrap();
    assert_eq!(s.load_episodes(group).await.unwrap().len(), 2);
}

async fn contract_revision<S: Store>(s: &S, group: &str) {
    let other = format!("{group}_other");
    assert_eq!(s.group_revision(group).await.unwrap(), 0);
    for i in 1..=3u64 {
        let r = format!("{group}_r{i}");
        let e = Ep::new(group, "guides_x", &r);
        s.apply_batch(
            &run_record(group, &r, t0() + secs(i as i64)),
            &batch(vec![e.write(Action::Update)], &[]),
        )
        .await
        .unwrap();
        assert_eq!(s.group_revision(group).await.unwrap(), i);
    }
    assert_eq!(s.group_revision(&other).await.unwrap(), 0);

    // An empty batch writes nothing at all: no revision bump, no run record.
    let idle = format!("{group}_idle");
    s.apply_batch(&run_record(group, &idle, t0()), &Batch::default())
        .await
        .unwrap();
    assert_eq!(s.group_revision(group).await.unwrap(), 3);
    assert_eq!(s.get_run(&idle).await.unwrap(), None);
}

/// The lease: acquire, a second claimant sees the holder, re-acquire and
/// renew by the holder, takeover, release only by the holder, expiry, force.
async fn contract_locks<S: Store>(s: &S, group: &str) {
    let now = t0();
    let a = claim(group, &format!("{group}_ra"), "alice", now, 60);
    let b = claim(group, &format!("{group}_rb"), "bob", now + secs(10), 60);

    assert_eq!(s.read_lock(group).await.unwrap(), None);
    assert_eq!(
        s.acquire_lock(&a, false).await.unwrap(),
        LockOutcome::Acquired
    );
    assert_eq!(s.read_lock(group).await.unwrap(), Some(a.clone()));

    // A second claimant before expiry: refused, with every detail of the holder.
    assert_eq!(
        s.acquire_lock(&b, false).await.unwrap(),
        LockOutcome::Held(a.clone())
    );
    assert_eq!(
        s.renew_lock(&b).await.unwrap(),
        LockOutcome::Held(a.clone())
    );
    assert_eq!(s.read_lock(group).await.unwrap(), Some(a.clone()));

    // The holder may claim again, and renew: the lease moves, acquired_at stays.
    assert_eq!(
        s.acquire_lock(&a, false).await.unwrap(),
        LockOutcome::Acquired
    );
    let a_renew = LockInfo {
        acquired_at: now + secs(30),
        expires_at: now + secs(120),
        ..a.clone()
    };
    assert_eq!(s.renew_lock(&a_renew).await.unwrap(), LockOutcome::Acquired);
    let held = s.read_lock(group).await.unwrap().unwrap();
    assert_eq!(held.run_id, a.run_id);
    assert_eq!(held.expires_at, now + secs(120));
    assert_eq!(held.acquired_at, a.acquired_at);

    // Explicit takeover wins even before expiry.
    assert_eq!(
        s.acquire_lock(&b, true).await.unwrap(),
        LockOutcome::Acquired
    );
    assert_eq!(s.read_lock(group).await.unwrap(), Some(b.clone()));
    // The old holder's renew now reports the new holder.
    assert_eq!(
        s.renew_lock(&a_renew).await.unwrap(),
        LockOutcome::Held(b.clone())
    );

    // Release by someone else is a no-op; by the holder it frees the lock.
    s.release_lock(group, &a.run_id).await.unwrap();
    assert_eq!(s.read_lock(group).await.unwrap(), Some(b.clone()));
    s.release_lock(group, &b.run_id).await.unwrap();
    assert_eq!(s.read_lock(group).await.unwrap(), None);
    s.release_lock(group, &b.run_id).await.unwrap();
    // A lease that was released (or force-removed) is lost: renewing it fails
    // rather than silently taking the lock again.
    match s.renew_lock(&b).await {
        Err(e @ StoreError::LockGone { .. }) => {
            assert!(e.to_string().contains("no longer holds"), "{e}")
        }
        other => panic!("renew of a released lease: {other:?}"),
    }
    assert_eq!(s.read_lock(group).await.unwrap(), None);

    // Expiry: a lease is free once its expires_at is not after the claimant's now.
    let c = claim(group, &format!("{group}_rc"), "carol", now, 60);
    assert_eq!(
        s.acquire_lock(&c, false).await.unwrap(),
        LockOutcome::Acquired
    );
    let d_early = claim(group, &format!("{group}_rd"), "dave", now + secs(59), 60);
    assert_eq!(
        s.acquire_lock(&d_early, false).await.unwrap(),
        LockOutcome::Held(c.clone())
    );
    let d = claim(group, &format!("{group}_rd"), "dave", now + secs(61), 60);
    assert_eq!(
        s.acquire_lock(&d, false).await.unwrap(),
        LockOutcome::Acquired
    );
    assert_eq!(s.read_lock(group).await.unwrap(), Some(d.clone()));
    // An expired lease still shows in read_lock (`unlock` reports it).
    assert_eq!(
        s.read_lock(group).await.unwrap().unwrap().expires_at,
        now + secs(121)
    );

    // Force: returns who held it, then it is free; a second force finds nothing.
    assert_eq!(s.force_unlock(group).await.unwrap(), Some(d.clone()));
    assert_eq!(s.read_lock(group).await.unwrap(), None);
    assert_eq!(s.force_unlock(group).await.unwrap(), None);
    assert_eq!(
        s.acquire_lock(&a, false).await.unwrap(),
        LockOutcome::Acquired
    );

    // finish_run records the run and frees the lock it holds, together; a
    // run that does not hold the lock is recorded and frees nothing.
    let mut done_b = run_record(group, &b.run_id, now);
    done_b.status = RunStatus::Succeeded;
    s.finish_run(&done_b).await.unwrap();
    assert_eq!(s.get_run(&b.run_id).await.unwrap(), Some(done_b));
    assert_eq!(s.read_lock(group).await.unwrap(), Some(a.clone()));
    let mut done_a = run_record(group, &a.run_id, now);
    done_a.status = RunStatus::Failed;
    s.finish_run(&done_a).await.unwrap();
    s.finish_run(&done_a).await.unwrap();
    assert_eq!(s.get_run(&a.run_id).await.unwrap(), Some(done_a));
    assert_eq!(s.read_lock(group).await.unwrap(), None);
    assert_eq!(
        s.acquire_lock(&a, false).await.unwrap(),
        LockOutcome::Acquired
    );

    // Locks are per group.
    let other = claim(
        &format!("{group}_other"),
        &format!("{group}_re"),
        "erin",
        now,
        60,
    );
    assert_eq!(
        s.acquire_lock(&other, false).await.unwrap(),
        LockOutcome::Acquired
    );
    assert_eq!(s.read_lock(group).await.unwrap(), Some(a.clone()));
    s.release_lock(&other.group_id, &other.run_id)
        .await
        .unwrap();
    s.release_lock(group, &a.run_id).await.unwrap();
}

/// Runs: saved and read back field for field, updated in place, listed newest
/// first (ties by run_id, descending), narrowed by group.
async fn contract_runs<S: Store>(s: &S, group: &str) {
    let other = format!("{group}_other");
    let r1 = run_record(group, &format!("{group}_r1"), t0());
    let mut r2 = run_record(group, &format!("{group}_r2"), t0() + secs(60));
    r2.finished_at = Some(t0() + secs(90));
    r2.status = RunStatus::Succeeded;
    // Runs of every kind share the one table / label: the kind round-trips.
    r2.kind = RunKind::Communities;
    r2.graph_signature = Some(hex64("sig"));
    r2.git_commit = None;
    r2.git_branch = None;
    r2.git_dirty = None;
    r2.counts = BTreeMap::from([
        ("create".to_string(), 3),
        ("skip".to_string(), 12),
        ("orphan".to_string(), 0),
    ]);
    // Same start as r2: ordered by run_id descending after it.
    let r3 = run_record(&other, &format!("{group}_r3"), t0() + secs(60));
    for r in [&r1, &r2, &r3] {
        s.save_run(r).await.unwrap();
    }
    assert_eq!(s.get_run(&r1.run_id).await.unwrap(), Some(r1.clone()));
    assert_eq!(s.get_run(&r2.run_id).await.unwrap(), Some(r2.clone()));
    assert_eq!(s.get_run(&format!("{group}_nope")).await.unwrap(), None);
    assert_eq!(
        s.list_runs(Some(group)).await.unwrap(),
        vec![r2.clone(), r1.clone()]
    );
    let all: Vec<RunRecord> = s
        .list_runs(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.group_id == group || r.group_id == other)
        .collect();
    assert_eq!(all, vec![r3.clone(), r2.clone(), r1.clone()]);

    // Mark r1 abandoned: an update, not a second record.
    let mut r1_done = r1.clone();
    r1_done.status = RunStatus::Abandoned;
    r1_done.finished_at = Some(t0() + secs(5));
    r1_done.git_dirty = Some(true);
    s.save_run(&r1_done).await.unwrap();
    assert_eq!(s.get_run(&r1.run_id).await.unwrap(), Some(r1_done.clone()));
    assert_eq!(
        s.list_runs(Some(group)).await.unwrap(),
        vec![r2.clone(), r1_done]
    );
    // Back to unset optional fields: saved as absent, read back as None.
    s.save_run(&r1).await.unwrap();
    assert_eq!(s.get_run(&r1.run_id).await.unwrap(), Some(r1));
}

/// Status: episode counts per (group, source, version), sorted.
async fn contract_status<S: Store>(s: &S, group: &str) {
    let other = format!("{group}_other");
    let r = format!("{group}_r1");
    let ro = format!("{group}_r2");
    let mut writes = Vec::new();
    for (entity, source, version) in [
        ("guides_a", "project_seeding", "1.0.0"),
        ("guides_b", "project_seeding", "1.0.0"),
        ("guides_c", "project_seeding", "1.10.0"),
        ("guides_d", "guardkit_seeding", "1.0.0"),
    ] {
        let mut e = Ep::new(group, entity, &r);
        e.source = source;
        e.version = version;
        writes.push(e.write(Action::Create));
    }
    s.apply_batch(&run_record(group, &r, t0()), &batch(writes, &[]))
        .await
        .unwrap();
    let e = Ep::new(&other, "guides_z", &ro);
    s.apply_batch(
        &run_record(&other, &ro, t0()),
        &batch(vec![e.write(Action::Create)], &[]),
    )
    .await
    .unwrap();

    let row = |g: &str, source: &str, version: &str, n: u64| StatusRow {
        group_id: g.to_string(),
        source: source.to_string(),
        version: version.to_string(),
        episodes: n,
    };
    let mine = vec![
        row(group, "guardkit_seeding", "1.0.0", 1),
        row(group, "project_seeding", "1.0.0", 2),
        row(group, "project_seeding", "1.10.0", 1),
    ];
    assert_eq!(s.status(Some(group)).await.unwrap(), mine);
    let all: Vec<StatusRow> = s
        .status(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.group_id == group || r.group_id == other)
        .collect();
    let mut expected = mine.clone();
    expected.push(row(&other, "project_seeding", "1.0.0", 1));
    assert_eq!(all, expected);
    assert!(
        s.status(Some(&format!("{group}_none")))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Every filter of `query_episodes` alone returns exactly the right
/// episodes, and combined filters intersect.
async fn contract_query_filters<S: Store>(s: &S, group: &str) {
    let other = format!("{group}_other");
    let (r1, r2, r3) = (
        format!("{group}_r1"),
        format!("{group}_r2"),
        format!("{group}_r3"),
    );
    let day = |d: i64| t0() + TimeDelta::days(d);
    // entity, source, version, last run, updated_at
    let rows: [(&str, &str, &str, &str, DateTime<Utc>); 5] = [
        ("guides_a", "project_seeding", "1.0.0", &r1, day(0)),
        ("guides_b", "project_seeding", "1.1.0", &r2, day(1)),
        ("guides_c", "guardkit_seeding", "1.0.0", &r1, day(2)),
        ("guides_d", "guardkit_seeding", "1.1.0", &r2, day(3)),
        ("notes_e", "project_seeding", "2.0.0-rc.1", &r2, day(4)),
    ];
    let mut by_run: BTreeMap<&str, Vec<EpisodeWrite>> = BTreeMap::new();
    for (entity, source, version, run, updated) in rows {
        let mut e = Ep::new(group, entity, run);
        e.source = source;
        e.version = version;
        e.updated_at = updated;
        by_run.entry(run).or_default().push(e.write(Action::Create));
    }
    for (run, writes) in by_run {
        s.apply_batch(&run_record(group, run, t0()), &batch(writes, &[]))
            .await
            .unwrap();
    }
    // Same entity id in another group, written by a third run.
    let e = Ep::new(&other, "guides_a", &r3);
    s.apply_batch(
        &run_record(&other, &r3, t0()),
        &batch(vec![e.write(Action::Create)], &[]),
    )
    .await
    .unwrap();

    let other_ref = other.as_str();
    let q = |f: EpisodeFilter| async move {
        s.query_episodes(&f)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.group_id == group || r.group_id == other_ref)
            .map(|r| {
                format!(
                    "{}/{}",
                    if r.group_id == group { "g" } else { "o" },
                    r.entity_id
                )
            })
            .collect::<Vec<_>>()
    };
    let g = || by_group(group);
    assert_eq!(
        q(g()).await,
        [
            "g/guides_a",
            "g/guides_b",
            "g/guides_c",
            "g/guides_d",
            "g/notes_e"
        ]
    );
    assert_eq!(
        q(EpisodeFilter {
            source: Some("guardkit_seeding".into()),
            ..g()
        })
        .await,
        ["g/guides_c", "g/guides_d"]
    );
    assert_eq!(
        q(EpisodeFilter {
            version: Some("1.1.0".into()),
            ..g()
        })
        .await,
        ["g/guides_b", "g/guides_d"]
    );
    assert_eq!(
        q(EpisodeFilter {
            version: Some("2.0.0-rc.1".into()),
            ..g()
        })
        .await,
        ["g/notes_e"]
    );
    assert_eq!(
        q(EpisodeFilter {
            run_id: Some(r1.clone()),
            ..g()
        })
        .await,
        ["g/guides_a", "g/guides_c"]
    );
    assert_eq!(
        q(EpisodeFilter {
            entity_id: Some("guides_c".into()),
            ..g()
        })
        .await,
        ["g/guides_c"]
    );
    // since is inclusive, until exclusive.
    assert_eq!(
        q(EpisodeFilter {
            since: Some(day(3)),
            ..g()
        })
        .await,
        ["g/guides_d", "g/notes_e"]
    );
    assert_eq!(
        q(EpisodeFilter {
            until: Some(day(1)),
            ..g()
        })
        .await,
        ["g/guides_a"]
    );
    assert_eq!(
        q(EpisodeFilter {
            since: Some(day(1)),
            until: Some(day(3)),
            ..g()
        })
        .await,
        ["g/guides_b", "g/guides_c"]
    );
    // Combined filters intersect.
    assert_eq!(
        q(EpisodeFilter {
            source: Some("project_seeding".into()),
            run_id: Some(r2.clone()),
            since: Some(day(2)),
            ..g()
        })
        .await,
        ["g/notes_e"]
    );
    assert!(
        q(EpisodeFilter {
            source: Some("nobody".into()),
            ..g()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        q(EpisodeFilter {
            limit: Some(2),
            ..g()
        })
        .await,
        ["g/guides_a", "g/guides_b"]
    );
    assert_eq!(
        q(EpisodeFilter {
            limit: Some(0),
            ..g()
        })
        .await,
        Vec::<String>::new()
    );
    // Without a group: every group, ordered by (group_id, entity_id).
    let across = q(EpisodeFilter {
        entity_id: Some("guides_a".into()),
        ..EpisodeFilter::default()
    })
    .await;
    let mut expected = [("g", group), ("o", other.as_str())];
    expected.sort_by_key(|(_, g)| *g);
    assert_eq!(
        across,
        expected
            .iter()
            .map(|(p, _)| format!("{p}/guides_a"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        q(EpisodeFilter {
            run_id: Some(r3.clone()),
            ..EpisodeFilter::default()
        })
        .await,
        ["o/guides_a"]
    );
}

/// `raw_episodes`: every stored property of every episode of the group, in
/// entity_id order, typed as stored; what graphseed wrote passes `validate`.
async fn contract_raw_episodes<S: Store>(s: &S, group: &str) {
    let r = format!("{group}_r1");
    let mut a = Ep::new(group, "guides_a", &r);
    a.version = "1.10.2-rc.1";
    let mut b = Ep::new(group, "generated_b", &r);
    b.file = None;
    let other = format!("{group}_other");
    let ro = format!("{group}_r2");
    s.apply_batch(
        &run_record(group, &r, t0()),
        &batch(vec![a.write(Action::Create), b.write(Action::Create)], &[]),
    )
    .await
    .unwrap();
    s.apply_batch(
        &run_record(&other, &ro, t0()),
        &batch(
            vec![Ep::new(&other, "guides_z", &ro).write(Action::Create)],
            &[],
        ),
    )
    .await
    .unwrap();

    let raw = s.raw_episodes(group).await.unwrap();
    let text = |e: &graphseed::stores::RawEpisode, k: &str| match e.get(k) {
        Some(RawValue::Str(v)) => v.clone(),
        other => panic!("{k}: {other:?}"),
    };
    assert_eq!(
        raw.iter().map(|e| text(e, "entity_id")).collect::<Vec<_>>(),
        ["generated_b", "guides_a"]
    );
    let ra = &raw[1];
    assert_eq!(text(ra, "version"), "1.10.2-rc.1");
    assert_eq!(ra.get("version_minor"), Some(&RawValue::Int(10)));
    assert_eq!(text(ra, "version_pre"), "rc.1");
    assert_eq!(text(ra, "body"), a.record().body);
    assert!(
        matches!(raw[0].get("source_hash"), None | Some(RawValue::Null)),
        "{:?}",
        raw[0].get("source_hash")
    );
    for e in &raw {
        assert_eq!(graphseed::provenance::validate::check(e), vec![], "{e:?}");
    }
    assert!(
        s.raw_episodes(&format!("{group}_none"))
            .await
            .unwrap()
            .is_empty()
    );
}

/// `check_schema` refuses a target that was never initialised, naming what
/// is missing and the fix; `init` (twice: it is idempotent) makes it pass.
async fn contract_check_schema<S: Store>(s: &S) {
    match s.check_schema().await {
        Err(StoreError::SchemaMissing { missing, .. }) => {
            assert!(missing.contains("graphseed init"), "{missing}")
        }
        other => panic!("check_schema before init: {other:?}"),
    }
    s.init().await.unwrap();
    s.init().await.unwrap();
    s.check_schema().await.unwrap();
}

// ---------------------------------------------------------------------------
// Harness: one test per (contract, store)
// ---------------------------------------------------------------------------

async fn connect_neo4j(uri: &str) -> Neo4jStore {
    let user = std::env::var("NEO4J_TEST_USER").unwrap_or_else(|_| "neo4j".into());
    let password = std::env::var("NEO4J_TEST_PASSWORD").unwrap_or_else(|_| "neo4j".into());
    let target = Target::parse(uri, None, Some(user), Some(Secret::new(password))).unwrap();
    neo4j_store::connect(&target, &Neo4jOptions::default())
        .await
        .unwrap_or_else(|e| panic!("connect to {uri}: {e}"))
}

/// Deletes every graphseed node of the given groups (labels fixed here), in
/// chunks so no single statement outlives the driver's read timeout.
async fn neo4j_cleanup(uri: &str, groups: &[String]) {
    let graph = neo4j::graph(uri).await;
    for label_query in [
        "MATCH (n:Episode) WHERE n.group_id IN $groups WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS n",
        "MATCH (n:PrunedEpisode) WHERE n.group_id IN $groups WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS n",
        "MATCH (n:SeedRun) WHERE n.group_id IN $groups WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS n",
        "MATCH (n:SeedGroup) WHERE n.group_id IN $groups WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS n",
        "MATCH (n:SeedLock) WHERE n.group_id IN $groups WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS n",
    ] {
        loop {
            let mut rows = graph
                .execute(neo4rs::query(label_query).param("groups", groups.to_vec()))
                .await
                .expect("clean up test groups");
            let row = rows.next().await.expect("cleanup row").expect("one row");
            if row.get::<i64>("n").expect("count") == 0 {
                break;
            }
        }
    }
}

fn groups_of(group: &str) -> Vec<String> {
    vec![group.to_string(), format!("{group}_other")]
}

fn sqlite_in(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("graph.db")).expect("open sqlite store")
}

macro_rules! contract_tests {
    ($($contract:ident),* $(,)?) => {
        mod on_neo4j {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $contract() {
                    let Some(uri) = super::neo4j::neo4j_uri() else { return };
                    let group = super::neo4j::unique_group(stringify!($contract));
                    let store = super::connect_neo4j(&uri).await;
                    graphseed::stores::Coordination::init(&store).await.expect("init");
                    super::$contract(&store, &group).await;
                    super::neo4j_cleanup(&uri, &super::groups_of(&group)).await;
                }
            )*
        }
        // The same server through `neo4j://`: HELLO carries a routing context
        // and the server routes (what a cluster or Aura needs for writes).
        mod on_neo4j_routing {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $contract() {
                    let Some(uri) = super::neo4j::neo4j_uri() else { return };
                    let uri = super::neo4j::routing_uri(&uri);
                    assert!(uri.starts_with("neo4j"), "{uri}");
                    let group = super::neo4j::unique_group(stringify!($contract));
                    let store = super::connect_neo4j(&uri).await;
                    graphseed::stores::Coordination::init(&store).await.expect("init");
                    super::$contract(&store, &group).await;
                    super::neo4j_cleanup(&uri, &super::groups_of(&group)).await;
                }
            )*
        }
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $contract() {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let store = super::sqlite_in(&dir);
                    graphseed::stores::Coordination::init(&store).await.expect("init");
                    super::$contract(&store, "contract_group").await;
                }
            )*
        }
    };
}

contract_tests!(
    contract_round_trip,
    contract_update_keeps_created_at,
    contract_replay_is_idempotent,
    contract_deletes,
    contract_history,
    contract_revision,
    contract_locks,
    contract_fencing,
    contract_runs,
    contract_status,
    contract_query_filters,
    contract_raw_episodes,
    contract_links,
);

/// The hand-edit pass on Neo4j reads in full only the episodes whose seal
/// does not vouch for them: none as graphseed wrote them (a generated
/// episode's absent source_hash and source_path included), each one edited
/// by hand (a body, a time), each one without a seal, and not one whose
/// time was only moved to another offset (the same instant, which the full
/// check would not report either). Pages are keyset pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_seal_vouches_only_for_episodes_as_written() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let group = neo4j::unique_group("seal");
    let store = connect_neo4j(&uri).await;
    Coordination::init(&store).await.expect("init");
    let r = format!("{group}_r1");
    let mut eps: Vec<Ep<'_>> = ["a", "b", "c", "d", "e"]
        .into_iter()
        .map(|id| Ep::new(&group, id, &r))
        .collect();
    eps[4].file = None;
    let writes = eps.iter().map(|e| e.write(Action::Create)).collect();
    store
        .apply_batch(&run_record(&group, &r, t0()), &batch(writes, &[]))
        .await
        .unwrap();
    let full = async || {
        let pass = HandEditPass::of(&store, &group).await;
        let last = |id: &str| Some(id.to_string());
        assert_eq!(pass.pages, [(2, last("b")), (2, last("d")), (1, last("e"))]);
        pass.unsealed
    };
    assert_eq!(full().await, Vec::<String>::new(), "as written");
    assert_eq!(
        HandEditPass::of(&store, &group).await.episodes,
        store.load_episodes(&group).await.unwrap(),
        "the pages carry the stored state"
    );
    assert_positions(&store, &group, &["a", "b", "c", "d", "e"]).await;

    let graph = neo4j::graph(&uri).await;
    let by_hand = async |cypher: &str, id: &str| {
        let mut rows = graph
            .execute(
                neo4rs::query(cypher)
                    .param("g", group.as_str())
                    .param("id", id),
            )
            .await
            .unwrap();
        assert!(
            rows.next().await.unwrap().is_some(),
            "{cypher} matched {id}"
        );
    };
    by_hand(
        "MATCH (e:Episode {group_id: $g, entity_id: $id}) SET e.updated_at = datetime({datetime: e.updated_at, timezone: '+05:30'}) RETURN e",
        "d",
    )
    .await;
    assert_eq!(full().await, Vec::<String>::new(), "another offset");

    by_hand(
        "MATCH (e:Episode {group_id: $g, entity_id: $id}) SET e.body = e.body + ' ' RETURN e",
        "a",
    )
    .await;
    by_hand(
        "MATCH (e:Episode {group_id: $g, entity_id: $id}) SET e.created_at = e.created_at + duration('PT0.000001S') RETURN e",
        "c",
    )
    .await;
    assert_eq!(full().await, ["a", "c"], "edited by hand");

    by_hand(
        "MATCH (e:Episode {group_id: $g, entity_id: $id}) REMOVE e.seal RETURN e",
        "e",
    )
    .await;
    assert_eq!(full().await, ["a", "c", "e"], "no seal");
    neo4j_cleanup(&uri, &groups_of(&group)).await;
}

/// `entity_id_at` names each position of the pages' order (where a reseed
/// splits its read), and nothing past the end.
async fn assert_positions(store: &impl Episodes, group: &str, ids: &[&str]) {
    for (at, id) in ids.iter().enumerate() {
        assert_eq!(
            store
                .entity_id_at(group, at as u64)
                .await
                .unwrap()
                .as_deref(),
            Some(*id),
            "position {at}"
        );
    }
    let end = ids.len() as u64;
    assert_eq!(store.entity_id_at(group, end).await.unwrap(), None);
    assert_eq!(store.entity_id_at(group, u64::MAX).await.unwrap(), None);
}

/// The hand-edit pass over a group in pages of 2, as a reseed walks it.
struct HandEditPass {
    /// (read, last) per page.
    pages: Vec<(usize, Option<String>)>,
    /// The entity_ids read in full, in order.
    unsealed: Vec<String>,
    /// Every episode as the pages carry it.
    episodes: StoredEpisodes,
}

impl HandEditPass {
    async fn of(store: &impl Episodes, group: &str) -> Self {
        let mut pass = HandEditPass {
            pages: Vec::new(),
            unsealed: Vec::new(),
            episodes: StoredEpisodes::default(),
        };
        let mut after = None::<String>;
        loop {
            let page = store
                .hand_edit_page(group, after.as_deref(), 2)
                .await
                .unwrap();
            pass.pages.push((page.read, page.last.clone()));
            for e in &page.unsealed {
                match e.get("entity_id") {
                    Some(RawValue::Str(id)) => pass.unsealed.push(id.clone()),
                    other => panic!("entity_id {other:?}"),
                }
            }
            assert_eq!(page.episodes.len(), page.read);
            pass.episodes.append(&page.episodes);
            match page.last {
                Some(last) if page.read == 2 => after = Some(last),
                _ => return pass,
            }
        }
    }
}

/// The SQLite store keeps seals too (layout 5): its hand-edit pages count
/// every episode, in entity_id order, and hold in full only the ones whose
/// seal no longer vouches for them: a body, a time or a property changed
/// with the `sqlite3` shell, a seal removed. A time only written another way
/// (the same instant at another offset) is no edit.
#[tokio::test]
async fn sqlite_seal_vouches_only_for_episodes_as_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = sqlite_in(&dir);
    Coordination::init(&store).await.expect("init");
    let group = "contract_group";
    let mut eps: Vec<Ep<'_>> = ["b", "a", "c", "d", "e"]
        .into_iter()
        .map(|id| Ep::new(group, id, "r1"))
        .collect();
    eps[4].file = None;
    let writes = eps.iter().map(|e| e.write(Action::Create)).collect();
    store
        .apply_batch(&run_record(group, "r1", t0()), &batch(writes, &[]))
        .await
        .unwrap();
    let full = async || {
        let pass = HandEditPass::of(&store, group).await;
        let last = |id: &str| Some(id.to_string());
        assert_eq!(pass.pages, [(2, last("b")), (2, last("d")), (1, last("e"))]);
        pass.unsealed
    };
    assert_eq!(full().await, Vec::<String>::new(), "as written");
    assert_eq!(
        HandEditPass::of(&store, group).await.episodes,
        store.load_episodes(group).await.unwrap(),
        "the pages carry the stored state"
    );
    assert_positions(&store, group, &["a", "b", "c", "d", "e"]).await;

    let conn = rusqlite::Connection::open(dir.path().join("graph.db")).unwrap();
    let by_hand = |sql: &str, id: &str| {
        let n = conn.execute(sql, rusqlite::params![group, id]).unwrap();
        assert_eq!(n, 1, "{sql} matched {id}");
    };
    by_hand(
        "UPDATE episodes SET updated_at = replace(updated_at, '+00:00', 'Z') WHERE group_id = ?1 AND entity_id = ?2 AND updated_at LIKE '%+00:00'",
        "d",
    );
    assert_eq!(full().await, Vec::<String>::new(), "another spelling");

    by_hand(
        "UPDATE episodes SET body = body || ' ' WHERE group_id = ?1 AND entity_id = ?2",
        "a",
    );
    by_hand(
        "UPDATE episodes SET created_at = '2024-01-01T00:00:00.000001Z' WHERE group_id = ?1 AND entity_id = ?2",
        "c",
    );
    assert_eq!(full().await, ["a", "c"], "edited by hand");

    by_hand(
        "UPDATE episodes SET seal = NULL WHERE group_id = ?1 AND entity_id = ?2",
        "e",
    );
    assert_eq!(full().await, ["a", "c", "e"], "no seal");
}

#[tokio::test]
async fn sqlite_check_schema_before_and_after_init() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract_check_schema(&sqlite_in(&dir)).await;
}

/// Neo4j's schema is per database and the shared test database is already
/// initialised by the other tests (dropping a constraint there would break
/// them), so this test starts its own fresh server with the same launcher.
/// With an external `NEO4J_TEST_URI` it checks only the "after" half.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_check_schema_before_and_after_init() {
    let Some(shared_uri) = neo4j::neo4j_uri() else {
        return;
    };
    if std::env::var("NEO4J_TEST_URI").is_ok_and(|u| !u.trim().is_empty()) {
        let store = connect_neo4j(&shared_uri).await;
        store.init().await.unwrap();
        store.check_schema().await.unwrap();
        eprintln!("note: NEO4J_TEST_URI is set: schema checked after init only");
        return;
    }
    let fresh = FreshNeo4j::start();
    contract_check_schema(&connect_neo4j(&fresh.uri).await).await;
}

/// A private, empty Neo4j from `tools/neo4j-test-server/start.sh`. Dropping it
/// closes the launcher's stdin, which stops the server and deletes its data.
struct FreshNeo4j {
    uri: String,
    child: std::process::Child,
}

impl FreshNeo4j {
    fn start() -> Self {
        Self::start_with(&[])
    }

    /// Extra launcher flags, e.g. `--port N --data-dir DIR` for a restart.
    fn start_with(flags: &[String]) -> Self {
        let mut child = Command::new("bash")
            .arg(neo4j::launcher_script())
            .env("NEO4J_TEST_HEAP", "512m")
            .args(["--pagecache-mb", "64"])
            .args(flags)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the Neo4j launcher");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("GRAPHSEED_NEO4J_READY ") {
                    let _ = tx.send(
                        rest.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(uri) => FreshNeo4j { uri, child },
            Err(_) => {
                let _ = child.kill();
                panic!("the fresh Neo4j server did not start within 300 s");
            }
        }
    }
}

impl Drop for FreshNeo4j {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// Neo4j only
// ---------------------------------------------------------------------------

/// 100,000 episodes written in batches of 10,000 come back in full from
/// `load_episodes`, in entity_id order (the driver streams them in
/// fetch_size chunks; nothing may be cut off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_load_100k_episodes() {
    const TOTAL: usize = 100_000;
    const BATCH: usize = 10_000;
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let group = neo4j::unique_group("contract_load_100k");
    let store = connect_neo4j(&uri).await;
    store.init().await.unwrap();
    let run_id = format!("{group}_r1");
    let run = run_record(&group, &run_id, t0());
    let template = Ep::new(&group, "x", &run_id).record();
    let started = Instant::now();
    for chunk in 0..TOTAL / BATCH {
        let writes = (chunk * BATCH..(chunk + 1) * BATCH)
            .map(|i| {
                let mut record = template.clone();
                record.entity_id = format!("bulk_{i:06}");
                record.name = record.entity_id.clone();
                EpisodeWrite {
                    action: Action::Create,
                    record,
                }
            })
            .collect();
        store.apply_batch(&run, &batch(writes, &[])).await.unwrap();
    }
    let wrote = started.elapsed();
    let started = Instant::now();
    let loaded = store.load_episodes(&group).await.unwrap();
    let read = started.elapsed();
    eprintln!(
        "neo4j: wrote {TOTAL} episodes in batches of {BATCH} in {:.1}s, load_episodes took {:.1}s",
        wrote.as_secs_f64(),
        read.as_secs_f64()
    );
    assert_eq!(loaded.len(), TOTAL);
    for (i, e) in loaded.iter().enumerate() {
        assert_eq!(e.entity_id(), format!("bulk_{i:06}"));
    }
    assert_eq!(loaded.get(TOTAL - 1).created_at(), template.created_at);
    assert_eq!(
        store.group_revision(&group).await.unwrap(),
        (TOTAL / BATCH) as u64
    );
    neo4j_cleanup(&uri, &groups_of(&group)).await;
}

/// Two processes (two connection pools) claiming the same free lock at the
/// same instant: exactly one wins, the other sees the winner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_lock_race_has_one_winner() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let base = neo4j::unique_group("contract_lock_race");
    let (one, two) = (connect_neo4j(&uri).await, connect_neo4j(&uri).await);
    one.init().await.unwrap();
    let mut groups = Vec::new();
    for round in 0..20 {
        let group = format!("{base}_{round}");
        // Odd rounds race against an expired lease, even rounds on a fresh group.
        if round % 2 == 1 {
            let stale = claim(
                &group,
                &format!("{group}_stale"),
                "old",
                t0() - secs(600),
                60,
            );
            assert_eq!(
                one.acquire_lock(&stale, false).await.unwrap(),
                LockOutcome::Acquired
            );
        }
        let a = claim(&group, &format!("{group}_a"), "a", t0(), 60);
        let b = claim(&group, &format!("{group}_b"), "b", t0(), 60);
        let (ra, rb) = tokio::join!(one.acquire_lock(&a, false), two.acquire_lock(&b, false));
        match (ra.unwrap(), rb.unwrap()) {
            (LockOutcome::Acquired, LockOutcome::Held(h)) => assert_eq!(h, a, "round {round}"),
            (LockOutcome::Held(h), LockOutcome::Acquired) => assert_eq!(h, b, "round {round}"),
            other => panic!("round {round}: both or neither won: {other:?}"),
        }
        groups.push(group);
    }
    neo4j_cleanup(&uri, &groups).await;
}

/// A run recorded by a graphseed from before runs had kinds (no `kind`
/// property) reads as a seed, and `init` stores that kind on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_runs_recorded_before_kinds_are_seeds() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let group = neo4j::unique_group("contract_kind");
    let store = connect_neo4j(&uri).await;
    store.init().await.unwrap();
    let run = run_record(&group, &format!("{group}_old"), t0());
    store.save_run(&run).await.unwrap();
    let graph = neo4j::graph(&uri).await;
    let kind_of = async |graph: &neo4rs::Graph| {
        let mut rows = graph
            .execute(
                neo4rs::query("MATCH (r:SeedRun {run_id: $id}) RETURN r.kind AS kind")
                    .param("id", run.run_id.as_str()),
            )
            .await
            .unwrap();
        let row = rows.next().await.unwrap().expect("one run");
        row.get::<Option<String>>("kind").unwrap()
    };
    graph
        .run(
            neo4rs::query("MATCH (r:SeedRun {run_id: $id}) REMOVE r.kind")
                .param("id", run.run_id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(kind_of(&graph).await, None);
    assert_eq!(store.get_run(&run.run_id).await.unwrap(), Some(run.clone()));
    store.init().await.unwrap();
    assert_eq!(kind_of(&graph).await.as_deref(), Some("seed"));
    neo4j_cleanup(&uri, &groups_of(&group)).await;
}

/// A run node read while another transaction deletes it comes back without
/// its properties (Neo4j reads committed data): such a node is not a record,
/// and listing every group's runs goes on without it instead of failing. (A
/// test's clean-up deleting its runs under `list_runs(None)` did exactly
/// that.) Here the node keeps only its keys, as a read mid-delete sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_a_run_node_without_properties_is_not_a_record() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let group = neo4j::unique_group("contract_bare_run");
    let store = connect_neo4j(&uri).await;
    store.init().await.unwrap();
    let kept = run_record(&group, &format!("{group}_kept"), t0());
    let bare = run_record(&group, &format!("{group}_bare"), t0() + secs(1));
    store.save_run(&kept).await.unwrap();
    store.save_run(&bare).await.unwrap();
    let graph = neo4j::graph(&uri).await;
    graph
        .run(
            neo4rs::query("MATCH (r:SeedRun {run_id: $id}) SET r = {run_id: $id, group_id: $g}")
                .param("id", bare.run_id.as_str())
                .param("g", group.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(store.get_run(&bare.run_id).await.unwrap(), None);
    assert_eq!(
        store.list_runs(Some(&group)).await.unwrap(),
        vec![kept.clone()]
    );
    let all = store.list_runs(None).await.unwrap();
    assert!(all.contains(&kept));
    assert!(!all.iter().any(|r| r.run_id == bare.run_id));
    neo4j_cleanup(&uri, &groups_of(&group)).await;
}

/// The graph model as Cypher users see it: top-level properties with the
/// documented types, one WRITTEN_BY per (episode, run), the group revision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_graph_model_is_queryable_from_cypher() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let group = neo4j::unique_group("contract_model");
    let store = connect_neo4j(&uri).await;
    store.init().await.unwrap();
    let run_id = format!("{group}_r1");
    let mut e = Ep::new(&group, "guides_model", &run_id);
    e.version = "1.10.2-rc.1";
    let mut generated = Ep::new(&group, "generated_model", &run_id);
    generated.file = None;
    let b = batch(
        vec![e.write(Action::Create), generated.write(Action::Create)],
        &[],
    );
    store
        .apply_batch(&run_record(&group, &run_id, t0()), &b)
        .await
        .unwrap();
    store
        .apply_batch(&run_record(&group, &run_id, t0()), &b)
        .await
        .unwrap();

    let graph = neo4j::graph(&uri).await;
    let mut rows = graph
        .execute(
            neo4rs::query(
                "MATCH (e:Episode {group_id: $g, entity_id: 'guides_model'})-[l:WRITTEN_BY]->(r:SeedRun) \
                 MATCH (sg:SeedGroup {group_id: $g}) \
                 RETURN e.version_major AS major, e.version_minor AS minor, e.version_patch AS patch, \
                        e.version_pre AS pre, valueType(e.created_at) AS created_type, \
                        valueType(e.body) AS body_type, count(l) AS links, r.run_id AS run_id, \
                        l.action AS action, sg.revision AS revision, \
                        e.version_major * 1000000 + e.version_minor * 1000 + e.version_patch AS sortable",
            )
            .param("g", group.as_str()),
        )
        .await
        .unwrap();
    let row = rows.next().await.unwrap().expect("one row");
    assert_eq!(row.get::<i64>("major").unwrap(), 1);
    assert_eq!(row.get::<i64>("minor").unwrap(), 10);
    assert_eq!(row.get::<i64>("patch").unwrap(), 2);
    assert_eq!(row.get::<String>("pre").unwrap(), "rc.1");
    assert_eq!(
        row.get::<String>("created_type").unwrap(),
        "ZONED DATETIME NOT NULL"
    );
    assert_eq!(row.get::<String>("body_type").unwrap(), "STRING NOT NULL");
    assert_eq!(row.get::<i64>("links").unwrap(), 1);
    assert_eq!(row.get::<String>("run_id").unwrap(), run_id);
    assert_eq!(row.get::<String>("action").unwrap(), "create");
    assert_eq!(row.get::<i64>("revision").unwrap(), 2);
    assert_eq!(row.get::<i64>("sortable").unwrap(), 1_010_002);

    // A release keeps an empty pre-release; generated content has no file properties at all.
    let mut rows = graph
        .execute(
            neo4rs::query(
                "MATCH (e:Episode {group_id: $g, entity_id: 'generated_model'}) \
                 RETURN e.version_pre AS pre, e.source_hash IS NULL AS no_hash, \
                        e.source_path IS NULL AS no_path, e.body AS body",
            )
            .param("g", group.as_str()),
        )
        .await
        .unwrap();
    let row = rows.next().await.unwrap().expect("one row");
    assert_eq!(row.get::<String>("pre").unwrap(), "");
    assert!(row.get::<bool>("no_hash").unwrap());
    assert!(row.get::<bool>("no_path").unwrap());
    let body: serde_json::Value =
        serde_json::from_str(&row.get::<String>("body").unwrap()).unwrap();
    assert_eq!(body["_metadata"]["entity_id"], "generated_model");
    assert_eq!(body["_metadata"]["source_hash"], serde_json::Value::Null);
    neo4j_cleanup(&uri, &groups_of(&group)).await;
}

/// A refused connection fails at connect time, as Unreachable, saying so.
#[tokio::test]
async fn neo4j_connect_refused_is_unreachable() {
    // A port nothing listens on: bind one, learn its number, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let uri = format!("bolt://127.0.0.1:{port}");
    let target = Target::parse(&uri, None, None, Some(Secret::new("s3cret-pw"))).unwrap();
    let opts = Neo4jOptions {
        connection_timeout: Duration::from_secs(5),
        ..Neo4jOptions::default()
    };
    match neo4j_store::connect(&target, &opts).await {
        Err(e @ StoreError::Unreachable { .. }) => {
            let text = e.to_string();
            assert!(text.contains("refused"), "{text}");
            assert!(!text.contains("s3cret-pw"), "{text}");
        }
        Err(other) => panic!("expected Unreachable, got {other}"),
        Ok(_) => panic!("connected to a closed port"),
    }
}

/// A batch that fails inside Neo4j (here: a hand-edited, non-numeric group
/// revision makes the bump a type error, after the episodes were written in
/// the same transaction) leaves nothing behind, is not reported as
/// transient, and the store keeps working. Hand-edited values that graphseed
/// cannot read are reported as Corrupt, naming the episode and property.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_failed_batch_rolls_back_and_bad_values_are_reported() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let group = neo4j::unique_group("contract_rollback");
    let store = connect_neo4j(&uri).await;
    store.init().await.unwrap();
    let graph = neo4j::graph(&uri).await;
    graph
        .run(
            neo4rs::query("CREATE (:SeedGroup {group_id: $g, revision: true})")
                .param("g", group.as_str()),
        )
        .await
        .unwrap();

    let r1 = format!("{group}_r1");
    let b = batch(
        vec![
            Ep::new(&group, "guides_a", &r1).write(Action::Create),
            Ep::new(&group, "guides_b", &r1).write(Action::Create),
        ],
        &[],
    );
    match store.apply_batch(&run_record(&group, &r1, t0()), &b).await {
        Err(e @ StoreError::Query { .. }) => assert!(!e.is_transient()),
        other => panic!("expected a Query error, got {other:?}"),
    }
    // All or nothing: no episode, no run record.
    assert!(store.load_episodes(&group).await.unwrap().is_empty());
    assert_eq!(store.get_run(&r1).await.unwrap(), None);
    match store.group_revision(&group).await {
        Err(StoreError::Corrupt { message, .. }) => {
            assert!(message.contains("revision"), "{message}")
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }

    // Repaired by hand, the same batch goes through on the same store.
    graph
        .run(
            neo4rs::query("MATCH (g:SeedGroup {group_id: $g}) SET g.revision = 7")
                .param("g", group.as_str()),
        )
        .await
        .unwrap();
    store
        .apply_batch(&run_record(&group, &r1, t0()), &b)
        .await
        .unwrap();
    assert_eq!(store.load_episodes(&group).await.unwrap().len(), 2);
    assert_eq!(store.group_revision(&group).await.unwrap(), 8);

    // A time stored as text and a version that is not semver.
    graph
        .run(
            neo4rs::query(
                "MATCH (e:Episode {group_id: $g, entity_id: 'guides_b'}) \
                 SET e.created_at = '2024-01-01T00:00:00Z', e.version = 'v1'",
            )
            .param("g", group.as_str()),
        )
        .await
        .unwrap();
    for result in [
        store.load_episodes(&group).await.map(drop),
        store.query_episodes(&by_group(&group)).await.map(drop),
    ] {
        match result {
            Err(StoreError::Corrupt { message, .. }) => {
                assert!(message.contains(&format!("{group}/guides_b")), "{message}");
                assert!(
                    message.contains("created_at") || message.contains("version"),
                    "{message}"
                );
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }
    // The connection survived the half-read streams.
    assert_eq!(store.status(Some(&group)).await.unwrap().len(), 2);
    // raw_episodes reads them as stored, for `validate` to report.
    graph
        .run(
            neo4rs::query(
                "MATCH (e:Episode {group_id: $g, entity_id: 'guides_a'}) \
                 SET e.updated_at = localdatetime('2024-01-30T12:00:00.5'), \
                     e.version_major = 1.5, e.content_hash = [1, 2]",
            )
            .param("g", group.as_str()),
        )
        .await
        .unwrap();
    let raw = store.raw_episodes(&group).await.unwrap();
    assert_eq!(raw.len(), 2);
    let (a, b) = (&raw[0], &raw[1]);
    assert_eq!(
        a.get("updated_at"),
        Some(&RawValue::LocalDateTime("2024-01-30T12:00:00.500".into()))
    );
    assert_eq!(a.get("version_major"), Some(&RawValue::Float(1.5)));
    assert_eq!(a.get("content_hash"), Some(&RawValue::Other("LIST".into())));
    assert_eq!(
        a.get("created_at"),
        Some(&RawValue::DateTime(
            "2024-03-01T10:00:00.123456+00:00".into()
        ))
    );
    assert_eq!(
        b.get("created_at"),
        Some(&RawValue::Str("2024-01-01T00:00:00Z".into()))
    );
    assert_eq!(b.get("version"), Some(&RawValue::Str("v1".into())));

    // A lock node with a holder but no expiry: reported, and the aborted
    // transaction leaves the store usable.
    graph
        .run(
            neo4rs::query(
                "CREATE (:SeedLock {group_id: $g, run_id: 'someone', owner: 'x', host: 'y'})",
            )
            .param("g", group.as_str()),
        )
        .await
        .unwrap();
    let c = claim(&group, &format!("{group}_r2"), "me", t0(), 60);
    assert!(matches!(
        store.acquire_lock(&c, false).await,
        Err(StoreError::Corrupt { .. })
    ));
    // `unlock` still clears it (and says the holder was unreadable).
    match store.force_unlock(&group).await {
        Err(StoreError::Corrupt { message, .. }) => {
            assert!(message.contains("removed"), "{message}")
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(store.read_lock(&group).await.unwrap(), None);
    assert_eq!(
        store.acquire_lock(&c, false).await.unwrap(),
        LockOutcome::Acquired
    );
    neo4j_cleanup(&uri, &groups_of(&group)).await;
}

/// The server going away mid-run: the next batch fails as Transient (so the
/// applier retries it), nothing of it is committed, and once the server is
/// back the same store (its pool holds dead connections) replays the batch
/// to the state an uninterrupted run would have left. Needs the launcher (a
/// private server it can stop and restart on the same data).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_lost_connection_is_transient_and_recovers() {
    if neo4j::neo4j_uri().is_none() {
        return;
    }
    if std::env::var("NEO4J_TEST_URI").is_ok_and(|u| !u.trim().is_empty()) {
        eprintln!("note: NEO4J_TEST_URI is set: the restart test needs the launcher, skipped");
        return;
    }
    let data = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let flags = [
        "--port".to_string(),
        port.to_string(),
        "--data-dir".to_string(),
        data.path().join("neo4j").display().to_string(),
    ];
    let server = FreshNeo4j::start_with(&flags);
    let store = connect_neo4j(&server.uri).await;
    store.init().await.unwrap();
    let group = "restart_group";
    let r1 = "restart_r1".to_string();
    let run = run_record(group, &r1, t0());
    let first = batch(
        vec![Ep::new(group, "guides_a", &r1).write(Action::Create)],
        &[],
    );
    store.apply_batch(&run, &first).await.unwrap();

    drop(server);
    let second = batch(
        vec![
            Ep::new(group, "guides_b", &r1).write(Action::Create),
            Ep::new(group, "guides_c", &r1).write(Action::Create),
        ],
        &["guides_a"],
    );
    match store.apply_batch(&run, &second).await {
        Err(e) => assert!(e.is_transient(), "a lost server must be transient: {e:?}"),
        Ok(()) => panic!("wrote to a stopped server"),
    }

    let _server = FreshNeo4j::start_with(&flags);
    // What the applier does: retry the transient failure with a backoff.
    let mut attempt = 0;
    loop {
        attempt += 1;
        match store.apply_batch(&run, &second).await {
            Ok(()) => break,
            Err(e) if e.is_transient() && attempt < 10 => {
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await
            }
            Err(e) => panic!("attempt {attempt}: {e:?}"),
        }
    }
    assert_eq!(
        stored_ids(&store.load_episodes(group).await.unwrap()),
        ["guides_b", "guides_c"]
    );
    assert_eq!(store.group_revision(group).await.unwrap(), 2);
    let history = store.episode_history(group, "guides_a").await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.action).collect::<Vec<_>>(),
        [Action::Prune],
        "one write by r1, pruned by r1 in the second batch: {history:?}"
    );
}

/// `--database` naming a database the server does not have fails at
/// connect time, as Unreachable, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_connect_to_missing_database_is_unreachable() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let user = std::env::var("NEO4J_TEST_USER").unwrap_or_else(|_| "neo4j".into());
    let password = std::env::var("NEO4J_TEST_PASSWORD").unwrap_or_else(|_| "neo4j".into());
    let target = Target::parse(
        &uri,
        Some("graphseed_no_such_db".into()),
        Some(user),
        Some(Secret::new(password)),
    )
    .unwrap();
    match neo4j_store::connect(&target, &Neo4jOptions::default()).await {
        Err(e @ StoreError::Unreachable { .. }) => {
            let text = e.to_string();
            assert!(text.contains("does not exist"), "{text}");
            assert!(text.contains("graphseed_no_such_db"), "{text}");
        }
        Err(other) => panic!("expected Unreachable, got {other}"),
        Ok(_) => panic!("connected to a database that does not exist"),
    }
}

/// Every statement in `cypher/` compiles on the server (EXPLAIN plans it
/// without running it), including ready-made provenance queries added for
/// users. Schema commands cannot be EXPLAINed; init runs them for real.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_every_cypher_file_compiles() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let graph = neo4j::graph(&uri).await;
    let mut checked = 0;
    for (file, text) in graphseed::cypher::ALL {
        let body = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let first = body.trim_start().to_uppercase();
        if first.starts_with("CREATE CONSTRAINT")
            || first.starts_with("CREATE INDEX")
            || first.starts_with("SHOW ")
        {
            continue;
        }
        let explain = format!("EXPLAIN\n{text}");
        let result = graph.run(neo4rs::query(&explain)).await;
        assert!(result.is_ok(), "cypher/{file} does not compile: {result:?}");
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} statements checked");
}
