//! The plan while producers fill it: the stored state indexed for lookups,
//! the entries and errors so far, which entity_ids are claimed (and by whom),
//! and which stored episodes a failing source protects. Every entry made from
//! a produced episode goes through [`decide`], and is worded here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::sync::Arc;

use super::created::{CREATED, Created, Made, MadeMut, entry_at};
use super::decide::{
    self, DecideOptions, Decision, Incoming, RefreshWhy, Refusal, ReplaceWhy, UpdateWhy, decide,
};
use super::{
    Action, After, ErrorKind, Origin, Plan, PlanEntry, PlanError, PlanInput, PlannedFiles, Reason,
    WalkStats, graph_signature,
};
use crate::hashing::{HashText, Sha256Hash, StoredHashRef};
use crate::metadata::{StoredEpisode, StoredEpisodes};
use crate::sources::{Candidate, RootSpec};

/// The group's stored episodes, indexed the two ways producers look them up.
/// Both indexes hold one small fixed-size entry per episode and no
/// allocation of their own per path: a million-episode group is indexed
/// while every decision of its plan is in memory.
pub(super) struct StoredIndex<'s> {
    pub(super) all: &'s StoredEpisodes,
    /// By entity_id, only when `all` is not in entity_id order (both stores
    /// load it in that order; then a binary search needs no map).
    by_id: Option<HashMap<&'s str, u32>>,
    /// source → its stored paths.
    by_path: HashMap<&'s str, SourcePaths<'s>>,
}

/// The stored episodes of one source by source_path, as their positions in
/// the stored state: sorted by path, then entity_id (the order decisions
/// for an unparsed file are made in), so a path's episodes are a run found
/// by binary search. No map of paths: at a million paths a hash map of them
/// cost about 50 bytes a path.
pub(super) struct SourcePaths<'s> {
    all: &'s StoredEpisodes,
    episodes: Vec<u32>,
    /// How many distinct paths.
    paths: usize,
}

/// The stored episodes at one path (see [`SourcePaths::get`]).
#[derive(Clone, Copy)]
pub(super) struct AtPath<'a, 's> {
    all: &'s StoredEpisodes,
    at: &'a [u32],
}

impl<'a, 's> AtPath<'a, 's> {
    /// No episode.
    pub(super) fn empty(all: &'s StoredEpisodes) -> Self {
        AtPath { all, at: &[] }
    }

    pub(super) fn iter(self) -> impl Iterator<Item = StoredEpisode<'s>> + 'a
    where
        's: 'a,
    {
        self.at.iter().map(move |&i| self.all.get(i as usize))
    }

    pub(super) fn is_empty(self) -> bool {
        self.at.is_empty()
    }
}

impl<'s> SourcePaths<'s> {
    /// The stored episodes at `path`, if any. Asked for in about the paths'
    /// sorted order (the walk visits a directory's files sorted by name):
    /// the run at `next`, the one after the last path found, is tried
    /// before a binary search. At a
    /// million files the binary searches were about 20 million looks at a
    /// stored episode's text.
    pub(super) fn get_near(&self, path_: &str, next: &mut usize) -> Option<AtPath<'_, 's>> {
        let starts_at = |at: usize| {
            self.episodes
                .get(at)
                .is_some_and(|&s| self.path(s) == path_)
                && (at == 0 || self.path(self.episodes[at - 1]) != path_)
        };
        let at = if starts_at(*next) {
            let len = self.episodes[*next..]
                .iter()
                .take_while(|&&s| self.path(s) == path_)
                .count();
            *next..*next + len
        } else {
            self.range(path_)
        };
        if at.is_empty() {
            return None;
        }
        *next = at.end;
        Some(AtPath {
            all: self.all,
            at: &self.episodes[at],
        })
    }

    fn path(&self, i: u32) -> &'s str {
        path(self.all.get(i as usize))
    }

    /// Where the run of `path_` is in `episodes` (empty if none).
    fn range(&self, path_: &str) -> std::ops::Range<usize> {
        let start = self.episodes.partition_point(|&s| self.path(s) < path_);
        // A path's run is short (its file's items): a scan, not a second
        // binary search over the rest.
        let len = self.episodes[start..]
            .iter()
            .take_while(|&&s| self.path(s) == path_)
            .count();
        start..start + len
    }

    /// The stored episodes whose path is none of `paths`: a flag per stored
    /// episode, where a set of a million walked paths cost about 35 MB.
    pub(super) fn not_at<'p>(
        &self,
        paths: impl IntoIterator<Item = &'p str>,
    ) -> impl Iterator<Item = StoredEpisode<'s>> + '_ {
        let mut at = vec![false; self.episodes.len()];
        for p in paths {
            at[self.range(p)].fill(true);
        }
        self.episodes
            .iter()
            .zip(at)
            .filter(|(_, at)| !at)
            .map(|(&s, _)| self.all.get(s as usize))
    }

    /// How many distinct paths.
    pub(super) fn len(&self) -> usize {
        self.paths
    }
}

/// An indexed episode's path (only episodes with one are indexed by path).
fn path(s: StoredEpisode<'_>) -> &str {
    s.source_path().unwrap_or_default()
}

impl<'s> StoredIndex<'s> {
    pub(super) fn new(all: &'s StoredEpisodes) -> Self {
        let at = |i: usize| u32::try_from(i).expect("fewer than 2^32 stored episodes");
        let by_id = (!super::by_distinct_id(all)).then(|| {
            all.iter()
                .enumerate()
                .map(|(i, s)| (s.entity_id(), at(i)))
                .collect()
        });
        let mut sources: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, s) in all.iter().enumerate() {
            if s.source_path().is_some() {
                sources.entry(s.source().as_ref()).or_default().push(at(i));
            }
        }
        let by_path = sources
            .into_iter()
            .map(|(source, mut episodes)| {
                let get = |i: &u32| all.get(*i as usize);
                episodes.sort_unstable_by(|a, b| {
                    let (a, b) = (get(a), get(b));
                    path(a)
                        .cmp(path(b))
                        .then_with(|| a.entity_id().cmp(b.entity_id()))
                });
                let paths = episodes
                    .chunk_by(|a, b| path(get(a)) == path(get(b)))
                    .count();
                episodes.shrink_to_fit();
                (
                    source,
                    SourcePaths {
                        all,
                        episodes,
                        paths,
                    },
                )
            })
            .collect();
        StoredIndex {
            all,
            by_id,
            by_path,
        }
    }

    /// The stored episode with this entity_id.
    pub(super) fn by_id(&self, entity_id: &str) -> Option<StoredEpisode<'s>> {
        self.position_of_id(entity_id).map(|i| self.all.get(i))
    }

    /// Where `s`, an episode of this index, is in the stored state.
    pub(super) fn position(&self, s: StoredEpisode<'_>) -> usize {
        self.all.position(s)
    }

    /// Where the stored episode with this entity_id is, if it is stored.
    pub(super) fn position_of_id(&self, entity_id: &str) -> Option<usize> {
        match &self.by_id {
            Some(map) => map.get(entity_id).map(|&i| i as usize),
            None => self.all.binary_search_by_id(entity_id),
        }
    }

    /// The stored episodes of one source, by path.
    pub(super) fn of_source(&self, source: &str) -> Option<&SourcePaths<'s>> {
        self.by_path.get(source)
    }
}

