//! The body of each episode written: read again from its file when applied
//! (plans keep no bodies), checked against the `content_hash` that was
//! planned, and stamped with its `_metadata` block.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::hashing::StoredHash;
use crate::metadata::EpisodeRecord;
use crate::planning::{self, Origin, Plan, PlanEntry, RereadError};
use crate::sources::{Candidate, Format, RootSpec, SourceFile};

/// Why an episode's body could not be written as planned.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("{path}: {source}")]
    Reread {
        path: String,
        #[source]
        source: RereadError,
    },
    /// The file changed after planning: the planned content_hash no longer
    /// describes it.
    #[error("{path}: `{entity_id}` changed while graphseed was running; run again")]
    Changed { path: String, entity_id: String },
    #[error("{path}: `{entity_id}` left the file while graphseed was running; run again")]
    Left { path: String, entity_id: String },
    /// A plan entry that writes nothing reached the writer (a bug).
    #[error("`{entity_id}` has no body to write")]
    NoBody { entity_id: String },
}

/// Bodies (and names) are not kept in the plan; files are read again when
/// applied. The writes of one file are adjacent in the plan, so each file is
/// read once.
#[derive(Default)]
pub(super) struct BodyCache {
    file: Option<Read>,
    /// entity_id → the item as read again.
    items: HashMap<String, Candidate>,
    /// Each root's path, shared by the files of a bump read under it.
    roots: HashMap<u16, std::sync::Arc<std::path::PathBuf>>,
}

/// The file whose items a [`BodyCache`] holds.
#[derive(PartialEq, Eq)]
enum Read {
    /// `plan.files[i]`.
    Planned(usize),
    /// A bumped episode's stored source_path under `input.roots[root]`.
    SameBytes(u16, Box<str>),
}

impl BodyCache {
    /// The name and fields of a decision's episode (`roots`: the plan's
    /// input's).
    pub(super) fn body(
        &mut self,
        plan: &Plan,
        d: &PlanEntry,
        (roots, max): (&[RootSpec], u64),
    ) -> Result<(String, Map<String, Value>), BodyError> {
        let path = match d.origin {
            Origin::Generated(i) => {
                let c = &plan.generated[i as usize];
                return Ok((c.name.clone(), c.fields.clone()));
            }
            Origin::Stored => {
                return Err(BodyError::NoBody {
                    entity_id: d.entity_id.to_string(),
                });
            }
            Origin::File(fi) => {
                let fi = fi as usize;
                let pf = &plan.files.get(fi);
                if self.file != Some(Read::Planned(fi)) {
                    // The bytes the plan kept (those it hashed and parsed)
                    // or, beyond the read allowance, the file read again.
                    let cands =
                        planning::parse_planned(pf, plan.kept.take(fi), max).map_err(|source| {
                            BodyError::Reread {
                                path: pf.display(),
                                source,
                            }
                        })?;
                    self.hold(cands, Read::Planned(fi));
                }
                pf.display()
            }
            Origin::SameBytes(root) => {
                let rel = plan.source_path(d).unwrap_or_default();
                let spec = &roots[root as usize];
                let path = format!("{}/{rel}", spec.display);
                let held =
                    matches!(&self.file, Some(Read::SameBytes(r, p)) if *r == root && **p == *rel);
                if !held {
                    let file = SourceFile {
                        root: self
                            .roots
                            .entry(root)
                            .or_insert_with(|| std::sync::Arc::new(spec.path.clone()))
                            .clone(),
                        rel: rel.into(),
                        // As the walk named it: by its extension.
                        format: Format::from_name(rel).unwrap_or(Format::Text),
                    };
                    let cands = planning::parse_source(&file, None, max).map_err(|source| {
                        BodyError::Reread {
                            path: path.clone(),
                            source,
                        }
                    })?;
                    self.hold(cands, Read::SameBytes(root, rel.into()));
                }
                path
            }
        };
        let entity_id = d.entity_id.to_string();
        let Some(c) = self.items.remove(&*d.entity_id) else {
            return Err(BodyError::Left { path, entity_id });
        };
        // The body written must be the one whose hash was planned (and
        // is written with it). An edit that leaves this episode's
        // content alone is harmless: its stored source_hash is the
        // planned one, so the next run looks at the file again.
        let planned = plan.after(d).map(|a| a.content_hash);
        if planned.as_deref() != Some(&StoredHash::parse(&c.content_hash)) {
            return Err(BodyError::Changed { path, entity_id });
        }
        Ok((c.name, c.fields))
    }

    fn hold(&mut self, cands: Vec<Candidate>, file: Read) {
        self.items = cands
            .into_iter()
            .map(|c| (c.entity_id.clone(), c))
            .collect();
        self.file = Some(file);
    }
}

pub(super) fn record_for(
    group_id: &str,
    run_id: &str,
    plan: &Plan,
    d: &PlanEntry,
    name: String,
    fields: &Map<String, Value>,
    now: DateTime<Utc>,
) -> EpisodeRecord {
    let after = plan.after(d).expect("writes have an after state");
    let mut r = EpisodeRecord {
        group_id: group_id.to_string(),
        entity_id: d.entity_id.to_string(),
        name,
        source: plan.source(d).to_string(),
        version: plan.version.clone(),
        // created_at is set once and kept across updates, replaces, --force.
        created_at: plan.created_at(d).unwrap_or(now),
        // updated_at moves only when the content does: the planner sets
        // `keeps_updated_at` exactly where it did not (refresh, rewrite, a
        // repair or transfer of unchanged content).
        updated_at: plan.keep_updated_at(d).unwrap_or(now),
        source_hash: after.source_hash.as_ref().map(ToString::to_string),
        content_hash: after.content_hash.to_string(),
        source_path: plan.source_path(d).map(str::to_string),
        run_id: run_id.to_string(),
        body: String::new(),
    };
    r.stamp_body(fields);
    r
}
