//! How a plan reads: a table for people, JSON for machines. Nothing here may
//! depend on the clock or on ids made at run time, so the same inputs and the
//! same graph give a byte-identical plan.

use serde_json::{Value, json};

use super::{Action, ErrorKind, Plan, PlanEntry, PlanError, Snapshot};
use crate::hashing::StoredHash;
use crate::ui::path as shown;

/// A snapshot as the plan JSON and the audit trail write it. Fields are in
/// key order, the order `serde_json::Map` sorts them in, so writing this
/// struct directly gives the same bytes as going through a `Value`.
#[derive(serde::Serialize)]
struct SnapshotLine<'a> {
    content_hash: std::borrow::Cow<'a, StoredHash>,
    source_hash: Option<std::borrow::Cow<'a, StoredHash>>,
    version: &'a str,
}

impl<'a> SnapshotLine<'a> {
    fn of(s: Option<Snapshot<'a>>) -> Option<Self> {
        s.map(|s| SnapshotLine {
            content_hash: s.content_hash,
            source_hash: s.source_hash,
            version: s.version,
        })
    }
}

/// One decision, borrowed: serialized straight into the audit trail's
/// `actions.jsonl` (100k lines must not cost 100k `Value` trees), or into
/// the plan JSON (see [`PlanJson`]). Fields in key order (see above).
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
    pub fn of(plan: &'a Plan, d: &'a PlanEntry, run_id: Option<&'a str>) -> Self {
        DecisionLine {
            action: d.action.as_str(),
            after: SnapshotLine::of(plan.after(d)),
            before: SnapshotLine::of(plan.before(d)),
            entity_id: &d.entity_id,
            reason: plan.reason(d),
            run_id,
            source: plan.source(d),
            source_path: plan.source_path(d),
        }
    }
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

/// The keys of `counts`, in every command's JSON (`plan`, `seed`,
/// `status.last_run`, `runs`): one per action, then `error`.
pub const COUNT_KEYS: [&str; 12] = [
    "create", "update", "replace", "refresh", "restore", "repair", "rewrite", "transfer", "skip",
    "orphan", "prune", "error",
];

/// `counts` in the one documented shape: every key of [`COUNT_KEYS`], zero
/// when absent (a run recorded by an older graphseed may lack some).
pub fn counts_json<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>) -> Value {
    let mut m: serde_json::Map<String, Value> = COUNT_KEYS
        .iter()
        .map(|k| (k.to_string(), json!(0)))
        .collect();
    for (k, n) in counts {
        m.insert(k.to_string(), json!(n));
    }
    Value::Object(m)
}

/// A plan's `counts`: its decisions per action, and its errors.
pub fn plan_counts(plan: &Plan) -> Value {
    let errors = plan.error_count() as u64;
    counts_json(plan.counts().into_iter().chain([("error", errors)]))
}

/// `files` in the one documented shape (`plan` and `seed`): numbers only.
/// The skipped paths, with why, are listed beside it in `skipped`.
pub fn files_json(plan: &Plan) -> Value {
    json!({
        "seen": plan.stats.files_seen,
        "parsed": plan.stats.files_parsed,
        "unchanged": plan.stats.files_unchanged,
        "bytes_hashed": plan.stats.bytes_hashed,
        "skipped": plan.stats.skipped.len(),
    })
}

/// The skipped files, with why (`plan` and `seed`).
pub fn skipped_json(plan: &Plan) -> Value {
    plan.stats
        .skipped
        .iter()
        .map(|(p, why)| json!({"path": p, "why": why}))
        .collect()
}

/// `plan --json` (and `seed --dry-run --json`), serialized as it is
/// written: a decision at a time, straight from the plan. Built as one
/// `serde_json::Value` first, a decision cost about 2.5 KB (a map for it and
/// for each snapshot) and the printed text as much again: gigabytes for a
/// million episodes. Keys in the order a `Value` map prints them (sorted),
/// so the bytes are the same (a test holds them to it).
pub struct PlanJson<'a> {
    plan: &'a Plan,
    target: &'a str,
}

pub fn plan_json<'a>(plan: &'a Plan, target: &'a str) -> PlanJson<'a> {
    PlanJson { plan, target }
}

impl serde::Serialize for PlanJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let plan = self.plan;
        let mut m = s.serialize_map(Some(12))?;
        m.serialize_entry("counts", &plan_counts(plan))?;
        m.serialize_entry("decisions", &DecisionsJson(plan))?;
        m.serialize_entry(
            "errors",
            &plan.errors.iter().map(error_json).collect::<Vec<_>>(),
        )?;
        m.serialize_entry("errors_not_listed", &plan.errors_unlisted.0)?;
        m.serialize_entry("files", &files_json(plan))?;
        m.serialize_entry("graph_signature_after", &plan.signature_after)?;
        m.serialize_entry("group_id", &plan.group_id)?;
        m.serialize_entry("links", &links_json(plan))?;
        m.serialize_entry("reconciling", &plan.reconciling)?;
        m.serialize_entry("skipped", &skipped_json(plan))?;
        m.serialize_entry("target", self.target)?;
        m.serialize_entry("version", &plan.version.to_string())?;
        m.end()
    }
}

/// Every decision of a plan, each serialized as it is reached. Not a
/// [`crate::ui::JsonSeq`]: an unchanged skip is built on the fly, and its
/// line borrows it, so the line cannot outlive the loop's body.
struct DecisionsJson<'a>(&'a Plan);

impl serde::Serialize for DecisionsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let plan = self.0;
        let mut seq = s.serialize_seq(None)?;
        for d in plan.decisions.iter() {
            seq.serialize_element(&DecisionLine::of(plan, &d, None))?;
        }
        seq.end()
    }
}

