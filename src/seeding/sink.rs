//! Where the pages of a reseed's group read go, when the reseed may change
//! nothing (see [`crate::planning::unchanged`]).
//!
//! The pages are read while the walk runs. Until the walk ends, nobody
//! knows whether the sources are the ones the last closed seed recorded, so
//! the episodes read meanwhile are held (as every reseed holds them), and
//! at most [`HOLD_WHILE_WALKING`] of them: past that the read waits for the
//! walk. When it ends with the recorded fingerprint, what is held is
//! dropped and the rest of the group is read without being held; otherwise
//! the read goes on as any reseed's. Either way every episode's
//! `(entity_id, content_hash, version)` is fed to the group's
//! graph_signature as it arrives, which is what proves at the end that the
//! group is as that seed left it.

use crate::hashing::{Sha256Hash, StoredHashRef, TriplesHasher};
use crate::metadata::StoredEpisodes;

/// Episodes held at most while the walk has not ended (about 130 bytes
/// each, so about 50 MB): a group read faster than its sources are walked
/// (the embedded store, a fast disk) waits for the walk past this, instead
/// of holding the whole group only to drop it.
pub(super) const HOLD_WHILE_WALKING: usize = 400_000;

/// The walk's end as the read sees it: `None` while it runs, then the
/// walk's digest (`None` inside when it could not read everything).
pub(super) type Walked = Option<Option<Sha256Hash>>;

/// What a reseed that may change nothing is waiting to see.
pub(super) struct Gate {
    /// The last closed seed's `sources_signature`.
    pub sources_signature: String,
    /// This reseed's version, as the fingerprint covers it.
    pub version: String,
    /// How many episodes the group holds (counted before the pages).
    pub episodes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The walk has not ended: episodes are held and fed to the signature.
    Walking,
    /// The walk is the recorded one: episodes are only fed to the signature.
    Unchanged,
}

/// The graph_signature of the group, fed as its pages arrive: the first
/// range in order straight into the hash, the second range (read beside
/// it) packed until the first ends.
#[derive(Default)]
struct Signature {
    first: TriplesHasher,
    first_last: Option<Box<str>>,
    /// The second range's triples, each as: entity_id, content hash, version
    /// (texts as a `u32` length and their bytes; the hash after a tag byte,
    /// a digest as its 32 bytes): about 60 bytes an episode, against 130
    /// held.
    second: Vec<u8>,
    second_first: Option<Box<str>>,
    second_last: Option<Box<str>>,
    /// Out of entity_id order (Cypher orders strings by UTF-16 code unit,
    /// Rust by byte: they differ beyond the BMP): the signature cannot be
    /// streamed, and the group is read again in full.
    out_of_order: bool,
}

impl Signature {
    fn feed(&mut self, range: usize, page: &StoredEpisodes) {
        let (Some(first), Some(last)) = (page.first(), page.last()) else {
            return;
        };
        let (prev, first_of_range) = if range == 0 {
            (&self.first_last, None)
        } else {
            (&self.second_last, Some(&mut self.second_first))
        };
        let ordered =
            prev.as_deref().is_none_or(|p| p < first.entity_id()) && page.is_sorted_by_id(true);
        if !ordered {
            self.out_of_order = true;
            return;
        }
        if let Some(f) = first_of_range
            && f.is_none()
        {
            *f = Some(first.entity_id().into());
        }
        for s in page.iter() {
            if range == 0 {
                self.first
                    .push(s.entity_id(), s.content_hash().text().as_ref(), s.version());
            } else {
                put(&mut self.second, s.entity_id().as_bytes());
                match s.content_hash() {
                    StoredHashRef::Digest(d) => {
                        self.second.push(DIGEST);
                        self.second.extend_from_slice(&d.0);
                    }
                    other => {
                        self.second.push(TEXT);
                        put(&mut self.second, other.text().as_ref().as_bytes());
                    }
                }
                put(&mut self.second, s.version().as_bytes());
            }
        }
        let last: Box<str> = last.entity_id().into();
        if range == 0 {
            self.first_last = Some(last);
        } else {
            self.second_last = Some(last);
        }
    }