/// Where an entity_id was first produced: one per episode, so kept compact
/// (no text) and spelled out only for a duplicate's message.
#[derive(Debug, Clone, Copy)]
pub(super) enum Here<'s> {
    /// An unchanged (unparsed) file: its root and the stored path.
    Unchanged {
        root: usize,
        rel: &'s str,
    },
    /// An item of the parsed file `files[file]`.
    Parsed {
        file: usize,
        line: Option<usize>,
    },
    Stdin {
        line: Option<usize>,
    },
}

impl Here<'_> {
    fn describe(self, roots: &[RootSpec], files: &PlannedFiles) -> String {
        match self {
            Here::Unchanged { root, rel } => format!("{}/{rel}", roots[root].display),
            Here::Parsed { file, line: None } => files.get(file).display(),
            Here::Parsed {
                file,
                line: Some(l),
            } => format!("{}:{l}", files.get(file).display()),
            Here::Stdin { line } => format!("<stdin>:{}", line.unwrap_or(0)),
        }
    }
}

/// Who produced a stored episode, in the four bytes of its slot: 0 for
/// nobody yet, `root + 1` for an unchanged file under that root, the top bit
/// and `file` for the whole of the parsed file `files[file]` (an item with a
/// line, or one from stdin, is kept in `origins` instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    Unchanged { root: usize },
    File { file: usize },
}

impl Claim {
    const FILE: u32 = 1 << 31;

    /// Its code, if it fits.
    fn encode(self) -> Option<u32> {
        match self {
            Claim::Unchanged { root } => u32::try_from(root + 1).ok().filter(|&c| c < Self::FILE),
            Claim::File { file } => u32::try_from(file)
                .ok()
                .filter(|&f| f < Self::FILE)
                .map(|f| f | Self::FILE),
        }
    }

    fn decode(code: u32) -> Option<Self> {
        match code {
            0 => None,
            c if c & Self::FILE != 0 => Some(Claim::File {
                file: (c & !Self::FILE) as usize,
            }),
            c => Some(Claim::Unchanged {
                root: c as usize - 1,
            }),
        }
    }
}

/// entity_id → where it was produced, for what a [`Claim`] cannot say
/// (every create of a cold seed): a table of positions, hashed by the id
/// and compared with the id itself where it is already kept, in the entry
/// the item made. Its own copy of every pair, `(digest, where)`, was 28
/// bytes an id (28 MB of a cold seed's million) beside the table's 4.
struct Origins {
    /// Positions: a decision's (see [`Made`]), or ([`REFUSED`] set) one in
    /// `refused`.
    table: hashbrown::HashTable<u32>,
    /// `(entry, line)` of the produced items that have a line (JSON Lines,
    /// stdin; always entries), in entry order: found by binary search.
    lines: Vec<(u32, u32)>,
    /// Ids produced that made no entry (a refusal, said as an error), and
    /// where: few, so kept whole.
    refused: Vec<(Box<str>, Produced)>,
    /// Keyed per process, as std's maps are: anyone can choose ids, and
    /// with them which slots of the table they fall in.
    hasher: std::hash::RandomState,
}

/// The bit of an [`Origins`] position that points into its `refused`.
const REFUSED: u32 = 1 << 31;

/// The id at an [`Origins`] position (`made`: the plan's decisions).
fn origin_id<'a>(made: Made<'a>, refused: &'a [(Box<str>, Produced)], at: u32) -> &'a str {
    if at & REFUSED != 0 {
        &refused[(at & !REFUSED) as usize].0
    } else {
        made.id(at)
    }
}

impl Origins {
    fn with_capacity(n: usize) -> Self {
        Origins {
            table: hashbrown::HashTable::with_capacity(n),
            lines: Vec::new(),
            refused: Vec::new(),
            hasher: Default::default(),
        }
    }

    fn get(&self, made: Made<'_>, entity_id: &str) -> Option<Produced> {
        let &at = self.table.find(self.hasher.hash_one(entity_id), |&at| {
            origin_id(made, &self.refused, at) == entity_id
        })?;
        if at & REFUSED != 0 {
            return Some(self.refused[(at & !REFUSED) as usize].1);
        }
        let line = self
            .lines
            .binary_search_by_key(&at, |&(e, _)| e)
            .ok()
            .map(|i| self.lines[i].1);
        // A created row keeps its own line.
        let line = match at & CREATED {
            0 => line,
            _ => made.created.line(at & !CREATED),
        };
        Some(match made.origin(at) {
            Origin::File(file) => Produced::Parsed { file, line },
            Origin::Generated(_) => Produced::Stdin { line },
            Origin::Stored | Origin::SameBytes(_) => {
                unreachable!("a produced entry comes from a file or stdin")
            }
        })
    }

    /// Add what `here` produced, not in the table yet (the caller asked
    /// first): the decision it made, at `made` position `at`, or, for a
    /// refusal, its id. Decisions are added in the order they are made.
    fn insert_new(&mut self, made: Made<'_>, entity_id: &str, here: Produced, at: Option<u32>) {
        debug_assert!(
            self.get(made, entity_id).is_none(),
            "each id is produced once"
        );
        let small = |n: usize| u32::try_from(n).ok().filter(|&n| n < REFUSED);
        let at = match at {
            Some(at) => {
                debug_assert!(at < REFUSED, "fewer than 2^30 decisions in a plan");
                if let (0, Some(line)) = (at & CREATED, here.line()) {
                    debug_assert!(self.lines.last().is_none_or(|&(l, _)| l < at));
                    self.lines.push((at, line));
                }
                at
            }
            None => {
                self.refused.push((entity_id.into(), here));
                small(self.refused.len() - 1).expect("fewer than 2^31 refusals") | REFUSED
            }
        };
        let (hasher, refused) = (&self.hasher, &self.refused);
        self.table
            .insert_unique(hasher.hash_one(entity_id), at, |&w| {
                hasher.hash_one(origin_id(made, refused, w))
            });
    }
}

/// A [`Here`] of a parsed item or a stdin line, in 12 bytes.
#[derive(Debug, Clone, Copy)]
enum Produced {
    Parsed { file: u32, line: Option<u32> },
    Stdin { line: Option<u32> },
}

impl Produced {
    fn encode(here: Here<'_>) -> Self {
        // Counts and line numbers of one plan fit: a plan holds fewer than
        // 2^32 files, and a file past 4 GiB is refused by the read limit.
        let small = |n: usize| u32::try_from(n).expect("fewer than 2^32 files and lines");
        match here {
            Here::Parsed { file, line } => Produced::Parsed {
                file: small(file),
                line: line.map(small),
            },
            Here::Stdin { line } => Produced::Stdin {
                line: line.map(small),
            },
            Here::Unchanged { .. } => unreachable!("an unchanged file claims through its slot"),
        }
    }

    fn line(self) -> Option<u32> {
        match self {
            Produced::Parsed { line, .. } | Produced::Stdin { line } => line,
        }
    }

