//! `validate` (stored episodes against the metadata rules) and `verify`
//! (files, graph and run records against each other). Both are read-only.

use serde_json::{Value, json};

use super::seed::select_input;
use super::{Context, print_json};
use crate::cli::SourceSelect;
use crate::error::Error;
use crate::exit_codes;
use crate::hashing;
use crate::planning::{self, Action};
use crate::provenance::validate;
use crate::stores::prelude::*;
use crate::stores::{RawEpisode, RawValue, RunStatus};

pub async fn validate(ctx: &Context) -> Result<i32, Error> {
    let store = ctx.store().await?;
    store.check_schema().await?;
    let group = ctx.group()?;
    let raw = store.raw_episodes(&group).await?;
    let violations: Vec<_> = raw.iter().flat_map(validate::check).collect();
    if ctx.ui.json {
        print_json(&json!({
            "group_id": group,
            "episodes_checked": raw.len(),
            "violations": violations.iter().map(|v| json!({"entity_id": v.entity_id, "field": v.field, "problem": v.problem})).collect::<Vec<_>>(),
        }));
    } else {
        for v in &violations {
            println!("invalid: {}: {}: {}", v.entity_id, v.field, v.problem);
        }
        println!(
            "{} episodes checked in group `{group}`, {} violation(s)",
            raw.len(),
            violations.len()
        );
    }
    if violations.is_empty() {
        Ok(exit_codes::OK)
    } else {
        Err(Error::Validation(violations.len()))
    }
}

struct Finding {
    kind: &'static str,
    entity_id: Option<String>,
    path: Option<String>,
    message: String,
}

fn s(e: &RawEpisode, k: &str) -> Option<String> {
    match e.get(k) {
        Some(RawValue::Str(v)) => Some(v.clone()),
        _ => None,
    }
}

/// Hand edits: the body's content must still hash to `content_hash`, and the
/// body's `_metadata` must agree with the properties Cypher sees.
fn hand_edits(raw: &[RawEpisode], out: &mut Vec<Finding>) {
    for e in raw {
        let id = s(e, "entity_id");
        let Some(body) = s(e, "body").and_then(|b| serde_json::from_str::<Value>(&b).ok()) else {
            continue; // `validate` reports a missing or broken body
        };
        let Some(obj) = body.as_object() else {
            continue;
        };
        let stored_hash = s(e, "content_hash").unwrap_or_default();
        if hashing::content_hash(obj) != stored_hash {
            out.push(Finding {
                kind: "edited_by_hand",
                entity_id: id.clone(),
                path: s(e, "source_path"),
                message: "the body no longer hashes to its content_hash: the episode was edited outside graphseed".into(),
            });
        }
        let meta = obj.get("_metadata").cloned().unwrap_or(Value::Null);
        for k in [
            "version",
            "source",
            "entity_id",
            "content_hash",
            "source_hash",
            "source_path",
            "run_id",
        ] {
            let prop = s(e, k).map(Value::String).unwrap_or(Value::Null);
            if meta.get(k).cloned().unwrap_or(Value::Null) != prop {
                out.push(Finding {
                    kind: "edited_by_hand",
                    entity_id: id.clone(),
                    path: s(e, "source_path"),
                    message: format!(
                        "property `{k}` is {prop} but the body's _metadata says {}",
                        meta.get(k).unwrap_or(&Value::Null)
                    ),
                });
            }
        }
    }
}

pub async fn verify(ctx: &Context, a: &SourceSelect) -> Result<i32, Error> {
    let store = ctx.store().await?;
    store.check_schema().await?;
    let mut input = select_input(ctx, a)?;
    // Every stored version counts as comparable here: verify reports, it
    // never refuses.
    input.allow_downgrade = true;
    let group = input.group_id.clone();
    let revision = store.group_revision(&group).await?;
    let stored = store.load_episodes(&group).await?;
    let raw = store.raw_episodes(&group).await?;
    let mut findings = Vec::new();
    hand_edits(&raw, &mut findings);

    // Files against the graph, through the planner: what a seed would do is
    // exactly what has drifted.
    let plan = planning::plan(&input, &stored, revision);
    for d in &plan.decisions {
        let (kind, message) = match d.action {
            Action::Skip => continue,
            Action::Create => (
                "missing_from_graph",
                "in the sources but not in the graph: deleted by hand, or never seeded".to_string(),
            ),
            Action::Update => (
                "content_drift",
                format!(
                    "differs from its source: {} (changed file, or an episode edited by hand)",
                    d.reason
                ),
            ),
            Action::Refresh => ("file_changed", format!("source file changed: {}", d.reason)),
            Action::Replace => ("version_drift", d.reason.to_string()),
            Action::Orphan | Action::Prune => (
                "source_gone",
                "in the graph but its source is gone (an orphan)".to_string(),
            ),
        };
        findings.push(Finding {
            kind,
            entity_id: Some(d.entity_id.clone()),
            path: d.source_path.clone(),
            message,
        });
    }
    for e in &plan.errors {
        findings.push(Finding {
            kind: "source_error",
            entity_id: None,
            path: Some(e.location()),
            message: e.message.clone(),
        });
    }

    // The graph against the run records.
    let computed = planning::graph_signature(stored.iter().map(|e| {
        (
            e.entity_id.as_str(),
            e.content_hash.as_ref(),
            e.version.as_ref(),
        )
    }));
    let last = store
        .list_runs(Some(&group))
        .await?
        .into_iter()
        .find(|r| r.status == RunStatus::Succeeded && r.graph_signature.is_some());
    if let Some(run) = &last
        && run.graph_signature.as_deref() != Some(computed.as_str())
    {
        findings.push(Finding {
            kind: "signature_mismatch",
            entity_id: None,
            path: None,
            message: format!(
                "graph_signature {computed} differs from {} recorded by run {}: the graph changed outside graphseed",
                run.graph_signature.as_deref().unwrap_or_default(),
                run.run_id
            ),
        });
    }

    if ctx.ui.json {
        print_json(&json!({
            "group_id": group,
            "episodes": stored.len(),
            "files_seen": plan.stats.files_seen,
            "graph_signature": {
                "computed": computed,
                "recorded": last.as_ref().and_then(|r| r.graph_signature.clone()),
                "run_id": last.as_ref().map(|r| r.run_id.clone()),
            },
            "findings": findings.iter().map(|f| json!({"kind": f.kind, "entity_id": f.entity_id, "path": f.path, "message": f.message})).collect::<Vec<_>>(),
        }));
    } else {
        for f in &findings {
            let what = f
                .entity_id
                .as_deref()
                .or(f.path.as_deref())
                .unwrap_or("graph");
            println!("{:<19} {what}: {}", f.kind, f.message);
        }
        println!(
            "{} episodes, {} files checked in group `{group}`: {} finding(s); graph_signature {computed}",
            stored.len(),
            plan.stats.files_seen,
            findings.len()
        );
    }
    if findings.is_empty() {
        Ok(exit_codes::OK)
    } else {
        Err(Error::Drift(findings.len()))
    }
}
