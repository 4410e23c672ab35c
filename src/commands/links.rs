//! `graphseed links ENTITY`: an episode's outgoing links and its backlinks,
//! as stored. Read-only; never takes the lock.

use clap::Args;
use serde_json::{Value, json};

use super::{Context, Outcome};
use crate::error::Error;
use crate::stores::any::Access;
use crate::stores::prelude::*;
use crate::stores::{EpisodeFilter, StoredLink};
use crate::ui::{self, outln};

#[derive(Debug, Args, Clone, Default)]
pub struct LinksArgs {
    /// The episode's entity_id
    pub entity_id: String,
}

/// The links of one episode: (outgoing, incoming), each in stored order.
pub fn links_of<'l>(
    all: &'l [StoredLink],
    entity_id: &str,
) -> (Vec<&'l StoredLink>, Vec<&'l StoredLink>) {
    (
        all.iter().filter(|l| *l.source == *entity_id).collect(),
        all.iter().filter(|l| *l.target == *entity_id).collect(),
    )
}

/// `{"entity_id", "kind", "count"}` per link, naming the other end.
pub fn links_json(links: &[&StoredLink], other_end: fn(&StoredLink) -> &str) -> Value {
    links
        .iter()
        .map(|l| json!({"entity_id": other_end(l), "kind": l.kind.as_str(), "count": l.count}))
        .collect()
}

pub async fn links(ctx: &Context, a: &LinksArgs) -> Result<Outcome, Error> {
    let store = ctx.store_for(Access::ReadOnly).await?;
    store.check_schema().await?;
    let group = ctx.group()?;
    // Seeks on the one episode, not the group's links or episodes: the
    // answer costs its degree whatever the group's size.
    let all = store.links_of_episode(&group, &a.entity_id).await?;
    let (out, inc) = links_of(&all, &a.entity_id);
    if out.is_empty() && inc.is_empty() {
        let one = EpisodeFilter {
            group_id: Some(group.clone()),
            entity_id: Some(a.entity_id.clone()),
            limit: Some(1),
            ..EpisodeFilter::default()
        };
        let known = !store.query_episodes(&one).await?.is_empty();
        if !known {
            return Err(Error::NotFound(format!(
                "no episode `{}` in group `{group}` on {} (`graphseed provenance` lists the group's entity ids)",
                a.entity_id,
                store.describe()
            )));
        }
    }
    if ctx.ui.json {
        ui::json(&json!({
            "group_id": group,
            "entity_id": a.entity_id,
            "outgoing": links_json(&out, |l| &l.target),
            "incoming": links_json(&inc, |l| &l.source),
        }));
        return Ok(Outcome::Done);
    }
    outln!("`{}` in group `{group}`", ui::path(&a.entity_id));
    for (title, links, other) in [
        (
            "links to",
            &out,
            (|l: &StoredLink| l.target.to_string()) as fn(&StoredLink) -> String,
        ),
        ("linked from", &inc, |l: &StoredLink| l.source.to_string()),
    ] {
        outln!("  {title} ({}):", links.len());
        for l in links.iter() {
            outln!("    {}  {} x{}", ui::path(&other(l)), l.kind, l.count);
        }
    }
    Ok(Outcome::Done)
}
