//! graphseed's types as Bolt parameters for the statements in `cypher/`.

use neo4rs::{BoltMap, BoltString, BoltType, Query, query};

use crate::cypher;
use crate::graphiti::{self, Profile};
use crate::stores::{EpisodeWrite, LockInfo, RunRecord};

pub(super) fn bolt_map<'a>(entries: impl IntoIterator<Item = (&'a str, BoltType)>) -> BoltType {
    let map: BoltMap = entries
        .into_iter()
        .map(|(k, v)| (BoltString::from(k), v))
        .collect();
    BoltType::Map(map)
}

/// One write as a map for the `$writes` list of `episode_upsert_batch`. In
/// the graphiti profile `source` is Graphiti's episode type and the label
/// travels as `source_description` (see [`crate::graphiti`]).
pub(super) fn write_map(w: &EpisodeWrite, profile: Profile) -> BoltType {
    let r = &w.record;
    let (source, graphiti) = match profile {
        Profile::Default => (r.source.as_str(), BoltType::List(Default::default())),
        Profile::Graphiti => (
            graphiti::source_type(r.source_path.as_deref()),
            std::iter::once(bolt_map([
                (
                    "uuid",
                    BoltType::from(graphiti::episode_uuid(&r.group_id, &r.entity_id).to_string()),
                ),
                ("source_description", BoltType::from(r.source.as_str())),
                ("valid_at", BoltType::from(graphiti::valid_at(r))),
            ]))
            .collect(),
        ),
    };
    bolt_map([
        ("group_id", BoltType::from(r.group_id.as_str())),
        ("entity_id", BoltType::from(r.entity_id.as_str())),
        ("name", BoltType::from(r.name.as_str())),
        ("source", BoltType::from(source)),
        ("version", BoltType::from(r.version.to_string())),
        ("version_major", BoltType::from(r.version.major())),
        ("version_minor", BoltType::from(r.version.minor())),
        ("version_patch", BoltType::from(r.version.patch())),
        ("version_pre", BoltType::from(r.version.pre())),
        ("created_at", BoltType::from(r.created_at)),
        ("updated_at", BoltType::from(r.updated_at)),
        ("source_hash", BoltType::from(r.source_hash.clone())),
        ("content_hash", BoltType::from(r.content_hash.as_str())),
        ("source_path", BoltType::from(r.source_path.clone())),
        ("run_id", BoltType::from(r.run_id.as_str())),
        ("body", BoltType::from(r.body.as_str())),
        // graphseed's `source` label (not Graphiti's episode type), the times
        // as the instants written.
        ("seal", BoltType::from(r.seal(|t| t))),
        ("action", BoltType::from(w.action.as_str())),
        ("graphiti", graphiti),
    ])
}

pub(super) fn release_query(group_id: &str, run_id: &str) -> Query {
    query(cypher::LOCK_RELEASE)
        .param("group_id", group_id)
        .param("run_id", run_id)
}

pub(super) fn run_query(run: &RunRecord) -> Query {
    let counts =
        serde_json::to_string(&run.counts).expect("a map of strings to integers serializes");
    query(cypher::RUN_UPSERT)
        .param("run_id", run.run_id.as_str())
        .param("group_id", run.group_id.as_str())
        .param("status", run.status.as_str())
        .param("started_at", run.started_at)
        .param("finished_at", run.finished_at)
        .param("tool_version", run.tool_version.as_str())
        .param("seed_version", run.seed_version.as_str())
        .param("params_hash", run.params_hash.as_str())
        .param("params_json", run.params_json.as_str())
        .param("graph_signature", run.graph_signature.clone())
        .param("sources_signature", run.sources_signature.clone())
        .param("git_commit", run.git_commit.clone())
        .param("git_branch", run.git_branch.clone())
        .param("git_dirty", run.git_dirty)
        .param("hostname", run.hostname.as_str())
        .param("os", run.os.as_str())
        .param("counts_json", counts)
        .param("kind", run.kind.as_str())
}

pub(super) fn lock_params(q: Query, claim: &LockInfo) -> Query {
    q.param("group_id", claim.group_id.as_str())
        .param("owner", claim.owner.as_str())
        .param("host", claim.host.as_str())
        .param("run_id", claim.run_id.as_str())
        .param("acquired_at", claim.acquired_at)
        .param("expires_at", claim.expires_at)
}