/// `links` in `plan` and `seed` JSON: what the parsed episodes link, and
/// every link that names no episode (or several), with where it is written.
pub fn links_json(plan: &Plan) -> Value {
    serde_json::to_value(&plan.links).expect("a link summary serializes")
}

fn marker(a: Action) -> char {
    match a {
        Action::Create => '+',
        Action::Update | Action::Replace => '~',
        Action::Refresh => '^',
        Action::Restore | Action::Repair | Action::Transfer => '!',
        Action::Rewrite => '~',
        Action::Skip => '=',
        Action::Orphan => '?',
        Action::Prune => '-',
    }
}

/// The plan's errors for stderr. Input errors are listed one by one. A
/// downgrade usually concerns every episode at once (the sources' version
/// was not bumped after `seed --seed-version`), so without `verbose` it is
/// one summary line instead of a line per episode (the fix is the hint of
/// the command's error, printed once after it).
pub fn errors_text(plan: &Plan, verbose: bool) -> String {
    let mut out = String::new();
    let mut downgrades = 0usize;
    for e in &plan.errors {
        if e.kind == ErrorKind::Downgrade && !verbose {
            downgrades += 1;
            continue;
        }
        out.push_str(&format!(
            "error: {}: {}\n",
            shown(&e.location()),
            shown(&e.message)
        ));
        if let Some(h) = &e.hint {
            out.push_str(&format!("  hint: {h}\n"));
        }
    }
    // With --strict-links they are errors above already.
    if !plan.links.strict {
        for w in &plan.links.warnings {
            out.push_str(&format!("warning: {}\n", shown(&w.message())));
        }
    }
    if downgrades > 0 {
        out.push_str(&format!(
            "error: {downgrades} episode(s) are stored at a newer version than the sources' {} (-v lists them)\n",
            plan.version
        ));
    }
    if plan.errors_unlisted.0 > 0 {
        out.push_str(&format!(
            "error: ... and {} more error(s), not listed\n",
            plan.errors_unlisted.0
        ));
    }
    out
}

/// `counts` for people, in [`COUNT_KEYS`] order: `3 create, 0 update, ...`.
pub fn counts_line(counts: &Value) -> String {
    COUNT_KEYS
        .iter()
        .map(|k| format!("{} {k}", counts[k].as_u64().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plan as a table (stdout; its errors go to stderr, see
/// [`errors_text`]). Skips are counted, and listed only when `verbose`: a
/// reseed of 100k unchanged episodes should not print 100k lines;
/// `list_flag` names the flag that lists them (`-v` for `plan`, `-vv` for
/// `seed`, whose `-v` shows the plan).
///
/// Written line by line (through [`crate::ui::out_with`]), never held
/// whole: a cold seed's plan lists a million lines.
pub fn write_plan_text(
    out: &mut dyn std::io::Write,
    plan: &Plan,
    target: &str,
    verbose: bool,
    list_flag: &str,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Plan for group `{}` at version {} on {}",
        plan.group_id, plan.version, target
    )?;
    if let Some(why) = &plan.reconciling {
        writeln!(
            out,
            "Reconciling ({why}): every file parsed, stored bodies checked"
        )?;
    }
    let width = plan
        .decisions
        .iter()
        .filter(|d| verbose || d.action != Action::Skip)
        .map(|d| d.entity_id.len())
        .max()
        .unwrap_or(0);
    let mut hidden = 0u64;
    for d in plan.decisions.iter() {
        if d.action == Action::Skip && !verbose {
            hidden += 1;
            continue;
        }
        let path = plan.source_path(&d).unwrap_or("<stdin>");
        writeln!(
            out,
            "  {} {:<7} {:<width$}  {}  {}",
            marker(d.action),
            d.action.as_str(),
            shown(&d.entity_id),
            shown(path),
            plan.reason(&d),
        )?;
    }
    // A plan made without the stored state counts its skips only.
    hidden += plan.decisions.unlisted_skips();
    if hidden > 0 {
        writeln!(
            out,
            "  = {hidden} unchanged episode{} not listed ({list_flag} lists them)",
            if hidden == 1 { "" } else { "s" }
        )?;
    }
    writeln!(
        out,
        "{} files seen, {} unchanged, {} parsed; episodes: {}",
        plan.stats.files_seen,
        plan.stats.files_unchanged,
        plan.stats.files_parsed,
        counts_line(&plan_counts(plan))
    )?;
    if plan.links.relinked > 0 {
        writeln!(
            out,
            "links: {} unchanged episode(s) link differently now and are relinked",
            plan.links.relinked
        )?;
    }
    if !plan.errors.is_empty() {
        writeln!(
            out,
            "{} error(s) (on stderr): nothing will be written",
            plan.error_count()
        )?;
    } else if !plan.has_changes() {
        writeln!(out, "Nothing to do: the graph is in step with the sources.")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The plan JSON, written as it is serialized, is the text its
    /// `serde_json::Value` prints: same keys, same order, same bytes.
    #[test]
    fn streamed_plan_json_prints_as_its_value() {
        let (_d, _, plan) = crate::planning::for_tests::plan_of(&[
            ("a.jsonl", "{\"id\":1}\n{\"id\":2}\n"),
            (
                "b.md",
                "---\ntitle: B \"q\"\n---\nsee [[a]] and [[nowhere]]\n",
            ),
            ("bad.json", "{\"id\": "),
        ]);
        assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
        let streamed = super::plan_json(&plan, "sqlite:x");
        let value = serde_json::to_value(&streamed).unwrap();
        assert_eq!(value["decisions"].as_array().unwrap().len(), 3);
        assert_eq!(
            serde_json::to_string_pretty(&streamed).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
}
