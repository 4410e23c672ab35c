//! The `_metadata` block and the stored form of an episode.
//!
//! The six fields of the design (source, version, created_at, updated_at,
//! source_hash, entity_id) plus the three graphseed adds (content_hash,
//! source_path, run_id). Tool-owned fields found in an input file are
//! overwritten here, never trusted.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::version::SeedVersion;

/// RFC 3339 with an explicit `+00:00` offset and microsecond precision.
/// Microseconds because both stores keep them exactly (Neo4j keeps
/// nanoseconds, SQLite keeps the text), so a value read back compares equal.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// Truncate to microseconds, the precision every store round-trips.
pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).expect("in range")
}

/// Everything a store keeps about one episode. The body (with its
/// `_metadata`) is kept as a JSON string too, so consumers of the JSON and
/// Cypher over the top-level properties see the same facts.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeRecord {
    pub group_id: String,
    pub entity_id: String,
    pub name: String,
    pub source: String,
    pub version: SeedVersion,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `None` for generated episodes (from standard input).
    pub source_hash: Option<String>,
    pub content_hash: String,
    /// Relative, `/`-separated; `None` for generated episodes.
    pub source_path: Option<String>,
    pub run_id: String,
    /// The full body as JSON, `_metadata` included.
    pub body: String,
}

impl EpisodeRecord {
    /// The `_metadata` block as it appears inside `body`.
    pub fn metadata_json(&self) -> Value {
        json!({
            "source": self.source,
            "version": self.version.to_string(),
            "created_at": format_time(&self.created_at),
            "updated_at": format_time(&self.updated_at),
            "source_hash": self.source_hash,
            "entity_id": self.entity_id,
            "content_hash": self.content_hash,
            "source_path": self.source_path,
            "run_id": self.run_id,
        })
    }

    /// Build the stored body: the item's own fields with a fresh `_metadata`
    /// replacing whatever the input carried.
    pub fn stamp_body(&mut self, item: &Map<String, Value>) {
        let mut body = item.clone();
        body.insert("_metadata".to_string(), self.metadata_json());
        self.body = crate::hashing::canonical_json(&Value::Object(body));
    }
}

/// What a store returns about an episode when planning: what dedupe compares
/// against and what a rewrite keeps, nothing else (no body, name or run id:
/// a 100k-episode group is held in memory whole while planning).
///
/// Values many episodes share (source, version) are interned, and the hashes
/// are `Arc<str>` so that a plan's decisions share them instead of copying.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEpisode {
    pub entity_id: String,
    pub source: Arc<str>,
    /// Kept as stored text: a hand-edited graph may hold a non-semver value,
    /// which the planner reports instead of crashing on.
    pub version: Arc<str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub source_hash: Option<Arc<str>>,
    pub content_hash: Arc<str>,
    pub source_path: Option<String>,
}

/// Hands out one shared copy of each distinct text (sources, versions) while
/// stored episodes are read.
#[derive(Debug, Default)]
pub struct Interner {
    seen: std::collections::HashSet<Arc<str>>,
    /// The last source_hash read: the items of one multi-episode file are
    /// read one after another and share it. Not in `seen`: most hashes are
    /// distinct, and a set of them all would cost more than it saves.
    last_hash: Option<Arc<str>>,
}

impl Interner {
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(t) = self.seen.get(text) {
            return t.clone();
        }
        let t: Arc<str> = Arc::from(text);
        self.seen.insert(t.clone());
        t
    }

    /// `text` shared with the previous call's when they are equal.
    pub fn source_hash(&mut self, text: &str) -> Arc<str> {
        match &self.last_hash {
            Some(h) if **h == *text => h.clone(),
            _ => self.last_hash.insert(Arc::from(text)).clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_an_explicit_utc_offset() {
        let t = DateTime::parse_from_rfc3339("2024-01-30T12:00:00.1234567Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            format_time(&truncate_micros(t)),
            "2024-01-30T12:00:00.123456+00:00"
        );
    }

    #[test]
    fn consecutive_equal_source_hashes_share_one_copy() {
        let mut i = Interner::default();
        let a = i.source_hash("aa");
        let b = i.source_hash("aa");
        let c = i.source_hash("bb");
        let d = i.source_hash("aa");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!((&*c, &*d), ("bb", "aa"));
        assert!(!Arc::ptr_eq(&a, &d), "only the last one is kept");
    }
}
