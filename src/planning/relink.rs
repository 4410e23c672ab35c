//! Which unchanged files must be read again for their links, and reading
//! them.
//!
//! A link resolves against the whole group, so an episode whose file did not
//! change may link differently once another episode appears, goes, moves or
//! changes its name or aliases. Rather than reading every file whenever that
//! happens, the plan reads only the files of the episodes it may concern
//! ([`must_reresolve`]): those with a stored edge to an episode that went or
//! changed how links name it; those with an edge to an episode that now
//! shares a name, stem or alias with a changed one (the link may have become
//! ambiguous, or a nearer file may win); and those with a stored unresolved
//! link that names any changed episode by any of its old or new names.
//! Episodes whose link facts were never stored (written by an older
//! graphseed) are read once too.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::draft::{Draft, StoredIndex};
use super::links::{Pending, take_links};
use super::read::read_limited;
use super::{Action, Slot};
use crate::hashing::Sha256Hash;
use crate::links::{Episode, StoredLinkState};
use crate::metadata::StoredEpisode;
use crate::sources::{self, Format, SourceFile};
use crate::stores::StoredLink;

/// `path` without an extension graphseed reads (`a/b.md` → `a/b`).
fn strip_ext(path: &str) -> &str {
    let start = path.rfind('/').map_or(0, |i| i + 1);
    match path[start..].rfind('.') {
        Some(dot) if Format::from_name(&path[start..]).is_some() => &path[..start + dot],
        _ => path,
    }
}

/// Every lowercased text a link may name an episode by: its entity_id, its
/// path with and without extension, its stem, its name and its aliases.
pub(super) fn keys_of(
    entity_id: &str,
    path: Option<&str>,
    name: &str,
    aliases: &[String],
) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    keys.insert(entity_id.to_lowercase());
    if let Some(p) = path {
        let p = p.to_lowercase();
        let stem_path = strip_ext(&p).to_string();
        keys.insert(stem_path.rsplit('/').next().unwrap_or("").to_string());
        keys.insert(stem_path);
        keys.insert(p);
    }
    keys.insert(name.to_lowercase());
    keys.extend(aliases.iter().map(|a| a.to_lowercase()));
    keys.retain(|k| !k.trim().is_empty());
    keys
}

/// The texts to look a link target up by: whole and last segment, each with
/// and without extension. Resolution by path ends in the file's path or
/// stem, by name in its last segment, by id in the whole target; so a link
/// that may resolve to an episode shares one of these with its keys.
fn lookups(target: &str) -> [String; 4] {
    let t = target
        .trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_lowercase();
    let last = t.rsplit('/').next().unwrap_or(&t).to_string();
    [
        strip_ext(&t).to_string(),
        strip_ext(&last).to_string(),
        last,
        t,
    ]
}

/// An episode whose names change with this plan: `before` when it is stored
/// (`None`: it is new), `after` when it stays (`None`: it goes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Change<'a> {
    pub(super) entity_id: &'a str,
    pub(super) before: Option<BTreeSet<String>>,
    pub(super) after: Option<BTreeSet<String>>,
}

/// The stored episodes whose links must be resolved again (see the module
/// documentation). `stored` yields every stored episode's keys (only read
/// when some change brings new names), `unresolved` every stored unresolved
/// link as (its episode, its target).
pub(super) fn must_reresolve<'a>(
    changes: &[Change<'_>],
    stored: impl Iterator<Item = (&'a str, BTreeSet<String>)>,
    edges: &'a [StoredLink],
    unresolved: impl Iterator<Item = (&'a str, &'a str)>,
) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    if changes.is_empty() {
        return out;
    }
    // Targets whose incoming links may now resolve elsewhere: those that go
    // or lose a name a link may have used. (A name gained can only take
    // links from another episode that has it too: found below.)
    let mut targets: HashSet<String> = changes
        .iter()
        .filter(|c| match (&c.before, &c.after) {
            (Some(b), Some(a)) => !b.is_subset(a),
            (Some(_), None) => true,
            (None, _) => false,
        })
        .map(|c| c.entity_id.to_string())
        .collect();
    let all_keys: HashSet<&str> = changes
        .iter()
        .flat_map(|c| c.before.iter().chain(c.after.iter()))
        .flatten()
        .map(String::as_str)
        .collect();
    let new_keys: HashSet<&str> = changes
        .iter()
        .filter_map(|c| c.after.as_ref())
        .flatten()
        .map(String::as_str)
        .collect();
    let changed: HashSet<&str> = changes.iter().map(|c| c.entity_id).collect();
    if !new_keys.is_empty() {
        for (id, keys) in stored {
            if !changed.contains(id) && keys.iter().any(|k| new_keys.contains(k.as_str())) {
                targets.insert(id.to_string());
            }
        }
    }
    for l in edges {
        if targets.contains(&*l.target) {
            out.insert(&*l.source);
        }
    }
    for (source, target) in unresolved {
        if lookups(target)
            .iter()
            .any(|k| all_keys.contains(k.as_str()))
        {
            out.insert(source);
        }
    }
    out
}

