//! Links in the plan: extracted from each parsed file beside its episodes,
//! resolved once every producer is done (a link may name an episode of a
//! file walked later, or one only stored), attached to the entries that
//! write their episode, and reported where they name no episode or several.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::created::{Made, MadeMut};
use super::{Action, PlanEntry, PlanError};
use crate::links::{
    self, Edge, Episode, Index, LinkFacts, LinkRules, PackedLinks, StoredLinkState, resolve_links,
};
use crate::metadata::StoredEpisodes;
use crate::sources::{Candidate, Format, RootSpec};
use crate::stores::StoredLink;

/// How links are read and judged: the config's `[links]` and `--strict-links`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkOptions {
    pub rules: LinkRules,
    /// Dangling and ambiguous links are errors (nothing is written).
    pub strict: bool,
    /// Read every file for its links even when nothing changed (`verify`).
    pub reread: bool,
}

/// What resolution needs of one parsed item, kept after its fields are
/// dropped (bodies are read again when applied).
#[derive(Debug, Clone, Default)]
pub(super) struct ItemLinks {
    /// Packed until resolved (see [`PackedLinks`]).
    pub(super) raw: PackedLinks,
    pub(super) aliases: Vec<String>,
    /// The item's own `id` or `name` in a multi-episode file.
    pub(super) key: Option<String>,
}

/// The links of every candidate of one parsed file, in candidate order.
pub(super) fn item_links(
    format: Format,
    bytes: &[u8],
    candidates: &[Candidate],
    multi: bool,
    rules: &LinkRules,
) -> Vec<ItemLinks> {
    // Parsing succeeded, so the text is UTF-8.
    let text = String::from_utf8_lossy(bytes);
    let items: Vec<(&Map<String, Value>, Option<usize>)> =
        candidates.iter().map(|c| (&c.fields, c.line)).collect();
    links::extract_file(format, &text, &items, rules)
        .into_iter()
        .zip(candidates)
        .map(|(raw, c)| ItemLinks {
            // Held until the whole plan resolves.
            raw: PackedLinks::pack(&raw),
            aliases: Episode::aliases_from(&c.fields),
            key: multi
                .then(|| {
                    ["id", "name"]
                        .iter()
                        .find_map(|k| c.fields.get(*k).and_then(Value::as_str))
                        .map(str::to_string)
                })
                .flatten(),
        })
        .collect()
}

/// The links of a parsed file's candidates (see [`item_links`]), their
/// fields dropped once read: bodies are read again when applied, links are
/// resolved before.
pub(super) fn take_links(
    format: Format,
    bytes: &[u8],
    cands: &mut [Candidate],
    rules: &LinkRules,
) -> Vec<ItemLinks> {
    let multi = cands.len() > 1 || cands.first().is_some_and(|c| c.line.is_none());
    let links = item_links(format, bytes, cands, multi, rules);
    for c in cands.iter_mut() {
        c.fields = Default::default();
    }
    links
}

/// How warnings name an item read from stdin.
const STDIN: &str = "<stdin>";

/// One parsed episode's links, waiting for resolution. A cold seed holds
/// one per episode until the plan is finished, so it is 24 bytes: an item
/// of a file with an entry (most items) keeps only its name, its file's and
/// its entry's positions, and a box of its links when it has any. An
/// `Option` per index and a three-word name made it 40 (a million items:
/// 42 MB once grown, half as much again while it grew).
#[derive(Debug)]
pub(super) struct Pending {
    /// Its file, `Plan::files[file]`: named in warnings (kept as an index,
    /// not as text). [`NONE`] for an item read from stdin, named `<stdin>`.
    file: u32,
    /// Its decision in the plan (a position, see `created::Made`), [`NONE`]
    /// when none was made (a refusal).
    decision: u32,
    /// A filed item's name (its entity_id is its entry's and its path its
    /// file's); unused for a [`More::Rich`] one.
    name: NameRef,
    /// `None`: a filed item that names nothing and declares no alias or
    /// key (most items of most corpora).
    more: Option<Box<More>>,
}

/// What a [`Pending`] keeps besides its name, in its box.
#[derive(Debug)]
enum More {
    /// A filed item's links. A boxed episode of its own was about 270
    /// bytes more (a million linked notes: 170 MB).
    Links(ItemLinks),
    /// An item read from stdin, or one without an entry (a refusal): boxed
    /// again, so that the common box above is sized for links alone (an
    /// episode inline made every linked item's box about 70 MB larger at a
    /// million).
    Rich(Box<(Episode, ItemLinks)>),
}

