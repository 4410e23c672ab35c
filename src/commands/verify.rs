//! `validate` (stored episodes against the metadata rules) and `verify`
//! (files, graph and run records against each other). Both are read-only.

use clap::Args;
use serde_json::json;

use super::select::{SourceSelect, select_input};
use super::{Context, Outcome};
use crate::error::Error;
use crate::planning::{self, Action, ErrorKind};
use crate::provenance::validate;
use crate::stores::RunStatus;
use crate::stores::any::Access;
use crate::stores::prelude::*;
use crate::ui::{self, outln};

#[derive(Debug, Args, Clone, Default)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub select: SourceSelect,
}

pub async fn validate(ctx: &Context) -> Result<Outcome, Error> {
    let store = ctx.store_for(Access::ReadOnly).await?;
    store.check_schema().await?;
    let group = ctx.group()?;
    let raw = store.raw_episodes(&group).await?;
    let violations: Vec<_> = raw.iter().flat_map(validate::check).collect();
    if ctx.ui.json {
        ui::json(&json!({
            "group_id": group,
            "episodes_checked": raw.len(),
            "violations": violations.iter().map(|v| json!({"entity_id": v.entity_id, "field": v.field, "problem": v.problem})).collect::<Vec<_>>(),
        }));
    } else {
        for v in &violations {
            outln!(
                "invalid: {}: {}: {}",
                ui::path(&v.entity_id),
                v.field,
                ui::path(&v.problem)
            );
        }
        outln!(
            "{} episodes checked in group `{group}`, {} violation(s)",
            raw.len(),
            violations.len()
        );
    }
    if violations.is_empty() {
        Ok(Outcome::Done)
    } else {
        Err(Error::Validation(violations.len()))
    }
}

struct Finding {
    kind: &'static str,
    entity_id: Option<String>,
    path: Option<String>,
    message: String,
    /// The command that fixes it.
    fix: &'static str,
}

/// What `graphseed seed` does about every finding it can fix by itself,
/// hand edits included: every seed re-checks the stored bodies and
/// tool-owned fields before it trusts the hash-first skip.
const FIX_SEED: &str = "graphseed seed";

