//! What a communities run writes: the detected partition compared with the
//! stored one. Pure: it takes the projection, the detection and the stored
//! communities, and returns one decision per community (create, update,
//! skip, prune) and the batch part that carries them out. Identity comes
//! from [`super::identity`], the per-community rule from [`super::decision`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::decision::{CommunityDecision, decide, members_content_hash};
use super::graph::Projection;
use super::hierarchy::Detection;
use super::identity::{match_communities, new_uuid};
use super::naming::name_and_summary;
use crate::stores::{CommunityChanges, CommunityWrite, StoredCommunity};

/// `_metadata.source` of every community node: graphseed computed it, no
/// source file holds it.
pub const COMMUNITY_SOURCE: &str = "graphseed:communities";

/// The uuid of one HAS_MEMBER edge (Graphiti keys edges by uuid too): UUIDv5
/// of the member's entity_id in the namespace of the community's uuid, so
/// two runs and two stores give an edge the same uuid.
pub fn member_edge_uuid(community_uuid: &str, member: &str) -> String {
    // Community uuids are UUIDs; a hand-edited one still gives a stable
    // namespace instead of a failure.
    let ns = Uuid::parse_str(community_uuid)
        .unwrap_or_else(|_| Uuid::new_v5(&Uuid::NAMESPACE_URL, community_uuid.as_bytes()));
    Uuid::new_v5(&ns, member.as_bytes()).to_string()
}

/// What a run does to one community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CommunityAction {
    Create,
    Update,
    Skip,
    Prune,
}

impl CommunityAction {
    pub const ALL: [CommunityAction; 4] = [
        CommunityAction::Create,
        CommunityAction::Update,
        CommunityAction::Skip,
        CommunityAction::Prune,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CommunityAction::Create => "create",
            CommunityAction::Update => "update",
            CommunityAction::Skip => "skip",
            CommunityAction::Prune => "prune",
        }
    }
    pub fn writes(self) -> bool {
        self != CommunityAction::Skip
    }
}

/// One decision, as `--dry-run` prints it and `actions.jsonl` records it.
/// A create lists every member, a prune every member it had (its history),
/// an update what joined and what left.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommunityEntry {
    pub action: CommunityAction,
    pub entity_id: String,
    pub uuid: String,
    pub level: u32,
    pub size: u64,
    pub name: String,
    pub reason: String,
    pub content_hash: String,
    /// The stored content_hash, when there was a stored community.
    pub before_content_hash: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members_removed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<String>,
}

/// What the run compares and stamps.
pub struct PlanInput<'a> {
    pub group_id: &'a str,
    pub projection: &'a Projection,
    /// content_hash of each projection node, in the projection's order.
    pub content_hashes: &'a [String],
    pub detection: &'a Detection,
    pub stored: &'a [StoredCommunity],
    pub params_hash: &'a str,
    pub graph_signature: &'a str,
    pub version: Option<&'a str>,
    pub now: DateTime<Utc>,
    pub threshold: f64,
}

#[derive(Debug, Clone, Default)]
pub struct CommunityPlan {
    /// Detected communities in the detection's order, then the prunes in
    /// stored order.
    pub entries: Vec<CommunityEntry>,
    pub changes: CommunityChanges,
}

impl CommunityPlan {
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        let mut m: BTreeMap<&'static str, u64> = CommunityAction::ALL
            .iter()
            .map(|a| (a.as_str(), 0))
            .collect();
        for e in &self.entries {
            *m.entry(e.action.as_str()).or_default() += 1;
        }
        m
    }
}