/// No file or no entry, in a [`Pending`]'s index.
const NONE: u32 = u32::MAX;

/// Where a filed pending episode's name is in [`Names`]: its length is
/// written before it there, so a reference is two words, not three.
#[derive(Debug, Clone, Copy)]
pub(super) struct NameRef {
    chunk: u32,
    at: u32,
}

/// The names of filed pending episodes, packed into chunks of a megabyte,
/// each after its length (LEB128): a name each of a cold seed's million
/// episodes, where a boxed name cost its allocation's rounding and header
/// besides its pointer.
///
/// Past [`Names::HELD`] chunks, each full chunk is written to an unlinked
/// temporary file and its memory given back: names are read only to
/// resolve links (and to find which links a reseed's changes touch), and a
/// cold seed of a million notes that link nowhere never reads its 34 MB of
/// titles. [`Names::load`] reads them back before any is read.
#[derive(Debug, Default)]
pub(super) struct Names {
    chunks: Vec<Vec<u8>>,
    /// The chunks written out: (index in `chunks`, offset in the file).
    spilled: Vec<(usize, u64)>,
    file: Option<std::fs::File>,
    /// Where the next chunk goes in `file`.
    end: u64,
    /// Writing failed once (no temporary directory, a full disk): the
    /// names stay in memory, as they always did.
    held_only: bool,
}

/// Names never read back (a plan that failed first) give their file back
/// here.
impl Drop for Names {
    fn drop(&mut self) {
        if self.file.is_some() {
            crate::spill::files_given_back(self.end);
        }
    }
}

impl Names {
    const CHUNK: usize = 1 << 20;
    /// Chunks kept in memory, the one being filled included, before full
    /// ones are written out: the names of a reseed that parses a few
    /// thousand files never touch the disk.
    const HELD: usize = 4;

    fn push(&mut self, name: &str) -> NameRef {
        let need = crate::leb128::len(name.len() as u64) + name.len();
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= need);
        if !fits {
            if self.chunks.len() >= Self::HELD {
                self.spill_last();
            }
            self.chunks.push(Vec::with_capacity(Self::CHUNK.max(need)));
        }
        let chunk = self.chunks.last_mut().expect("a chunk was just made");
        let at = chunk.len();
        crate::leb128::push(name.len() as u64, chunk);
        chunk.extend_from_slice(name.as_bytes());
        NameRef {
            chunk: small(self.chunks.len() - 1),
            at: small(at),
        }
    }

    /// Write the last chunk (full) out and give its memory back; kept in
    /// memory if it cannot be written.
    fn spill_last(&mut self) {
        use std::os::unix::fs::FileExt;
        if self.held_only {
            return;
        }
        let i = self.chunks.len() - 1;
        if self.file.is_none() {
            self.file = crate::spill::unnamed_temp_file().ok();
        }
        let written = self
            .file
            .as_ref()
            .is_some_and(|f| f.write_all_at(&self.chunks[i], self.end).is_ok());
        if !written {
            self.held_only = true;
            return;
        }
        self.spilled.push((i, self.end));
        self.end += self.chunks[i].len() as u64;
        crate::spill::written_to_file(self.chunks[i].len() as u64);
        self.chunks[i] = Vec::new();
    }

    /// Read back every chunk written out, before any name is read.
    pub(super) fn load(&mut self) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let (Some(file), spilled) = (&self.file, std::mem::take(&mut self.spilled)) else {
            return Ok(());
        };
        let ends = spilled.iter().skip(1).map(|&(_, at)| at).chain([self.end]);
        for (&(i, at), end) in spilled.iter().zip(ends) {
            let mut chunk = vec![0u8; usize::try_from(end - at).expect("a chunk fits in memory")];
            file.read_exact_at(&mut chunk, at)?;
            self.chunks[i] = chunk;
        }
        self.file = None;
        crate::spill::files_given_back(std::mem::take(&mut self.end));
        Ok(())
    }

    fn get(&self, r: NameRef) -> &str {
        debug_assert!(
            self.spilled.iter().all(|&(i, _)| i != r.chunk as usize),
            "names are loaded before they are read"
        );
        let chunk = &self.chunks[r.chunk as usize][r.at as usize..];
        let (len, head) = crate::leb128::read(chunk);
        std::str::from_utf8(&chunk[head..head + len as usize]).expect("a name is pushed as a str")
    }
}

