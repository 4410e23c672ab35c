//! Commands that look: `init` (the one exception: it creates the schema),
//! `status`, `runs`, `unlock`. None of them takes the seeding lock.

use serde_json::json;

use super::{Context, print_json};
use crate::error::Error;
use crate::exit_codes;
use crate::metadata::format_time;
use crate::provenance::audit::run_json;
use crate::stores::prelude::*;

pub async fn init(ctx: &Context) -> Result<i32, Error> {
    let store = ctx.store().await?;
    store.init().await?;
    store.check_schema().await?;
    if ctx.ui.json {
        print_json(&json!({"initialized": store.describe()}));
    } else {
        println!(
            "Initialized {}: constraints, indexes and tables are in place.",
            store.describe()
        );
    }
    Ok(exit_codes::OK)
}

pub async fn status(ctx: &Context) -> Result<i32, Error> {
    let store = ctx.store().await?;
    store.check_schema().await?;
    let group = ctx.group()?;
    let rows = store.status(Some(&group)).await?;
    let lock = store.read_lock(&group).await?;
    let last = store.list_runs(Some(&group)).await?.into_iter().next();
    if ctx.ui.json {
        print_json(&json!({
            "target": store.describe(),
            "group_id": group,
            "episodes": rows.iter().map(|r| json!({"source": r.source, "version": r.version, "episodes": r.episodes})).collect::<Vec<_>>(),
            "lock": lock.as_ref().map(|l| json!({
                "run_id": l.run_id, "owner": l.owner, "host": l.host,
                "acquired_at": format_time(&l.acquired_at), "expires_at": format_time(&l.expires_at),
            })),
            "last_run": last.as_ref().map(run_json),
        }));
        return Ok(exit_codes::OK);
    }
    println!("Group `{group}` on {}", store.describe());
    if rows.is_empty() {
        println!("  no episodes");
    }
    for r in &rows {
        println!(
            "  {:<24} {:<14} {:>8} episodes",
            r.source, r.version, r.episodes
        );
    }
    match &lock {
        Some(l) => println!(
            "  lock: held by run {} ({} on {}) until {}",
            l.run_id,
            l.owner,
            l.host,
            format_time(&l.expires_at)
        ),
        None => println!("  lock: free"),
    }
    if let Some(r) = &last {
        println!(
            "  last run: {} {} at {} (version {})",
            r.run_id,
            r.status.as_str(),
            format_time(&r.started_at),
            r.seed_version
        );
    }
    Ok(exit_codes::OK)
}

pub async fn runs(ctx: &Context, run_id: Option<&str>) -> Result<i32, Error> {
    let store = ctx.store().await?;
    store.check_schema().await?;
    if let Some(id) = run_id {
        let run = store
            .get_run(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no run `{id}` in {}", store.describe())))?;
        let v = run_json(&run);
        if ctx.ui.json {
            print_json(&v);
        } else {
            println!("{}", serde_json::to_string_pretty(&v).expect("serializes"));
        }
        return Ok(exit_codes::OK);
    }
    let group = ctx.group()?;
    let runs = store.list_runs(Some(&group)).await?;
    if ctx.ui.json {
        print_json(&json!(runs.iter().map(run_json).collect::<Vec<_>>()));
        return Ok(exit_codes::OK);
    }
    println!(
        "{:<36}  {:<11}  {:<9}  {:<32}  {:<10}  counts",
        "run_id", "kind", "status", "started_at", "version"
    );
    for r in &runs {
        let counts = r
            .counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k}={n}"))
            .collect::<Vec<_>>()
            .join(" ");
        println!(
            "{:<36}  {:<11}  {:<9}  {:<32}  {:<10}  {counts}",
            r.run_id,
            r.kind.as_str(),
            r.status.as_str(),
            format_time(&r.started_at),
            r.seed_version
        );
    }
    Ok(exit_codes::OK)
}

pub async fn unlock(ctx: &Context) -> Result<i32, Error> {
    let store = ctx.store().await?;
    store.check_schema().await?;
    let group = ctx.group()?;
    let old = store.force_unlock(&group).await?;
    if ctx.ui.json {
        print_json(
            &json!({"group_id": group, "released": old.as_ref().map(|l| json!({"run_id": l.run_id, "owner": l.owner, "host": l.host}))}),
        );
    } else {
        match old {
            Some(l) => println!(
                "Released the lock of group `{group}` held by run {} ({} on {}).",
                l.run_id, l.owner, l.host
            ),
            None => println!("Group `{group}` was not locked."),
        }
    }
    Ok(exit_codes::OK)
}
