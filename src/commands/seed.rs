//! `plan` and `seed`.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use super::select::{SourceSelect, select_input};
use super::{Context, Outcome};
use crate::applying::RetryPolicy;
use crate::config::setting;
use crate::error::Error;
use crate::limits;
use crate::planning::{Plan, PlanInput, render};
use crate::provenance::{audit, git, record};
use crate::seeding::{self, SeedOptions, SeedOutcome};
use crate::sources::DEFAULT_INCLUDE;
use crate::stores::any::Access;
use crate::stores::prelude::*;
use crate::ui::{self, outln};

#[derive(Debug, Args, Clone, Default)]
pub struct SourceArgs {
    #[command(flatten)]
    pub select: SourceSelect,
    /// Rewrite everything in scope (keeps created_at)
    #[arg(long)]
    pub force: bool,
    /// Delete orphans (after every write succeeded)
    #[arg(long)]
    pub prune: bool,
    /// Replace episodes stored at a newer version
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Trust no file for its hash alone: parse every file in scope (every
    /// seed already re-checks the stored bodies for hand edits)
    #[arg(long)]
    pub reconcile: bool,
    /// Let these sources take over episodes another source wrote (recorded
    /// as `transfer` in their history)
    #[arg(long)]
    pub transfer_ownership: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct PlanArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct SeedArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Print the plan and write nothing (same as `plan`)
    #[arg(long)]
    pub dry_run: bool,
    /// Apply the valid rest when the plan has errors (still exits non-zero)
    #[arg(long)]
    pub keep_going: bool,
    /// Episodes per transaction [config: apply.batch_size; default: 1000]
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Take the group's lock over even if its lease has not expired
    #[arg(long)]
    pub break_lock: bool,
    /// Lease length of the lock in seconds [config: apply.lock_ttl_secs; default: 60]
    #[arg(long, value_name = "SECS")]
    pub lock_ttl: Option<u64>,
}

fn plan_input(ctx: &Context, a: &SourceArgs) -> Result<PlanInput, Error> {
    let mut input = select_input(ctx, &a.select)?;
    input.force = a.force;
    input.allow_downgrade = a.allow_downgrade;
    input.prune = a.prune;
    input.transfer_ownership = a.transfer_ownership;
    if a.reconcile {
        input.reconcile = Some(crate::planning::Reconcile {
            why: "--reconcile".into(),
            ..Default::default()
        });
    }
    Ok(input)
}

/// The effective parameters of a run, hashed into `params_hash`. Paths are
/// kept as the user wrote them (not absolute) so the hash is the same on
/// every machine; nothing secret is included.
fn params_json(ctx: &Context, input: &PlanInput, opts: &SeedOptions) -> Value {
    json!({
        "group_id": input.group_id,
        "version": input.version.to_string(),
        "target": ctx.target.describe(),
        "sources": input.roots.iter().map(|r| json!({
            "root": r.display,
            "source": r.source,
            // What the walk applies: no include means every file.
            "include": if r.include.is_empty() { vec![DEFAULT_INCLUDE.to_string()] } else { r.include.clone() },
            "exclude": r.exclude,
            "follow_symlinks": r.follow_symlinks,
        })).collect::<Vec<_>>(),
        "stdin_source": input.generated.as_ref().map(|g| g.source.clone()),
        "force": input.force,
        "prune": input.prune,
        "allow_downgrade": input.allow_downgrade,
        "reconcile": input.reconcile.is_some(),
        "transfer_ownership": input.transfer_ownership,
        "keep_going": opts.keep_going,
        "batch_size": opts.batch_size,
        "max_file_bytes": input.max_file_bytes,
    })
}

fn options(ctx: &Context, a: &SeedArgs) -> Result<SeedOptions, Error> {
    let apply = &ctx.cfg.file.apply;
    let host = record::hostname();
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let batch_size = setting(
        &limits::BATCH_SIZE,
        a.batch_size.map(|n| n as u64),
        apply.batch_size.map(|n| n as u64),
    )?;
    let lock_ttl = setting(&limits::LOCK_TTL_SECS, a.lock_ttl, apply.lock_ttl_secs)?;
    let retry_budget = setting(&limits::RETRY_BUDGET_SECS, None, apply.retry_budget_secs)?;
    Ok(SeedOptions {
        batch_size: batch_size as usize,
        lock_ttl: Duration::from_secs(lock_ttl),
        retry: RetryPolicy {
            budget: Duration::from_secs(retry_budget),
            ..RetryPolicy::default()
        },
        break_lock: a.break_lock,
        keep_going: a.keep_going,
        dry_run: a.dry_run,
        // `plan` writes nothing, not even the schema: its store is opened
        // read-only (or empty, in memory, before the first seed).
        auto_init: matches!(ctx.target, crate::stores::Target::Sqlite { .. }) && !a.dry_run,
        audit_dir: Some(ctx.state_dir()),
        // A dry run prints the plan; `-vv` lists every skip of it (in text:
        // a run's JSON lists no decision).
        list_skips: a.dry_run || (ctx.ui.verbose > 1 && !ctx.ui.json),
        owner: format!("{user}@{host} pid {}", std::process::id()),
        host,
    })
}

/// How a finished plan ends the command: its errors fail it.
fn plan_code(plan: &Plan, applied: bool) -> Result<Outcome, Error> {
    if !plan.errors.is_empty() {
        return Err(Error::Plan {
            count: plan.error_count(),
            downgrade_only: plan.downgrade_only(),
            applied,
        });
    }
    Ok(Outcome::Done)
}

pub async fn plan(ctx: &Context, a: &SourceArgs) -> Result<Outcome, Error> {
    let args = SeedArgs {
        sources: a.clone(),
        dry_run: true,
        ..SeedArgs::default()
    };
    seed(ctx, &args).await
}

pub async fn seed(ctx: &Context, a: &SeedArgs) -> Result<Outcome, Error> {
    let started = Instant::now();
    let opts = options(ctx, a)?;
    let keep_trails = ctx.keep_trails()?;
    let input = plan_input(ctx, &a.sources)?;
    let git_dir = input
        .roots
        .first()
        .map(|r| r.path.clone())
        .unwrap_or_else(|| ".".into());
    let git_state = git::capture(&git_dir);
    let now = crate::clock::now();
    let run = record::new_run(
        &input.group_id,
        &input.version.to_string(),
        &params_json(ctx, &input, &opts),
        &git_state,
        now,
    );
    let store = if opts.dry_run {
        ctx.store_for(Access::Plan).await?
    } else {
        ctx.store().await?
    };
    let target = store.describe();
    let mut outcome = seeding::seed(&store, &input, &opts, run, now, &ctx.ui).await?;

    if opts.dry_run {
        if ctx.ui.json {
            ui::json(&render::plan_json(&outcome.plan, &target));
        } else {
            ui::out_with(|w| {
                render::write_plan_text(w, &outcome.plan, &target, ctx.ui.verbose > 0, "-v")
            });
            ui::err_text(&render::errors_text(&outcome.plan, ctx.ui.verbose > 0));
        }
        let done = plan_code(&outcome.plan, false)?;
        return Ok(if outcome.plan.has_changes() {
            Outcome::Changes
        } else {
            done
        });
    }

    if git_state.dirty == Some(true) {
        ctx.ui.warn(&format!(
            "the source tree at {} has uncommitted changes: this run's git commit does not describe its sources",
            ui::path(&git_dir.display().to_string())
        ));
    }
    let extra = apply_json(&outcome, crate::clock::elapsed(started));
    // A run that had nothing to do wrote nothing, not even its run record
    // (an unchanged reseed is write-free), so it has no id to look up and
    // leaves no audit trail: like `terraform apply` with no changes, it
    // reports "no changes" instead of a run nobody can find.
    let unchanged = is_unchanged(&outcome);
    let audit_dir = if unchanged {
        None
    } else {
        match write_trail(ctx, &outcome, &target, &extra, keep_trails) {
            Ok(d) => Some(d),
            Err(e) => {
                let locked = outcome.stats.locked;
                let failed = super::trail_failed(ctx, &store, &mut outcome.run, locked, e).await;
                print_outcome(ctx, &outcome, &target, &extra, unchanged, None, None);
                return Err(failed);
            }
        }
    };
    // `[communities] enabled = true`: a seed that wrote, and succeeded,
    // runs detection after it (its own `communities` run, its own trail).
    let detection = if !unchanged
        && outcome.failure.is_none()
        && outcome.plan.errors.is_empty()
        && ctx.cfg.file.communities.enabled()
    {
        let args = super::DetectArgs {
            lock_ttl: a.lock_ttl,
            ..Default::default()
        };
        let o = super::communities::run(ctx, &store, &args).await?;
        Some(super::communities::record(ctx, &store, o, false).await?)
    } else {
        None
    };
    print_outcome(
        ctx,
        &outcome,
        &target,
        &extra,
        unchanged,
        audit_dir.as_deref(),
        detection.as_ref(),
    );
    if let Some(f) = detection.and_then(|d| d.outcome.failure) {
        if ctx.ui.json {
            return Ok(Outcome::Reported(f));
        }
        return Err(f);
    }
    if let Some(f) = outcome.failure {
        if ctx.ui.json {
            // The run's JSON above already carries the failure (status
            // `failed`, `apply.failure`): returning the error would make the
            // edge print a second JSON document on stdout.
            return Ok(Outcome::Reported(f));
        }
        return Err(f);
    }
    plan_code(&outcome.plan, a.keep_going)
}

/// Nothing was written and nothing was wrong: no run exists.
fn is_unchanged(o: &SeedOutcome) -> bool {
    !o.stats.locked && o.failure.is_none() && o.plan.errors.is_empty() && !o.plan.has_changes()
}

fn write_trail(
    ctx: &Context,
    outcome: &SeedOutcome,
    target: &str,
    extra: &Value,
    keep: u64,
) -> std::io::Result<std::path::PathBuf> {
    let trail = audit::Trail {
        run: &outcome.run,
        plan: &outcome.plan,
        target,
        extra: extra.clone(),
    };
    let t = std::time::Instant::now();
    let d = audit::write(&ctx.state_dir(), &trail)?;
    ctx.ui
        .debug(&format!("wrote the audit trail in {:.2?}", t.elapsed()));
    super::prune_trails(ctx, keep, &outcome.run.run_id);
    Ok(d)
}

fn apply_json(o: &SeedOutcome, elapsed: Duration) -> Value {
    json!({
        "write_transactions": o.stats.write_transactions,
        "batches": o.stats.batches,
        "retries": o.stats.retries,
        "episodes_written": o.stats.episodes_written,
        "episodes_pruned": o.stats.episodes_pruned,
        "runs_abandoned": o.stats.runs_abandoned,
        "locked": o.stats.locked,
        "seconds": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        // Printed and recorded (run JSON, audit manifest): redacted, as
        // every error text that may quote a URI.
        "failure": o.failure.as_ref().map(|e| crate::redact::text(&e.to_string())),
    })
}

fn print_outcome(
    ctx: &Context,
    o: &SeedOutcome,
    target: &str,
    extra: &Value,
    unchanged: bool,
    audit_dir: Option<&std::path::Path>,
    communities: Option<&super::communities::Recorded>,
) {
    let p = &o.plan;
    if ctx.ui.json {
        let mut v = audit::run_json(&o.run);
        if unchanged {
            v["run_id"] = Value::Null;
            v["status"] = json!(UNCHANGED);
            v["finished_at"] = Value::Null;
        }
        v["target"] = json!(target);
        v["files"] = render::files_json(p);
        v["skipped"] = render::skipped_json(p);
        v["apply"] = extra.clone();
        v["errors"] = p.errors.iter().map(render::error_json).collect();
        v["errors_not_listed"] = json!(p.errors_unlisted.0);
        v["links"] = render::links_json(p);
        v["audit_dir"] = json!(audit_dir.map(|d| d.display().to_string()));
        if let Some(c) = communities {
            v["communities"] = c.json.clone();
        }
        ui::json(&v);
        return;
    }
    if ctx.ui.verbose > 0 {
        ui::out_with(|w| render::write_plan_text(w, p, target, ctx.ui.verbose > 1, "-vv"));
    }
    ui::err_text(&render::errors_text(p, ctx.ui.verbose > 0));
    let secs = extra["seconds"].as_f64().unwrap_or_default();
    if unchanged {
        outln!(
            "No changes: group `{}` at version {} on {} is in step with the sources ({secs:.2}s)",
            o.run.group_id,
            o.run.seed_version,
            target
        );
    } else {
        outln!(
            "Run {} {} in {secs:.2}s: group `{}` at version {} on {}",
            o.run.run_id,
            o.run.status.as_str(),
            o.run.group_id,
            o.run.seed_version,
            target
        );
    }
    outln!(
        "  episodes: {}",
        render::counts_line(&render::plan_counts(p))
    );
    outln!(
        "  files: {} seen, {} unchanged, {} parsed, {} skipped",
        p.stats.files_seen,
        p.stats.files_unchanged,
        p.stats.files_parsed,
        p.stats.skipped.len()
    );
    if !unchanged {
        outln!(
            "  writes: {}, {}, {}",
            plural(o.stats.batches, "batch", "batches"),
            plural(
                o.stats.write_transactions,
                "write transaction",
                "write transactions"
            ),
            plural(o.stats.retries, "retry", "retries")
        );
    }
    if let Some(sig) = &o.run.graph_signature {
        outln!("  graph_signature: {sig}");
    }
    if let Some(d) = audit_dir {
        outln!("  audit trail: {}", ui::path(&d.display().to_string()));
    }
    if let Some(c) = communities {
        c.print();
    }
}

/// The `status` a seed reports when it had nothing to do (no run exists).
pub const UNCHANGED: &str = "unchanged";

/// `1 batch`, `2 batches`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
