//! graphseed's types as Bolt parameters for the statements in `cypher/`.

use chrono::{DateTime, SecondsFormat, Utc};
use neo4rs::{BoltMap, BoltString, BoltType, Query, query};

use crate::cypher;
use crate::graphiti::{self, Profile};
use crate::stores::{Action, EpisodeChanges, EpisodeWrite, LockInfo, RunRecord};

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
        ("seal", BoltType::from(seal_of(r))),
        ("action", BoltType::from(w.action.as_str())),
        ("graphiti", graphiti),
    ])
}

/// The seal of the episode as this statement stores it: graphseed's
/// `source` label (not Graphiti's episode type) and the times as the
/// instants written.
fn seal_of(r: &crate::metadata::EpisodeRecord) -> String {
    let version = r.version.to_string();
    crate::hashing::episode_seal(&crate::hashing::SealFields {
        entity_id: &r.entity_id,
        source: &r.source,
        version: &version,
        content_hash: &r.content_hash,
        source_hash: r.source_hash.as_deref(),
        source_path: r.source_path.as_deref(),
        run_id: &r.run_id,
        created_at: r.created_at,
        updated_at: r.updated_at,
        body: &r.body,
    })
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

/// The time of a write as it is kept in an episode's `history` list: RFC 3339
/// in UTC with nanoseconds, fixed width, so Cypher's `datetime()` reads back
/// the instant the relationship property held before, and the text holds no
/// `|` (the list's field separator).
pub(super) fn history_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// How a run's elements start in a `history` list: its id and the separator.
/// Run ids are UUIDs, so one run's mark is never a prefix of another's.
pub(super) fn run_mark(run_id: &str) -> String {
    format!("{run_id}|")
}

/// The `:SeedWrites` ledger of one episode batch: its key, the entity_ids it
/// wrote then pruned, and the action of each. The key is a digest of the
/// batch's contents, so a batch replayed after a lost commit MERGEs the
/// same node, and two batches of one run never share one.
pub(super) fn ledger(changes: &EpisodeChanges) -> (String, Vec<&str>, Vec<&str>) {
    let ids: Vec<&str> = changes
        .writes
        .iter()
        .map(|w| w.record.entity_id.as_str())
        .chain(changes.deletes.iter().map(String::as_str))
        .collect();
    let actions: Vec<&str> = changes
        .writes
        .iter()
        .map(|w| w.action.as_str())
        .chain(changes.deletes.iter().map(|_| Action::Prune.as_str()))
        .collect();
    (ledger_key(&ids, &actions), ids, actions)
}

/// SHA-256 over each (entity_id, action) of a batch, in order.
fn ledger_key(ids: &[&str], actions: &[&str]) -> String {
    let mut keyed = Vec::new();
    for (id, action) in ids.iter().zip(actions) {
        // Entity ids hold no NUL (they are snake_case slugs), so the
        // digest input cannot be read two ways.
        keyed.extend_from_slice(id.as_bytes());
        keyed.push(0);
        keyed.extend_from_slice(action.as_bytes());
        keyed.push(0);
    }
    crate::hashing::sha256_hex(&keyed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_time_is_fixed_width_utc_with_nanoseconds() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            history_time(t("2026-12-04T19:05:03Z")),
            "2026-12-04T19:05:03.000000000Z"
        );
        assert_eq!(
            history_time(t("2026-12-04T20:05:03.123456789+01:00")),
            "2026-12-04T19:05:03.123456789Z"
        );
        assert!(!history_time(t("2026-12-04T19:05:03.5Z")).contains('|'));
    }

    #[test]
    fn ledger_key_is_the_batch_contents() {
        let key = |ids: &[&str], actions: &[&str]| ledger_key(ids, actions);
        let base = key(&["a", "b"], &["create", "prune"]);
        // (same batch, same key: a replay MERGEs the same node)
        let cases: &[(&[&str], &[&str], bool)] = &[
            (&["a", "b"], &["create", "prune"], true),
            (&["b", "a"], &["prune", "create"], false),
            (&["a", "b"], &["create", "update"], false),
            (&["ab"], &["create"], false),
            (&["a"], &["create"], false),
        ];
        for (ids, actions, same) in cases {
            assert_eq!(key(ids, actions) == base, *same, "{ids:?} {actions:?}");
        }
        assert_eq!(base.len(), 64);
    }

    #[test]
    fn run_mark_ends_with_the_separator() {
        assert_eq!(run_mark("0193-ab"), "0193-ab|");
    }
}