/// The warm start: `warm[level][node]`, the index (within its level) of the
/// stored community holding each projection node, for the engine to start
/// from. Nodes in no stored community (new episodes) start alone.
pub fn warm_partition(
    projection: &Projection,
    stored: &[StoredCommunity],
) -> Vec<Vec<Option<u32>>> {
    let levels = stored
        .iter()
        .map(|c| c.level as usize + 1)
        .max()
        .unwrap_or(0);
    let mut warm = vec![vec![None; projection.nodes.len()]; levels];
    let mut next = vec![0u32; levels];
    for c in stored {
        let level = c.level as usize;
        let label = next[level];
        next[level] += 1;
        for m in &c.members {
            if let Ok(i) = projection.nodes.binary_search(m) {
                warm[level][i] = Some(label);
            }
        }
    }
    warm
}

/// Internal link weight of every member of every community (the sum of
/// its edges to other members), in one pass over the edges per level: the
/// naming's per-community helper walks every edge once per community,
/// which at 100k nodes and a few hundred communities is most of a run.
fn internal_weights(p: &Projection, d: &Detection) -> Vec<Vec<u64>> {
    let levels = d
        .communities
        .iter()
        .map(|c| c.level as usize + 1)
        .max()
        .unwrap_or(0);
    // owner[level][node]: (community, position of the node in its members).
    let mut owner: Vec<Vec<Option<(u32, u32)>>> = vec![vec![None; p.nodes.len()]; levels];
    for (k, c) in d.communities.iter().enumerate() {
        for (pos, &v) in c.members.iter().enumerate() {
            owner[c.level as usize][v as usize] = Some((k as u32, pos as u32));
        }
    }
    let mut out: Vec<Vec<u64>> = d
        .communities
        .iter()
        .map(|c| vec![0; c.members.len()])
        .collect();
    for level in &owner {
        for &(u, v, w) in &p.edges {
            if let (Some((cu, iu)), Some((cv, iv))) = (level[u as usize], level[v as usize])
                && cu == cv
            {
                out[cu as usize][iu as usize] += w;
                out[cu as usize][iv as usize] += w;
            }
        }
    }
    out
}

fn ids(v: &[String]) -> Vec<(String, String)> {
    v.iter().map(|m| (m.clone(), String::new())).collect()
}

/// Members that joined and left, by entity_id (both lists sorted).
fn diff(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    match decide(Some(&ids(old)), Some(&ids(new))) {
        CommunityDecision::Update { added, removed } => (added, removed),
        _ => (Vec::new(), Vec::new()),
    }
}