/// A plan's count of files or entries as a pending episode keeps it.
fn small(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 files and entries in a plan")
}

/// A filed item as links find it (see [`Pending`]).
fn filed_episode(
    entity_id: &str,
    file: &super::PlannedFile<'_>,
    name: &str,
    links: &ItemLinks,
) -> Episode {
    Episode {
        entity_id: entity_id.to_string(),
        file: Some((file.root(), file.rel.to_string())),
        name: name.to_string(),
        aliases: links.aliases.clone(),
        key: links.key.clone(),
    }
}

/// What a pending episode that names nothing links.
static NO_LINKS: std::sync::LazyLock<ItemLinks> = std::sync::LazyLock::new(ItemLinks::default);

impl Pending {
    /// An episode of the file `Plan::files[file]` (under root `root`, at
    /// `rel`), parsed as `entity_id` named `name`.
    pub(super) fn of_file(
        (entity_id, name): (String, String),
        (root, rel): (usize, &str),
        links: ItemLinks,
        (file, decision): (usize, Option<u32>),
        names: &mut Names,
    ) -> Pending {
        let (name, more) = if decision.is_some() {
            let bare = links.raw == PackedLinks::default()
                && links.aliases.is_empty()
                && links.key.is_none();
            (
                names.push(&name),
                (!bare).then(|| Box::new(More::Links(links))),
            )
        } else {
            let episode = Episode {
                entity_id,
                file: Some((root, rel.to_string())),
                name,
                aliases: Vec::new(),
                key: None,
            };
            (
                NameRef::UNUSED,
                Some(Box::new(More::Rich(Box::new((episode, links))))),
            )
        };
        Pending {
            file: small(file),
            decision: decision.unwrap_or(NONE),
            name,
            more,
        }
    }

    /// An item read from standard input.
    pub(super) fn of_stdin(episode: Episode, links: ItemLinks, decision: Option<u32>) -> Self {
        Pending {
            file: NONE,
            decision: decision.unwrap_or(NONE),
            name: NameRef::UNUSED,
            more: Some(Box::new(More::Rich(Box::new((episode, links))))),
        }
    }

    /// Its file's position in the plan's files; none for stdin.
    fn file(&self) -> Option<usize> {
        (self.file != NONE).then_some(self.file as usize)
    }

    /// Its decision's position (see `created::Made`), if it has one.
    fn decision(&self) -> Option<u32> {
        (self.decision != NONE).then_some(self.decision)
    }

    /// The episode of an item read from stdin or without an entry.
    fn rich(&self) -> Option<&Episode> {
        match self.more.as_deref() {
            Some(More::Rich(r)) => Some(&r.0),
            _ => None,
        }
    }

    /// Its entity_id (`made`: the plan's decisions).
    pub(super) fn entity_id<'a>(&'a self, made: Made<'a>) -> &'a str {
        match self.rich() {
            Some(e) => &e.entity_id,
            None => made.id(self.decision().expect("a filed episode has a decision")),
        }
    }

    /// The episode as links see it (`files`: the plan's files).
    pub(super) fn episode(
        &self,
        made: Made<'_>,
        files: &super::PlannedFiles,
        names: &Names,
    ) -> std::borrow::Cow<'_, Episode> {
        match self.rich() {
            Some(e) => std::borrow::Cow::Borrowed(e),
            None => std::borrow::Cow::Owned(filed_episode(
                self.entity_id(made),
                &files.get(self.file().expect("a filed episode has a file")),
                names.get(self.name),
                self.links(),
            )),
        }
    }

    /// Its links.
    pub(super) fn links(&self) -> &ItemLinks {
        match self.more.as_deref() {
            None => &NO_LINKS,
            Some(More::Links(l)) => l,
            Some(More::Rich(r)) => &r.1,
        }
    }
}

impl NameRef {
    /// The name of a pending episode that keeps its own.
    const UNUSED: NameRef = NameRef {
        chunk: NONE,
        at: NONE,
    };
}

/// Whether any pending episode names something: only then are links
/// resolved against the whole group (an index of every episode's names).
pub(super) fn any_links(pending: &[Pending]) -> bool {
    pending.iter().any(|p| !p.links().raw.is_empty())
}

