//! The group's stored episodes as planning holds them: what dedupe compares
//! against and what a rewrite keeps, nothing else (no body, name or run id).
//! A reseed holds a whole group while it plans, so this is the largest thing
//! in its memory: at a million episodes each byte an episode is a megabyte.
//!
//! Held as columns, not as a value per episode:
//! - a fixed 16-byte row each ([`Row`]): where the episode's text is and
//!   where its parts end, and its stamp's number;
//! - both hashes binary (parsed once, when read), 64 bytes an episode in a
//!   [`Spilled`] list: past a few megabytes they wait in a temporary file
//!   (the largest column, read a few times per plan, and never by a sort
//!   or a search);
//! - the text of every episode (entity_id, then source_path, then the text of
//!   any hash that is no digest) one after the other in a
//!   [`TextList`]: four bytes an episode for where it ends, no allocation
//!   of its own (an allocation per episode cost its text rounded up to
//!   16 bytes, plus 8 for the allocator and 16 for the pointer);
//! - source, version and the two times once per distinct combination (a
//!   [`Stamp`]): they are a run's clock, so a group holds one per source,
//!   version and pair of runs, not one per episode.
//!
//! An episode is read through a [`StoredEpisode`], a view that borrows the
//! row, its text and its stamp.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::hashing::{Sha256Hash, StoredHashRef};
use crate::spill::Spilled;
use crate::text_list::TextList;

/// The stored episodes of a group (or of a page of it), in the order they
/// were pushed or sorted into.
#[derive(Default, Clone)]
pub struct StoredEpisodes {
    rows: Vec<Row>,
    /// Row `r`'s text is item `r.text`: pushed in order, so rows sorted
    /// later still find theirs.
    texts: TextList<()>,
    /// Row `r`'s two hash slots (source, content) are record `r.text`,
    /// pushed with its text.
    hashes: Spilled<64>,
    stamps: Vec<Arc<Stamp>>,
    /// Each stamp's number, and one copy of each source and version text,
    /// while rows are pushed.
    stamp_of: HashMap<Arc<Stamp>, u32>,
    names: std::collections::HashSet<Arc<str>>,
}

/// One stored episode's fixed part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    /// Its item in `texts`.
    text: u32,
    /// Where source_path starts in its text; [`NO_PATH`] for none.
    path_at: u32,
    /// Its index in `stamps` in the low 29 bits; in the top three,
    /// [`SOURCE_HASH_NONE`], [`SOURCE_HASH_TEXT`], [`CONTENT_HASH_TEXT`]
    /// (a byte of its own would pad the row to 20 bytes).
    stamp_kinds: u32,
    /// Where the entity_id and source_path end in its text: the rest is
    /// the text of any hash that is no digest. Here, not read from the
    /// hash slots, so that sorts and searches never read those.
    ids_end: u32,
}

/// A row's hash slots: the digests; for a hash kept as text, its start and
/// end in the episode's text (two `u32`s) instead.
fn slots(record: &[u8; 64]) -> (&[u8; 32], &[u8; 32]) {
    let (source, content) = record.split_at(32);
    (
        source.try_into().expect("32 bytes"),
        content.try_into().expect("32 bytes"),
    )
}

const SOURCE_HASH_NONE: u32 = 1 << 29;
const SOURCE_HASH_TEXT: u32 = 1 << 30;
const CONTENT_HASH_TEXT: u32 = 1 << 31;
/// The bits of `stamp_kinds` that number the stamp.
const STAMP: u32 = SOURCE_HASH_NONE - 1;
const NO_PATH: u32 = u32::MAX;

/// A digest slot holding where a hash's text is in an episode's text.
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

/// The values many stored episodes share, held once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Stamp {
    source: Arc<str>,
    /// Kept as stored text: a hand-edited graph may hold a non-semver value,
    /// which the planner reports instead of crashing on.
    version: Arc<str>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The stored text of one episode, as a store reads it.
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