/// Compare the detection with the stored partition.
pub fn plan(input: &PlanInput<'_>) -> CommunityPlan {
    let p = input.projection;
    let found = &input.detection.communities;
    let members: Vec<Vec<String>> = found
        .iter()
        .map(|c| {
            c.members
                .iter()
                .map(|&i| p.nodes[i as usize].clone())
                .collect()
        })
        .collect();
    let stored_keys: Vec<(u32, &[String])> = input
        .stored
        .iter()
        .map(|c| (c.level, c.members.as_slice()))
        .collect();
    let new_keys: Vec<(u32, &[String])> = found
        .iter()
        .zip(&members)
        .map(|(c, m)| (c.level, m.as_slice()))
        .collect();
    let matched = match_communities(&stored_keys, &new_keys, input.threshold);
    // Identity first (a parent names its children by entity_id): a match
    // keeps the stored uuid and key, a new community gets UUIDv5 of its
    // group, level and members.
    let keys: Vec<(String, String)> = found
        .iter()
        .zip(&members)
        .zip(&matched)
        .map(|((c, m), s)| match s {
            Some(i) => (
                input.stored[*i].entity_id.clone(),
                input.stored[*i].uuid.clone(),
            ),
            None => {
                let uuid = new_uuid(input.group_id, c.level, m).to_string();
                (uuid.clone(), uuid)
            }
        })
        .collect();
    let weights = internal_weights(p, input.detection);
    let mut out = CommunityPlan::default();
    for (j, c) in found.iter().enumerate() {
        let m = &members[j];
        let (entity_id, uuid) = keys[j].clone();
        let mut children: Vec<String> = c.children.iter().map(|&k| keys[k].0.clone()).collect();
        children.sort();
        let pairs: Vec<(String, String)> = c
            .members
            .iter()
            .map(|&i| {
                (
                    p.nodes[i as usize].clone(),
                    input.content_hashes[i as usize].clone(),
                )
            })
            .collect();
        let content_hash = members_content_hash(&pairs);
        let named: Vec<(&str, &str, u64)> = m
            .iter()
            .zip(&weights[j])
            .map(|(id, w)| (id.as_str(), id.as_str(), *w))
            .collect();
        let (name, summary) = name_and_summary(&named);
        let stored = matched[j].map(|i| &input.stored[i]);
        let (action, reason, add_e, rem_e, add_c, rem_c) = match stored {
            None => (
                CommunityAction::Create,
                "new community".to_string(),
                m.clone(),
                Vec::new(),
                children.clone(),
                Vec::new(),
            ),
            Some(s) => {
                let (add_e, rem_e) = diff(&s.members, m);
                let (add_c, rem_c) = diff(&s.children, &children);
                let mut why = Vec::new();
                if !add_e.is_empty() || !rem_e.is_empty() {
                    why.push(format!("{} joined, {} left", add_e.len(), rem_e.len()));
                } else if s.content_hash != content_hash {
                    why.push("a member's content changed".to_string());
                }
                if !add_c.is_empty() || !rem_c.is_empty() {
                    why.push("its sub-communities changed".to_string());
                }
                if why.is_empty() && (s.name != name || s.summary != summary) {
                    why.push("its most linked members changed".to_string());
                }
                if why.is_empty() {
                    (
                        CommunityAction::Skip,
                        "same members, same content".to_string(),
                        add_e,
                        rem_e,
                        add_c,
                        rem_c,
                    )
                } else {
                    (
                        CommunityAction::Update,
                        why.join("; "),
                        add_e,
                        rem_e,
                        add_c,
                        rem_c,
                    )
                }
            }
        };
        if action != CommunityAction::Skip {
            out.changes.writes.push(CommunityWrite {
                entity_id: entity_id.clone(),
                uuid: uuid.clone(),
                level: c.level,
                size: m.len() as u64,
                name: name.clone(),
                summary,
                source: COMMUNITY_SOURCE.to_string(),
                version: input.version.map(str::to_string),
                content_hash: content_hash.clone(),
                // The store keeps a stored community's created_at.
                created_at: input.now,
                updated_at: input.now,
                params_hash: input.params_hash.to_string(),
                graph_signature: input.graph_signature.to_string(),
                add_episodes: add_e.clone(),
                remove_episodes: rem_e.clone(),
                add_children: add_c,
                remove_children: rem_c,
            });
        }
        let created = action == CommunityAction::Create;
        out.entries.push(CommunityEntry {
            action,
            entity_id,
            uuid,
            level: c.level,
            size: m.len() as u64,
            name,
            reason,
            content_hash,
            before_content_hash: stored.map(|s| s.content_hash.clone()),
            members: if created { m.clone() } else { Vec::new() },
            members_added: if created { Vec::new() } else { add_e },
            members_removed: rem_e,
            children,
        });
    }
    let mut taken = vec![false; input.stored.len()];
    for i in matched.iter().flatten() {
        taken[*i] = true;
    }
    for (s, _) in input.stored.iter().zip(&taken).filter(|(_, t)| !**t) {
        out.changes.deletes.push(s.entity_id.clone());
        out.entries.push(CommunityEntry {
            action: CommunityAction::Prune,
            entity_id: s.entity_id.clone(),
            uuid: s.uuid.clone(),
            level: s.level,
            size: s.size,
            name: s.name.clone(),
            reason: "dissolved: no detected community continues it".to_string(),
            content_hash: s.content_hash.clone(),
            before_content_hash: Some(s.content_hash.clone()),
            members: s.members.clone(),
            members_added: Vec::new(),
            members_removed: Vec::new(),
            children: s.children.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::communities::hierarchy::{DetectParams, detect};
    use crate::communities::identity::DEFAULT_JACCARD_THRESHOLD;

    /// Two triangles joined by one edge: two communities.
    fn projection(extra: &[(&str, &str)]) -> Projection {
        let mut links = vec![
            ("a", "b", 1),
            ("b", "c", 1),
            ("a", "c", 1),
            ("d", "e", 1),
            ("e", "f", 1),
            ("d", "f", 1),
            ("c", "d", 1),
        ];
        links.extend(extra.iter().map(|(u, v)| (*u, *v, 1)));
        let mut nodes: Vec<String> = ["a", "b", "c", "d", "e", "f"].map(String::from).to_vec();
        for (u, v) in extra {
            nodes.push(u.to_string());
            nodes.push(v.to_string());
        }
        Projection::new(nodes, links)
    }

    fn run(p: &Projection, hashes: &[String], stored: &[StoredCommunity]) -> CommunityPlan {
        let detection = detect(&p.graph(), &DetectParams::default(), None);
        plan(&PlanInput {
            group_id: "g",
            projection: p,
            content_hashes: hashes,
            detection: &detection,
            stored,
            params_hash: "p",
            graph_signature: &p.graph_signature(),
            version: Some("1.0.0"),
            now: DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            threshold: DEFAULT_JACCARD_THRESHOLD,
        })
    }

    /// What a store would hold after writing `plan` over `before`.
    fn stored_after(before: &[StoredCommunity], plan: &CommunityPlan) -> Vec<StoredCommunity> {
        let mut out: Vec<StoredCommunity> = before
            .iter()
            .filter(|s| !plan.changes.deletes.contains(&s.entity_id))
            .cloned()
            .collect();
        for w in &plan.changes.writes {
            let members = plan
                .entries
                .iter()
                .find(|e| e.entity_id == w.entity_id)
                .unwrap();
            let mut ms: Vec<String> = out
                .iter()
                .find(|s| s.entity_id == w.entity_id)
                .map(|s| s.members.clone())
                .unwrap_or_default();
            ms.retain(|m| !w.remove_episodes.contains(m));
            ms.extend(w.add_episodes.iter().cloned());
            ms.sort();
            out.retain(|s| s.entity_id != w.entity_id);
            out.push(StoredCommunity {
                entity_id: w.entity_id.clone(),
                uuid: w.uuid.clone(),
                level: w.level,
                size: w.size,
                name: w.name.clone(),
                summary: w.summary.clone(),
                content_hash: w.content_hash.clone(),
                run_id: "r".into(),
                params_hash: w.params_hash.clone(),
                graph_signature: w.graph_signature.clone(),
                members: ms,
                children: members.children.clone(),
            });
        }
        out.sort_by(|a, b| (a.level, &a.entity_id).cmp(&(b.level, &b.entity_id)));
        out
    }

    fn hashes(p: &Projection, edited: &str) -> Vec<String> {
        p.nodes
            .iter()
            .map(|n| {
                if n == edited {
                    "h2".into()
                } else {
                    "h1".into()
                }
            })
            .collect()
    }

    fn actions(plan: &CommunityPlan) -> Vec<CommunityAction> {
        plan.entries.iter().map(|e| e.action).collect()
    }

    #[test]
    fn create_skip_update_prune_table() {
        use CommunityAction::*;
        let p = projection(&[]);
        let first = run(&p, &hashes(&p, ""), &[]);
        assert_eq!(actions(&first), [Create, Create]);
        assert_eq!(first.changes.writes[0].add_episodes, ["a", "b", "c"]);
        assert_eq!(first.changes.writes[0].source, COMMUNITY_SOURCE);
        let stored = stored_after(&[], &first);

        // Nothing changed: every community is a skip, nothing is written.
        let again = run(&p, &hashes(&p, ""), &stored);
        assert_eq!(actions(&again), [Skip, Skip]);
        assert!(again.changes.is_empty());

        // A member's content changed: its community is updated, no edge moves.
        let edited = run(&p, &hashes(&p, "b"), &stored);
        assert_eq!(actions(&edited), [Update, Skip]);
        let w = &edited.changes.writes[0];
        assert!(w.add_episodes.is_empty() && w.remove_episodes.is_empty());
        assert_eq!(w.uuid, first.changes.writes[0].uuid, "identity kept");
        assert_ne!(w.content_hash, first.changes.writes[0].content_hash);

        // A third triangle hanging off f: a new community; the old two keep
        // their uuids (members diffed if any moved).
        let grown = projection(&[("g", "h"), ("h", "i"), ("g", "i"), ("f", "g")]);
        let plan = run(&grown, &hashes(&grown, ""), &stored);
        let uuids: Vec<&str> = plan.entries.iter().map(|e| e.uuid.as_str()).collect();
        assert!(uuids.contains(&first.entries[0].uuid.as_str()));
        assert!(uuids.contains(&first.entries[1].uuid.as_str()));
        assert_eq!(plan.counts()["create"], 1);

        // Stored communities nothing continues are pruned, with their members
        // kept in the decision (the audit trail's history).
        let mut ghost = stored[0].clone();
        ghost.entity_id = "ghost".into();
        ghost.level = 3;
        let with_ghost = [stored.clone(), vec![ghost]].concat();
        let plan = run(&p, &hashes(&p, ""), &with_ghost);
        assert_eq!(actions(&plan), [Skip, Skip, Prune]);
        assert_eq!(plan.changes.deletes, ["ghost"]);
        assert_eq!(plan.entries[2].members, stored[0].members);
    }

    #[test]
    fn new_uuids_are_a_function_of_the_members_and_edge_uuids_of_both_ends() {
        let p = projection(&[]);
        let a = run(&p, &hashes(&p, ""), &[]);
        let b = run(&p, &hashes(&p, ""), &[]);
        assert_eq!(a.entries, b.entries);
        let u = &a.entries[0].uuid;
        assert_eq!(member_edge_uuid(u, "a"), member_edge_uuid(u, "a"));
        assert_ne!(member_edge_uuid(u, "a"), member_edge_uuid(u, "b"));
        assert_ne!(
            member_edge_uuid(u, "a"),
            member_edge_uuid(&a.entries[1].uuid, "a")
        );
        assert_eq!(a.entries[0].entity_id, *u);
    }

    #[test]
    fn internal_weights_agree_with_the_naming_helper() {
        use crate::communities::hierarchy::DetectedCommunity;
        let p = projection(&[]);
        // Two levels by hand: all six nodes, split into the two triangles.
        let c = |level, members: Vec<u32>, parent| DetectedCommunity {
            level,
            members,
            parent,
            children: Vec::new(),
        };
        let d = Detection {
            communities: vec![
                c(0, vec![0, 1, 2, 3, 4, 5], None),
                c(1, vec![0, 1, 2], Some(0)),
                c(1, vec![3, 4, 5], Some(0)),
            ],
            membership: vec![0; 6],
            modularity: 0.0,
        };
        let all = internal_weights(&p, &d);
        for (c, got) in d.communities.iter().zip(&all) {
            assert_eq!(
                *got,
                crate::communities::naming::internal_weights(&c.members, &p.edges)
            );
        }
    }

    #[test]
    fn warm_partition_labels_stored_members_by_level() {
        let p = projection(&[]);
        let first = run(&p, &hashes(&p, ""), &[]);
        let stored = stored_after(&[], &first);
        let warm = warm_partition(&p, &stored);
        assert_eq!(warm.len(), 1);
        let labels: Vec<Option<u32>> = warm[0].clone();
        assert_eq!(labels[0], labels[1]);
        assert_ne!(labels[0], labels[3]);
        assert!(labels.iter().all(Option::is_some));
        assert!(warm_partition(&p, &[]).is_empty());
    }
}
