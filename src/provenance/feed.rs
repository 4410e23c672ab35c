//! The change feed (`graphseed changes`): which of a run's decisions a
//! pipeline that calls an API per change (Graphiti's `add_episode`, a vector
//! store) must hear about, and what each one replaced. Pure functions over
//! the provenance links the store keeps, so both stores answer the same.

use serde_json::{Value, json};

use crate::graphiti;
use crate::metadata::format_time;
use crate::stores::{Action, RunChange, RunRecord, RunStatus};

/// Whether a decision changed what a consumer holds, so the feed lists it.
///
/// - create, update, replace, restore, prune: always (the content, or its
///   presence, changed).
/// - transfer: always; another source owns the episode now, so its body's
///   `_metadata.source` (Graphiti's `source_description`) changed.
/// - repair: only when it wrote other content than graphseed had written
///   before (`content_hash` differs from the previous link's): a repair that
///   undoes a hand edit in the graph puts back what consumers were already
///   fed.
/// - rewrite (`--force`, content unchanged), refresh (only source_hash or
///   source_path moved), skip, orphan: never.
pub fn is_fed(action: Action, content_hash: &str, previous_content_hash: Option<&str>) -> bool {
    match action {
        Action::Create
        | Action::Update
        | Action::Replace
        | Action::Restore
        | Action::Prune
        | Action::Transfer => true,
        Action::Repair => previous_content_hash != Some(content_hash),
        Action::Rewrite | Action::Refresh | Action::Skip | Action::Orphan => false,
    }
}

/// The content the store held for the episode just before the decision:
/// none before a create, or a restore (the episode was missing from the
/// graph), or after a prune; for a prune, what it removed; otherwise the
/// content of the previous link.
pub fn previous_content_hash(c: &RunChange) -> Option<String> {
    match c.action {
        Action::Prune => Some(c.content_hash.clone()),
        Action::Create | Action::Restore => None,
        _ if c.previous_action == Some(Action::Prune) => None,
        _ => c.previous_content_hash.clone(),
    }
}

/// The runs `--since-run` covers: the seed runs after `since` (exclusive) in
/// the order they ran, up to the first one still running (its batches may
/// still be coming; the next read picks it up). `runs` as `list_runs` gives
/// them, in any order.
pub fn runs_after<'a>(runs: &'a [RunRecord], since: &RunRecord) -> Vec<&'a RunRecord> {
    let key = |r: &RunRecord| (r.started_at, r.run_id.clone());
    let mut after: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| r.kind == since.kind && r.group_id == since.group_id)
        .filter(|r| key(r) > key(since))
        .collect();
    after.sort_by_key(|r| key(r));
    let end = after
        .iter()
        .position(|r| r.status == RunStatus::Running)
        .unwrap_or(after.len());
    after.truncate(end);
    after
}