impl StoredEpisodes {
    /// Room for `n` episodes' rows (their text grows a chunk at a time).
    pub fn with_capacity(n: usize) -> Self {
        StoredEpisodes {
            rows: Vec::with_capacity(n),
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The episode at `i`.
    pub fn get(&self, i: usize) -> StoredEpisode<'_> {
        self.view(&self.rows[i])
    }

    pub fn first(&self) -> Option<StoredEpisode<'_>> {
        self.rows.first().map(|r| self.view(r))
    }

    pub fn last(&self) -> Option<StoredEpisode<'_>> {
        self.rows.last().map(|r| self.view(r))
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            all: self,
            rows: self.rows.iter(),
        }
    }

    fn view<'a>(&'a self, row: &'a Row) -> StoredEpisode<'a> {
        StoredEpisode {
            row,
            text: self.texts.get(row.text as usize).0,
            stamp: &self.stamps[(row.stamp_kinds & STAMP) as usize],
            hashes: &self.hashes,
        }
    }

    /// Where `s`, an episode of these, is among them.
    pub fn position(&self, s: StoredEpisode<'_>) -> usize {
        // Every view handed out borrows a row of `rows`: its address says
        // where (no map from episode to position needed).
        // A view of other episodes (a page's) would give a wrong position
        // silently: checked, for the price of a comparison.
        let at = (s.row as *const Row as usize).wrapping_sub(self.rows.as_ptr() as usize)
            / std::mem::size_of::<Row>();
        assert!(
            self.rows.get(at).is_some_and(|r| std::ptr::eq(r, s.row)),
            "a position is asked of these episodes' own views"
        );
        at
    }

    /// Add an episode. Its source, version and times share a stamp with every
    /// episode pushed before with the same four.
    pub fn push<'f>(&mut self, f: StoredFields<'f>) {
        let stamp = self.stamp(&f);
        let text = u32::try_from(self.texts.len()).expect("fewer than 2^32 stored episodes");
        // The text is entity_id, source_path, then any hash that is no
        // digest, pushed as parts (no copy made first).
        let mut parts = [f.entity_id, f.source_path.unwrap_or_default(), "", ""];
        let mut len = f.entity_id.len();
        let path_at = match f.source_path {
            Some(p) => {
                // An id of 4 GB is not an id: the stores cap property sizes
                // far below this.
                let at = u32::try_from(len).expect("entity_id shorter than 4 GB");
                len += p.len();
                at
            }
            None => NO_PATH,
        };
        let mut hash_kinds = 0;
        let mut slot = |h: &'f str, part: usize, text_kind: u32| match Sha256Hash::parse(h) {
            Some(d) => d.0,
            None => {
                hash_kinds |= text_kind;
                parts[part] = h;
                len += h.len();
                text_slot(len - h.len(), len)
            }
        };
        let source_hash = match f.source_hash {
            Some(h) => slot(h, 2, SOURCE_HASH_TEXT),
            None => [0; 32],
        };
        let content_hash = slot(f.content_hash, 3, CONTENT_HASH_TEXT);
        if f.source_hash.is_none() {
            hash_kinds |= SOURCE_HASH_NONE;
        }
        let ids_end = u32::try_from(f.entity_id.len() + f.source_path.map_or(0, str::len))
            .expect("stored texts shorter than 4 GB");
        self.texts.push_parts(&parts, ());
        let mut record = [0u8; 64];
        record[..32].copy_from_slice(&source_hash);
        record[32..].copy_from_slice(&content_hash);
        self.hashes.push(record);
        self.rows.push(Row {
            text,
            path_at,
            stamp_kinds: stamp | hash_kinds,
            ids_end,
        });
    }

    /// The number of the stamp of `f`, made if it is new. Two `Arc` clones
    /// per episode (the texts), cheap next to the row's decoding.
    fn stamp(&mut self, f: &StoredFields<'_>) -> u32 {
        let mut name = |text: &str| match self.names.get(text) {
            Some(t) => t.clone(),
            None => {
                let t: Arc<str> = Arc::from(text);
                self.names.insert(t.clone());
                t
            }
        };
        let stamp = Stamp {
            source: name(f.source),
            version: name(f.version),
            created_at: f.created_at,
            updated_at: f.updated_at,
        };
        self.number(stamp)
    }

    fn number(&mut self, stamp: Stamp) -> u32 {
        if let Some(&n) = self.stamp_of.get(&stamp) {
            return n;
        }
        // A stamp per distinct source, version and pair of run clocks: a
        // group has far fewer than episodes, and 2^29 episodes would not
        // fit in memory here anyway.
        let n = u32::try_from(self.stamps.len())
            .ok()
            .filter(|&n| n <= STAMP)
            .expect("fewer than 2^29 stamps");
        let stamp = Arc::new(stamp);
        self.stamps.push(stamp.clone());
        self.stamp_of.insert(stamp, n);
        n
    }

    /// Give back the rows' spare capacity and the last chunk's spare text:
    /// held whole while planning.
    pub fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        self.texts.shrink_to_fit();
    }

    /// Add every episode of `other` (a page read), after these: its rows
    /// and texts copied, its stamps numbered among these.
    pub fn append(&mut self, other: &StoredEpisodes) {
        let stamps: Vec<u32> = other
            .stamps
            .iter()
            .map(|s| self.number((**s).clone()))
            .collect();
        self.rows.reserve(other.len());
        for r in &other.rows {
            let text = u32::try_from(self.texts.len()).expect("fewer than 2^32 stored episodes");
            self.texts.push(other.texts.get(r.text as usize).0, ());
            self.hashes.push(other.hashes.get(r.text as usize));
            self.rows.push(Row {
                text,
                stamp_kinds: stamps[(r.stamp_kinds & STAMP) as usize] | (r.stamp_kinds & !STAMP),
                ..*r
            });
        }
    }

    /// Whether every entity_id is greater than the one before (`strict`) or
    /// not less.
    pub fn is_sorted_by_id(&self, strict: bool) -> bool {
        self.pairs_of_ids()
            .all(|(a, b)| if strict { a < b } else { a <= b })
    }

    /// Whether two episodes next to each other have one entity_id.
    pub fn has_adjacent_duplicates(&self) -> bool {
        self.pairs_of_ids().any(|(a, b)| a == b)
    }

    /// Each entity_id with the one after it, each read once.
    fn pairs_of_ids(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut ids = self.iter().map(|s| s.entity_id());
        let first = ids.next();
        ids.scan(first, |prev, id| Some((prev.replace(id)?, id)))
    }

    /// Where the episode with this entity_id is, the episodes being in
    /// entity_id order.
    pub fn binary_search_by_id(&self, entity_id: &str) -> Option<usize> {
        self.rows
            .binary_search_by(|r| self.id_of(r).cmp(entity_id))
            .ok()
    }

    /// A row's entity_id (without making a whole view: sorts and searches
    /// read nothing else).
    fn id_of(&self, r: &Row) -> &str {
        id_in(r, self.texts.get(r.text as usize).0)
    }

    /// Put the episodes in entity_id order, equal ids in the order they were
    /// pushed. In place: a merge sort's buffer would be half the rows.
    pub fn sort_by_id(&mut self) {
        let texts = &self.texts;
        let id = |r: &Row| id_in(r, texts.get(r.text as usize).0);
        self.rows
            .sort_unstable_by(|a, b| id(a).cmp(id(b)).then(a.text.cmp(&b.text)));
    }
}

