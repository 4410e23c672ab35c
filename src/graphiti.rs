//! The Graphiti schema profile: what an episode must look like for
//! graphiti-core's own read APIs (`EpisodicNode.get_by_group_ids`,
//! `Graphiti.retrieve_episodes`) to parse it, decided here as pure functions
//! so both the store and the change feed agree.
//!
//! In the `graphiti` profile an episode node carries both labels,
//! `:Episode` (so every graphseed statement keeps working unchanged) and
//! `:Episodic` (what Graphiti reads), and Graphiti's fields beside
//! graphseed's:
//!
//! | Graphiti field | value |
//! |---|---|
//! | `uuid` | [`episode_uuid`]: UUIDv5 of (group_id, entity_id), stable across updates |
//! | `name`, `group_id` | graphseed's own (the same meaning) |
//! | `created_at` | graphseed's `_metadata.created_at` (the same meaning: when the episode first appeared) |
//! | `valid_at` | graphseed's `updated_at`: see [`valid_at`] |
//! | `source` | [`source_type`]: `json` or `text` |
//! | `source_description` | graphseed's source label (`_metadata.source`) |
//! | `content` | the stored body, `_metadata` included |
//! | `entity_edges` | `[]` |
//!
//! The one collision is `source`: graphseed's label moves to
//! `source_description` on `:Episodic` nodes, and graphseed's statements read
//! the label from there (see `cypher/episode_load_group.cypher`).

use std::fmt;
use std::str::FromStr;

use serde_json::json;
use uuid::Uuid;

use chrono::{DateTime, Utc};

use crate::hashing::canonical_json;
use crate::metadata::EpisodeRecord;
use crate::sources::formats::Format;
use crate::stores::{RawEpisode, RawValue};

/// How episodes (and communities) are laid out in the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// graphseed's own model: `:Episode` nodes only.
    #[default]
    Default,
    /// `:Episode:Episodic` nodes that graphiti-core reads (see the module
    /// documentation).
    Graphiti,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Graphiti => "graphiti",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "default" => Ok(Profile::Default),
            "graphiti" => Ok(Profile::Graphiti),
            other => Err(format!(
                "unknown profile `{other}`: use `default` or `graphiti`"
            )),
        }
    }
}

/// Namespace of graphseed's episode uuids (itself UUIDv5 of the URL
/// namespace and "graphseed:episode"), fixed forever: a stored uuid must be
/// reproducible by any later release, and by a consumer in another language.
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"graphseed:episode")
}

/// An episode's uuid: UUIDv5 of the canonical JSON `[group_id, entity_id]`,
/// so it survives updates, replaces and re-creation after a prune, and any
/// store (or a Python consumer: `uuid.uuid5(ns, json.dumps([g, e],
/// separators=(",", ":")))`) computes the same one.
pub fn episode_uuid(group_id: &str, entity_id: &str) -> Uuid {
    let name = canonical_json(&json!([group_id, entity_id]));
    Uuid::new_v5(&namespace(), name.as_bytes())
}

/// Graphiti's `source` (its `EpisodeType`) for an episode: `text` for prose
/// (Markdown and plain-text files), `json` for structured items (JSON, JSON
/// Lines, YAML, and generated episodes from standard input, which have no
/// path). Graphiti's `message` type expects `actor: text` turns, which no
/// knowledge file is.
pub fn source_type(source_path: Option<&str>) -> &'static str {
    match source_path.and_then(Format::from_name) {
        Some(Format::Markdown | Format::Text) => "text",
        _ => "json",
    }
}

/// Graphiti's `valid_at` ("when the original document was created"):
/// graphseed's `updated_at`, the time the content now stored became what
/// the source says. `created_at` would date an edited body back to its first
/// version, and `retrieve_episodes(reference_time)` would then return text
/// that did not exist yet at that time; the run's own time would move on
/// every rewrite although nothing changed.
pub fn valid_at(r: &EpisodeRecord) -> DateTime<Utc> {
    r.updated_at
}