pub async fn verify(ctx: &Context, a: &SourceSelect) -> Result<Outcome, Error> {
    let store = ctx.store_for(Access::ReadOnly).await?;
    store.check_schema().await?;
    let mut input = select_input(ctx, a)?;
    // Every file is read for its links: dangling ones and links that no
    // longer match the graph are findings too.
    input.links.reread = true;
    let group = input.group_id.clone();
    let revision = store.group_revision(&group).await?;
    // The same paged pass a seed makes: bounded memory on a large group, and
    // the stored state read with it.
    let (stored, edited) = crate::seeding::read_stored(
        &store,
        &group,
        crate::applying::RetryPolicy::default(),
        &ctx.ui,
    )
    .await?;
    let stored = std::sync::Arc::new(stored);
    let mut edits: Vec<_> = edited.values().collect();
    edits.sort_by(|a, b| a.entity_id.cmp(&b.entity_id));
    let mut findings: Vec<Finding> = edits
        .iter()
        .flat_map(|e| {
            e.problems.iter().map(|p| Finding {
                kind: "edited_by_hand",
                entity_id: Some(e.entity_id.clone()),
                path: e.source_path.clone(),
                message: p.clone(),
                fix: FIX_SEED,
            })
        })
        .collect();
    // verify looks at everything, as a reconciling seed would: no file is
    // trusted for its hash alone. The plan is made with the flags the user
    // gave (none): a stored version newer than the sources is reported as
    // the refused downgrade it is, never as allowed.
    input.reconcile = Some(planning::Reconcile {
        why: "verify".into(),
        edited,
    });

    // Files against the graph, through the planner: what a seed would do is
    // exactly what has drifted, and `seed` is what fixes it.
    let stored_links = store.load_links(&group).await?;
    let link_state = store
        .load_link_state(&group, &crate::links::StateWanted::All)
        .await?;
    let plan = planning::plan(&input, &stored, &stored_links, &link_state, revision);
    for d in plan.decisions.iter() {
        let (kind, message, fix) = match d.action {
            // A plain seed re-resolves exactly these (the ones its stored
            // link facts point at, or, after a hand edit of the links, all:
            // the graph_signature no longer matches and it reconciles).
            Action::Skip if d.relinks() => (
                "links_drift",
                "its links in the graph no longer match its source (a target was renamed, removed or created, its link facts were never stored, or a link was edited by hand)".to_string(),
                "graphseed seed",
            ),
            // Reported above, from the bodies.
            Action::Skip | Action::Repair => continue,
            // Only with flags verify does not take.
            Action::Rewrite | Action::Transfer => continue,
            Action::Restore => (
                "missing_from_graph",
                "its file is unchanged but the episode is not in the graph: deleted by hand"
                    .to_string(),
                FIX_SEED,
            ),
            Action::Create => (
                "missing_from_graph",
                "in the sources but not in the graph: deleted by hand, or never seeded".to_string(),
                FIX_SEED,
            ),
            Action::Update => (
                "content_drift",
                format!(
                    "differs from its source: {} (changed file, or an episode edited by hand)",
                    plan.reason(&d)
                ),
                FIX_SEED,
            ),
            Action::Refresh => (
                "file_changed",
                format!("source file changed: {}", plan.reason(&d)),
                FIX_SEED,
            ),
            Action::Replace => ("version_drift", plan.reason(&d).to_string(), FIX_SEED),
            Action::Orphan | Action::Prune => (
                "source_gone",
                "in the graph but its source is gone (an orphan)".to_string(),
                "graphseed seed --prune",
            ),
        };
        findings.push(Finding {
            kind,
            entity_id: Some(d.entity_id.to_string()),
            path: plan.source_path(&d).map(str::to_string),
            message,
            fix,
        });
    }
    for w in &plan.links.warnings {
        findings.push(Finding {
            kind: if w.candidates.is_empty() {
                "dangling_link"
            } else {
                "ambiguous_link"
            },
            entity_id: Some(w.entity_id.clone()),
            path: Some(format!("{}:{}:{}", w.path, w.line, w.column)),
            message: w.what(),
            fix: "fix the link in its file, or create its target, then graphseed seed",
        });
    }
    for e in &plan.errors {
        let (kind, fix) = match e.kind {
            ErrorKind::Downgrade => (
                "newer_in_graph",
                "raise the version, or graphseed seed --allow-downgrade",
            ),
            ErrorKind::Input => ("source_error", "fix the file, then graphseed seed"),
        };
        findings.push(Finding {
            kind,
            entity_id: None,
            path: Some(e.location()),
            message: e.message.clone(),
            fix,
        });
    }

    // The graph against the run records.
    let computed =
        planning::graph_signature_with_links(planning::stored_signature(&stored), &stored_links);
    let last = store.list_runs(Some(&group)).await?.into_iter().find(|r| {
        r.kind == crate::stores::RunKind::Seed
            && r.status == RunStatus::Succeeded
            && r.graph_signature.is_some()
    });
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
            fix: FIX_SEED,
        });
    }

    if ctx.ui.json {
        ui::json(&json!({
            "group_id": group,
            "episodes": stored.len(),
            "files_seen": plan.stats.files_seen,
            "graph_signature": {
                "computed": computed,
                "recorded": last.as_ref().and_then(|r| r.graph_signature.clone()),
                "run_id": last.as_ref().map(|r| r.run_id.clone()),
            },
            "findings": findings.iter().map(|f| json!({"kind": f.kind, "entity_id": f.entity_id, "path": f.path, "message": f.message, "fix": f.fix})).collect::<Vec<_>>(),
        }));
    } else {
        for f in &findings {
            let what = f
                .entity_id
                .as_deref()
                .or(f.path.as_deref())
                .unwrap_or("graph");
            outln!(
                "{:<19} {}: {} (fix: `{}`)",
                f.kind,
                ui::path(what),
                ui::path(&f.message),
                f.fix
            );
        }
        outln!(
            "{} episodes, {} files checked in group `{group}`: {} finding(s); graph_signature {computed}",
            stored.len(),
            plan.stats.files_seen,
            findings.len()
        );
    }
    if findings.is_empty() {
        Ok(Outcome::Done)
    } else {
        Err(Error::Drift(findings.len()))
    }
}
