//! `plan` and `seed`.

use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Context, DEFAULT_GENERATED_SOURCE, print_json};
use crate::applying::RetryPolicy;
use crate::cli::{SeedArgs, SourceArgs, SourceSelect};
use crate::config::{DEFAULT_BATCH_SIZE, DEFAULT_LOCK_TTL_SECS, DEFAULT_MAX_FILE_MB};
use crate::error::Error;
use crate::exit_codes;
use crate::planning::{ErrorKind, Generated, Plan, PlanInput, render};
use crate::provenance::{audit, git, record};
use crate::seeding::{self, SeedOptions, SeedOutcome};
use crate::stores::prelude::*;

fn plan_input(ctx: &Context, a: &SourceArgs) -> Result<PlanInput, Error> {
    let mut input = select_input(ctx, &a.select)?;
    input.force = a.force;
    input.allow_downgrade = a.allow_downgrade;
    input.prune = a.prune;
    Ok(input)
}

/// The plan input for a source selection, with no flags set.
pub(super) fn select_input(ctx: &Context, a: &SourceSelect) -> Result<PlanInput, Error> {
    let generated = if a.stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Io {
                path: "<stdin>".into(),
                message: e.to_string(),
            })?;
        Some(Generated {
            source: a
                .source
                .clone()
                .unwrap_or_else(|| DEFAULT_GENERATED_SOURCE.into()),
            bytes,
        })
    } else {
        None
    };
    let max_mb = ctx
        .cfg
        .file
        .limits
        .max_file_mb
        .unwrap_or(DEFAULT_MAX_FILE_MB);
    Ok(PlanInput {
        group_id: ctx.group()?,
        version: ctx.version(a.seed_version.as_deref())?,
        roots: ctx.roots(a)?,
        generated,
        force: false,
        allow_downgrade: false,
        prune: false,
        max_file_bytes: max_mb.saturating_mul(1024 * 1024),
    })
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
            "include": r.include,
            "exclude": r.exclude,
            "follow_symlinks": r.follow_symlinks,
        })).collect::<Vec<_>>(),
        "stdin_source": input.generated.as_ref().map(|g| g.source.clone()),
        "force": input.force,
        "prune": input.prune,
        "allow_downgrade": input.allow_downgrade,
        "keep_going": opts.keep_going,
        "batch_size": opts.batch_size,
        "max_file_bytes": input.max_file_bytes,
    })
}

fn options(ctx: &Context, a: &SeedArgs) -> SeedOptions {
    let apply = &ctx.cfg.file.apply;
    let host = record::hostname();
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    SeedOptions {
        batch_size: a
            .batch_size
            .or(apply.batch_size)
            .unwrap_or(DEFAULT_BATCH_SIZE)
            .max(1),
        lock_ttl: Duration::from_secs(
            a.lock_ttl
                .or(apply.lock_ttl_secs)
                .unwrap_or(DEFAULT_LOCK_TTL_SECS)
                .max(1),
        ),
        retry: RetryPolicy {
            budget: Duration::from_secs(apply.retry_budget_secs.unwrap_or(120)),
            ..RetryPolicy::default()
        },
        break_lock: a.break_lock,
        keep_going: a.keep_going,
        dry_run: a.dry_run,
        auto_init: matches!(ctx.target, crate::stores::Target::Sqlite { .. }),
        owner: format!("{user}@{host} pid {}", std::process::id()),
        host,
    }
}

/// The exit code a finished plan calls for.
fn plan_code(plan: &Plan, applied: bool) -> Result<i32, Error> {
    if !plan.errors.is_empty() {
        return Err(Error::Plan {
            count: plan.errors.len(),
            downgrade_only: plan.errors.iter().all(|e| e.kind == ErrorKind::Downgrade),
            applied,
        });
    }
    Ok(exit_codes::OK)
}

pub async fn plan(ctx: &Context, a: &SourceArgs) -> Result<i32, Error> {
    let args = SeedArgs {
        sources: a.clone(),
        dry_run: true,
        ..SeedArgs::default()
    };
    seed(ctx, &args).await
}