    fn decode(self) -> Here<'static> {
        match self {
            Produced::Parsed { file, line } => Here::Parsed {
                file: file as usize,
                line: line.map(|l| l as usize),
            },
            Produced::Stdin { line } => Here::Stdin {
                line: line.map(|l| l as usize),
            },
        }
    }
}

/// Where a produced episode comes from, for its entry and its messages.
pub(super) struct Facts<'a> {
    pub(super) source: &'a Arc<str>,
    pub(super) source_path: Option<&'a str>,
    pub(super) source_hash: Option<Sha256Hash>,
    pub(super) display: &'a str,
    /// The file's bytes hash to its stored episodes' `source_hash`.
    pub(super) file_unchanged: bool,
}

/// The plan being made.
pub(super) struct Draft<'s> {
    pub(super) input: &'s PlanInput,
    /// The run's version as text, shared by every after-snapshot.
    pub(super) version: Arc<str>,
    /// The decisions made as entries (see [`super::Decisions`]).
    pub(super) decisions: Vec<PlanEntry>,
    /// The creates made as rows (see [`super::created`]).
    pub(super) created: Created,
    /// Every decision in plan order.
    pub(super) order: Vec<super::Slot>,
    pub(super) errors: Vec<PlanError>,
    pub(super) files: PlannedFiles,
    /// Bytes of `files`, by index, kept from the scan for applying.
    pub(super) kept: super::read::Kept,
    pub(super) generated: Vec<Candidate>,
    pub(super) stats: WalkStats,
    /// entity_id → where it came from, for what a [`Claim`] cannot say
    /// (every create of a cold seed), by position (see [`Origins`]).
    origins: Origins,
    /// The entries' reasons, each text once where they repeat.
    pub(super) reasons: super::Reasons,
    /// Per stored episode, who produced it (see [`Claim`]): four bytes an
    /// episode where a map entry cost about seventy, and a reseed claims
    /// every stored episode.
    claims: Vec<u32>,
    /// entity_ids whose stored episode must survive this run whatever
    /// happens (its file failed): never orphaned, never pruned.
    pub(super) protected: BTreeSet<String>,
    /// The sources (labels) whose orphans this plan considers.
    pub(super) scope_sources: BTreeSet<String>,
    /// Whether any producer found a source at all (prune refuses otherwise).
    pub(super) found_any_source: bool,
    /// Files parsed to no episode at all (see [`super::unchanged::closed`]).
    pub(super) empty_files: u64,
    /// Duplicates past the listed errors: counted, never formatted (a
    /// million repeated lines must not cost a million messages).
    unlisted: usize,
    /// Parsed episodes' links, resolved when the plan is finished.
    pub(super) pending_links: Vec<super::links::Pending>,
    /// The names of filed pending episodes.
    pub(super) names: super::links::Names,
    /// The group's stored links, to tell which episodes link differently.
    pub(super) stored_links: &'s [crate::stores::StoredLink],
    /// The source of the episodes read from standard input, if any were.
    pub(super) stdin_source: Option<Arc<str>>,
    /// Timestamps hand edits changed, by entity_id.
    recorded: HashMap<String, super::RecordedTimes>,
}

impl<'s> Draft<'s> {
    /// `expected`: about how many episodes and files the plan will hold.
    pub(super) fn new(input: &'s PlanInput, stored: usize, files: usize) -> Self {
        Draft {
            input,
            version: input.version.to_string().into(),
            // Room for an entry per file (a reseed may parse every one):
            // grown by doubling, a million entries would hold up to half
            // again in unused capacity. Untouched capacity costs address
            // space, not memory (a no-op reseed makes no entries, a cold
            // seed of whole files makes rows).
            decisions: Vec::with_capacity(files),
            created: Created::default(),
            // Room for a decision per file plus one per stored episode
            // (orphans and prunes come last): growing this Vec past its
            // capacity near the end would hold the old and the new copy at
            // once, at the plan's peak. Capacity that is never written costs
            // address space, not memory.
            order: Vec::with_capacity(stored + files),
            errors: Vec::new(),
            // Grown a chunk at a time, never copied whole.
            files: PlannedFiles::default(),
            kept: Default::default(),
            generated: Vec::new(),
            stats: WalkStats::default(),
            // Sized for the creates expected (every file of a cold seed):
            // grown by doubling, a million creates would briefly hold the
            // old and the new table at the plan's peak.
            origins: Origins::with_capacity(files.saturating_sub(stored)),
            reasons: Default::default(),
            claims: vec![0; stored],
            protected: BTreeSet::new(),
            scope_sources: BTreeSet::new(),
            found_any_source: false,
            empty_files: 0,
            unlisted: 0,
            // Room for a pending episode per file, like `decisions`: grown
            // by doubling, a cold seed's million would hold the old and the
            // new list at once near the plan's peak.
            pending_links: Vec::with_capacity(files),
            names: Default::default(),
            stored_links: &[],
            stdin_source: None,
            recorded: HashMap::new(),
        }
    }

    /// Where the entries' source, path and kept timestamps are.
    pub(super) fn facts<'a>(&'a self, stored: &'a StoredEpisodes) -> super::EntryFacts<'a> {
        super::EntryFacts {
            files: &self.files,
            stored,
            stdin_source: self.stdin_source.as_ref(),
            recorded: &self.recorded,
        }
    }

    pub(super) fn options(&self) -> DecideOptions {
        DecideOptions {
            force: self.input.force,
            allow_downgrade: self.input.allow_downgrade,
            prune: self.input.prune,
            transfer_ownership: self.input.transfer_ownership,
        }
    }

    /// Add a decision made as an entry; its index among the entries.
    pub(super) fn push(&mut self, entry: PlanEntry) -> usize {
        let i = self.decisions.len();
        self.decisions.push(entry);
        self.order.push(super::Slot::Entry(i as u32));
        i
    }