/// The stored link state of a group, by entity_id: a binary search, as both
/// stores load it in entity_id order (a map of a million episodes' states
/// cost about 50 MB, built more than once per plan); a map only for a
/// state in another order.
pub(super) struct StateById<'s> {
    all: &'s [StoredLinkState],
    unsorted: Option<HashMap<&'s str, &'s StoredLinkState>>,
}

impl<'s> StateById<'s> {
    pub(super) fn new(all: &'s [StoredLinkState]) -> Self {
        let sorted = all.windows(2).all(|w| w[0].entity_id() < w[1].entity_id());
        StateById {
            all,
            unsorted: (!sorted).then(|| all.iter().map(|s| (s.entity_id(), s)).collect()),
        }
    }

    pub(super) fn get(&self, entity_id: &str) -> Option<&'s StoredLinkState> {
        match &self.unsorted {
            Some(map) => map.get(entity_id).copied(),
            None => self
                .all
                .binary_search_by(|s| s.entity_id().cmp(entity_id))
                .ok()
                .map(|i| &self.all[i]),
        }
    }
}

/// An unparsed stored episode as links find it: its name, and its aliases
/// and key when they were stored.
pub(super) fn stored_episode(
    s: StoredEpisode<'_>,
    state: Option<&StoredLinkState>,
    file: Option<(usize, String)>,
) -> Episode {
    let facts = state.and_then(|st| st.facts.as_deref());
    Episode {
        entity_id: s.entity_id().to_string(),
        file,
        name: state.map(|st| st.name().to_string()).unwrap_or_default(),
        aliases: facts.map(|f| f.aliases.clone()).unwrap_or_default(),
        key: facts.and_then(|f| f.key.clone()),
    }
}

/// The keys of a stored episode: its path and id, and the name and
/// aliases stored with its link facts.
fn stored_keys(s: StoredEpisode<'_>, state: &StateById<'_>) -> BTreeSet<String> {
    let st = state.get(s.entity_id());
    let name = st.map_or("", |st| st.name());
    let aliases = st
        .and_then(|st| st.facts.as_deref())
        .map_or(&[][..], |f| &f.aliases[..]);
    keys_of(s.entity_id(), s.source_path(), name, aliases)
}

/// What the plan changes in how links name episodes: parsed episodes whose
/// path, name or aliases differ from the stored ones (or are new), and
/// stored episodes that go (pruned or orphaned).
fn changes<'d>(
    draft: &'d Draft<'_>,
    index: &StoredIndex<'_>,
    state: &StateById<'_>,
) -> Vec<Change<'d>> {
    let stored_keys = |s: StoredEpisode<'_>| stored_keys(s, state);
    let mut out = Vec::new();
    for p in &draft.pending_links {
        let e = p.episode(draft.made(), &draft.files, &draft.names);
        let entity_id = p.entity_id(draft.made());
        let after = keys_of(
            entity_id,
            e.file.as_ref().map(|(_, p)| p.as_str()),
            &e.name,
            &p.links().aliases,
        );
        let before = index.by_id(entity_id).map(stored_keys);
        if before.as_ref() != Some(&after) {
            out.push(Change {
                entity_id,
                before,
                after: Some(after),
            });
        }
    }
    for d in &draft.decisions {
        if matches!(d.action, Action::Prune | Action::Orphan)
            && let Some(s) = index.by_id(&d.entity_id)
        {
            out.push(Change {
                entity_id: &d.entity_id,
                before: Some(stored_keys(s)),
                after: None,
            });
        }
    }
    out
}