/// A link that names no episode, or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkWarning {
    pub entity_id: String,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub kind: String,
    pub target: String,
    /// Empty for a dangling link; the entity_ids it could mean otherwise.
    pub candidates: Vec<String>,
}

impl LinkWarning {
    /// `link "nope.md" resolves to no episode`.
    pub fn what(&self) -> String {
        if self.candidates.is_empty() {
            format!("link {:?} resolves to no episode", self.target)
        } else {
            format!(
                "link {:?} is ambiguous: it may name {}",
                self.target,
                self.candidates.join(", ")
            )
        }
    }

    /// `path:line:col: link "nope.md" resolves to no episode`.
    pub fn message(&self) -> String {
        format!(
            "{}:{}:{}: {}",
            self.path,
            self.line,
            self.column,
            self.what()
        )
    }
}

/// What the plan's links add up to, for `plan --json` and the run record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkSummary {
    /// Edges (per target and kind) of the episodes parsed this run.
    pub edges: u64,
    pub dangling: u64,
    pub ambiguous: u64,
    /// URLs: counted, never linked.
    pub external: u64,
    /// Files graphseed does not read (images, PDFs).
    pub assets: u64,
    /// Unchanged episodes whose links are written again (a target appeared,
    /// moved or went).
    pub relinked: u64,
    /// `--strict-links`: the warnings are also the plan's errors.
    pub strict: bool,
    pub warnings: Vec<LinkWarning>,
}

/// An entry's links as written: its complete outgoing edges, and the facts
/// stored beside them (see [`crate::links::state`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryLinks {
    /// Sorted by target, then kind.
    pub edges: Vec<Edge>,
    /// `None`: no aliases, key or unresolved link, as most episodes. Held
    /// per written episode until it is written: inline, the facts were 72
    /// of the set's 96 bytes (a million linked notes: 64 MB).
    facts: Option<Box<LinkFacts>>,
}

/// The facts of an episode that has none.
static NO_FACTS: LinkFacts = LinkFacts {
    aliases: Vec::new(),
    key: None,
    unresolved: Vec::new(),
};

impl EntryLinks {
    pub fn new(edges: Vec<Edge>, facts: LinkFacts) -> EntryLinks {
        EntryLinks {
            edges,
            facts: (facts != NO_FACTS).then(|| Box::new(facts)),
        }
    }

    /// Its aliases, key and unresolved links.
    pub fn facts(&self) -> &LinkFacts {
        self.facts.as_deref().unwrap_or(&NO_FACTS)
    }
}