    /// The decisions made so far, by position.
    pub(super) fn made(&self) -> Made<'_> {
        Made {
            entries: &self.decisions,
            created: &self.created,
        }
    }

    /// Where the decisions made so far end (see [`Self::made_since`]).
    pub(super) fn mark(&self) -> (usize, usize) {
        (self.decisions.len(), self.created.len())
    }

    /// The position (see [`Made`]) of the decision made since `mark`, if
    /// one was (producing an item makes at most one).
    pub(super) fn made_since(&self, (entries, created): (usize, usize)) -> Option<u32> {
        if self.created.len() > created {
            // A row's index is below the bit too (`Created::push`).
            Some(created as u32 | CREATED)
        } else {
            (self.decisions.len() > entries).then(|| entry_at(entries))
        }
    }

    /// Turn the skip at `order[at]` (an unchanged file's) into an entry;
    /// its index among the entries.
    pub(super) fn materialise(&mut self, index: &StoredIndex<'_>, at: usize) -> usize {
        let super::Slot::Unchanged(s) = self.order[at] else {
            unreachable!("only an unchanged file's skip is materialised")
        };
        let i = self.decisions.len();
        self.decisions
            .push(super::unchanged_skip(index.all.get(s as usize), s));
        self.order[at] = super::Slot::Entry(i as u32);
        i
    }

    /// Where `entity_id` was produced already, if it was.
    fn first_producer(&self, index: &StoredIndex<'s>, entity_id: &str) -> Option<Here<'s>> {
        match index.position_of_id(entity_id) {
            Some(at) => self.first_producer_of(index, at),
            None => self
                .origins
                .get(self.made(), entity_id)
                .map(|here| here.decode()),
        }
    }

    /// Where the stored episode `index.all[at]` was produced already, if it
    /// was (its position known: no search for its id).
    fn first_producer_of(&self, index: &StoredIndex<'s>, at: usize) -> Option<Here<'s>> {
        if let Some(here) = self.origins.get(self.made(), index.all.get(at).entity_id()) {
            return Some(here.decode());
        }
        Claim::decode(self.claims[at]).map(|c| match c {
            Claim::Unchanged { root } => Here::Unchanged {
                root,
                rel: path(index.all.get(at)),
            },
            Claim::File { file } => Here::Parsed { file, line: None },
        })
    }

    /// Record that the item `c` is produced `here` (a parsed file or stdin)
    /// and decide it ([`Self::produce`]); `false` (and an error naming both
    /// producers) if something produced its entity_id already. One step,
    /// so that [`Origins`] finds the id in the entry the item made.
    pub(super) fn claim_and_produce(
        &mut self,
        index: &StoredIndex<'s>,
        c: &Candidate,
        (here, path): (Here<'s>, &str),
        facts: &Facts<'_>,
        origin: Origin,
    ) -> bool {
        let entity_id = c.entity_id.as_str();
        if let Some(first) = self.first_producer(index, entity_id) {
            self.duplicate(entity_id, first, here, path);
            return false;
        }
        // A stored id produced by a whole file: said in its slot.
        let slot = match here {
            Here::Parsed { file, line: None } => index
                .position_of_id(entity_id)
                .zip(Claim::File { file }.encode()),
            _ => None,
        };
        if let Some((at, code)) = slot {
            self.claims[at] = code;
        }
        let mark = self.mark();
        // Only an item on a file's first line (or without one) may be a
        // created row (see `created`).
        let line = match here {
            Here::Parsed { line, .. } if Created::takes_line(line) => Some(line),
            _ => None,
        };
        self.produce(index, c, facts, origin, line);
        if slot.is_none() {
            let at = self.made_since(mark);
            let made = Made {
                entries: &self.decisions,
                created: &self.created,
            };
            self.origins
                .insert_new(made, entity_id, Produced::encode(here), at);
        }
        true
    }

    /// Record that the stored episode `index.all.get(at)` is produced by its
    /// unchanged file under root `root`, and add its skip; `false` (and an
    /// error naming both producers) if something produced it already.
    pub(super) fn claim_unchanged(
        &mut self,
        index: &StoredIndex<'s>,
        at: usize,
        root: usize,
        path: &str,
    ) -> bool {
        let s = index.all.get(at);
        if let Some(first) = self.first_producer_of(index, at) {
            let here = Here::Unchanged {
                root,
                rel: s.source_path().unwrap_or_default(),
            };
            self.duplicate(s.entity_id(), first, here, path);
            return false;
        }
        let Some(code) = (Claim::Unchanged { root }).encode() else {
            unreachable!("fewer than 2^31 roots")
        };
        self.claims[at] = code;
        self.order.push(super::Slot::Unchanged(at as u32));
        true
    }

    /// Plan the stored episodes `here` of a file under root `root` whose
    /// bytes are the stored ones (`source_hash`), at an older version: a
    /// version bump, each a [`super::Slot::Bumped`] rather than an entry
    /// and a planned file (a million of them were most of a bump's peak).
    /// `false`, with nothing planned, where one needs more than a plain
    /// replace (a duplicate id, a hand edit being reconciled, a downgrade,
    /// a hash stored as other text): the caller plans them as entries.
    pub(super) fn bump_same_bytes(
        &mut self,
        index: &StoredIndex<'s>,
        here: AtPath<'_, 's>,
        (root, source): (usize, &Arc<str>),
        source_hash: Sha256Hash,
    ) -> bool {
        let (Ok(root16), Some(code)) = (u16::try_from(root), Claim::Unchanged { root }.encode())
        else {
            return false;
        };
        if self.input.reconcile.is_some() {
            return false;
        }
        let file_hash = source_hash.hex();
        // The same decision as any produced episode's, so a bump is never
        // decided twice, two ways.
        let plain = here.iter().all(|s| {
            let StoredHashRef::Digest(content) = s.content_hash() else {
                return false;
            };
            if self.first_producer_of(index, index.position(s)).is_some() {
                return false;
            }
            let content = content.hex();
            let incoming = Incoming {
                version: &self.input.version,
                content_hash: content.as_str(),
                source,
                source_path: s.source_path(),
                source_hash: Some(file_hash.as_str()),
                file_unchanged: true,
            };
            let hashes = StoredHashes::of(s);
            decide(
                Some(&stored_facts(s, &hashes)),
                Some(&incoming),
                self.options(),
            ) == Decision::Replace(ReplaceWhy::Older)
        });
        if !plain {
            return false;
        }
        for s in here.iter() {
            let at = position(index, s);
            // Claimed like an unchanged file's episode: a duplicate found
            // later names this file the same way.
            self.claims[at as usize] = code;
            if !self.reasons.has_bump(s.version()) {
                let reason = self.reasons.add(self.bump_reason(s));
                self.reasons.add_bump(s.version(), reason);
            }
            self.order.push(super::Slot::Bumped {
                stored: at,
                root: root16,
            });
        }
        true
    }

    /// The reason of a replace of `s`'s older version.
    fn bump_reason(&self, s: StoredEpisode<'_>) -> Reason {
        format!("version {} -> {}", s.version(), self.version).into()
    }

    /// Read back the pending episodes' names written out while planning
    /// (see `links::Names`); `false`, with the plan's error, if they cannot
    /// be.
    pub(super) fn load_names(&mut self) -> bool {
        let Err(e) = self.names.load() else {
            return true;
        };
        self.errors.push(PlanError::input(
            None,
            format!("could not read back the parsed episodes' names from a temporary file: {e}"),
            Some("check the temporary directory (TMPDIR) has room, then run again"),
        ));
        false
    }

    /// The error of an entity_id produced twice.
    fn duplicate(&mut self, entity_id: &str, first: Here<'_>, here: Here<'_>, path: &str) {
        if self.errors.len() >= crate::limits::MAX_LISTED_ERRORS {
            self.unlisted += 1;
            return;
        }
        let (roots, files) = (self.input.roots.as_slice(), &self.files);
        let (first, here) = (first.describe(roots, files), here.describe(roots, files));
        self.errors.push(PlanError::input(
            Some(path.to_string()),
            format!("duplicate entity_id `{entity_id}`: produced by {first} and by {here}"),
            Some("give one of them a distinct `entity_id`, or rename one of the files"),
        ));
    }

    /// Whether the stored episode `index.all.get(at)` is produced by anything.
    pub(super) fn is_produced(&self, index: &StoredIndex<'_>, at: usize) -> bool {
        self.claims[at] != 0
            || self
                .origins
                .get(self.made(), index.all.get(at).entity_id())
                .is_some()
    }

    /// Decide one produced episode and add its entry (or its error).
    fn produce(
        &mut self,
        index: &StoredIndex<'_>,
        c: &Candidate,
        f: &Facts<'_>,
        origin: Origin,
        row_line: Option<Option<usize>>,
    ) {
        let stored = index.by_id(c.entity_id.as_str());
        let file_hash = f.source_hash.map(|h| h.hex());
        let incoming = Incoming {
            version: &self.input.version,
            content_hash: &c.content_hash,
            source: f.source,
            source_path: f.source_path,
            source_hash: file_hash.as_ref().map(|h| h.as_str()),
            file_unchanged: f.file_unchanged,
        };
        let stored_hashes = stored.map(StoredHashes::of);
        let edit = self
            .input
            .reconcile
            .as_ref()
            .and_then(|r| r.edited.get(&c.entity_id));
        let decision = decide(
            stored
                .zip(stored_hashes.as_ref())
                .map(|(s, h)| decide::Stored {
                    edited: edit.is_some(),
                    ..stored_facts(s, h)
                })
                .as_ref(),
            Some(&incoming),
            self.options(),
        );
        let Some(action) = decision.action() else {
            let s = stored.expect("only a stored episode can refuse");
            self.errors.push(self.refusal(&decision, s, c, f));
            return;
        };
        // One copy of a reason many entries give (a version bump's
        // "version 1.0.0 -> 1.1.0"), not one per entry.
        let reason = self.reason(&decision, stored, c, edit);
        let reason = self.reasons.add(reason);
        // Either the stored property or the body may be what a hand edit
        // changed; whichever still agrees with the source says the content
        // did not change.
        // Computed by graphseed from the item (`hashing::content_hash`): a
        // digest, whatever the input held.
        let written =
            Sha256Hash::parse(&c.content_hash).expect("a content hash is a SHA-256 digest");
        let same_content = stored.is_some_and(|s| {
            s.content_hash().is(&written)
                || edit.and_then(|e| e.body_hash.as_deref()) == Some(c.content_hash.as_str())
        });
        // Nothing changes for a parsed file's unchanged episodes (a relink
        // parses unchanged files): said as such, not as a second copy.
        let after = match stored {
            Some(s)
                if **s.version() == *self.version
                    && s.content_hash().is(&written)
                    && s.source_hash() == f.source_hash.map(StoredHashRef::Digest) =>
            {
                After::AsBefore
            }
            _ => After::Written(written),
        };
        let before = stored.map(|s| position(index, s));
        // A timestamp edited by hand gets back what `_metadata` recorded.
        if let (Some(_), Some(e)) = (stored, edit) {
            let times = super::RecordedTimes {
                created_at: e.created_at,
                updated_at: e.updated_at,
            };
            if times != super::RecordedTimes::default() {
                self.recorded.insert(c.entity_id.clone(), times);
            }
        }
        // A plain create of a file's item: a row, not an entry.
        if let (Decision::Create, None, None, Origin::File(file), Some(line)) =
            (&decision, stored, edit, origin, row_line)
        {
            let k = self
                .created
                .push(&c.entity_id, (file, line), written, reason);
            self.order.push(super::Slot::Created(k));
            return;
        }
        self.push(PlanEntry {
            action,
            // Only where the content did not change: its time stands.
            keeps_updated_at: stored.is_some()
                && match decision {
                    Decision::Skip | Decision::Refresh(_) | Decision::Rewrite => true,
                    Decision::Repair | Decision::Transfer => same_content,
                    _ => false,
                },
            entity_id: c.entity_id.as_str().into(),
            reason,
            before,
            after: Some(after),
            origin,
            links: None,
        });
    }

    /// Why, in the words `plan` prints.
    fn reason(
        &self,
        decision: &Decision,
        stored: Option<StoredEpisode<'_>>,
        c: &Candidate,
        edit: Option<&super::edits::HandEdit>,
    ) -> Reason {
        let short = |h: &str| h.get(..12).unwrap_or(h).to_string();
        let Some(s) = stored else {
            return match decision {
                Decision::Restore => {
                    "missing from the graph although its file is unchanged (deleted by hand)".into()
                }
                _ => "new episode".into(),
            };
        };
        match decision {
            Decision::Repair => format!(
                "edited by hand: {}",
                edit.map(|e| e.problems.join("; ")).unwrap_or_default()
            )
            .into(),
            Decision::Transfer => format!(
                "ownership transferred from source `{}` (--transfer-ownership)",
                s.source()
            )
            .into(),
            Decision::Rewrite => "content unchanged; rewritten by --force (timestamps kept)".into(),
            Decision::Replace(ReplaceWhy::InvalidStoredVersion(_)) => format!(
                "stored version `{}` is not semver; replaced by --force",
                s.version()
            )
            .into(),
            Decision::Replace(ReplaceWhy::Older) => self.bump_reason(s),
            Decision::Replace(ReplaceWhy::DowngradeAllowed) => format!(
                "downgrade {} -> {} allowed by --allow-downgrade",
                s.version(),
                self.version
            )
            .into(),
            Decision::Update(UpdateWhy::Forced) => format!(
                "content changed ({} -> {}); rewritten by --force",
                short(&s.content_hash().text()),
                short(&c.content_hash)
            )
            .into(),
            Decision::Update(UpdateWhy::ContentChanged) => format!(
                "content changed ({} -> {})",
                short(&s.content_hash().text()),
                short(&c.content_hash)
            )
            .into(),
            Decision::Refresh(RefreshWhy::Moved) => format!(
                "content unchanged; moved from {}",
                s.source_path().unwrap_or("<generated>")
            )
            .into(),
            Decision::Refresh(RefreshWhy::Rehashed) => {
                "content unchanged; its file changed elsewhere (source_hash refreshed)".into()
            }
            Decision::Skip => "content unchanged (content_hash matches)".into(),
            Decision::Create | Decision::Restore => "new episode".into(),
            Decision::Orphan | Decision::Prune | Decision::Refuse(_) => {
                unreachable!("not a decision about a produced episode: {decision:?}")
            }
        }
    }

    /// The plan error of a refused decision.
    fn refusal(
        &self,
        decision: &Decision,
        s: StoredEpisode<'_>,
        c: &Candidate,
        f: &Facts<'_>,
    ) -> PlanError {
        match decision {
            Decision::Refuse(Refusal::Downgrade) => PlanError {
                kind: ErrorKind::Downgrade,
                path: Some(f.display.to_string()),
                line: c.line,
                column: None,
                message: format!(
                    "`{}` is stored at version {}, newer than the sources' {}",
                    c.entity_id, s.version(), self.version
                ),
                hint: Some("bump the version, or pass --allow-downgrade to replace it".into()),
            },
            Decision::Refuse(Refusal::InvalidStoredVersion(e)) => PlanError::input(
                Some(f.display.to_string()),
                format!(
                    "stored episode `{}` has an invalid version: {e}",
                    c.entity_id
                ),
                Some("repair it in the graph, or reseed with --force"),
            ),
            Decision::Refuse(Refusal::Ownership) => PlanError {
                kind: ErrorKind::Input,
                path: Some(f.display.to_string()),
                line: c.line,
                column: None,
                message: format!(
                    "`{}` belongs to source `{}` ({}), not to `{}`",
                    c.entity_id,
                    s.source(),
                    s.source_path().unwrap_or("<stdin>"),
                    f.source
                ),
                hint: Some(
                    "give one of them a distinct entity_id, or pass --transfer-ownership to move it to this source".into(),
                ),
            },
            other => unreachable!("not a refusal: {other:?}"),
        }
    }

    /// The finished plan.
    pub(super) fn finish(
        mut self,
        index: &StoredIndex<'_>,
        stored: &Arc<StoredEpisodes>,
        link_state: &[crate::links::StoredLinkState],
        revision: u64,
        walk: Option<crate::hashing::Sha256Hash>,
    ) -> Plan {
        // Names are read back only to resolve links (see `Names`); if they
        // cannot be, the plan says so and resolves nothing.
        if super::links::any_links(&self.pending_links) && !self.load_names() {
            self.pending_links.clear();
        }
        let links = super::links::resolve_pending(
            (
                std::mem::take(&mut self.pending_links),
                std::mem::take(&mut self.names),
            ),
            index.all,
            link_state,
            &self.input.roots,
            self.stored_links,
            MadeMut {
                entries: &mut self.decisions,
                created: &mut self.created,
            },
            &self.files,
            self.input.links.strict.then_some(&mut self.errors),
        );
        // The stored episodes a bump slot replaces at the plan's version.
        let mut bumped = Vec::new();
        for slot in &self.order {
            if let super::Slot::Bumped { stored, .. } = *slot {
                bumped.resize(index.all.len(), false);
                bumped[stored as usize] = true;
            }
        }
        let signature_after = super::graph_signature_with_sorted_links(
            signature_after(index.all, self.made(), &bumped, &self.version),
            super::links_after::LinksAfter::new(self.stored_links, self.made()).tuples(),
        );
        // Listed errors stop at MAX_LISTED_ERRORS; the rest are counted.
        let rest = self
            .errors
            .split_off(self.errors.len().min(crate::limits::MAX_LISTED_ERRORS));
        let rest_input = rest.iter().filter(|e| e.kind == ErrorKind::Input).count();
        let errors_unlisted = (rest.len() + self.unlisted, rest_input + self.unlisted);
        let sources_signature = walk.and_then(|walk| {
            let mut closure = super::unchanged::Closure {
                generated: self.input.generated.is_some(),
                errors: self.errors.len() + errors_unlisted.0,
                empty_files: self.empty_files,
                orphans: self
                    .decisions
                    .iter()
                    .filter(|d| d.action == Action::Orphan)
                    .count() as u64,
                out_of_scope: false,
            };
            // A look at every stored episode, only when nothing else has
            // opened the plan already.
            if super::unchanged::closed(closure) {
                closure.out_of_scope = index
                    .all
                    .iter()
                    .any(|s| !self.scope_sources.contains(&**s.source()));
            }
            // What the group holds once applied: every skip, and every
            // entry that leaves an episode (orphans and prunes leave none).
            let episodes = self
                .order
                .iter()
                .filter(|slot| match **slot {
                    super::Slot::Unchanged(_)
                    | super::Slot::Bumped { .. }
                    | super::Slot::Created(_) => true,
                    super::Slot::Entry(i) => self.decisions[i as usize].after.is_some(),
                })
                .count() as u64;
            super::unchanged::closed(closure)
                .then(|| super::unchanged::sources_signature(&walk, &self.version, episodes))
        });
        Plan {
            group_id: self.input.group_id.clone(),
            version: self.input.version.clone(),
            revision,
            decisions: super::Decisions::new(
                (self.decisions, self.created),
                self.order,
                stored.clone(),
                self.version,
                self.stdin_source,
                self.recorded,
                self.reasons,
            ),
            errors: self.errors,
            errors_unlisted,
            files: self.files,
            kept: self.kept,
            generated: self.generated,
            stats: self.stats,
            scope_sources: self.scope_sources,
            signature_after,
            reconciling: self.input.reconcile.as_ref().map(|r| r.why.clone()),
            links,
            sources_signature,
        }
    }
}

/// A stored episode's hashes as text, on the stack, for [`decide`] (which
/// compares text: a hand-edited value is compared as stored).
pub(super) struct StoredHashes<'a> {
    content: HashText<'a>,
    source: Option<HashText<'a>>,
}

impl<'a> StoredHashes<'a> {
    pub(super) fn of(s: StoredEpisode<'a>) -> Self {
        StoredHashes {
            content: s.content_hash().text(),
            source: s.source_hash().map(StoredHashRef::text),
        }
    }
}

/// A stored episode as [`decide`] sees it.
pub(super) fn stored_facts<'a>(
    s: StoredEpisode<'a>,
    h: &'a StoredHashes<'_>,
) -> decide::Stored<'a> {
    decide::Stored {
        version: s.version(),
        content_hash: &h.content,
        source: s.source(),
        source_path: s.source_path(),
        source_hash: h.source.as_deref(),
        edited: false,
    }
}

