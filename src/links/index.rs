//! The group's episodes by every way a link can name them: path, path
//! without its extension, entity_id, name, alias and file stem. Built once
//! per plan over every episode the plan keeps, so it is what a linked plan
//! holds most of while it resolves: every text is in one arena and every
//! table is a sorted list of 16-byte entries into it. As owned episodes and
//! maps of owned keys, this was about 400 bytes an episode (a million
//! linked notes: 400 MB); now about half.

use std::borrow::Borrow;

use super::Episode;
use super::resolve::strip_source_ext;

/// See the module's documentation.
#[derive(Debug, Default)]
pub struct Index {
    /// Every key and every episode's entity_id, path and item key.
    text: String,
    episodes: Vec<Entry>,
    /// (root, lowercased path) → episodes of that file.
    by_path: KeyTable,
    /// (root, lowercased path without a readable extension) → episodes.
    by_path_stem: KeyTable,
    /// entity_id (exact) → episodes; the last one wins (see [`Index::new`]).
    by_id: KeyTable,
    /// Lowercased name, stem and aliases → episodes.
    by_name: KeyTable,
}

/// Where a text is in [`Index::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    /// No text (an episode without a file or an item key).
    const NONE: Span = Span {
        start: u32::MAX,
        len: 0,
    };
}

/// One episode: what resolution reads of it besides its keys.
#[derive(Debug, Clone, Copy)]
struct Entry {
    entity_id: Span,
    /// As written (resolution prefers the file spelled as linked).
    path: Span,
    key: Span,
}

/// (root, key) → episodes, sorted by key then episode, found by binary
/// search. Its keys are spans of [`Index::text`].
#[derive(Debug, Default)]
struct KeyTable {
    entries: Vec<KeyEntry>,
}

#[derive(Debug, Clone, Copy)]
struct KeyEntry {
    root: u32,
    key: Span,
    episode: u32,
}

fn small(n: usize) -> u32 {
    u32::try_from(n).expect("link keys and episodes fewer than 4 GB")
}

fn text_at(text: &str, s: Span) -> &str {
    &text[s.start as usize..(s.start + s.len) as usize]
}

/// Append `s` to the arena; its span.
fn put(text: &mut String, s: &str) -> Span {
    let start = small(text.len());
    text.push_str(s);
    Span {
        start,
        len: small(s.len()),
    }
}

impl KeyTable {
    fn push(&mut self, root: usize, key: Span, episode: usize) {
        self.entries.push(KeyEntry {
            root: small(root),
            key,
            episode: small(episode),
        });
    }

    fn key<'t>(text: &'t str, e: &KeyEntry) -> (u32, &'t str) {
        (e.root, text_at(text, e.key))
    }

    /// Sorted by key, then episode, each (key, episode) once: the order
    /// episodes were pushed in, as the lists of a map were.
    fn seal(&mut self, text: &str) {
        self.entries.sort_unstable_by(|a, b| {
            Self::key(text, a)
                .cmp(&Self::key(text, b))
                .then(a.episode.cmp(&b.episode))
        });
        self.entries
            .dedup_by(|b, a| a.episode == b.episode && Self::key(text, a) == Self::key(text, b));
        self.entries.shrink_to_fit();
    }

    /// The episodes under `key`, in the order they were pushed.
    fn get(&self, text: &str, root: usize, key: &str) -> Vec<usize> {
        let Ok(root) = u32::try_from(root) else {
            return Vec::new();
        };
        let k = (root, key);
        let start = self.entries.partition_point(|e| Self::key(text, e) < k);
        self.entries[start..]
            .iter()
            .take_while(|e| Self::key(text, e) == k)
            .map(|e| e.episode as usize)
            .collect()
    }
}

impl Index {
    /// The index of `episodes`, numbered in the order given. Each is read
    /// once and may be dropped at once: a plan builds them one at a time
    /// from its stored and parsed episodes.
    pub fn new<E: Borrow<Episode>>(episodes: impl IntoIterator<Item = E>) -> Index {
        let mut ix = Index::default();
        for (i, e) in episodes.into_iter().enumerate() {
            ix.push(i, e.borrow());
        }
        let Index {
            text,
            episodes,
            by_path,
            by_path_stem,
            by_id,
            by_name,
        } = &mut ix;
        text.shrink_to_fit();
        episodes.shrink_to_fit();
        for table in [by_path, by_path_stem, by_id, by_name] {
            table.seal(text);
        }
        ix
    }

