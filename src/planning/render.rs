//! How a plan reads: a table for people, JSON for machines. Nothing here may
//! depend on the clock or on ids made at run time, so the same inputs and the
//! same graph give a byte-identical plan.

use serde_json::{Value, json};

use super::{Action, Plan, PlanEntry, PlanError, Snapshot};

/// A snapshot as the plan JSON and the audit trail write it. Fields are in
/// key order, the order `serde_json::Map` sorts them in, so writing this
/// struct directly gives the same bytes as going through a `Value`.
#[derive(serde::Serialize)]
struct SnapshotLine<'a> {
    content_hash: &'a str,
    source_hash: Option<&'a str>,
    version: &'a str,
}

impl<'a> SnapshotLine<'a> {
    fn of(s: &'a Option<std::sync::Arc<Snapshot>>) -> Option<Self> {
        s.as_ref().map(|s| SnapshotLine {
            content_hash: &s.content_hash,
            source_hash: s.source_hash.as_deref(),
            version: &s.version,
        })
    }
}

/// One decision, borrowed: serialized straight into the audit trail's
/// `actions.jsonl` (100k lines must not cost 100k `Value` trees), or into
/// the plan JSON through [`decision_json`]. Fields in key order (see above).
#[derive(serde::Serialize)]
pub struct DecisionLine<'a> {
    action: &'a str,
    after: Option<SnapshotLine<'a>>,
    before: Option<SnapshotLine<'a>>,
    entity_id: &'a str,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<&'a str>,
    source: &'a str,
    source_path: Option<&'a str>,
}

impl<'a> DecisionLine<'a> {
    /// `run_id` is set in the audit trail, where lines of many runs may be
    /// concatenated; the plan itself has no run yet.
    pub fn of(d: &'a PlanEntry, run_id: Option<&'a str>) -> Self {
        DecisionLine {
            action: d.action.as_str(),
            after: SnapshotLine::of(&d.after),
            before: SnapshotLine::of(&d.before),
            entity_id: &d.entity_id,
            reason: &d.reason,
            run_id,
            source: &d.source,
            source_path: d.source_path.as_deref(),
        }
    }
}

pub fn decision_json(d: &PlanEntry) -> Value {
    serde_json::to_value(DecisionLine::of(d, None)).expect("a decision serializes")
}

pub fn error_json(e: &PlanError) -> Value {
    json!({
        "kind": match e.kind { super::ErrorKind::Input => "input", super::ErrorKind::Downgrade => "downgrade" },
        "path": e.path,
        "line": e.line,
        "column": e.column,
        "message": e.message,
        "hint": e.hint,
    })
}

pub fn plan_json(plan: &Plan, target: &str) -> Value {
    json!({
        "group_id": plan.group_id,
        "version": plan.version.to_string(),
        "target": target,
        "counts": plan.counts(),
        "files": {
            "seen": plan.stats.files_seen,
            "parsed": plan.stats.files_parsed,
            "skipped": plan.stats.skipped.iter().map(|(p, why)| json!({"path": p, "why": why})).collect::<Vec<_>>(),
        },
        "decisions": plan.decisions.iter().map(decision_json).collect::<Vec<_>>(),
        "errors": plan.errors.iter().map(error_json).collect::<Vec<_>>(),
        "graph_signature_after": plan.signature_after,
    })
}

fn marker(a: Action) -> char {
    match a {
        Action::Create => '+',
        Action::Update | Action::Replace => '~',
        Action::Refresh => '^',
        Action::Skip => '=',
        Action::Orphan => '?',
        Action::Prune => '-',
    }
}

pub fn errors_text(errors: &[PlanError]) -> String {
    let mut out = String::new();
    for e in errors {
        out.push_str(&format!("error: {}: {}\n", e.location(), e.message));
        if let Some(h) = &e.hint {
            out.push_str(&format!("  hint: {h}\n"));
        }
    }
    out
}

pub fn counts_line(plan: &Plan) -> String {
    let counts = plan.counts();
    Action::ALL
        .iter()
        .map(|a| format!("{} {}", counts[a.as_str()], a.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plan as a table. Skips are counted, and listed only when `verbose`:
/// a reseed of 100k unchanged episodes should not print 100k lines.
pub fn plan_text(plan: &Plan, target: &str, verbose: bool) -> String {
    let mut out = format!(
        "Plan for group `{}` at version {} on {}\n",
        plan.group_id, plan.version, target
    );
    let width = plan
        .decisions
        .iter()
        .filter(|d| verbose || d.action != Action::Skip)
        .map(|d| d.entity_id.len())
        .max()
        .unwrap_or(0);
    let mut hidden = 0u64;
    for d in &plan.decisions {
        if d.action == Action::Skip && !verbose {
            hidden += 1;
            continue;
        }
        let path = d.source_path.as_deref().unwrap_or("<stdin>");
        out.push_str(&format!(
            "  {} {:<7} {:<width$}  {}  {}\n",
            marker(d.action),
            d.action.as_str(),
            d.entity_id,
            path,
            d.reason,
        ));
    }
    if hidden > 0 {
        out.push_str(&format!(
            "  = {hidden} unchanged episodes not listed (-v lists them)\n"
        ));
    }
    out.push_str(&format!(
        "{} files seen, {} parsed; episodes: {}\n",
        plan.stats.files_seen,
        plan.stats.files_parsed,
        counts_line(plan)
    ));
    if !plan.errors.is_empty() {
        out.push_str(&errors_text(&plan.errors));
        out.push_str(&format!(
            "{} error(s): nothing will be written\n",
            plan.errors.len()
        ));
    } else if !plan.has_changes() {
        out.push_str("Nothing to do: the graph is in step with the sources.\n");
    }
    out
}