/// An entry's `before`: where its stored episode is. A plan holds fewer
/// than 2^32 stored episodes (the slots of unchanged files are `u32` too).
pub(super) fn position(index: &StoredIndex<'_>, s: StoredEpisode<'_>) -> u32 {
    u32::try_from(index.position(s)).expect("fewer than 2^32 stored episodes")
}

/// The group's signature once every decision is applied (errors leave their
/// stored episodes as they are).
///
/// Merged in entity_id order from the stored episodes (as loaded, in that
/// order) and the entries that change one, instead of a sorted map of the
/// whole group: at the plan's peak, with every decision in memory, that map
/// and its sorted copy cost more than a hundred bytes an episode.
///
/// `bumped[i]`: `stored[i]` is replaced at `version` by a bump slot (empty
/// when none is).
fn signature_after(
    stored: &StoredEpisodes,
    made: Made<'_>,
    bumped: &[bool],
    version: &str,
) -> String {
    if !super::by_distinct_id(stored) {
        return signature_after_unsorted(stored, made, bumped, version);
    }
    let decisions = made.entries;
    // (entity_id, its state after the plan; `None`: pruned), sorted by id,
    // the last entry of an id winning. A skip leaves the stored state as it
    // is (its after-snapshot is its before). A sorted Vec, not a map: a
    // cold seed changes every episode.
    // The changed entries as positions in `decisions` (4 bytes an entry, no
    // sort buffer: a list of (id, digest) pairs sorted stably was 24 bytes
    // an entry plus half of that again while sorting, 36 MB of a version
    // bump's peak at 1M). Room for every entry up front, at most one per
    // entry: collected by doubling, it would briefly hold two copies.
    // The version of every written entry is the plan's: not repeated here.
    let changes = |d: &PlanEntry| {
        matches!(
            (&d.action, &d.after),
            (Action::Prune, _) | (_, Some(After::Written(_)))
        )
    };
    // Created rows are all changes, and their ids are no entry's (each
    // would be the other's duplicate).
    let mut changed: Vec<u32> =
        Vec::with_capacity(decisions.iter().filter(|d| changes(d)).count() + made.created.len());
    changed.extend(
        decisions
            .iter()
            .enumerate()
            .filter(|(_, d)| changes(d))
            .map(|(i, _)| u32::try_from(i).expect("fewer than 4 billion entries")),
    );
    changed.extend((0..made.created.len()).map(|k| k as u32 | CREATED));
    // By id, and the last entry of an id in plan order first, so that
    // dedup (which keeps the first of equal neighbours) keeps it: the last
    // one wins.
    let id = |i: u32| made.id(i);
    changed.sort_unstable_by(|&a, &b| id(a).cmp(id(b)).then(b.cmp(&a)));
    changed.dedup_by(|later, earlier| id(*later) == id(*earlier));
    let changed = changed.into_iter().map(|i| {
        if i & CREATED != 0 {
            return (made.id(i), Some(made.created.content(i & !CREATED)));
        }
        let d = &decisions[i as usize];
        match (&d.action, &d.after) {
            (Action::Prune, _) => (&*d.entity_id, None),
            (_, Some(After::Written(content))) => (&*d.entity_id, Some(*content)),
            _ => unreachable!("only changes are listed"),
        }
    });
    // Two runs in entity_id order: where an id is in both, the plan's
    // state replaces the stored one (or removes it, pruned).
    let mut kept = stored
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let v = match bumped.get(i) {
                Some(true) => version,
                _ => &**s.version(),
            };
            (s.entity_id(), Some((s.content_hash().text(), v)))
        })
        .peekable();
    let mut changed = changed
        .into_iter()
        .map(|(e, c)| (e, c.map(|c| (HashText::Hex(c.hex()), version))))
        .peekable();
    let merged = std::iter::from_fn(move || {
        loop {
            let next = match (kept.peek(), changed.peek()) {
                (Some(k), Some(c)) if k.0 < c.0 => kept.next(),
                (Some(k), Some(c)) if k.0 == c.0 => {
                    kept.next();
                    changed.next()
                }
                (_, Some(_)) => changed.next(),
                (Some(_), None) => kept.next(),
                (None, None) => return None,
            };
            if let Some((e, Some((c, v)))) = next {
                return Some((e, c, v));
            }
        }
    });
    super::graph_signature_sorted(merged)
}