/// The entity_id in a row's text.
fn id_in<'t>(row: &Row, text: &'t str) -> &'t str {
    match row.path_at {
        NO_PATH => &text[..id_end(row)],
        at => &text[..at as usize],
    }
}

/// Where the path (or, without one, the entity_id) ends in an episode's
/// text: where the first hash kept as text starts, or the end.
fn id_end(row: &Row) -> usize {
    row.ids_end as usize
}

impl<'f> FromIterator<StoredFields<'f>> for StoredEpisodes {
    fn from_iter<I: IntoIterator<Item = StoredFields<'f>>>(iter: I) -> Self {
        let mut out = StoredEpisodes::default();
        for f in iter {
            out.push(f);
        }
        out
    }
}

impl<'a> IntoIterator for &'a StoredEpisodes {
    type Item = StoredEpisode<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The episodes of a [`StoredEpisodes`], in order.
#[derive(Clone)]
pub struct Iter<'a> {
    all: &'a StoredEpisodes,
    rows: std::slice::Iter<'a, Row>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = StoredEpisode<'a>;

    fn next(&mut self) -> Option<StoredEpisode<'a>> {
        self.rows.next().map(|r| self.all.view(r))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl std::fmt::Debug for StoredEpisodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for StoredEpisodes {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// One stored episode, read through the columns that hold it.
#[derive(Clone, Copy)]
pub struct StoredEpisode<'a> {
    row: &'a Row,
    text: &'a str,
    stamp: &'a Stamp,
    /// Read only when a hash is (see `StoredEpisodes::hashes`).
    hashes: &'a Spilled<64>,
}

impl<'a> StoredEpisode<'a> {
    fn hash(&self, slot: &[u8; 32], text_kind: u32) -> StoredHashRef<'a> {
        if self.row.stamp_kinds & text_kind == 0 {
            StoredHashRef::Digest(Sha256Hash(*slot))
        } else {
            StoredHashRef::Other(&self.text[slot_range(slot)])
        }
    }