/// Resolve every pending episode's links against the group as it will be:
/// the parsed episodes, and the stored ones this plan keeps. Attaches the
/// edges to the entries that write their episode; the rest keep theirs.
/// `strict_errors` (`--strict-links`): where the warnings are also pushed
/// as the plan's errors.
#[allow(clippy::too_many_arguments)]
pub(super) fn resolve_pending(
    (pending, names): (Vec<Pending>, Names),
    stored: &StoredEpisodes,
    state: &[StoredLinkState],
    roots: &[RootSpec],
    stored_links: &[StoredLink],
    mut made: MadeMut<'_>,
    files: &super::PlannedFiles,
    mut strict_errors: Option<&mut Vec<PlanError>>,
) -> LinkSummary {
    let strict = strict_errors.is_some();
    let state = super::relink::StateById::new(state);
    // Nothing parsed names anything: every resolution would come back empty,
    // so the index over the whole group (a few hundred bytes an episode, the
    // largest thing a no-op reseed would otherwise hold) is not built.
    let index = if any_links(&pending) {
        link_index(
            (&pending, &names),
            stored,
            &state,
            roots,
            made.as_made(),
            files,
        )
    } else {
        Index::default()
    };
    let mut before = StoredEdges::new(stored_links);
    let mut summary = LinkSummary {
        strict,
        ..LinkSummary::default()
    };
    let mut none: Option<Arc<EntryLinks>> = None;
    for p in pending {
        let entity_id = p.entity_id(made.as_made()).to_string();
        let (file, decision) = (p.file(), p.decision());
        let (episode_links, resolved) = match p.more.map(|m| *m) {
            // Names nothing: nothing to resolve.
            None => (ItemLinks::default(), Default::default()),
            Some(More::Links(links)) => {
                let f = &files.get(file.expect("a filed episode has a file"));
                let episode = filed_episode(&entity_id, f, names.get(p.name), &links);
                let resolved = resolve_links(&index, &episode, &links.raw.unpack());
                (links, resolved)
            }
            Some(More::Rich(r)) => {
                let (episode, links) = *r;
                let resolved = resolve_links(&index, &episode, &links.raw.unpack());
                (links, resolved)
            }
        };
        summary.external += episode_links.raw.external() as u64;
        summary.assets += resolved.assets as u64;
        summary.edges += resolved.edges.len() as u64;
        let mut facts = LinkFacts {
            aliases: episode_links.aliases,
            key: episode_links.key,
            unresolved: Vec::with_capacity(resolved.unresolved.len()),
        };
        for u in resolved.unresolved {
            if u.candidates.is_empty() {
                summary.dangling += 1;
            } else {
                summary.ambiguous += 1;
            }
            let w = LinkWarning {
                entity_id: entity_id.clone(),
                path: file.map_or_else(|| STDIN.to_string(), |f| files.get(f).display()),
                line: u.link.at.line,
                column: u.link.at.column,
                kind: u.link.kind.as_str().to_string(),
                target: u.link.target.clone(),
                candidates: u.candidates,
            };
            facts.unresolved.push(u.link);
            if let Some(errors) = strict_errors.as_deref_mut() {
                errors.push(PlanError {
                    kind: super::ErrorKind::Input,
                    path: Some(w.path.clone()),
                    line: Some(w.line),
                    column: Some(w.column),
                    message: w.what(),
                    hint: Some(
                        "fix the link, or drop --strict-links (`[links] strict`) to only warn"
                            .into(),
                    ),
                });
            }
            summary.warnings.push(w);
        }
        let Some(decision) = decision else {
            continue;
        };
        // Stored edges only join stored episodes: compare with what the
        // store will keep, the edges whose target exists after the plan.
        let mut now = resolved.edges;
        now.sort();
        let was = before.take(&entity_id);
        // The stored facts too: an unresolved link that moved, or facts
        // never stored, are written again even when the edges stand.
        let facts_changed = state
            .get(entity_id.as_str())
            .and_then(|s| s.facts.as_deref())
            != Some(&facts);
        // Most episodes of most corpora link to nothing: they share one
        // empty set (an allocation each was 112 bytes a written episode,
        // held to the end of the run).
        let links = if now.is_empty() && facts == LinkFacts::default() {
            none.get_or_insert_with(|| Arc::new(EntryLinks::default()))
                .clone()
        } else {
            Arc::new(EntryLinks::new(now, facts))
        };
        if made.set_links(decision, links, |l| {
            !same_edges(&l.edges, &was) || facts_changed
        }) {
            summary.relinked += 1;
        }
    }
    summary
}

/// The stored edges of each source, each source's taken once (as from a
/// map, by `remove`): ranges of the stored links, which both stores load
/// sorted by source, found by binary search. Cloned into a map of edges by
/// source, they were about 100 bytes a link while a plan resolved; now a
/// flag a link, and 4 bytes a link only for links in another order.
struct StoredEdges<'a> {
    links: &'a [StoredLink],
    /// Positions in source order, when `links` is not in it.
    order: Option<Vec<u32>>,
    /// By position in source order: that source's edges were taken.
    taken: Vec<bool>,
}

impl<'a> StoredEdges<'a> {
    fn new(links: &'a [StoredLink]) -> Self {
        let sorted = links.windows(2).all(|w| w[0].source <= w[1].source);
        let order = (!sorted).then(|| {
            let mut order: Vec<u32> =
                (0..u32::try_from(links.len()).expect("fewer than 2^32 links")).collect();
            order.sort_by(|&a, &b| links[a as usize].source.cmp(&links[b as usize].source));
            order
        });
        StoredEdges {
            links,
            order,
            taken: vec![false; links.len()],
        }
    }

    fn at(&self, i: usize) -> &'a StoredLink {
        match &self.order {
            Some(order) => &self.links[order[i] as usize],
            None => &self.links[i],
        }
    }

    /// The stored edges of `source`, sorted as edges are, the first time it
    /// is asked for; none after that.
    fn take(&mut self, source: &str) -> Vec<(&'a str, crate::links::LinkKind, u32)> {
        let n = self.links.len();
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if *self.at(mid).source < *source {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == n || self.taken[lo] || *self.at(lo).source != *source {
            return Vec::new();
        }
        self.taken[lo] = true;
        let mut was: Vec<_> = (lo..n)
            .map(|i| self.at(i))
            .take_while(|l| *l.source == *source)
            .map(|l| (&*l.target, l.kind, l.count))
            .collect();
        was.sort_unstable();
        was
    }
}