/// Read again, for their links only, the unchanged files of the episodes
/// [`must_reresolve`] picks and of those whose link facts were never
/// stored, and queue their episodes for resolution like parsed ones.
pub(super) fn add_relinks(
    draft: &mut Draft<'_>,
    index: &StoredIndex<'_>,
    link_state: super::LinkState<'_>,
    stored_links: &[StoredLink],
) {
    let state = link_state.states;
    // Nothing skipped (a cold seed, a version bump): nothing to read again,
    // and no set of every parsed id to build (36 MB at a million).
    if !draft.decisions.iter().any(|d| d.action == Action::Skip)
        && !draft.order.iter().any(|s| matches!(s, Slot::Unchanged(_)))
    {
        return;
    }
    // Which links a change touches is found by names (see `changes`).
    if !draft.load_names() {
        return;
    }
    let by_id = StateById::new(state);
    // The ids of parsed episodes, sorted: 16 bytes an id, where a hash set
    // held about twice that.
    let mut parsed: Vec<&str> = draft
        .pending_links
        .iter()
        .map(|p| p.entity_id(draft.made()))
        .collect();
    parsed.sort_unstable();
    parsed.dedup();
    let is_parsed = |id: &str| parsed.binary_search(&id).is_ok();
    // The skipped (unparsed, unchanged) episodes: the only ones to add.
    // Skips of unchanged files are no entries (see `Slot`): they become one
    // only when their file is read again, below. Found by id through the
    // stored state's position, not a map of every skip (a reseed that
    // changed one file skips a million).
    let entry_skips: HashMap<&str, usize> = draft
        .decisions
        .iter()
        .enumerate()
        .filter(|(_, d)| d.action == Action::Skip && !is_parsed(&d.entity_id))
        .map(|(i, d)| (&*d.entity_id, i))
        .collect();
    // Where each unchanged stored episode's skip is in the plan's order.
    let mut slot_of = vec![u32::MAX; index.all.len()];
    let mut unchanged = 0usize;
    for (at, slot) in draft.order.iter().enumerate() {
        if let Slot::Unchanged(s) = *slot
            && !is_parsed(index.all.get(s as usize).entity_id())
        {
            slot_of[s as usize] = u32::try_from(at).expect("fewer than 2^32 decisions");
            unchanged += 1;
        }
    }
    if entry_skips.is_empty() && unchanged == 0 {
        return;
    }
    let skipped_of = |id: &str| -> Option<Skipped> {
        if let Some(&i) = entry_skips.get(id) {
            return Some(Skipped::Entry(i));
        }
        let at = slot_of[index.position_of_id(id)?];
        (at != u32::MAX).then_some(Skipped::Slot(at as usize))
    };
    let changes = changes(draft, index, &by_id);
    let stored_keys = index
        .all
        .iter()
        .map(|s| (s.entity_id(), stored_keys(s, &by_id)));
    let unresolved = state.iter().flat_map(|s| {
        s.facts.iter().flat_map(move |f| {
            f.unresolved
                .iter()
                .map(move |l| (s.entity_id(), l.target.as_str()))
        })
    });
    let mut wanted = must_reresolve(&changes, stored_keys, stored_links, unresolved);
    // Never stored: read once, so they are from now on.
    wanted.extend(
        entry_skips
            .keys()
            .copied()
            .chain(
                index
                    .all
                    .iter()
                    .zip(&slot_of)
                    .filter(|(_, at)| **at != u32::MAX)
                    .map(|(s, _)| s.entity_id()),
            )
            // Left out of a partial state: its facts are known.
            .filter(|id| {
                by_id
                    .get(id)
                    .map_or(link_state.complete, |s| s.facts.is_none())
            }),
    );
    // The files to read: (root, path) → the skipped decisions they hold.
    let mut files: HashMap<(usize, &str), Vec<Skipped>> = HashMap::new();
    for id in wanted {
        let Some(at) = skipped_of(id) else { continue };
        let (source, rel) = match at {
            Skipped::Entry(i) => {
                let facts = draft.facts(index.all);
                let d = &draft.decisions[i];
                (facts.source(d), facts.source_path(d))
            }
            Skipped::Slot(o) => match draft.order[o] {
                Slot::Unchanged(s) => {
                    let s = index.all.get(s as usize);
                    (s.source(), s.source_path())
                }
                Slot::Entry(_) | Slot::Bumped { .. } | Slot::Created(_) => {
                    unreachable!("only unchanged slots are listed")
                }
            },
        };
        let Some(rel) = rel else {
            continue;
        };
        let Some(ri) = draft.input.roots.iter().position(|r| *r.source == **source) else {
            continue;
        };
        files.entry((ri, rel)).or_default().push(at);
    }
    let mut files: Vec<((usize, String), Vec<Skipped>)> = files
        .into_iter()
        .map(|((ri, rel), entries)| ((ri, rel.to_string()), entries))
        .collect();
    // Walk order, so the plan is the same every time.
    files.sort();
    let input = draft.input;
    let read = crate::parallel::map(&files, |((ri, rel), _)| {
        let root = &input.roots[*ri];
        let format = Format::from_name(rel)?;
        let file = SourceFile {
            root: std::sync::Arc::new(root.path.clone()),
            rel: rel.as_str().into(),
            format,
        };
        let bytes = read_limited(&file, input.max_file_bytes).ok()?;
        let hash = Sha256Hash(crate::hashing::sha256(&bytes));
        let mut cands = sources::parse_file(&file, &bytes).ok()?;
        let links = take_links(format, &bytes, &mut cands, &input.links.rules);
        Some((hash, format, cands, links))
    });
    for (((ri, rel), entries), got) in files.into_iter().zip(read) {
        // Unreadable or changed since it was hashed: left as it is; the next
        // run sees what it became.
        let Some((hash, format, cands, links)) = got else {
            continue;
        };
        // Read again: its skips become entries, which resolving fills.
        let entries: Vec<usize> = entries
            .into_iter()
            .map(|at| match at {
                Skipped::Entry(i) => i,
                Skipped::Slot(o) => draft.materialise(index, o),
            })
            .collect();
        let stored_hash = draft.decisions[entries[0]]
            .before
            .and_then(|at| index.all.get(at as usize).source_hash());
        if !stored_hash.is_some_and(|h| h.is(&hash)) {
            continue;
        }
        let root = &input.roots[ri];
        let fi = draft.files.push((ri, root), rel.as_str(), format, hash);
        // Read after all: counted as parsed, no longer as unchanged (seen =
        // unchanged + parsed + unreadable).
        draft.stats.files_parsed += 1;
        draft.stats.files_unchanged = draft.stats.files_unchanged.saturating_sub(1);
        let at: HashMap<&str, usize> = entries
            .iter()
            .map(|&i| (&*draft.decisions[i].entity_id, i))
            .collect();
        let mut queued = Vec::new();
        for (c, links) in cands.into_iter().zip(links) {
            let Some(&decision) = at.get(c.entity_id.as_str()) else {
                continue;
            };
            queued.push(Pending::of_file(
                (c.entity_id, c.name),
                (ri, &rel),
                links,
                (fi, Some(super::created::entry_at(decision))),
                &mut draft.names,
            ));
        }
        draft.pending_links.extend(queued);
    }
}