    /// The hash of the file the episode came from; `None` for a generated
    /// episode.
    pub fn source_hash(&self) -> Option<StoredHashRef<'a>> {
        (self.row.stamp_kinds & SOURCE_HASH_NONE == 0).then(|| {
            let record = self.hashes.get(self.row.text as usize);
            self.hash(slots(&record).0, SOURCE_HASH_TEXT)
        })
    }

    pub fn content_hash(&self) -> StoredHashRef<'a> {
        let record = self.hashes.get(self.row.text as usize);
        self.hash(slots(&record).1, CONTENT_HASH_TEXT)
    }

    pub fn entity_id(&self) -> &'a str {
        id_in(self.row, self.text)
    }

    pub fn source_path(&self) -> Option<&'a str> {
        match self.row.path_at {
            NO_PATH => None,
            at => Some(&self.text[at as usize..id_end(self.row)]),
        }
    }

    pub fn source(&self) -> &'a Arc<str> {
        &self.stamp.source
    }

    /// The stored text (see `Stamp`).
    pub fn version(&self) -> &'a Arc<str> {
        &self.stamp.version
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.stamp.created_at
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        self.stamp.updated_at
    }
}

impl PartialEq for StoredEpisode<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.entity_id() == other.entity_id()
            && self.source_path() == other.source_path()
            && self.source_hash() == other.source_hash()
            && self.content_hash() == other.content_hash()
            && self.stamp == other.stamp
    }
}

