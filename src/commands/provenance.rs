//! `provenance`: which episodes, by source, version, entity, run and time
//! window; with `--entity`, the episode's whole history. Read-only.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Context, print_json};
use crate::cli::ProvenanceArgs;
use crate::error::Error;
use crate::exit_codes;
use crate::metadata::{EpisodeRecord, format_time};
use crate::stores::prelude::*;
use crate::stores::{EpisodeFilter, HistoryEntry};

fn parse_time(flag: &str, s: &str) -> Result<DateTime<Utc>, Error> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    Err(Error::config(
        format!("{flag} `{s}` is not an RFC 3339 time or a YYYY-MM-DD date"),
        Some("for example 2026-01-31 or 2026-01-31T12:00:00Z"),
    ))
}

pub fn episode_json(e: &EpisodeRecord) -> Value {
    // The same facts as the body's `_metadata`, plus where it lives.
    let mut v = e.metadata_json();
    v["group_id"] = json!(e.group_id);
    v["name"] = json!(e.name);
    v
}

fn history_json(h: &HistoryEntry) -> Value {
    json!({
        "run_id": h.run_id,
        "action": h.action.as_str(),
        "at": format_time(&h.at),
        "version": h.version,
        "content_hash": h.content_hash,
        "source_hash": h.source_hash,
    })
}

pub async fn provenance(ctx: &Context, a: &ProvenanceArgs) -> Result<i32, Error> {
    let store = ctx.store().await?;
    store.check_schema().await?;
    let group = ctx.group()?;
    let filter = EpisodeFilter {
        group_id: Some(group.clone()),
        source: a.source.clone(),
        version: a.version.clone(),
        entity_id: a.entity.clone(),
        run_id: a.run.clone(),
        since: a
            .since
            .as_deref()
            .map(|s| parse_time("--since", s))
            .transpose()?,
        until: a
            .until
            .as_deref()
            .map(|s| parse_time("--until", s))
            .transpose()?,
        limit: a.limit,
    };
    let episodes = store.query_episodes(&filter).await?;
    let history = match &a.entity {
        Some(id) => Some(store.episode_history(&group, id).await?),
        None => None,
    };
    if ctx.ui.json {
        let mut v = json!({
            "group_id": group,
            "episodes": episodes.iter().map(episode_json).collect::<Vec<_>>(),
        });
        if let Some(h) = &history {
            v["history"] = h.iter().map(history_json).collect();
        }
        print_json(&v);
        return Ok(exit_codes::OK);
    }
    let w = episodes
        .iter()
        .map(|e| e.entity_id.len())
        .max()
        .unwrap_or(9)
        .max(9);
    println!(
        "{:<w$}  {:<12}  {:<32}  {:<18}  {:<36}  source_path",
        "entity_id", "version", "updated_at", "source", "run_id"
    );
    for e in &episodes {
        println!(
            "{:<w$}  {:<12}  {:<32}  {:<18}  {:<36}  {}",
            e.entity_id,
            e.version.to_string(),
            format_time(&e.updated_at),
            e.source,
            e.run_id,
            e.source_path.as_deref().unwrap_or("<generated>")
        );
    }
    println!("{} episode(s)", episodes.len());
    if let Some(h) = history {
        println!(
            "\nHistory of `{}`:",
            a.entity.as_deref().unwrap_or_default()
        );
        for x in &h {
            println!(
                "  {}  {:<8} run {}  version {}  content {}",
                format_time(&x.at),
                x.action.as_str(),
                x.run_id,
                x.version,
                x.content_hash.get(..12).unwrap_or(&x.content_hash)
            );
        }
    }
    Ok(exit_codes::OK)
}