    /// The episodes' graph_signature, if it could be streamed.
    fn finish(self) -> Option<String> {
        if self.out_of_order {
            return None;
        }
        if let (Some(a), Some(b)) = (&self.first_last, &self.second_first)
            && a >= b
        {
            return None;
        }
        let mut h = self.first;
        let mut rest = &self.second[..];
        while !rest.is_empty() {
            let id = take(&mut rest);
            let (tag, r) = rest.split_first().expect("a tag byte");
            rest = r;
            let text = |b: &[u8]| {
                std::str::from_utf8(b)
                    .expect("packed from a str")
                    .to_owned()
            };
            let (digest, other) = if *tag == DIGEST {
                let (d, r) = rest.split_at(32);
                rest = r;
                (
                    Some(Sha256Hash(d.try_into().expect("32 bytes")).hex()),
                    None,
                )
            } else {
                (None, Some(text(take(&mut rest))))
            };
            let hash = match (&digest, &other) {
                (Some(d), _) => d.as_str(),
                (_, Some(t)) => t.as_str(),
                _ => unreachable!("one of the two"),
            };
            let version = take(&mut rest);
            h.push(
                std::str::from_utf8(id).expect("packed from a str"),
                hash,
                std::str::from_utf8(version).expect("packed from a str"),
            );
        }
        Some(h.finish())
    }
}

/// The tag before a packed content hash.
const DIGEST: u8 = 0;
const TEXT: u8 = 1;

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = u32::try_from(bytes.len()).expect("a stored text under 4 GiB");
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(bytes);
}

fn take_len(rest: &mut &[u8]) -> usize {
    let (n, r) = rest.split_at(4);
    *rest = r;
    u32::from_le_bytes(n.try_into().expect("4 bytes")) as usize
}

fn take<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    let n = take_len(rest);
    let (t, r) = rest.split_at(n);
    *rest = r;
    t
}

/// The pages' episodes: held, or (once the walk proved the sources
/// unchanged) only counted into the signature.
pub(super) struct Sink {
    pub held: StoredEpisodes,
    lean: Option<(Gate, Mode, Signature)>,
}

impl Sink {
    pub fn new(capacity: usize, gate: Option<Gate>) -> Self {
        Sink {
            held: StoredEpisodes::with_capacity(capacity),
            lean: gate.map(|g| (g, Mode::Walking, Signature::default())),
        }
    }

    /// A page of range `range` (0 or 1) read.
    pub fn take(&mut self, range: usize, page: StoredEpisodes) {
        if let Some((_, mode, sig)) = &mut self.lean {
            sig.feed(range, &page);
            if sig.out_of_order && *mode == Mode::Walking {
                // Nothing dropped yet: go on as any reseed.
                self.lean = None;
            }
        }
        if !self.unchanged() {
            self.held.append(&page);
        }
    }

    /// Whether the walk proved the sources unchanged (what is read is no
    /// longer held).
    pub fn unchanged(&self) -> bool {
        matches!(&self.lean, Some((_, Mode::Unchanged, _)))
    }

    /// Whether the walk's end is still awaited.
    pub fn walking(&self) -> bool {
        matches!(&self.lean, Some((_, Mode::Walking, _)))
    }

    /// Whether the read should wait for the walk before its next page.
    pub fn waits(&self) -> bool {
        matches!(&self.lean, Some((_, Mode::Walking, _))) && self.held.len() >= HOLD_WHILE_WALKING
    }

    /// The walk's end, if it has ended: the sources are the recorded ones,
    /// or the lean read is off.
    pub fn walked(&mut self, walked: Walked) {
        let Some(digest) = walked else { return };
        let Some((gate, Mode::Walking, _)) = &self.lean else {
            return;
        };
        let fingerprint = digest.map(|d| {
            crate::planning::unchanged::sources_signature(&d, &gate.version, gate.episodes)
        });
        if fingerprint.as_deref() == Some(gate.sources_signature.as_str()) {
            if let Some((_, mode, _)) = &mut self.lean {
                *mode = Mode::Unchanged;
            }
            // Given back, not cleared: nothing more is held.
            self.held = StoredEpisodes::default();
        } else {
            self.lean = None;
        }
    }

    /// The walk ended badly (its task is gone): read as any reseed.
    pub fn walk_lost(&mut self) {
        if !self.unchanged() {
            self.lean = None;
        }
    }

