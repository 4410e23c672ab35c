//! The `_metadata` block and the stored form of an episode.
//!
//! The six fields of the design (source, version, created_at, updated_at,
//! source_hash, entity_id) plus the three graphseed adds (content_hash,
//! source_path, run_id). Tool-owned fields found in an input file are
//! overwritten here, never trusted.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::hashing::{Sha256Hash, StoredHashRef};
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

/// What a store returns about an episode when planning: what dedupe compares
/// against and what a rewrite keeps, nothing else (no body, name or run id:
/// a whole group is held in memory while planning).
///
/// Compact because there is one per stored episode: the hashes are binary
/// (parsed once when read), entity_id and source_path share one allocation,
/// and source, version and the two times are one shared `Stamp`. The
/// times are a run's clock (created_at that of the run that created the
/// episode, updated_at that of the run that last changed it), so a group
/// holds a stamp per source, version and pair of runs, one after a single
/// seed, not one per episode. A stored hash that is no digest (edited by
/// hand) is kept as text after the path, and its digest slot says where.
/// 96 bytes an episode instead of 160: 64 MB less at a million.
#[derive(Clone, PartialEq)]
pub struct StoredEpisode {
    /// entity_id, then source_path, then the text of any hash that is no
    /// digest (source_hash's first).
    id_path: Box<str>,
    /// Where source_path starts in `id_path`; [`NO_PATH`] for none.
    path_at: u32,
    /// [`SOURCE_HASH_NONE`], [`SOURCE_HASH_TEXT`], [`CONTENT_HASH_TEXT`].
    hash_kinds: u8,
    stamp: Arc<Stamp>,
    /// The digests; for a hash kept as text, its start and end in
    /// `id_path` (two `u32`s) instead.
    source_hash: [u8; 32],
    content_hash: [u8; 32],
}

const SOURCE_HASH_NONE: u8 = 1;
const SOURCE_HASH_TEXT: u8 = 2;
const CONTENT_HASH_TEXT: u8 = 4;

/// A digest slot holding where a hash's text is in `id_path`.
fn text_slot(start: usize, end: usize) -> [u8; 32] {
    let mut slot = [0u8; 32];
    let (start, end) = (
        u32::try_from(start).expect("stored texts shorter than 4 GB"),
        u32::try_from(end).expect("stored texts shorter than 4 GB"),
    );
    slot[..4].copy_from_slice(&start.to_le_bytes());
    slot[4..8].copy_from_slice(&end.to_le_bytes());
    slot
}

fn slot_range(slot: &[u8; 32]) -> std::ops::Range<usize> {
    let word = |at: usize| u32::from_le_bytes(slot[at..at + 4].try_into().expect("4 bytes"));
    word(0) as usize..word(4) as usize
}

/// The values many stored episodes share, held once ([`Interner::stored`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Stamp {
    source: Arc<str>,
    /// Kept as stored text: a hand-edited graph may hold a non-semver value,
    /// which the planner reports instead of crashing on.
    version: Arc<str>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const NO_PATH: u32 = u32::MAX;

/// The stored text of a [`StoredEpisode`], as a store reads it.
#[derive(Debug, Clone)]
pub struct StoredFields<'a> {
    pub entity_id: &'a str,
    pub source: &'a str,
    pub version: &'a str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub source_hash: Option<&'a str>,
    pub content_hash: &'a str,
    pub source_path: Option<&'a str>,
}

impl StoredEpisode {
    /// One episode with a stamp of its own; a store reading a group makes
    /// them with [`Interner::stored`], which shares stamps.
    pub fn new(f: StoredFields<'_>) -> Self {
        let stamp = Arc::new(Stamp {
            source: Arc::from(f.source),
            version: Arc::from(f.version),
            created_at: f.created_at,
            updated_at: f.updated_at,
        });
        Self::with_stamp(&f, stamp)
    }