/// Whether resolved edges (sorted) are the stored ones (sorted alike).
fn same_edges(now: &[Edge], was: &[(&str, crate::links::LinkKind, u32)]) -> bool {
    now.len() == was.len()
        && now.iter().zip(was).all(|(e, &(target, kind, count))| {
            e.target == target && e.kind == kind && e.count == count
        })
}

/// What links may name: the parsed episodes, and the stored ones this plan
/// keeps.
fn link_index(
    (pending, names): (&[Pending], &Names),
    stored: &StoredEpisodes,
    state: &super::relink::StateById<'_>,
    roots: &[RootSpec],
    made: Made<'_>,
    files: &super::PlannedFiles,
) -> Index {
    // A cold seed has nothing stored: no set of every parsed id is needed
    // (a million ids: about 30 MB).
    let (parsed, gone): (HashSet<&str>, HashSet<&str>) = if stored.is_empty() {
        Default::default()
    } else {
        (
            pending.iter().map(|p| p.entity_id(made)).collect(),
            // Orphans are stored but no source produces them any more: a
            // link to their old path or name is broken, even before they
            // are pruned.
            made.entries
                .iter()
                .filter(|d| matches!(d.action, Action::Prune | Action::Orphan))
                .map(|d| &*d.entity_id)
                .collect(),
        )
    };
    // Stored episodes of unparsed files are found by path, stem and
    // entity_id, and by the name, aliases and key stored with them. Each
    // episode is made, indexed and dropped in turn.
    let kept = stored
        .iter()
        .filter(|s| !parsed.contains(s.entity_id()) && !gone.contains(s.entity_id()))
        .map(|s| {
            super::relink::stored_episode(
                s,
                state.get(s.entity_id()),
                super::relink::stored_file(s, roots),
            )
        });
    let parsed = pending.iter().map(|p| Episode {
        aliases: p.links().aliases.clone(),
        key: p.links().key.clone(),
        ..p.episode(made, files, names).into_owned()
    });
    Index::new(kept.chain(parsed))
}

/// The edges an entry writes, when it writes any (see `resolve_pending`).
pub fn entry_edges(d: &PlanEntry) -> Option<&[Edge]> {
    d.links.as_deref().map(|l| &l.edges[..])
}

#[cfg(test)]
mod tests {
    use super::super::graph_signature_with_links;
    use crate::links::LinkKind;
    use crate::stores::StoredLink;

    fn link(source: &str, target: &str, kind: LinkKind, count: u32) -> StoredLink {
        StoredLink {
            source: source.into(),
            target: target.into(),
            kind,
            count,
        }
    }

    #[test]
    fn the_signature_covers_links_and_is_unchanged_without_them() {
        let episodes = "e".repeat(64);
        assert_eq!(graph_signature_with_links(episodes.clone(), &[]), episodes);
        let a = [link("a", "b", LinkKind::Wikilink, 1)];
        let sig = |links: &[StoredLink]| graph_signature_with_links(episodes.clone(), links);
        // Every part of a link counts; the order links come in does not.
        let variants = [
            sig(&a),
            sig(&[link("a", "b", LinkKind::Wikilink, 2)]),
            sig(&[link("a", "b", LinkKind::Embed, 1)]),
            sig(&[link("a", "c", LinkKind::Wikilink, 1)]),
            sig(&[link("c", "b", LinkKind::Wikilink, 1)]),
        ];
        let distinct: std::collections::HashSet<_> = variants.iter().collect();
        assert_eq!(distinct.len(), variants.len());
        assert!(!variants.contains(&episodes));
        let two = [a[0].clone(), link("b", "a", LinkKind::Field, 1)];
        let swapped = [two[1].clone(), two[0].clone()];
        assert_eq!(sig(&two), sig(&swapped));
    }

