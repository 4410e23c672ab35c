//! `communities`: detect the group's communities (a `communities` run), or
//! read them back (`communities list`, `communities show ID`).

use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{Context, Outcome};
use crate::applying::{RetryPolicy, SessionOptions};
use crate::config::setting;
use crate::detecting::{self, DetectOptions, DetectOutcome};
use crate::error::Error;
use crate::limits;
use crate::provenance::{audit, git, record};
use crate::stores::StoredCommunity;
use crate::stores::any::{Access, AnyStore};
use crate::stores::prelude::*;
use crate::ui::{self, outln};

#[derive(Debug, Args, Clone, Default)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CommunitiesArgs {
    #[command(subcommand)]
    pub action: Option<CommunitiesAction>,
    #[command(flatten)]
    pub run: DetectArgs,
}

#[derive(Debug, Subcommand, Clone)]
pub enum CommunitiesAction {
    /// The stored communities of the group, lowest level first
    List,
    /// One community (by uuid): its fields, members and sub-communities
    Show {
        #[arg(value_name = "UUID")]
        id: String,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct DetectArgs {
    /// Detect from scratch: no warm start from the stored partition, no skip
    #[arg(long)]
    pub rebuild: bool,
    /// Print the decisions and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Take the group's lock over even if its lease has not expired
    #[arg(long)]
    pub break_lock: bool,
    /// Lease length of the lock in seconds [config: apply.lock_ttl_secs; default: 60]
    #[arg(long, value_name = "SECS")]
    pub lock_ttl: Option<u64>,
}

pub async fn communities(ctx: &Context, a: &CommunitiesArgs) -> Result<Outcome, Error> {
    match &a.action {
        Some(CommunitiesAction::List) => list(ctx).await,
        Some(CommunitiesAction::Show { id }) => show(ctx, id).await,
        None => {
            let store = if a.run.dry_run {
                ctx.store_for(Access::Plan).await?
            } else {
                ctx.store().await?
            };
            let outcome = run(ctx, &store, &a.run).await?;
            report(ctx, &store, outcome, a.run.dry_run).await
        }
    }
}

fn options(ctx: &Context, a: &DetectArgs) -> Result<DetectOptions, Error> {
    let apply = &ctx.cfg.file.apply;
    let host = record::hostname();
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let lock_ttl = setting(&limits::LOCK_TTL_SECS, a.lock_ttl, apply.lock_ttl_secs)?;
    let retry_budget = setting(&limits::RETRY_BUDGET_SECS, None, apply.retry_budget_secs)?;
    // Checked before the run (a bad value is refused before anything is
    // written); used once its trail is.
    ctx.keep_trails()?;
    let session = SessionOptions {
        lock_ttl: Duration::from_secs(lock_ttl),
        retry: RetryPolicy {
            budget: Duration::from_secs(retry_budget),
            ..RetryPolicy::default()
        },
        break_lock: a.break_lock,
        owner: format!("{user}@{host} pid {}", std::process::id()),
        host,
    };
    let params = ctx
        .cfg
        .file
        .communities
        .detect_params()
        .map_err(|m| Error::config(m, None))?;
    Ok(DetectOptions {
        params,
        rebuild: a.rebuild,
        dry_run: a.dry_run,
        auto_init: matches!(ctx.target, crate::stores::Target::Sqlite { .. }) && !a.dry_run,
        audit_dir: Some(ctx.state_dir()),
        version: ctx.cfg.version().ok().flatten().map(|v| v.to_string()),
        session,
    })
}

/// A communities run on `store` (also what `seed` calls when
/// `[communities] enabled = true`).
pub async fn run(ctx: &Context, store: &AnyStore, a: &DetectArgs) -> Result<DetectOutcome, Error> {
    let started = Instant::now();
    let opts = options(ctx, a)?;
    let group = ctx.group()?;
    let run = record::new_run(
        &group,
        opts.version.as_deref().unwrap_or(""),
        &Value::Null,
        &git::capture(std::path::Path::new(".")),
        crate::clock::now(),
    );
    let mut outcome = detecting::communities(store, &opts, run, &ctx.ui).await?;
    outcome
        .timings
        .insert("total", crate::clock::elapsed(started).as_secs_f64());
    Ok(outcome)
}

/// Print the run, write its audit trail, and pick the outcome.
pub async fn report(
    ctx: &Context,
    store: &AnyStore,
    o: DetectOutcome,
    dry_run: bool,
) -> Result<Outcome, Error> {
    let r = record(ctx, store, o, dry_run).await?;
    if ctx.ui.json {
        ui::json(&r.json);
    } else {
        print_text(&r.outcome, &r.target, dry_run, r.audit_dir.as_deref());
    }
    let o = r.outcome;
    match o.failure {
        Some(f) if ctx.ui.json => Ok(Outcome::Reported(f)),
        Some(f) => Err(f),
        None if dry_run && o.plan.entries.iter().any(|e| e.action.writes()) => Ok(Outcome::Changes),
        None => Ok(Outcome::Done),
    }
}

/// A finished communities run with its JSON and where its trail went.
pub struct Recorded {
    pub json: Value,
    pub outcome: DetectOutcome,
    pub target: String,
    pub audit_dir: Option<std::path::PathBuf>,
}

impl Recorded {
    /// What `seed` prints after its own result when it ran detection.
    pub fn print(&self) {
        print_text(
            &self.outcome,
            &self.target,
            false,
            self.audit_dir.as_deref(),
        );
    }
}

/// The run's JSON and its audit trail (none for a dry run).
pub async fn record(
    ctx: &Context,
    store: &AnyStore,
    mut o: DetectOutcome,
    dry_run: bool,
) -> Result<Recorded, Error> {
    let target = store.describe();
    let mut v = audit::run_json(&o.run);
    v["target"] = json!(target);
    v["nodes"] = json!(o.nodes);
    v["edges"] = json!(o.edges);
    v["modularity"] = json!(o.modularity);
    v["sizes"] = json!(o.sizes);
    v["seconds"] = json!(o.timings);
    v["apply"] = json!({
        "write_transactions": o.stats.write_transactions,
        "batches": o.stats.batches,
        "retries": o.stats.retries,
        "runs_abandoned": o.stats.runs_abandoned,
        "locked": o.stats.locked,
        "failure": o.failure.as_ref().map(|e| crate::redact::text(&e.to_string())),
    });
    if let Some(last) = &o.skipped_after {
        v["status"] = json!(SKIPPED);
        v["skipped_after"] = json!(last);
    }
    if dry_run {
        v["run_id"] = Value::Null;
        v["status"] = json!("planned");
        v["decisions"] = json!(o.plan.entries);
    }
    let audit_dir = if dry_run {
        None
    } else {
        match write_trail(ctx, &o, &v, &target) {
            Ok(d) => {
                super::prune_trails(ctx, ctx.keep_trails().unwrap_or(0), &o.run.run_id);
                Some(d)
            }
            Err(e) => {
                let locked = o.stats.locked;
                return Err(super::trail_failed(ctx, store, &mut o.run, locked, e).await);
            }
        }
    };
    v["audit_dir"] = json!(audit_dir.as_ref().map(|d| d.display().to_string()));
    Ok(Recorded {
        json: v,
        outcome: o,
        target,
        audit_dir,
    })
}

/// The `status` of a run the skip rule stopped.
pub const SKIPPED: &str = "skipped";

fn write_trail(
    ctx: &Context,
    o: &DetectOutcome,
    manifest: &Value,
    target: &str,
) -> std::io::Result<std::path::PathBuf> {
    let id = o.run.run_id.as_str();
    let mut summary = audit::summary_head(&o.run, target, "communities");
    if let Some(last) = &o.skipped_after {
        summary.push_str(&format!(
            "\nSkipped: the parameters and the graph are those of run {last}; nothing was detected or written.\n"
        ));
    } else {
        summary.push_str(&format!(
            "\n## Partition\n\n| | |\n|---|---|\n| episodes | {} |\n| edges | {} |\n| communities | {} |\n| levels | {} |\n| size min / median / max | {} / {} / {} |\n| modularity | {} |\n",
            o.nodes,
            o.edges,
            o.sizes.communities,
            o.sizes.levels,
            o.sizes.min,
            o.sizes.median,
            o.sizes.max,
            o.modularity.map(|q| format!("{q:.6}")).unwrap_or_default(),
        ));
    }
    audit::write_files(
        &ctx.state_dir(),
        id,
        manifest,
        |w| {
            use std::io::Write;
            for e in &o.plan.entries {
                let mut line = serde_json::to_value(e)?;
                line["run_id"] = json!(id);
                serde_json::to_writer(&mut *w, &line)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        },
        &summary,
    )
}

fn print_text(o: &DetectOutcome, target: &str, dry_run: bool, audit_dir: Option<&std::path::Path>) {
    let secs = o.timings.get("total").copied().unwrap_or_default();
    let group = &o.run.group_id;
    if let Some(last) = &o.skipped_after {
        outln!(
            "Skipped: the communities of group `{group}` on {target} were detected by run {last} with the same parameters on the same graph; nothing written ({secs:.2}s)"
        );
    } else if dry_run {
        for e in &o.plan.entries {
            outln!(
                "{:<7} {}  level {}  size {}  {}  ({})",
                e.action.as_str(),
                e.uuid,
                e.level,
                e.size,
                e.name,
                e.reason
            );
        }
        outln!("Dry run: communities of group `{group}` on {target}; nothing written");
    } else {
        outln!(
            "Run {} {} in {secs:.2}s: communities of group `{group}` on {target}",
            o.run.run_id,
            o.run.status.as_str()
        );
    }
    if o.skipped_after.is_none() {
        let c = o.plan.counts();
        outln!(
            "  communities: {} create, {} update, {} skip, {} prune",
            c["create"],
            c["update"],
            c["skip"],
            c["prune"]
        );
        outln!(
            "  partition: {} communities on {} level(s), sizes {}..{} (median {}), modularity {:.4}",
            o.sizes.communities,
            o.sizes.levels,
            o.sizes.min,
            o.sizes.max,
            o.sizes.median,
            o.modularity.unwrap_or_default()
        );
    }
    outln!("  graph: {} episodes, {} edges", o.nodes, o.edges);
    outln!("  params_hash: {}", o.run.params_hash);
    if let Some(sig) = &o.run.graph_signature {
        outln!("  graph_signature: {sig}");
    }
    if let Some(d) = audit_dir {
        outln!("  audit trail: {}", ui::path(&d.display().to_string()));
    }
}

fn community_json(c: &StoredCommunity, full: bool) -> Value {
    let mut v = json!({
        "uuid": c.uuid,
        "entity_id": c.entity_id,
        "level": c.level,
        "size": c.size,
        "name": c.name,
        "summary": c.summary,
        "content_hash": c.content_hash,
        "run_id": c.run_id,
        "params_hash": c.params_hash,
        "graph_signature": c.graph_signature,
    });
    if full {
        v["members"] = json!(c.members);
        v["children"] = json!(c.children);
    }
    v
}

async fn load(ctx: &Context) -> Result<(AnyStore, String, Vec<StoredCommunity>), Error> {
    let store = ctx.store_for(Access::ReadOnly).await?;
    store.check_schema().await?;
    let group = ctx.group()?;
    let all = store.load_communities(&group).await?;
    Ok((store, group, all))
}

/// The stored community `id` names (its uuid, or its entity_id), or an
/// input error naming the group and the target.
pub async fn find(ctx: &Context, id: &str) -> Result<(AnyStore, String, StoredCommunity), Error> {
    let (store, group, all) = load(ctx).await?;
    match all.into_iter().find(|c| c.uuid == id || c.entity_id == id) {
        Some(c) => Ok((store, group, c)),
        None => Err(Error::NotFound(format!(
            "no community `{id}` in group `{group}` of {} (`graphseed communities list` lists them)",
            store.describe()
        ))),
    }
}

async fn list(ctx: &Context) -> Result<Outcome, Error> {
    let (_, group, all) = load(ctx).await?;
    if ctx.ui.json {
        ui::json(&json!({
            "group_id": group,
            "communities": all.iter().map(|c| community_json(c, false)).collect::<Vec<_>>(),
        }));
        return Ok(Outcome::Done);
    }
    outln!(
        "{:<5}  {:<36}  {:>6}  {:<36}  name",
        "level",
        "uuid",
        "size",
        "run_id"
    );
    for c in &all {
        outln!(
            "{:<5}  {:<36}  {:>6}  {:<36}  {}",
            c.level,
            c.uuid,
            c.size,
            c.run_id,
            c.name
        );
    }
    outln!(
        "{} communit{} in group `{group}`",
        all.len(),
        if all.len() == 1 { "y" } else { "ies" }
    );
    Ok(Outcome::Done)
}

async fn show(ctx: &Context, id: &str) -> Result<Outcome, Error> {
    let (_, _, c) = find(ctx, id).await?;
    if ctx.ui.json {
        ui::json(&community_json(&c, true));
        return Ok(Outcome::Done);
    }
    outln!(
        "community {} (level {}, {} episodes)",
        c.uuid,
        c.level,
        c.size
    );
    outln!("  name: {}", c.name);
    outln!("  summary: {}", c.summary);
    outln!("  content_hash: {}", c.content_hash);
    outln!("  written by run {}", c.run_id);
    outln!("  params_hash: {}", c.params_hash);
    outln!("  graph_signature: {}", c.graph_signature);
    outln!("  sub-communities: {}", c.children.len());
    for s in &c.children {
        outln!("    {s}");
    }
    outln!("  members: {}", c.members.len());
    for m in &c.members {
        outln!("    {}", ui::path(m));
    }
    Ok(Outcome::Done)
}

/// `provenance --community ID`: which run wrote the community, and that run.
pub async fn provenance(ctx: &Context, id: &str) -> Result<Outcome, Error> {
    let (store, _, c) = find(ctx, id).await?;
    let run = store.get_run(&c.run_id).await?;
    if ctx.ui.json {
        let mut v = community_json(&c, false);
        v["run"] = run.as_ref().map(audit::run_json).unwrap_or(Value::Null);
        ui::json(&v);
        return Ok(Outcome::Done);
    }
    outln!(
        "community {} (level {}, {} episodes): {}",
        c.uuid,
        c.level,
        c.size,
        c.name
    );
    match run {
        Some(r) => outln!(
            "  written by run {} ({} {}, started {}, params_hash {}, graph_signature {})",
            r.run_id,
            r.kind.as_str(),
            r.status.as_str(),
            crate::metadata::format_time(&r.started_at),
            r.params_hash,
            r.graph_signature.as_deref().unwrap_or("-")
        ),
        None => outln!("  written by run {} (its record is gone)", c.run_id),
    }
    Ok(Outcome::Done)
}
