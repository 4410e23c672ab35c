//! Commands that look: `init` (the one exception: it creates the schema),
//! `status`, `runs`, `unlock`. None of them takes the seeding lock.

use clap::Args;
use serde_json::json;

use super::{Context, Outcome};
use crate::error::Error;
use crate::graphiti::Profile;
use crate::metadata::format_time;
use crate::planning::render;
use crate::provenance::audit::run_json;
use crate::stores::RunRecord;
use crate::stores::any::{Access, AnyStore};
use crate::stores::prelude::*;
use crate::ui::{self, outln};

#[derive(Debug, Args, Clone, Default)]
pub struct RunsArgs {
    /// Show this run in full
    pub run_id: Option<String>,
}

pub async fn init(ctx: &Context) -> Result<Outcome, Error> {
    let store = ctx.store().await?;
    if let (AnyStore::Sqlite(_), Profile::Graphiti) = (&store, ctx.profile()?) {
        ctx.ui.warn(
            "the graphiti profile changes nothing in the embedded store (Graphiti reads Neo4j only); `graphseed changes` gives Graphiti's fields on every store",
        );
    }
    store.init().await?;
    store.check_schema().await?;
    if ctx.ui.json {
        ui::json(&json!({"initialized": store.describe()}));
    } else {
        outln!(
            "Initialized {}: constraints, indexes and tables are in place.",
            store.describe()
        );
    }
    Ok(Outcome::Done)
}

pub async fn status(ctx: &Context) -> Result<Outcome, Error> {
    let store = ctx.store_for(Access::ReadOnly).await?;
    store.check_schema().await?;
    let group = ctx.group()?;
    let rows = store.status(Some(&group)).await?;
    let lock = store.read_lock(&group).await?;
    let last = store.list_runs(Some(&group)).await?.into_iter().next();
    if ctx.ui.json {
        ui::json(&json!({
            "target": store.describe(),
            "group_id": group,
            "episodes": rows.iter().map(|r| json!({"source": r.source, "version": r.version, "episodes": r.episodes})).collect::<Vec<_>>(),
            "lock": lock.as_ref().map(|l| json!({
                "run_id": l.run_id, "owner": l.owner, "host": l.host,
                "acquired_at": format_time(&l.acquired_at), "expires_at": format_time(&l.expires_at),
            })),
            "last_run": last.as_ref().map(run_json),
        }));
        return Ok(Outcome::Done);
    }
    outln!("Group `{group}` on {}", store.describe());
    if rows.is_empty() {
        outln!("  no episodes");
    }
    for r in &rows {
        outln!(
            "  {:<24} {:<14} {:>8} episodes",
            r.source,
            r.version,
            r.episodes
        );
    }
    match &lock {
        Some(l) => outln!(
            "  lock: held by run {} ({} on {}) until {}",
            l.run_id,
            l.owner,
            l.host,
            format_time(&l.expires_at)
        ),
        None => outln!("  lock: free"),
    }
    if let Some(r) = &last {
        outln!(
            "  last run: {} {} at {} (version {})",
            r.run_id,
            r.status.as_str(),
            format_time(&r.started_at),
            r.seed_version
        );
    }
    Ok(Outcome::Done)
}

pub async fn runs(ctx: &Context, a: &RunsArgs) -> Result<Outcome, Error> {
    let run_id = a.run_id.as_deref();
    let store = ctx.store_for(Access::ReadOnly).await?;
    store.check_schema().await?;
    if let Some(id) = run_id {
        let run = store.get_run(id).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "no run `{id}` in {} (`graphseed runs` lists them)",
                store.describe()
            ))
        })?;
        if ctx.ui.json {
            ui::json(&run_json(&run));
        } else {
            ui::out(&run_text(&run, &ctx.state_dir()));
        }
        return Ok(Outcome::Done);
    }
    let group = ctx.group()?;
    let runs = store.list_runs(Some(&group)).await?;
    if ctx.ui.json {
        ui::json(&json!(runs.iter().map(run_json).collect::<Vec<_>>()));
        return Ok(Outcome::Done);
    }
    outln!(
        "{:<36}  {:<11}  {:<9}  {:<32}  {:<10}  counts",
        "run_id",
        "kind",
        "status",
        "started_at",
        "version"
    );
    for r in &runs {
        let counts = run_json(r)["counts"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
                    .map(|(k, n)| format!("{k}={n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        outln!(
            "{:<36}  {:<11}  {:<9}  {:<32}  {:<10}  {counts}",
            r.run_id,
            r.kind.as_str(),
            r.status.as_str(),
            format_time(&r.started_at),
            r.seed_version
        );
    }
    Ok(Outcome::Done)
}

/// One run for people: what `runs RUN_ID --json` says, as labelled lines.
fn run_text(r: &RunRecord, state_dir: &std::path::Path) -> String {
    let v = run_json(r);
    let mut out = format!(
        "Run {} ({}) {}\n",
        r.run_id,
        r.kind.as_str(),
        r.status.as_str()
    );
    let mut line = |label: &str, value: String| {
        out.push_str(&format!("  {label:<16} {value}\n"));
    };
    line("group", format!("`{}`", r.group_id));
    line("version", r.seed_version.clone());
    line("started", format_time(&r.started_at));
    line(
        "finished",
        r.finished_at
            .as_ref()
            .map_or_else(|| "-".into(), format_time),
    );
    line("episodes", render::counts_line(&v["counts"]));
    line(
        "graph_signature",
        r.graph_signature.clone().unwrap_or_else(|| "-".into()),
    );
    line("params_hash", r.params_hash.clone());
    let git = match &r.git_commit {
        Some(c) => format!(
            "{c}{}{}",
            r.git_branch
                .as_ref()
                .map(|b| format!(" ({b})"))
                .unwrap_or_default(),
            if r.git_dirty == Some(true) {
                ", uncommitted changes"
            } else {
                ""
            }
        ),
        None => "-".into(),
    };
    line("git", git);
    line("host", format!("{} ({})", r.hostname, r.os));
    line("graphseed", r.tool_version.clone());
    let trail = state_dir.join("runs").join(&r.run_id);
    if trail.is_dir() {
        line(
            "audit trail",
            ui::path(&trail.display().to_string()).into_owned(),
        );
    }
    out
}

pub async fn unlock(ctx: &Context) -> Result<Outcome, Error> {
    let store = ctx.store().await?;
    store.check_schema().await?;
    let group = ctx.group()?;
    let old = store.force_unlock(&group).await?;
    if ctx.ui.json {
        ui::json(
            &json!({"group_id": group, "released": old.as_ref().map(|l| json!({"run_id": l.run_id, "owner": l.owner, "host": l.host}))}),
        );
    } else {
        match old {
            Some(l) => outln!(
                "Released the lock of group `{group}` held by run {} ({} on {}).",
                l.run_id,
                l.owner,
                l.host
            ),
            None => outln!("Group `{group}` was not locked."),
        }
    }
    Ok(Outcome::Done)
}
