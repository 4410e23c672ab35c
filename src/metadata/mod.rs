//! The `_metadata` block and the stored form of an episode.
//!
//! The six fields of the design (source, version, created_at, updated_at,
//! source_hash, entity_id) plus the three graphseed adds (content_hash,
//! source_path, run_id). Tool-owned fields found in an input file are
//! overwritten here, never trusted.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::version::SeedVersion;

mod stored;
pub use stored::{StoredEpisode, StoredEpisodes, StoredFields};

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

    /// The seal a store writes beside this episode
    /// ([`crate::hashing::episode_seal`]), with the times as the store keeps
    /// them (`stored_time`: Neo4j keeps nanoseconds, the embedded store
    /// microseconds), so that the values read back hash to it.
    pub fn seal(&self, stored_time: fn(DateTime<Utc>) -> DateTime<Utc>) -> String {
        let version = self.version.to_string();
        crate::hashing::episode_seal(&crate::hashing::SealFields {
            entity_id: &self.entity_id,
            source: &self.source,
            version: &version,
            content_hash: &self.content_hash,
            source_hash: self.source_hash.as_deref(),
            source_path: self.source_path.as_deref(),
            run_id: &self.run_id,
            created_at: stored_time(self.created_at),
            updated_at: stored_time(self.updated_at),
            body: &self.body,
        })
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
}
