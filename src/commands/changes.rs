//! `changes`: the change feed. Lists exactly the decisions of one run
//! (`--run`) or of every seed run after one (`--since-run`) that changed
//! what a consumer holds (see [`crate::provenance::feed::is_fed`]), read from
//! the store's provenance links, so it answers for any run the store
//! remembers, on any machine. Read-only.

use clap::{ArgGroup, Args};

use super::{Context, Outcome};
use crate::error::Error;
use crate::provenance::feed;
use crate::stores::any::Access;
use crate::stores::prelude::*;
use crate::stores::{RunChange, RunKind, RunRecord};
use crate::ui::{self, outln};

#[derive(Debug, Args, Clone, Default)]
#[command(group(ArgGroup::new("which").required(true).args(["run", "since_run"])))]
pub struct ChangesArgs {
    /// The changes of this run
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// The changes of every seed run of the same group after this one, in
    /// the order they ran (not this one itself)
    #[arg(long, value_name = "RUN_ID")]
    pub since_run: Option<String>,
}

pub async fn changes(ctx: &Context, a: &ChangesArgs) -> Result<Outcome, Error> {
    let store = ctx.store_for(Access::ReadOnly).await?;
    store.check_schema().await?;
    let id = a
        .run
        .as_deref()
        .or(a.since_run.as_deref())
        .unwrap_or_default();
    let anchor = store.get_run(id).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "no run `{id}` in {} (`graphseed runs` lists them)",
            store.describe()
        ))
    })?;
    // A run belongs to one group; a `--group` that names another is a
    // mistake worth saying, not a filter to ignore.
    if let Some(g) = ctx
        .global
        .group
        .as_deref()
        .filter(|g| *g != anchor.group_id)
    {
        return Err(Error::config(
            format!(
                "run `{id}` belongs to group `{}`, not `{g}`",
                anchor.group_id
            ),
            Some("drop --group: a run names its group"),
        ));
    }
    if anchor.kind != RunKind::Seed {
        return Err(Error::config(
            format!(
                "run `{id}` is a {} run: it wrote no episodes",
                anchor.kind.as_str()
            ),
            Some("pass a seed run (`graphseed runs` shows each run's kind)"),
        ));
    }
    let runs: Vec<RunRecord> = match a.run {
        Some(_) => vec![anchor.clone()],
        None => {
            let all = store.list_runs(Some(&anchor.group_id)).await?;
            feed::runs_after(&all, &anchor)
                .into_iter()
                .cloned()
                .collect()
        }
    };
    let group = &anchor.group_id;
    // The records as read (each run's changes, filtered), turned into JSON
    // one at a time as they are written: as one `Value` document a change
    // with its parsed body cost about ten times its stored size (a feed of
    // a 100k-episode run peaked at 1.3 GB).
    let mut changes: Vec<(&str, RunChange)> = Vec::new();
    for run in &runs {
        for c in store.run_changes(group, &run.run_id).await? {
            if feed::is_fed(
                c.action,
                &c.content_hash,
                c.previous_content_hash.as_deref(),
            ) {
                changes.push((&run.run_id, c));
            }
        }
    }
    if ctx.ui.json {
        ui::json(&ChangesJson {
            group,
            runs: &runs,
            changes: &changes,
        });
        return Ok(Outcome::Done);
    }
    outln!(
        "{:<8}  {:<36}  {:<36}  entity_id",
        "action",
        "run_id",
        "uuid"
    );
    for (run_id, c) in &changes {
        outln!(
            "{:<8}  {:<36}  {:<36}  {}",
            c.action.as_str(),
            run_id,
            crate::graphiti::episode_uuid(group, &c.entity_id),
            ui::path(&c.entity_id)
        );
    }
    outln!(
        "{} change(s) in {} run(s) of group {group}",
        changes.len(),
        runs.len()
    );
    Ok(Outcome::Done)
}

/// `changes --json`: keys in the order a `serde_json::Value` map prints
/// them, each change made into JSON only while it is written.
struct ChangesJson<'a> {
    group: &'a str,
    runs: &'a [RunRecord],
    changes: &'a [(&'a str, RunChange)],
}

impl serde::Serialize for ChangesJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry(
            "changes",
            &crate::ui::JsonSeq(|| {
                self.changes
                    .iter()
                    .map(|(run_id, c)| feed::change_json(self.group, run_id, c))
            }),
        )?;
        m.serialize_entry("group_id", self.group)?;
        m.serialize_entry(
            "runs",
            &self
                .runs
                .iter()
                .map(|r| r.run_id.as_str())
                .collect::<Vec<_>>(),
        )?;
        m.end()
    }
}