/// A skipped decision: an entry, or the position of an unchanged file's
/// skip in plan order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Skipped {
    Entry(usize),
    Slot(usize),
}

/// The root a stored episode's path is under, for the link index.
pub(super) fn stored_file(
    s: StoredEpisode<'_>,
    roots: &[crate::sources::RootSpec],
) -> Option<(usize, String)> {
    s.source_path().and_then(|p| {
        roots
            .iter()
            .position(|r| *r.source == **s.source())
            .map(|ri| (ri, p.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::LinkKind;

    fn keys(id: &str, path: &str, name: &str, aliases: &[&str]) -> BTreeSet<String> {
        let aliases: Vec<String> = aliases.iter().map(|a| a.to_string()).collect();
        keys_of(id, Some(path), name, &aliases)
    }

    fn edge(source: &str, target: &str) -> StoredLink {
        StoredLink {
            source: source.into(),
            target: target.into(),
            kind: LinkKind::Wikilink,
            count: 1,
        }
    }

    #[test]
    fn an_episode_is_named_by_its_id_path_stem_name_and_aliases() {
        let k = keys(
            "notes_atlas",
            "notes/Atlas.md",
            "Atlas Project",
            &["ATL", " "],
        );
        let want: BTreeSet<String> = [
            "notes_atlas",
            "notes/atlas.md",
            "notes/atlas",
            "atlas",
            "atlas project",
            "atl",
        ]
        .map(String::from)
        .into();
        assert_eq!(k, want);
    }

    /// The group the table below starts from: `a` links to `b` (by its
    /// title) and to `c`; `d` has an unresolved link to "Nope", `e` one to
    /// "../people/zed.md"; `f` links to `g`, whose stem is `atlas`.
    type Group = (
        Vec<(&'static str, BTreeSet<String>)>,
        Vec<StoredLink>,
        Vec<(&'static str, &'static str)>,
    );

    fn group() -> Group {
        let stored = vec![
            ("a", keys("a", "a.md", "A", &[])),
            ("b", keys("b", "b.md", "Bee", &["B2"])),
            ("c", keys("c", "c.md", "C", &[])),
            ("d", keys("d", "d.md", "D", &[])),
            ("e", keys("e", "notes/e.md", "E", &[])),
            ("f", keys("f", "f.md", "F", &[])),
            ("g", keys("g", "projects/atlas.md", "G", &[])),
        ];
        let edges = vec![edge("a", "b"), edge("a", "c"), edge("f", "g")];
        let unresolved = vec![("d", "Nope"), ("e", "../people/zed.md")];
        (stored, edges, unresolved)
    }

    #[test]
    fn which_stored_episodes_resolve_their_links_again() {
        let (stored, edges, unresolved) = group();
        let k = |id: &'static str| stored.iter().find(|(i, _)| *i == id).unwrap().1.clone();
        let new = |id: &'static str, path: &str, name: &str, aliases: &[&str]| Change {
            entity_id: id,
            before: None,
            after: Some(keys(id, path, name, aliases)),
        };
        let gone = |id: &'static str| Change {
            entity_id: id,
            before: Some(k(id)),
            after: None,
        };
        let moved = |id: &'static str, path: &str, name: &str, aliases: &[&str]| Change {
            entity_id: id,
            before: Some(k(id)),
            after: Some(keys(id, path, name, aliases)),
        };
        let table: Vec<(&str, Vec<Change>, &[&str])> = vec![
            ("nothing changes", vec![], &[]),
            (
                "an unrelated file is added",
                vec![new("x", "x.md", "X", &[])],
                &[],
            ),
            (
                "a file named as a dangling link is added",
                vec![new("n", "nope.md", "N", &[])],
                &["d"],
            ),
            (
                "a file titled as a dangling link is added",
                vec![new("n", "n.md", "NOPE", &[])],
                &["d"],
            ),
            (
                "a file aliased as a dangling link is added",
                vec![new("n", "n.md", "N", &["nope"])],
                &["d"],
            ),
            (
                "a file at a dangling relative path is added",
                vec![new("z", "people/zed.md", "Z", &[])],
                &["e"],
            ),
            ("a linked file is removed", vec![gone("b")], &["a"]),
            ("an unlinked file is removed", vec![gone("d")], &[]),
            (
                "a linked file is renamed",
                vec![moved("c", "cc.md", "C", &[])],
                &["a"],
            ),
            (
                "a linked file is retitled",
                vec![moved("b", "b.md", "Bea", &["B2"])],
                &["a"],
            ),
            (
                "a title takes a dangling name",
                vec![moved("c", "c.md", "Nope", &[])],
                &["d"],
            ),
            (
                "an alias takes a dangling name",
                vec![moved("c", "c.md", "C", &["nope"])],
                &["d"],
            ),
            (
                "a linked file gains an alias",
                vec![moved("b", "b.md", "Bee", &["B2", "B3"])],
                &[],
            ),
            (
                "a new file shares a linked stem",
                vec![new("h", "notes/atlas.md", "H", &[])],
                &["f"],
            ),
            (
                "a new file shares a linked title",
                vec![new("h", "h.md", "bee", &[])],
                &["a"],
            ),
            (
                "a new file takes a linked entity_id as its stem",
                vec![new("h", "x/c.md", "H", &[])],
                &["a"],
            ),
            (
                "two changes add up",
                vec![gone("g"), new("n", "nope.md", "N", &[])],
                &["d", "f"],
            ),
        ];
        for (what, changes, want) in table {
            let got = must_reresolve(
                &changes,
                stored.iter().map(|(i, k)| (*i, k.clone())),
                &edges,
                unresolved.iter().copied(),
            );
            let want: BTreeSet<&str> = want.iter().copied().collect();
            assert_eq!(got, want, "{what}");
        }
    }

    #[test]
    fn targets_are_looked_up_by_path_and_last_segment_with_and_without_extension() {
        assert_eq!(
            lookups("./Notes/Atlas.md"),
            ["notes/atlas", "atlas", "atlas.md", "notes/atlas.md"].map(String::from)
        );
        assert_eq!(
            lookups("Release 1.2"),
            ["release 1.2", "release 1.2", "release 1.2", "release 1.2"].map(String::from)
        );
    }
}