    fn push(&mut self, i: usize, e: &Episode) {
        let text = &mut self.text;
        let entity_id = put(text, &e.entity_id);
        self.by_id.push(0, entity_id, i);
        // A blank name, alias or stem names nothing.
        let mut name = |text: &mut String, key: &str, span: Option<Span>| {
            if !key.trim().is_empty() {
                let span = span.unwrap_or_else(|| put(text, key));
                self.by_name.push(0, span, i);
            }
        };
        name(text, &e.name.to_lowercase(), None);
        for a in &e.aliases {
            name(text, &a.to_lowercase(), None);
        }
        let mut path = Span::NONE;
        if let Some((r, p)) = &e.file {
            // The stem path is a prefix of the lowercased path and the stem
            // a part of it, and most paths are lowercase already: one text
            // serves all four.
            let lower = p.to_lowercase();
            let lower_span = put(text, &lower);
            path = if lower == *p {
                lower_span
            } else {
                put(text, p)
            };
            let stem_path = strip_source_ext(&lower);
            let stem_start = stem_path.rfind('/').map_or(0, |s| s + 1);
            let stem = &stem_path[stem_start..];
            name(
                text,
                stem,
                Some(Span {
                    start: lower_span.start + small(stem_start),
                    len: small(stem.len()),
                }),
            );
            self.by_path.push(*r, lower_span, i);
            self.by_path_stem.push(
                *r,
                Span {
                    start: lower_span.start,
                    len: small(stem_path.len()),
                },
                i,
            );
        }
        let key = e.key.as_deref().map_or(Span::NONE, |k| put(text, k));
        self.episodes.push(Entry {
            entity_id,
            path,
            key,
        });
    }

    /// The `i`th episode's entity_id.
    pub(super) fn entity_id(&self, i: usize) -> &str {
        text_at(&self.text, self.episodes[i].entity_id)
    }

    /// The `i`th episode's path as written, if it has a file.
    pub(super) fn path(&self, i: usize) -> Option<&str> {
        let e = &self.episodes[i];
        (e.path != Span::NONE).then(|| text_at(&self.text, e.path))
    }

    /// The `i`th episode's own `id` or `name` in a multi-episode file.
    pub(super) fn key(&self, i: usize) -> Option<&str> {
        let e = &self.episodes[i];
        (e.key != Span::NONE).then(|| text_at(&self.text, e.key))
    }

    /// Episodes by (root, lowercased path).
    pub(super) fn by_path(&self, root: usize, lower: &str) -> Vec<usize> {
        self.by_path.get(&self.text, root, lower)
    }

    /// Episodes by (root, lowercased path without a readable extension).
    pub(super) fn by_path_stem(&self, root: usize, lower: &str) -> Vec<usize> {
        self.by_path_stem.get(&self.text, root, lower)
    }

    /// Episodes by entity_id.
    pub(super) fn by_id(&self, id: &str) -> Vec<usize> {
        self.by_id.get(&self.text, 0, id)
    }

    /// Episodes by lowercased name, alias or stem.
    pub(super) fn by_name(&self, lower: &str) -> Vec<usize> {
        self.by_name.get(&self.text, 0, lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(id: &str, file: Option<(usize, &str)>, name: &str, aliases: &[&str]) -> Episode {
        Episode {
            entity_id: id.into(),
            file: file.map(|(r, p)| (r, p.to_string())),
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            key: None,
        }
    }

    /// Every table finds what was pushed through the shared spans: a
    /// lowercase path serves path, stem path and stem; a mixed-case one
    /// keeps its spelling beside; blank names are not keys; ids keep case.
    #[test]
    fn every_key_is_found_through_the_shared_text() {
        let ix = Index::new(vec![
            ep("a", Some((0, "notes/atlas.md")), "Atlas", &["ATL", " "]),
            ep("B", Some((1, "Docs/Read Me.MD")), "", &[]),
            Episode {
                key: Some("item".into()),
                ..ep("c", None, "Fact", &[])
            },
            ep("a", Some((0, "notes/atlas.md")), "Second", &[]),
        ]);
        assert_eq!(ix.episodes.len(), 4);
        assert_eq!(ix.entity_id(1), "B");
        assert_eq!(ix.path(0), Some("notes/atlas.md"));
        assert_eq!(ix.path(1), Some("Docs/Read Me.MD"));
        assert_eq!(ix.path(2), None);
        assert_eq!(ix.key(2), Some("item"));
        assert_eq!(ix.key(0), None);
        assert_eq!(ix.by_path(0, "notes/atlas.md"), [0, 3]);
        assert_eq!(ix.by_path(1, "notes/atlas.md"), Vec::<usize>::new());
        assert_eq!(ix.by_path(1, "docs/read me.md"), [1]);
        assert_eq!(ix.by_path_stem(0, "notes/atlas"), [0, 3]);
        assert_eq!(ix.by_path_stem(1, "docs/read me"), [1]);
        assert_eq!(ix.by_id("a"), [0, 3]);
        assert_eq!(ix.by_id("b"), Vec::<usize>::new());
        assert_eq!(ix.by_name("atlas"), [0, 3]);
        assert_eq!(ix.by_name("atl"), [0]);
        assert_eq!(ix.by_name("read me"), [1]);
        assert_eq!(ix.by_name("fact"), [2]);
        assert_eq!(ix.by_name("second"), [3]);
        assert_eq!(ix.by_name(" "), Vec::<usize>::new());
        assert_eq!(ix.by_name(""), Vec::<usize>::new());
    }
}