/// Graphiti's fields of a stored graphiti-profile episode that disagree
/// with graphseed's own (a hand edit, or a Graphiti write over the node),
/// one message each; none for a default-profile episode. `raw` is the
/// episode as `Episodes::raw_episodes` reads it, where a graphiti-profile
/// node carries Graphiti's `source` as `graphiti_source`. A reconciling
/// seed repairs what this reports, as for any hand edit.
pub fn profile_problems(raw: &RawEpisode) -> Vec<String> {
    let Some(graphiti_source) = raw.get("graphiti_source") else {
        return Vec::new();
    };
    let text = |k: &str| match raw.get(k) {
        Some(RawValue::Str(s)) => Some(s.as_str()),
        _ => None,
    };
    let mut out = Vec::new();
    if raw.get("content") != raw.get("body") {
        out.push("property `content` (Graphiti's copy of the body) differs from `body`".into());
    }
    if let (Some(g), Some(e)) = (text("group_id"), text("entity_id")) {
        let want = episode_uuid(g, e).to_string();
        if text("uuid") != Some(want.as_str()) {
            out.push(format!(
                "property `uuid` is not {want}, the uuid of ({g}, {e})"
            ));
        }
    }
    let want = source_type(text("source_path"));
    if graphiti_source != &RawValue::Str(want.into()) {
        out.push(format!(
            "Graphiti's `source` is not `{want}`, the type of its format"
        ));
    }
    if raw.get("valid_at") != raw.get("updated_at") {
        out.push("property `valid_at` differs from `updated_at`".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v5_stable_and_depend_on_group_and_entity() {
        let u = episode_uuid("g", "note_a");
        assert_eq!(u.get_version_num(), 5);
        assert_eq!(u, episode_uuid("g", "note_a"));
        assert_ne!(u, episode_uuid("h", "note_a"));
        assert_ne!(u, episode_uuid("g", "note_b"));
        // Not a plain concatenation: ("g_x", "a") and ("g", "x_a") differ.
        assert_ne!(episode_uuid("g_x", "a"), episode_uuid("g", "x_a"));
        // Pinned: a stored uuid must be reproducible by any later release
        // (and equals Python's uuid5 over json.dumps(["g","note_a"]) with
        // compact separators).
        assert_eq!(u.to_string(), "6866aa07-fda2-5b75-beed-2138174c0ffd");
    }

    #[test]
    fn source_type_by_format() {
        let table: &[(Option<&str>, &str)] = &[
            (Some("notes/a.md"), "text"),
            (Some("notes/A.MARKDOWN"), "text"),
            (Some("notes/a.txt"), "text"),
            (Some("data/a.json"), "json"),
            (Some("data/a.jsonl"), "json"),
            (Some("data/a.ndjson"), "json"),
            (Some("data/a.yaml"), "json"),
            (Some("data/a.yml"), "json"),
            (None, "json"),
        ];
        for (path, want) in table {
            assert_eq!(source_type(*path), *want, "{path:?}");
        }
    }

    #[test]
    fn profiles_parse_and_print() {
        for p in [Profile::Default, Profile::Graphiti] {
            assert_eq!(p.as_str().parse::<Profile>(), Ok(p));
        }
        let e = "Graphiti".parse::<Profile>().unwrap_err();
        assert!(e.contains("unknown profile `Graphiti`"), "{e}");
        assert_eq!(Profile::default(), Profile::Default);
    }

    #[test]
    fn profile_problems_find_each_disagreeing_field() {
        let uuid = episode_uuid("g", "notes_a").to_string();
        let at = RawValue::DateTime("2026-01-01T00:00:00Z".into());
        let clean: RawEpisode = [
            ("group_id", RawValue::Str("g".into())),
            ("entity_id", RawValue::Str("notes_a".into())),
            ("source_path", RawValue::Str("notes/a.md".into())),
            ("body", RawValue::Str("{}".into())),
            ("content", RawValue::Str("{}".into())),
            ("uuid", RawValue::Str(uuid)),
            ("graphiti_source", RawValue::Str("text".into())),
            ("updated_at", at.clone()),
            ("valid_at", at),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert!(profile_problems(&clean).is_empty());
        // (property changed, value, what the message names)
        let table = [
            ("content", RawValue::Str("edited".into()), "`content`"),
            ("content", RawValue::Null, "`content`"),
            ("uuid", RawValue::Str("x".into()), "`uuid`"),
            ("graphiti_source", RawValue::Str("json".into()), "`source`"),
            ("valid_at", RawValue::Null, "`valid_at`"),
        ];
        for (k, v, names) in table {
            let mut e = clean.clone();
            e.insert(k.to_string(), v);
            let p = profile_problems(&e);
            assert_eq!(p.len(), 1, "{k}: {p:?}");
            assert!(p[0].contains(names), "{k}: {p:?}");
        }
        // A default-profile episode has no Graphiti fields to check.
        let mut plain = clean.clone();
        plain.remove("graphiti_source");
        plain.insert("content".into(), RawValue::Null);
        assert!(profile_problems(&plain).is_empty());
    }

    #[test]
    fn valid_at_is_updated_at() {
        use chrono::TimeZone;
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let updated = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
        let r = EpisodeRecord {
            group_id: "g".into(),
            entity_id: "a".into(),
            name: "a".into(),
            source: "s".into(),
            version: crate::version::SeedVersion::parse("1.0.0").unwrap(),
            created_at: created,
            updated_at: updated,
            source_hash: None,
            content_hash: String::new(),
            source_path: None,
            run_id: String::new(),
            body: String::new(),
        };
        assert_eq!(valid_at(&r), updated);
    }
}
