//! `provenance`: which episodes, by source, version, entity, run and time
//! window; with `--entity`, the episode's whole history. Read-only.

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::{Value, json};

use super::{Context, Outcome};
use crate::error::Error;
use crate::metadata::{EpisodeRecord, format_time};
use crate::stores::any::Access;
use crate::stores::prelude::*;
use crate::stores::{EpisodeFilter, HistoryEntry};
use crate::ui::{self, outln};

#[derive(Debug, Args, Clone, Default)]
pub struct ProvenanceArgs {
    /// Episodes of this source label
    #[arg(long)]
    pub source: Option<String>,
    /// Episodes stored at this version
    #[arg(long = "version", value_name = "SEMVER")]
    pub version: Option<String>,
    /// One episode, with its whole history
    #[arg(long, value_name = "ENTITY_ID")]
    pub entity: Option<String>,
    /// Episodes last written by this run
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// updated_at at or after this time (RFC 3339 or YYYY-MM-DD)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// updated_at before this time (RFC 3339 or YYYY-MM-DD)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// At most this many episodes
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// One community (by uuid): which run wrote it
    #[arg(long, value_name = "UUID", conflicts_with_all = ["source", "version", "entity", "run", "since", "until", "limit"])]
    pub community: Option<String>,
}

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

pub async fn provenance(ctx: &Context, a: &ProvenanceArgs) -> Result<Outcome, Error> {
    if let Some(id) = &a.community {
        return super::communities::provenance(ctx, id).await;
    }
    let store = ctx.store_for(Access::ReadOnly).await?;
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
    // A run id that names no run is a mistake (a typo, another target), not
    // a run that wrote nothing: say so instead of printing 0 episodes.
    if let Some(id) = &a.run
        && store.get_run(id).await?.is_none()
    {
        return Err(Error::NotFound(format!(
            "no run `{id}` in {} (`graphseed runs` lists them)",
            store.describe()
        )));
    }
    let episodes = store.query_episodes(&filter).await?;
    let history = match &a.entity {
        Some(id) => Some(store.episode_history(&group, id).await?),
        None => None,
    };
    // With --entity, the episode's links too (see `graphseed links`): read
    // by seeks on the episode, never the group's links, so the answer costs
    // the episode's degree whatever the group's size.
    let all_links = match &a.entity {
        Some(id) => store.links_of_episode(&group, id).await?,
        None => Vec::new(),
    };
    let links = a
        .entity
        .as_deref()
        .map(|id| super::links::links_of(&all_links, id));
    if ctx.ui.json {
        ui::json(&ProvenanceJson {
            group: &group,
            episodes: &episodes,
            history: history
                .as_ref()
                .map(|h| h.iter().map(history_json).collect()),
            links: links.as_ref().map(|(out, inc)| {
                json!({
                    "outgoing": super::links::links_json(out, |l| &l.target),
                    "incoming": super::links::links_json(inc, |l| &l.source),
                })
            }),
        });
        return Ok(Outcome::Done);
    }
    let w = episodes
        .iter()
        .map(|e| e.entity_id.len())
        .max()
        .unwrap_or(9)
        .max(9);
    outln!(
        "{:<w$}  {:<12}  {:<32}  {:<18}  {:<36}  source_path",
        "entity_id",
        "version",
        "updated_at",
        "source",
        "run_id"
    );
    for e in &episodes {
        outln!(
            "{:<w$}  {:<12}  {:<32}  {:<18}  {:<36}  {}",
            ui::path(&e.entity_id),
            e.version.to_string(),
            format_time(&e.updated_at),
            e.source,
            e.run_id,
            ui::path(e.source_path.as_deref().unwrap_or("<generated>"))
        );
    }
    outln!("{} episode(s)", episodes.len());
    if let Some(h) = history {
        outln!(
            "\nHistory of `{}`:",
            ui::path(a.entity.as_deref().unwrap_or_default())
        );
        for x in &h {
            outln!(
                "  {}  {:<8} run {}  version {}  content {}",
                format_time(&x.at),
                x.action.as_str(),
                x.run_id,
                x.version,
                x.content_hash.get(..12).unwrap_or(&x.content_hash)
            );
        }
    }
    if let Some((out, inc)) = links.filter(|(o, i)| !o.is_empty() || !i.is_empty()) {
        outln!("\nLinks: {} outgoing, {} incoming", out.len(), inc.len());
        for l in out {
            outln!("  -> {}  {} x{}", ui::path(&l.target), l.kind, l.count);
        }
        for l in inc {
            outln!("  <- {}  {} x{}", ui::path(&l.source), l.kind, l.count);
        }
    }
    Ok(Outcome::Done)
}

/// `provenance --json`: keys in the order a `serde_json::Value` map prints
/// them, each episode made into JSON only while it is written (as one
/// `Value`, about 4 KB an episode: a group of 100k peaked at 405 MB).
struct ProvenanceJson<'a> {
    group: &'a str,
    episodes: &'a [EpisodeRecord],
    history: Option<Value>,
    links: Option<Value>,
}

impl serde::Serialize for ProvenanceJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "episodes",
            &crate::ui::JsonSeq(|| self.episodes.iter().map(episode_json)),
        )?;
        m.serialize_entry("group_id", self.group)?;
        if let Some(h) = &self.history {
            m.serialize_entry("history", h)?;
        }
        if let Some(l) = &self.links {
            m.serialize_entry("links", l)?;
        }
        m.end()
    }
}