    /// A source's stored edges come back sorted as edges are, once, in
    /// either order of the stored links; a source without any gets none.
    #[test]
    fn stored_edges_are_taken_once_per_source_in_any_order() {
        use LinkKind::{Embed, Field, Wikilink};
        let sorted = vec![
            link("a", "c", Wikilink, 1),
            link("a", "b", Field, 2),
            link("a", "b", Embed, 1),
            link("b", "a", Wikilink, 3),
            link("d", "a", Field, 1),
        ];
        let mut shuffled = sorted.clone();
        shuffled.reverse();
        shuffled.swap(0, 3);
        for links in [&sorted, &shuffled] {
            let mut edges = super::StoredEdges::new(links);
            let a = edges.take("a");
            let mut want = vec![("b", Field, 2), ("b", Embed, 1), ("c", Wikilink, 1)];
            want.sort();
            assert_eq!(a, want);
            assert!(edges.take("a").is_empty(), "taken once");
            assert_eq!(edges.take("b"), [("a", Wikilink, 3)]);
            assert!(edges.take("c").is_empty());
            assert!(edges.take("").is_empty());
            assert_eq!(edges.take("d"), [("a", Field, 1)]);
            assert!(edges.take("e").is_empty());
        }
    }

    #[test]
    fn names_packed_in_chunks_read_back_as_pushed() {
        use super::{NameRef, Names};
        let mut names = Names::default();
        let long = "x".repeat(Names::CHUNK + 3);
        // Fill most of a chunk (its name after a 3-byte length), then names
        // that do not fit in what is left of it, one longer than a chunk,
        // an empty one, and lengths on either side of a length byte's 7 bits.
        let filler = "f".repeat(Names::CHUNK - 5);
        let pushed: Vec<(NameRef, String)> = [
            filler,
            "abc".into(),
            long,
            String::new(),
            "é名".into(),
            "a".repeat(127),
            "b".repeat(128),
            "c".repeat(16_384),
        ]
        .into_iter()
        .map(|n| (names.push(&n), n))
        .collect();
        for (r, n) in &pushed {
            assert_eq!(names.get(*r), n.as_str());
        }
        // The filler (2 bytes left); "abc"; the long name, exactly; the
        // empty one's length byte and all the rest.
        assert_eq!(names.chunks.len(), 4);
        assert!(names.spilled.is_empty(), "four chunks are held");
    }

    /// Past the chunks held, full chunks go to a temporary file and come
    /// back as they were.
    #[test]
    fn names_past_the_chunks_held_are_written_out_and_read_back() {
        use super::Names;
        let mut names = Names::default();
        let pushed: Vec<_> = (0..200_000)
            .map(|i| {
                let n = format!("name {i} {}", "z".repeat(i % 90));
                (names.push(&n), n)
            })
            .collect();
        assert!(names.chunks.len() > Names::HELD + 2);
        // The first ones and the one being filled stay.
        assert_eq!(names.spilled.len(), names.chunks.len() - Names::HELD);
        let held: usize = names.chunks.iter().map(Vec::capacity).sum();
        assert!(held <= Names::HELD * Names::CHUNK, "{held}");
        names.load().unwrap();
        assert!(names.spilled.is_empty() && names.file.is_none());
        for (r, n) in &pushed {
            assert_eq!(names.get(*r), n.as_str());
        }
        names.load().unwrap();
    }

    /// A written episode's links wait in the plan until it is written: the
    /// facts most have none of take no room, and read back as given.
    #[test]
    fn entry_links_keep_facts_only_when_there_are_some() {
        use super::{EntryLinks, LinkFacts};
        assert_eq!(std::mem::size_of::<EntryLinks>(), 32);
        let none = EntryLinks::new(vec![], LinkFacts::default());
        assert!(none.facts.is_none());
        assert_eq!(none, EntryLinks::default());
        assert_eq!(none.facts(), &LinkFacts::default());
        let some = LinkFacts {
            key: Some("k".into()),
            ..LinkFacts::default()
        };
        let with = EntryLinks::new(vec![], some.clone());
        assert_eq!(with.facts(), &some);
        assert_ne!(with, none);
    }

    /// One of these waits per parsed episode until the plan is finished.
    #[test]
    fn a_pending_episode_is_24_bytes() {
        assert_eq!(std::mem::size_of::<super::Pending>(), 24);
        assert_eq!(std::mem::size_of::<super::NameRef>(), 8);
        // The box of a linked item holds its links, not room for an episode.
        assert!(std::mem::size_of::<super::More>() <= std::mem::size_of::<super::ItemLinks>() + 8);
    }
}
