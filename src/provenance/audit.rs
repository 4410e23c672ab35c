//! The file audit trail: `.graphseed/runs/<run_id>/` with `manifest.json`,
//! `actions.jsonl` (one line per decision) and `summary.md`.
//!
//! Written atomically: everything goes into a hidden temporary folder next to
//! the final one, each file is synced, then the folder is renamed into place.
//! A process killed while writing leaves at most a `.tmp-*` folder, never a
//! half-written run folder (rename is atomic on one filesystem).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::metadata::format_time;
use crate::planning::{Plan, render};
use crate::stores::{RunKind, RunRecord};

pub fn run_json(run: &RunRecord) -> Value {
    json!({
        "run_id": run.run_id,
        "group_id": run.group_id,
        "kind": run.kind.as_str(),
        "status": run.status.as_str(),
        "started_at": format_time(&run.started_at),
        "finished_at": run.finished_at.as_ref().map(format_time),
        "tool_version": run.tool_version,
        "seed_version": run.seed_version,
        "params_hash": run.params_hash,
        "params": serde_json::from_str::<Value>(&run.params_json).unwrap_or(Value::Null),
        "graph_signature": run.graph_signature,
        "sources_signature": run.sources_signature,
        "git": {"commit": run.git_commit, "branch": run.git_branch, "dirty": run.git_dirty},
        "hostname": run.hostname,
        "os": run.os,
        // A seed's counts always show every episode action; a communities
        // run's are its own (community actions, the partition's shape).
        "counts": match run.kind {
            RunKind::Seed => render::counts_json(run.counts.iter().map(|(k, n)| (k.as_str(), *n))),
            RunKind::Communities => json!(run.counts),
        },
    })
}

/// Everything the trail records about one run.
pub struct Trail<'a> {
    pub run: &'a RunRecord,
    pub plan: &'a Plan,
    pub target: &'a str,
    /// Extra facts for the manifest (write counts, failure message).
    pub extra: Value,
}

fn write_synced(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let f = File::create(path)?;
    let mut w = BufWriter::new(&f);
    write(&mut w)?;
    w.flush()?;
    drop(w);
    f.sync_all()
}

/// The count a run record carries when its audit trail could not be written
/// after the graph was: the graph holds the run, the files do not.
pub const AUDIT_INCOMPLETE: &str = "audit_incomplete";

/// Fail unless a trail can be written under `state_dir/runs`: create the
/// folder and a probe file in it. Checked before the lock is taken, so a
/// run that could not leave its trail never touches the graph (a regular
/// file, a read-only mount or a permission problem is found here, not
/// after the commit). Returns the `runs` folder for messages.
pub fn check_writable(state_dir: &Path) -> Result<PathBuf, (PathBuf, std::io::Error)> {
    let runs = state_dir.join("runs");
    let probe = runs.join(format!(".probe-{}", std::process::id()));
    fs::create_dir_all(&runs)
        .and_then(|()| File::create(&probe).map(drop))
        .and_then(|()| fs::remove_file(&probe))
        .map_err(|e| (runs.clone(), e))?;
    Ok(runs)
}

/// [`check_writable`] as the error a run stops with before it takes the
/// lock (nothing written yet).
pub fn require_writable(state_dir: &Path) -> Result<(), crate::error::Error> {
    check_writable(state_dir)
        .map(drop)
        .map_err(|(path, e)| crate::error::Error::Io {
            path: path.display().to_string(),
            message: format!(
                "the audit trail cannot be written here ({e}); nothing was written to the graph"
            ),
        })
}

/// Write the trail of a seed run under `state_dir/runs/<run_id>/`; returns
/// that folder.
pub fn write(state_dir: &Path, trail: &Trail<'_>) -> std::io::Result<PathBuf> {
    let mut manifest = run_json(trail.run);
    manifest["target"] = json!(trail.target);
    manifest["files"] = json!({
        "seen": trail.plan.stats.files_seen,
        "parsed": trail.plan.stats.files_parsed,
        "unchanged": trail.plan.stats.files_unchanged,
        "bytes_hashed": trail.plan.stats.bytes_hashed,
    });
    manifest["errors"] = trail.plan.errors.iter().map(render::error_json).collect();
    manifest["errors_not_listed"] = json!(trail.plan.errors_unlisted.0);
    manifest["apply"] = trail.extra.clone();
    let id = &trail.run.run_id;
    write_files(
        state_dir,
        id,
        &manifest,
        |w| {
            for d in trail.plan.decisions.iter() {
                serde_json::to_writer(
                    &mut *w,
                    &render::DecisionLine::of(trail.plan, &d, Some(id)),
                )?;
                w.write_all(b"\n")?;
            }
            Ok(())
        },
        &summary_md(trail),
    )
}