impl std::fmt::Debug for StoredEpisode<'_> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// entity_id, path and any hash that is no digest are one text and each
    /// reads back as given, in every combination (a path or none, empty or
    /// not; each hash a digest, a text, or for source_hash none), also once
    /// appended to other episodes and sorted.
    #[test]
    fn texts_and_hashes_read_back_in_every_combination() {
        let t = Utc::now();
        let d1 = "a".repeat(64);
        let d2 = format!("{}0", "f".repeat(63));
        let upper = "A".repeat(64);
        let paths = [Some("a/b.md"), Some(""), None];
        let source_hashes = [Some(d1.as_str()), Some("edited by hand"), Some(""), None];
        let content_hashes = [d2.as_str(), "not hex", "", upper.as_str()];
        let mut cases = Vec::new();
        for source_path in paths {
            for source_hash in source_hashes {
                for content_hash in content_hashes {
                    cases.push((source_path, source_hash, content_hash));
                }
            }
        }
        let id = |i: usize| format!("docs_{:03}", cases.len() - i);
        let ids: Vec<String> = (0..cases.len()).map(id).collect();
        let fields = |i: usize| {
            let (source_path, source_hash, content_hash) = cases[i];
            StoredFields {
                entity_id: &ids[i],
                source: "docs",
                version: "1.0.0",
                created_at: t,
                updated_at: t,
                source_hash,
                content_hash,
                source_path,
            }
        };
        // Hashes in memory, and in a temporary file from the first.
        for spill_after in [usize::MAX, 0] {
            let with = || StoredEpisodes {
                hashes: Spilled::with_threshold(spill_after),
                ..Default::default()
            };
            let mut all = with();
            (0..cases.len()).for_each(|i| all.push(fields(i)));
            let mut appended = with();
            appended.push(fields(3));
            appended.append(&all);
            assert_eq!(all.hashes.spilled(), spill_after == 0);
            assert_eq!(appended.hashes.spilled(), spill_after == 0);
            read_back(&cases, &ids, &d2, &all, appended);
        }
    }

    type Case<'a> = (Option<&'a str>, Option<&'a str>, &'a str);

    fn read_back(
        cases: &[Case<'_>],
        ids: &[String],
        d2: &str,
        all: &StoredEpisodes,
        mut appended: StoredEpisodes,
    ) {
        appended.sort_by_id();
        assert!(!all.is_sorted_by_id(true));
        assert!(appended.is_sorted_by_id(false) && !appended.is_sorted_by_id(true));
        for (i, (source_path, source_hash, content_hash)) in cases.iter().enumerate() {
            let case = format!("{source_path:?} {source_hash:?} {content_hash:?}");
            let sorted_at = cases.len() - 1 - i + usize::from(i < 3);
            for s in [all.get(i), appended.get(sorted_at)] {
                assert_eq!(s.entity_id(), ids[i], "{case}");
                assert_eq!(s.source_path(), *source_path, "{case}");
                assert_eq!(
                    s.source_hash().map(|h| h.to_string()).as_deref(),
                    *source_hash,
                    "{case}"
                );
                assert_eq!(s.content_hash().to_string(), *content_hash, "{case}");
                // A digest is kept as one, whatever else is text.
                assert_eq!(
                    s.content_hash().digest().is_some(),
                    *content_hash == d2,
                    "{case}"
                );
            }
            assert_eq!(all.position(all.get(i)), i);
        }
    }

    /// Episodes with the same source, version and times share one stamp;
    /// any of the four differing makes another. Appended episodes are
    /// numbered among the stamps already held.
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
        let later = t + chrono::TimeDelta::seconds(1);
        let mut all: StoredEpisodes = [
            f("a", "docs", "1.0.0", t),
            f("b", "docs", "1.0.0", t),
            f("c", "notes", "1.0.0", t),
            f("d", "docs", "1.0.1", t),
            f("e", "docs", "1.0.0", later),
        ]
        .into_iter()
        .collect();
        assert_eq!(all.stamps.len(), 4);
        assert!(std::ptr::eq(all.get(0).stamp, all.get(1).stamp));
        let b = all.get(1);
        assert_eq!(
            (b.entity_id(), &**b.source(), &**b.version()),
            ("b", "docs", "1.0.0")
        );
        assert_eq!(all.get(4).updated_at(), later);
        let page: StoredEpisodes = [f("f", "notes", "1.0.0", t), f("g", "x", "2.0.0", t)]
            .into_iter()
            .collect();
        all.append(&page);
        assert_eq!(all.stamps.len(), 5);
        assert_eq!(all.get(5), page.get(0));
        assert!(std::ptr::eq(all.get(2).stamp, all.get(5).stamp));
    }

    /// One row per stored episode: a byte here is a megabyte at a million.
    #[test]
    fn a_row_stays_small() {
        assert_eq!(std::mem::size_of::<Row>(), 16);
    }
}