/// [`signature_after`] for stored episodes not in entity_id order (never
/// loaded so; kept for callers that build the stored state by hand).
fn signature_after_unsorted(
    stored: &StoredEpisodes,
    made: Made<'_>,
    bumped: &[bool],
    version: &str,
) -> String {
    let decisions = made.entries;
    let mut state: BTreeMap<&str, (HashText<'_>, &str)> = stored
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let v = match bumped.get(i) {
                Some(true) => version,
                _ => s.version().as_ref(),
            };
            (s.entity_id(), (s.content_hash().text(), v))
        })
        .collect();
    for d in decisions {
        match (&d.action, &d.after) {
            (Action::Prune, _) => {
                state.remove(&*d.entity_id);
            }
            (_, Some(After::Written(content))) => {
                state.insert(&d.entity_id, (HashText::Hex(content.hex()), version));
            }
            (_, Some(After::AsBefore)) => {
                if let Some(s) = d.before.map(|at| stored.get(at as usize)) {
                    state.insert(&d.entity_id, (s.content_hash().text(), s.version()));
                }
            }
            _ => {}
        }
    }
    for (id, content) in made.created.ids_and_contents() {
        state.insert(id, (HashText::Hex(content.hex()), version));
    }
    graph_signature(state.into_iter().map(|(e, (c, v))| (e, c, v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A produced id is found through its entry (with its line, when it
    /// has one) or, refused, through its own copy; nothing else is found.
    #[test]
    fn origins_find_what_was_produced_and_nothing_else() {
        let entry = |id: &str, origin: Origin| PlanEntry {
            action: Action::Create,
            keeps_updated_at: false,
            entity_id: id.into(),
            reason: super::super::Reasons::UNCHANGED,
            before: None,
            after: None,
            origin,
            links: None,
        };
        let (mut entries, mut created) = (Vec::new(), Created::default());
        let mut o = Origins::with_capacity(4);
        // Past the capacity given: the table grows. Every third item makes
        // no decision (refused), every other one has a line, a few are
        // stdin's, and some of whole files are created rows.
        for i in 0..1000u32 {
            let line = (i % 2 == 0).then_some(i + 1);
            let id = format!("id-{i}");
            let (here, origin) = if i % 7 == 0 {
                (Produced::Stdin { line }, Origin::Generated(i))
            } else {
                (Produced::Parsed { file: i, line }, Origin::File(i))
            };
            let at = match (i % 3, line, origin) {
                (0, _, _) => None,
                (_, None, Origin::File(file)) if i % 5 == 0 => {
                    let reason = super::super::Reasons::UNCHANGED;
                    Some(created.push(&id, (file, None), Sha256Hash([0; 32]), reason) | CREATED)
                }
                _ => {
                    entries.push(entry(&id, origin));
                    Some(entries.len() as u32 - 1)
                }
            };
            let made = Made {
                entries: &entries,
                created: &created,
            };
            o.insert_new(made, &id, here, at);
        }
        assert!(created.len() > 10);
        let made = Made {
            entries: &entries,
            created: &created,
        };
        for i in 0..1000u32 {
            let line = (i % 2 == 0).then_some(i + 1);
            let got = o.get(made, &format!("id-{i}"));
            let want = if i % 7 == 0 {
                matches!(got, Some(Produced::Stdin { line: l }) if l == line)
            } else {
                matches!(got, Some(Produced::Parsed { file, line: l }) if file == i && l == line)
            };
            assert!(want, "{i}: {got:?}");
        }
        assert!(o.get(made, "id-1000").is_none());
        assert!(o.get(made, "").is_none());
        assert!(o.get(made, "id-1").is_some());
    }

    #[test]
    fn a_claim_round_trips_through_its_code() {
        // (claim, whether it fits in a slot)
        let cases = [
            (Claim::Unchanged { root: 0 }, true),
            (Claim::Unchanged { root: 7 }, true),
            (Claim::File { file: 0 }, true),
            (Claim::File { file: 123_456 }, true),
            (
                Claim::File {
                    file: (1 << 31) - 1,
                },
                true,
            ),
            (Claim::File { file: 1 << 31 }, false),
            (
                Claim::Unchanged {
                    root: (1 << 31) - 1,
                },
                false,
            ),
        ];
        for (claim, fits) in cases {
            let code = claim.encode();
            assert_eq!(code.is_some(), fits, "{claim:?}");
            if let Some(code) = code {
                assert_ne!(code, 0, "{claim:?}: 0 is nobody");
                assert_eq!(Claim::decode(code), Some(claim));
            }
        }
        assert_eq!(Claim::decode(0), None);
    }

    /// Stored episodes `(id, content hash, path)` of source `s`.
    fn stored(episodes: &[(&str, &str, &str)]) -> StoredEpisodes {
        let t = chrono::DateTime::from_timestamp(0, 0).unwrap();
        episodes
            .iter()
            .map(|&(id, content, path)| crate::metadata::StoredFields {
                entity_id: id,
                source: "s",
                version: "1.0.0",
                created_at: t,
                updated_at: t,
                source_hash: Some("f"),
                content_hash: content,
                source_path: Some(path),
            })
            .collect()
    }

    /// An entry about `id`, decided against the stored episode `before`
    /// (its position), written with `content` at version 1.1.0.
    fn entry(action: Action, id: &str, before: Option<u32>, content: &str) -> PlanEntry {
        let after = match action {
            Action::Prune | Action::Orphan => None,
            Action::Skip => Some(After::AsBefore),
            // Written hashes are digests: the digest of the name given.
            _ => Some(After::Written(Sha256Hash(crate::hashing::sha256(
                content.as_bytes(),
            )))),
        };
        PlanEntry {
            action,
            entity_id: id.into(),
            keeps_updated_at: false,
            reason: super::super::Reasons::UNCHANGED,
            before,
            after,
            origin: Origin::Stored,
            links: None,
        }
    }

    /// A path's stored episodes are found whatever order paths are asked
    /// in: in sorted order (from where the last run ended), out of it, or
    /// never stored; the ones at no walked path are the rest.
    #[test]
    fn stored_paths_are_found_in_any_order() {
        // (entity_id, content, path): "a.json" holds two episodes; "a-b/x" sorts
        // before "a/y" by byte, after it in a walk by directory.
        let rows = [
            ("1", "c", "a-b/x.json"),
            ("2", "c", "a.json"),
            ("3", "c", "a.json"),
            ("4", "c", "a/y.json"),
            ("5", "c", "b.json"),
        ];
        let all = stored(&rows);
        let index = StoredIndex::new(&all);
        let paths = index.of_source("s").unwrap();
        assert_eq!(paths.len(), 4);
        fn ids(p: Option<AtPath<'_, '_>>) -> Vec<String> {
            p.map_or(vec![], |p| p.iter().map(|s| s.entity_id().into()).collect())
        }
        let mut next = 0;
        for (path, want) in [
            ("a.json", vec!["2", "3"]),
            ("a/y.json", vec!["4"]),
            ("a-b/x.json", vec!["1"]),
            ("gone.json", vec![]),
            ("b.json", vec!["5"]),
            ("a.json", vec!["2", "3"]),
            ("a.json", vec!["2", "3"]),
        ] {
            assert_eq!(ids(paths.get_near(path, &mut next)), want, "{path}");
        }
        let rest: Vec<&str> = paths
            .not_at(["a.json", "b.json"])
            .map(|s| s.entity_id())
            .collect();
        assert_eq!(rest, ["1", "4"]);
    }

    /// Entries made, and no created row.
    fn made(entries: &[PlanEntry]) -> Made<'_> {
        static NONE: std::sync::LazyLock<Created> = std::sync::LazyLock::new(Created::default);
        Made {
            entries,
            created: &NONE,
        }
    }

    #[test]
    fn the_signature_after_merged_in_order_is_the_one_of_the_whole_state() {
        let all = stored(&[
            ("a", "ca", "a.json"),
            ("c", "cc", "c.json"),
            ("e", "ce", "e.json"),
            ("g", "cg", "g.json"),
        ]);
        // (what the plan does) per row; each is compared with the sorted
        // map of the whole state that the merge replaces.
        let cases: Vec<(&str, Vec<PlanEntry>)> = vec![
            ("nothing planned", vec![]),
            (
                "every episode skipped",
                all.iter()
                    .zip(0..)
                    .map(|(s, at)| entry(Action::Skip, s.entity_id(), Some(at), ""))
                    .collect(),
            ),
            (
                "creates before, between and after the stored ids",
                vec![
                    entry(Action::Create, "0", None, "n0"),
                    entry(Action::Create, "d", None, "nd"),
                    entry(Action::Create, "z", None, "nz"),
                ],
            ),
            (
                "updates, a prune and an orphan",
                vec![
                    entry(Action::Update, "c", Some(1), "new-c"),
                    entry(Action::Prune, "e", Some(2), ""),
                    entry(Action::Orphan, "g", Some(3), ""),
                    entry(Action::Replace, "a", Some(0), "new-a"),
                ],
            ),
            (
                "a prune of an id not stored",
                vec![entry(Action::Prune, "q", None, "")],
            ),
            // An id with several entries: the last in plan order wins,
            // wherever the others are.
            (
                "an id written twice",
                vec![
                    entry(Action::Update, "c", Some(1), "c-first"),
                    entry(Action::Create, "d", None, "nd"),
                    entry(Action::Update, "c", Some(1), "c-last"),
                ],
            ),
            (
                "an id pruned, then written",
                vec![
                    entry(Action::Prune, "c", Some(1), ""),
                    entry(Action::Update, "c", Some(1), "c-back"),
                ],
            ),
            (
                "an id written, then pruned",
                vec![
                    entry(Action::Update, "c", Some(1), "c-gone"),
                    entry(Action::Prune, "c", Some(1), ""),
                ],
            ),
        ];
        let mut seen = std::collections::HashSet::new();
        for (what, decisions) in cases {
            let merged = signature_after(&all, made(&decisions), &[], "1.1.0");
            assert_eq!(
                merged,
                signature_after_unsorted(&all, made(&decisions), &[], "1.1.0"),
                "{what}"
            );
            seen.insert(merged);
        }
        // Nothing planned, all skipped and pruning what is not stored leave
        // the state as it is; the other five rows change it, each its way.
        assert_eq!(seen.len(), 6);
        assert_eq!(
            signature_after(&all, made(&[]), &[], "1.1.0"),
            super::super::stored_signature(&all)
        );
        // A bump slot puts its episode at the plan's version, content kept,
        // beside entries, both ways; it is what a replace of the same
        // content at that version would give.
        let bumped = [false, true, false, true];
        let with_bumps = signature_after(&all, made(&[]), &bumped, "1.1.0");
        assert!(seen.insert(with_bumps.clone()), "a bump changes the state");
        let as_state = super::super::graph_signature([
            ("a", "ca", "1.0.0"),
            ("c", "cc", "1.1.0"),
            ("e", "ce", "1.0.0"),
            ("g", "cg", "1.1.0"),
        ]);
        assert_eq!(with_bumps, as_state);
        let creates = [entry(Action::Create, "d", None, "nd")];
        assert_eq!(
            signature_after(&all, made(&creates), &bumped, "1.1.0"),
            signature_after_unsorted(&all, made(&creates), &bumped, "1.1.0"),
        );
        // Stored episodes out of order still get the signature of the state.
        let shuffled = stored(&[
            ("g", "cg", "g.json"),
            ("e", "ce", "e.json"),
            ("c", "cc", "c.json"),
            ("a", "ca", "a.json"),
        ]);
        assert_eq!(
            signature_after(&shuffled, made(&[]), &[], "1.1.0"),
            signature_after(&all, made(&[]), &[], "1.1.0")
        );
    }
}