    /// Once every page is read: the episodes' graph_signature, when the
    /// sources proved unchanged and the signature could be streamed.
    /// `None` with [`Sink::unchanged`] means the group must be read again.
    pub fn signature(self) -> Option<String> {
        match self.lean {
            Some((_, Mode::Unchanged, sig)) => sig.finish(),
            _ => None,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::metadata::StoredFields;

    /// A stored episode with this id and content hash (the rest fixed).
    pub(in crate::seeding) fn episode<'a>(id: &'a str, hash: &'a str) -> StoredFields<'a> {
        let t = chrono::DateTime::<chrono::Utc>::from_timestamp(0, 0).unwrap();
        StoredFields {
            entity_id: id,
            source: "s",
            version: "1.0.0",
            created_at: t,
            updated_at: t,
            source_hash: None,
            content_hash: hash,
            source_path: Some("p"),
        }
    }

    /// These episodes, as a page.
    pub(in crate::seeding) fn page(episodes: &[StoredFields<'_>]) -> StoredEpisodes {
        episodes.iter().cloned().collect()
    }

    fn gate() -> Gate {
        Gate {
            sources_signature: crate::planning::unchanged::sources_signature(
                &Sha256Hash([7; 32]),
                "1.0.0",
                4,
            ),
            version: "1.0.0".into(),
            episodes: 4,
        }
    }

    /// The streamed signature is the one of the whole state, with the two
    /// ranges' pages interleaved and a hash that is no digest.
    #[test]
    fn the_streamed_signature_is_the_whole_states() {
        let digest = "ab".repeat(32);
        let cd = "cd".repeat(32);
        let all = vec![
            episode("a", &digest),
            episode("b", "edited by hand"),
            episode("bb", ""),
            episode("c", &digest),
            episode("d", &cd),
        ];
        let mut sink = Sink::new(0, Some(gate()));
        sink.take(0, page(&all[..1]));
        sink.walked(Some(Some(Sha256Hash([7; 32]))));
        assert!(sink.unchanged() && sink.held.is_empty());
        sink.take(1, page(&all[3..4]));
        sink.take(0, page(&all[1..3]));
        sink.take(1, page(&all[4..]));
        assert!(sink.held.is_empty(), "nothing held once unchanged");
        assert_eq!(
            sink.signature().as_deref(),
            Some(crate::planning::stored_signature(&page(&all)).as_str())
        );
    }

    /// Every way the lean read gives up, one row each: `(what, walk digest,
    /// pages by range, held at the end, a signature at the end)`.
    #[test]
    fn the_lean_read_gives_up_on_anything_but_the_recorded_walk() {
        let d = "ab".repeat(32);
        let e = |id: &'static str| episode(id, &d);
        let ok = Some(Sha256Hash([7; 32]));
        type Pages<'a> = Vec<(usize, Vec<StoredFields<'a>>)>;
        let table: Vec<(&str, Option<Sha256Hash>, Pages, usize, bool)> = vec![
            (
                "the recorded walk",
                ok,
                vec![(0, vec![e("a"), e("b")])],
                0,
                true,
            ),
            (
                "another walk: read as any reseed",
                Some(Sha256Hash([8; 32])),
                vec![(0, vec![e("a"), e("b")])],
                2,
                false,
            ),
            (
                "a walk that could not read a file",
                None,
                vec![(0, vec![e("a"), e("b")])],
                2,
                false,
            ),
            (
                "out of order before the walk ended: held, read as any reseed",
                ok,
                vec![(0, vec![e("b"), e("a")])],
                2,
                false,
            ),
            (
                "out of order after: nothing held, so read again",
                ok,
                vec![(0, vec![e("a")]), (0, vec![e("a")])],
                0,
                false,
            ),
            (
                "the second range not after the first",
                ok,
                vec![(0, vec![e("b")]), (1, vec![e("a")])],
                0,
                false,
            ),
        ];
        for (what, digest, pages, held, signed) in table {
            let mut sink = Sink::new(0, Some(gate()));
            let mut pages = pages.into_iter();
            // The first page arrives before the walk ends, the rest after.
            if let Some((r, p)) = pages.next() {
                sink.take(r, page(&p));
            }
            sink.walked(Some(digest));
            for (r, p) in pages {
                sink.take(r, page(&p));
            }
            assert_eq!(sink.held.len(), held, "{what}");
            assert_eq!(sink.signature().is_some(), signed, "{what}");
        }
    }

    /// Past its allowance the read waits for the walk, and only then.
    #[test]
    fn the_read_waits_for_the_walk_only_past_its_allowance() {
        let mut sink = Sink::new(0, Some(gate()));
        assert!(!sink.waits());
        let ids: Vec<String> = (0..HOLD_WHILE_WALKING).map(|i| format!("{i:07}")).collect();
        sink.held = ids.iter().map(|id| episode(id, "h")).collect();
        assert!(sink.waits());
        sink.walked(Some(Some(Sha256Hash([8; 32]))));
        assert!(!sink.waits(), "another walk: read on, holding");
        let mut plain = Sink::new(0, None);
        plain.held = std::mem::take(&mut sink.held);
        assert!(!plain.waits(), "no gate, no wait");
    }
}