/// One fed decision as JSON: what a consumer needs to call its API (see the
/// README's "Using with Graphiti"). `body` is the stored body, `_metadata`
/// included, while the episode still holds the content this run wrote
/// (its `_metadata` is the latest write's); `null` (and `superseded: true`)
/// once a later run changed the content or pruned the episode.
pub fn change_json(group_id: &str, run_id: &str, c: &RunChange) -> Value {
    let body: Option<Value> = c.body.as_deref().and_then(|b| serde_json::from_str(b).ok());
    let meta = body.as_ref().and_then(|b| b.get("_metadata"));
    let text = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
    let pruned = c.action == Action::Prune;
    json!({
        "run_id": run_id,
        "group_id": group_id,
        "entity_id": c.entity_id,
        "uuid": graphiti::episode_uuid(group_id, &c.entity_id).to_string(),
        "action": c.action.as_str(),
        "at": format_time(&c.at),
        "version": c.version,
        "content_hash": (!pruned).then_some(&c.content_hash),
        "previous_content_hash": previous_content_hash(c),
        "source_hash": c.source_hash,
        "name": c.name,
        "source_type": body.as_ref().map(|_| graphiti::source_type(text("source_path"))),
        "source_description": text("source"),
        "valid_at": text("updated_at"),
        "superseded": !pruned && body.is_none(),
        "body": body,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::stores::RunKind;

    fn change(action: Action, prev: Option<(Action, &str)>) -> RunChange {
        RunChange {
            entity_id: "note_a".into(),
            action,
            at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            version: "1.0.0".into(),
            content_hash: "new".into(),
            source_hash: None,
            previous_action: prev.map(|p| p.0),
            previous_content_hash: prev.map(|p| p.1.to_string()),
            name: None,
            body: None,
        }
    }

    #[test]
    fn which_decisions_are_fed() {
        use Action::*;
        // (action, content_hash, previous link's content_hash, fed)
        let table: &[(Action, &str, Option<&str>, bool)] = &[
            (Create, "a", None, true),
            (Update, "b", Some("a"), true),
            (Replace, "b", Some("a"), true),
            (Restore, "a", Some("a"), true),
            (Prune, "a", Some("a"), true),
            (Transfer, "a", Some("a"), true),
            (Repair, "a", Some("a"), false),
            (Repair, "b", Some("a"), true),
            (Repair, "a", None, true),
            (Rewrite, "a", Some("a"), false),
            (Refresh, "a", Some("a"), false),
            (Skip, "a", Some("a"), false),
            (Orphan, "a", Some("a"), false),
        ];
        for (action, hash, prev, fed) in table {
            assert_eq!(
                is_fed(*action, hash, *prev),
                *fed,
                "{action:?} {hash} {prev:?}"
            );
        }
    }

    #[test]
    fn previous_content_per_decision() {
        use Action::*;
        // (action, previous link as (action, content_hash), previous content)
        type Row<'a> = (Action, Option<(Action, &'a str)>, Option<&'a str>);
        let table: &[Row] = &[
            (Create, None, None),
            // Re-created after a prune: nothing was stored just before.
            (Create, Some((Prune, "old")), None),
            (Update, Some((Create, "old")), Some("old")),
            (Replace, Some((Update, "old")), Some("old")),
            (Update, Some((Prune, "old")), None),
            // Deleted by hand: the graph held nothing, whatever the links say.
            (Restore, Some((Create, "old")), None),
            (Repair, Some((Update, "old")), Some("old")),
            (Transfer, Some((Create, "old")), Some("old")),
            // A prune's link records what it removed.
            (Prune, Some((Update, "old")), Some("new")),
        ];
        for (action, prev, want) in table {
            let c = change(*action, *prev);
            assert_eq!(
                previous_content_hash(&c).as_deref(),
                *want,
                "{action:?} after {prev:?}"
            );
        }
    }

    fn run(id: &str, minute: u32, kind: RunKind, status: RunStatus) -> RunRecord {
        RunRecord {
            run_id: id.into(),
            group_id: "g".into(),
            kind,
            status,
            started_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap(),
            finished_at: None,
            tool_version: String::new(),
            seed_version: String::new(),
            params_hash: String::new(),
            params_json: String::new(),
            graph_signature: None,
            sources_signature: None,
            git_commit: None,
            git_branch: None,
            git_dirty: None,
            hostname: String::new(),
            os: String::new(),
            counts: Default::default(),
        }
    }

    #[test]
    fn since_run_takes_later_seed_runs_in_order_up_to_a_running_one() {
        use RunStatus::*;
        let runs = vec![
            run("r5", 5, RunKind::Seed, Running),
            run("r4", 4, RunKind::Seed, Succeeded),
            run("c3", 3, RunKind::Communities, Succeeded),
            run("r3", 3, RunKind::Seed, Failed),
            run("r2", 2, RunKind::Seed, Abandoned),
            run("r1", 1, RunKind::Seed, Succeeded),
        ];
        let ids = |since: &RunRecord| -> Vec<String> {
            runs_after(&runs, since)
                .into_iter()
                .map(|r| r.run_id.clone())
                .collect()
        };
        assert_eq!(ids(&runs[5]), ["r2", "r3", "r4"]);
        assert_eq!(ids(&runs[1]), Vec::<String>::new());
        let mut done = runs.clone();
        done[0].status = Succeeded;
        let after: Vec<_> = runs_after(&done, &done[5])
            .iter()
            .map(|r| r.run_id.clone())
            .collect();
        assert_eq!(after, ["r2", "r3", "r4", "r5"]);
    }

    #[test]
    fn change_json_reads_graphiti_fields_from_the_body() {
        let mut c = change(Action::Update, Some((Action::Create, "old")));
        c.name = Some("Note A".into());
        c.body = Some(
            r#"{"content":"x","_metadata":{"source":"docs","source_path":"notes/a.md","updated_at":"2026-01-02T03:04:05+00:00"}}"#
                .into(),
        );
        let v = change_json("g", "r1", &c);
        assert_eq!(v["uuid"], graphiti::episode_uuid("g", "note_a").to_string());
        assert_eq!(v["source_type"], "text");
        assert_eq!(v["source_description"], "docs");
        assert_eq!(v["valid_at"], "2026-01-02T03:04:05+00:00");
        assert_eq!(v["previous_content_hash"], "old");
        assert_eq!(v["superseded"], false);
        assert_eq!(v["body"]["content"], "x");
        // Changed again by a later run: no body, marked superseded.
        c.body = None;
        let v = change_json("g", "r1", &c);
        assert_eq!(v["superseded"], true);
        assert!(v["body"].is_null() && v["source_type"].is_null());
        // A prune: no content, what it removed as the previous content.
        let p = change(Action::Prune, Some((Action::Update, "x")));
        let v = change_json("g", "r2", &p);
        assert!(v["content_hash"].is_null());
        assert_eq!(v["previous_content_hash"], "new");
        assert_eq!(v["superseded"], false);
    }
}