pub async fn seed(ctx: &Context, a: &SeedArgs) -> Result<i32, Error> {
    let started = Instant::now();
    let input = plan_input(ctx, &a.sources)?;
    let opts = options(ctx, a);
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
    let store = ctx.store().await?;
    let target = store.describe();
    let outcome = seeding::seed(&store, &input, &opts, run, now, &ctx.ui).await?;

    if opts.dry_run {
        if ctx.ui.json {
            print_json(&render::plan_json(&outcome.plan, &target));
        } else {
            print!(
                "{}",
                render::plan_text(&outcome.plan, &target, ctx.ui.verbose > 0)
            );
        }
        let code = plan_code(&outcome.plan, false)?;
        return Ok(if outcome.plan.has_changes() {
            exit_codes::CHANGES_PENDING
        } else {
            code
        });
    }

    if git_state.dirty == Some(true) {
        ctx.ui.warn(&format!(
            "the source tree at {} has uncommitted changes: this run's git commit does not describe its sources",
            git_dir.display()
        ));
    }
    let extra = apply_json(&outcome, started.elapsed());
    let trail = audit::Trail {
        run: &outcome.run,
        plan: &outcome.plan,
        target: &target,
        extra: extra.clone(),
    };
    let t = std::time::Instant::now();
    let audit_dir = match audit::write(&ctx.state_dir(), &trail) {
        Ok(d) => {
            ctx.ui
                .debug(&format!("wrote the audit trail in {:.2?}", t.elapsed()));
            Some(d)
        }
        Err(e) => {
            ctx.ui.warn(&format!(
                "could not write the audit trail under {}: {e}",
                ctx.state_dir().display()
            ));
            None
        }
    };
    print_outcome(ctx, &outcome, &target, &extra, audit_dir.as_deref());
    if let Some(f) = outcome.failure {
        if ctx.ui.json {
            // The run's JSON above already carries the failure (status
            // `failed`, `apply.failure`): returning the error would make the
            // caller print a second JSON document on stdout. Say it on
            // stderr only, with the same exit code.
            eprintln!("error: {f}");
            if let Some(h) = f.hint() {
                eprintln!("  hint: {h}");
            }
            return Ok(f.exit_code());
        }
        return Err(f);
    }
    plan_code(&outcome.plan, a.keep_going)
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
        "failure": o.failure.as_ref().map(|e| e.to_string()),
    })
}

fn print_outcome(
    ctx: &Context,
    o: &SeedOutcome,
    target: &str,
    extra: &Value,
    audit_dir: Option<&std::path::Path>,
) {
    let p = &o.plan;
    if ctx.ui.json {
        let mut v = audit::run_json(&o.run);
        v["target"] = json!(target);
        v["files"] = json!({
            "seen": p.stats.files_seen,
            "parsed": p.stats.files_parsed,
            "bytes_hashed": p.stats.bytes_hashed,
            "skipped": p.stats.skipped.len(),
        });
        v["apply"] = extra.clone();
        v["errors"] = p.errors.iter().map(render::error_json).collect();
        v["audit_dir"] = json!(audit_dir.map(|d| d.display().to_string()));
        print_json(&v);
        return;
    }
    if ctx.ui.verbose > 0 {
        print!("{}", render::plan_text(p, target, ctx.ui.verbose > 1));
    } else if !p.errors.is_empty() {
        print!("{}", render::errors_text(&p.errors));
    }
    let secs = extra["seconds"].as_f64().unwrap_or_default();
    println!(
        "Run {} {} in {secs:.2}s: group `{}` at version {} on {}",
        o.run.run_id,
        o.run.status.as_str(),
        o.run.group_id,
        o.run.seed_version,
        target
    );
    println!("  episodes: {}", render::counts_line(p));
    println!(
        "  files: {} seen, {} parsed, {} skipped",
        p.stats.files_seen,
        p.stats.files_parsed,
        p.stats.skipped.len()
    );
    println!(
        "  writes: {} batches, {} write transactions, {} retries",
        o.stats.batches, o.stats.write_transactions, o.stats.retries
    );
    if let Some(sig) = &o.run.graph_signature {
        println!("  graph_signature: {sig}");
    }
    if let Some(d) = audit_dir {
        println!("  audit trail: {}", d.display());
    }
}