    fn with_stamp(f: &StoredFields<'_>, stamp: Arc<Stamp>) -> Self {
        let source_hash = f.source_hash.map(|h| (h, Sha256Hash::parse(h)));
        let content_hash = (f.content_hash, Sha256Hash::parse(f.content_hash));
        let texts = |h: Option<(&str, Option<Sha256Hash>)>| match h {
            Some((text, None)) => text.len(),
            _ => 0,
        };
        let mut id_path = String::with_capacity(
            f.entity_id.len()
                + f.source_path.map_or(0, str::len)
                + texts(source_hash)
                + texts(Some(content_hash)),
        );
        id_path.push_str(f.entity_id);
        let path_at = match f.source_path {
            Some(p) => {
                id_path.push_str(p);
                // An id of 4 GB is not an id: the stores cap property sizes
                // far below this.
                u32::try_from(f.entity_id.len()).expect("entity_id shorter than 4 GB")
            }
            None => NO_PATH,
        };
        let mut hash_kinds = 0;
        let mut slot = |h: (&str, Option<Sha256Hash>), text_kind: u8| match h.1 {
            Some(d) => d.0,
            None => {
                hash_kinds |= text_kind;
                let start = id_path.len();
                id_path.push_str(h.0);
                text_slot(start, id_path.len())
            }
        };
        let source_hash = match source_hash {
            Some(h) => slot(h, SOURCE_HASH_TEXT),
            None => [0; 32],
        };
        let content_hash = slot(content_hash, CONTENT_HASH_TEXT);
        if f.source_hash.is_none() {
            hash_kinds |= SOURCE_HASH_NONE;
        }
        StoredEpisode {
            id_path: id_path.into_boxed_str(),
            path_at,
            hash_kinds,
            stamp,
            source_hash,
            content_hash,
        }
    }

    fn hash(&self, slot: &[u8; 32], text_kind: u8) -> StoredHashRef<'_> {
        if self.hash_kinds & text_kind == 0 {
            StoredHashRef::Digest(Sha256Hash(*slot))
        } else {
            StoredHashRef::Other(&self.id_path[slot_range(slot)])
        }
    }

    /// The hash of the file the episode came from; `None` for a generated
    /// episode.
    pub fn source_hash(&self) -> Option<StoredHashRef<'_>> {
        (self.hash_kinds & SOURCE_HASH_NONE == 0)
            .then(|| self.hash(&self.source_hash, SOURCE_HASH_TEXT))
    }

    pub fn content_hash(&self) -> StoredHashRef<'_> {
        self.hash(&self.content_hash, CONTENT_HASH_TEXT)
    }

    pub fn entity_id(&self) -> &str {
        match self.path_at {
            NO_PATH => &self.id_path[..self.source_path_end()],
            at => &self.id_path[..at as usize],
        }
    }

    /// Where the path ends in `id_path` (the entity_id, without a path):
    /// where the first hash kept as text starts, or the end.
    fn source_path_end(&self) -> usize {
        [
            (SOURCE_HASH_TEXT, &self.source_hash),
            (CONTENT_HASH_TEXT, &self.content_hash),
        ]
        .into_iter()
        .find(|(kind, _)| self.hash_kinds & kind != 0)
        .map_or(self.id_path.len(), |(_, slot)| slot_range(slot).start)
    }

    pub fn source_path(&self) -> Option<&str> {
        match self.path_at {
            NO_PATH => None,
            at => Some(&self.id_path[at as usize..self.source_path_end()]),
        }
    }

    pub fn source(&self) -> &Arc<str> {
        &self.stamp.source
    }

    /// The stored text (see `Stamp`).
    pub fn version(&self) -> &Arc<str> {
        &self.stamp.version
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.stamp.created_at
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        self.stamp.updated_at
    }
}

impl std::fmt::Debug for StoredEpisode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredEpisode")
            .field("entity_id", &self.entity_id())
            .field("source", self.source())
            .field("version", self.version())
            .field("created_at", &self.created_at())
            .field("updated_at", &self.updated_at())
            .field("source_hash", &self.source_hash())
            .field("content_hash", &self.content_hash())
            .field("source_path", &self.source_path())
            .finish()
    }
}