/// Write any run's trail under `state_dir/runs/<run_id>/`: `manifest.json`,
/// `actions.jsonl` (one line per decision, written by `actions`) and
/// `summary.md`, atomically (see the module's notes). Every kind of run
/// (seed, communities) goes through here.
pub fn write_files(
    state_dir: &Path,
    run_id: &str,
    manifest: &Value,
    actions: impl FnOnce(&mut BufWriter<&File>) -> std::io::Result<()>,
    summary: &str,
) -> std::io::Result<PathBuf> {
    let runs = state_dir.join("runs");
    fs::create_dir_all(&runs)?;
    let tmp = runs.join(format!(".tmp-{run_id}"));
    let done = runs.join(run_id);
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    fs::create_dir_all(&tmp)?;
    write_synced(&tmp.join("manifest.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, manifest)?;
        w.write_all(b"\n")
    })?;
    write_synced(&tmp.join("actions.jsonl"), actions)?;
    write_synced(&tmp.join("summary.md"), |w| w.write_all(summary.as_bytes()))?;
    if done.exists() {
        // A rerun under a pinned run id (tests) replaces its old trail.
        fs::remove_dir_all(&done)?;
    }
    fs::rename(&tmp, &done)?;
    // Make the rename itself durable.
    File::open(&runs)?.sync_all()?;
    Ok(done)
}

/// Remove the oldest run trails under `state_dir/runs` so that at most
/// `keep` remain (0 keeps every one); `current` (the trail just written) is
/// never removed. Returns how many were removed.
///
/// Only folders named as run ids are counted: run ids are UUIDv7, whose
/// text sorts by creation time, so "oldest" needs no clock and no file
/// times (which a copy or a checkout resets). A writer's `.tmp-*` folder and
/// anything else a user put there are left alone.
pub fn prune_trails(state_dir: &Path, keep: u64, current: &str) -> std::io::Result<usize> {
    if keep == 0 {
        return Ok(0);
    }
    let runs = state_dir.join("runs");
    let mut trails: Vec<String> = fs::read_dir(&runs)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| uuid::Uuid::parse_str(name).is_ok_and(|u| u.get_version_num() == 7))
        .collect();
    // Newest first.
    trails.sort_unstable_by(|a, b| b.cmp(a));
    let keep = usize::try_from(keep).unwrap_or(usize::MAX);
    let mut removed = 0;
    for old in trails.iter().skip(keep).filter(|t| *t != current) {
        fs::remove_dir_all(runs.join(old))?;
        removed += 1;
    }
    Ok(removed)
}

/// The head of every `summary.md`: the run's identity, then a table of its
/// decisions titled `what` (episodes, communities).
pub fn summary_head(run: &RunRecord, target: &str, what: &str) -> String {
    let r = run;
    let mut s = format!(
        "# graphseed run {}\n\n| | |\n|---|---|\n| kind | {} |\n| status | {} |\n| group | `{}` |\n| version | {} |\n| target | {} |\n| started | {} |\n| finished | {} |\n| git | {} {}{} |\n| host | {} ({}) |\n| params_hash | `{}` |\n| graph_signature | `{}` |\n\n## Decisions\n\n| action | {what} |\n|---|---|\n",
        r.run_id,
        r.kind.as_str(),
        r.status.as_str(),
        r.group_id,
        r.seed_version,
        target,
        format_time(&r.started_at),
        r.finished_at.as_ref().map(format_time).unwrap_or_default(),
        r.git_commit.as_deref().unwrap_or("-"),
        r.git_branch.as_deref().unwrap_or(""),
        if r.git_dirty == Some(true) {
            " (dirty)"
        } else {
            ""
        },
        r.hostname,
        r.os,
        r.params_hash,
        r.graph_signature.as_deref().unwrap_or("-"),
    );
    for (action, n) in &r.counts {
        s.push_str(&format!("| {action} | {n} |\n"));
    }
    s
}

fn summary_md(t: &Trail<'_>) -> String {
    let mut s = summary_head(t.run, t.target, "episodes");
    if !t.plan.errors.is_empty() {
        s.push_str("\n## Errors\n\n");
        for e in &t.plan.errors {
            s.push_str(&format!("- `{}`: {}\n", e.location(), e.message));
        }
        if t.plan.errors_unlisted.0 > 0 {
            s.push_str(&format!(
                "- ... and {} more, not listed\n",
                t.plan.errors_unlisted.0
            ));
        }
    }
    s
}