/// Hands out one shared copy of each distinct text (sources, versions) and
/// each distinct `Stamp` while stored episodes are read.
#[derive(Debug, Default)]
pub struct Interner {
    seen: std::collections::HashSet<Arc<str>>,
    stamps: std::collections::HashSet<Arc<Stamp>>,
}

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(t) = self.seen.get(text) {
            return t.clone();
        }
        let t: Arc<str> = Arc::from(text);
        self.seen.insert(t.clone());
        t
    }

    /// A stored episode whose stamp is shared with every episode read before
    /// with the same source, version and times.
    pub fn stored(&mut self, f: StoredFields<'_>) -> StoredEpisode {
        let stamp = Stamp {
            source: self.get(f.source),
            version: self.get(f.version),
            created_at: f.created_at,
            updated_at: f.updated_at,
        };
        // Two Arc clones per episode read (the texts above), cheap next to
        // the row's decoding; a stamp is allocated only when it is new.
        let stamp = match self.stamps.get(&stamp) {
            Some(shared) => shared.clone(),
            None => {
                let shared = Arc::new(stamp);
                self.stamps.insert(shared.clone());
                shared
            }
        };
        StoredEpisode::with_stamp(&f, stamp)
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

    /// entity_id, path and any hash that is no digest share one allocation
    /// and each reads back as given, in every combination (a path or none,
    /// empty or not; each hash a digest, a text, or for source_hash none).
    #[test]
    fn id_path_and_hashes_share_one_allocation_and_read_back() {
        let t = Utc::now();
        let d1 = "a".repeat(64);
        let d2 = format!("{}0", "f".repeat(63));
        let paths = [Some("a/b.md"), Some(""), None];
        let source_hashes = [Some(d1.as_str()), Some("edited by hand"), Some(""), None];
        let content_hashes = [d2.as_str(), "not hex", "", "A".repeat(64).leak()];
        for source_path in paths {
            for source_hash in source_hashes {
                for content_hash in content_hashes {
                    let s = StoredEpisode::new(StoredFields {
                        entity_id: "docs_a",
                        source: "docs",
                        version: "1.0.0",
                        created_at: t,
                        updated_at: t,
                        source_hash,
                        content_hash,
                        source_path,
                    });
                    let case = format!("{source_path:?} {source_hash:?} {content_hash:?}");
                    assert_eq!(s.entity_id(), "docs_a", "{case}");
                    assert_eq!(s.source_path(), source_path, "{case}");
                    assert_eq!(
                        s.source_hash().map(|h| h.to_string()).as_deref(),
                        source_hash,
                        "{case}"
                    );
                    assert_eq!(s.content_hash().to_string(), content_hash, "{case}");
                    // A digest is kept as one, whatever else is text.
                    assert_eq!(
                        s.content_hash().digest().is_some(),
                        content_hash == d2,
                        "{case}"
                    );
                }
            }
        }
        assert_eq!(std::mem::size_of::<StoredEpisode>(), 96);
    }

    /// Episodes read with the same source, version and times share one
    /// stamp; any of the four differing makes another. One per stored
    /// episode: held at its size.
    #[test]
    fn stored_episodes_share_their_stamps() {
        let t = Utc::now();
        let f = |id, source, version, updated_at| StoredFields {
            entity_id: id,
            source,
            version,
            created_at: t,
            updated_at,
            source_hash: Some("f"),
            content_hash: "c",
            source_path: Some("p.json"),
        };
        let mut interner = Interner::default();
        let a = interner.stored(f("a", "docs", "1.0.0", t));
        let b = interner.stored(f("b", "docs", "1.0.0", t));
        assert!(Arc::ptr_eq(&a.stamp, &b.stamp));
        assert_eq!(
            (b.entity_id(), &**b.source(), &**b.version()),
            ("b", "docs", "1.0.0")
        );
        let later = t + chrono::TimeDelta::seconds(1);
        for other in [
            f("c", "notes", "1.0.0", t),
            f("c", "docs", "1.0.1", t),
            f("c", "docs", "1.0.0", later),
        ] {
            let c = interner.stored(other.clone());
            assert!(!Arc::ptr_eq(&a.stamp, &c.stamp));
            assert_eq!(c, StoredEpisode::new(other));
        }
        assert_eq!(interner.stamps.len(), 4);
        assert_eq!(a.updated_at(), t);
    }
}
