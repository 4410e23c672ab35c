//! The planner: one decision per episode, made from the sources and the
//! stored state alone. It never writes, never sees Bolt or SQL, and its
//! output is deterministic: same inputs, same graph, byte-identical plan.
//!
//! The decision itself is [`decide::decide`], a pure function with a test per
//! row of the dedupe table. Producers gather its inputs: `files` (the
//! source roots, hash first: a file whose bytes hash to the stored
//! `source_hash` at the same version is not parsed at all), `stdin`
//! (generated episodes) and `orphans` (the stored state nothing produces
//! any more). `draft` holds the plan while they fill it; [`render`] prints
//! it.

mod created;
pub mod decide;
mod decisions;
mod draft;
pub mod edits;
mod files;
pub mod links;
mod links_after;
mod orphans;
mod planned;
mod read;
mod relink;
pub mod render;
mod stdin;
pub mod unchanged;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::hashing::{self, Sha256Hash, StoredHash};
pub use crate::links::StateWanted;
use crate::links::StoredLinkState;
use crate::metadata::{StoredEpisode, StoredEpisodes};
use crate::sources::{Candidate, ParseError, RootSpec};
use crate::stores::StoredLink;
use crate::version::SeedVersion;

pub use self::decide::{Decision, decide};
pub use self::decisions::Decisions;
pub(crate) use self::decisions::{Slot, unchanged_skip};
pub use self::files::{Scan, scan};
pub use self::links::{EntryLinks, LinkOptions, LinkSummary, LinkWarning};
pub use self::planned::{PlannedFile, PlannedFiles, PlannedRoot};
pub use self::read::{Kept, ReadError, RereadError, parse_planned, parse_source};
/// One vocabulary for what happens to an episode: planned, printed, and
/// recorded on its provenance links.
pub use crate::stores::Action;

/// The facts that identify an episode's state, before or after, borrowed
/// from the stored state or the plan ([`Plan::before`], [`Plan::after`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot<'a> {
    pub version: &'a str,
    pub content_hash: Cow<'a, StoredHash>,
    /// A parsed file's hash is binary in the plan; a stored one may be any
    /// text (a hand-edited graph), kept as stored.
    pub source_hash: Option<Cow<'a, StoredHash>>,
}

impl<'a> Snapshot<'a> {
    fn of(s: StoredEpisode<'a>) -> Self {
        Snapshot {
            version: s.version(),
            content_hash: Cow::Owned(s.content_hash().to_stored()),
            source_hash: s.source_hash().map(|h| Cow::Owned(h.to_stored())),
        }
    }
}

/// An entry's state once applied. Not a copy of the state's facts: an entry
/// per episode (a cold seed, a version bump) made a 112-byte snapshot each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// As before: nothing about the stored episode changes (a skip, the
    /// skip of a file read again for its links).
    AsBefore,
    /// Written at the plan's version with this content_hash and the
    /// source_hash of the entry's file (none for an episode from stdin).
    /// Always a digest: graphseed computes it (a stored hash edited by hand
    /// may be any text, which is why a stored one is a [`StoredHash`]).
    Written(Sha256Hash),
}

/// Where an episode's body comes from at apply time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `Plan::files[i]`: re-read and re-parsed when applied, so the plan
    /// keeps no bodies in memory (100k episodes would not fit the budget).
    File(u32),
    /// `Plan::generated[i]`, read from standard input and kept.
    Generated(u32),
    /// Only the stored episode is involved (skips of unchanged files,
    /// orphans, prunes): nothing is read when applied.
    Stored,
    /// The stored episode's own file under `input.roots[i]`, whose bytes
    /// are the stored ones (a version bump, see `Slot::Bumped`): read
    /// again from its stored source_path when applied.
    SameBytes(u16),
}

/// One decision made as an entry. What the plan keeps elsewhere is not
/// copied here (one of these per episode of a cold seed or a version bump):
/// the source and source_path are its file's or its stored episode's, the
/// kept timestamps its stored episode's ([`Plan::source`],
/// [`Plan::source_path`], [`Plan::created_at`], [`Plan::keep_updated_at`]).
#[derive(Debug, Clone)]
pub struct PlanEntry {
    pub action: Action,
    /// Whether the stored episode's `updated_at` stands: its content did not
    /// change (see [`Plan::keep_updated_at`]).
    pub keeps_updated_at: bool,
    pub entity_id: Box<str>,
    /// Why, as printed: the plan's reasons table holds each text once (a cold
    /// seed is a million "new episode", a version bump a million of one
    /// "version a -> b"); see [`Plan::reason`].
    pub reason: ReasonId,
    /// The stored episode the entry was decided against, as its position in
    /// the plan's stored state (see [`Plan::before`]).
    pub before: Option<u32>,
    /// See [`Plan::after`].
    pub after: Option<After>,
    pub origin: Origin,
    /// The episode's complete outgoing links, for entries that write an
    /// episode of a parsed file: written (and replaced) with it.
    pub links: Option<Arc<links::EntryLinks>>,
}

/// Timestamps a hand edit changed, given back from what `_metadata`
/// recorded (see [`edits::HandEdit`]): kept per entity_id, for the few
/// episodes a reconcile found edited, instead of two timestamps an entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RecordedTimes {
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Where an entry's source, source_path and kept timestamps are: its file,
/// the standard input's source, or its stored episode. Shared by the draft
/// and the finished plan.
#[derive(Clone, Copy)]
pub(crate) struct EntryFacts<'a> {
    pub files: &'a PlannedFiles,
    pub stored: &'a StoredEpisodes,
    pub stdin_source: Option<&'a Arc<str>>,
    pub recorded: &'a std::collections::HashMap<String, RecordedTimes>,
}

impl<'a> EntryFacts<'a> {
    pub fn source(&self, d: &PlanEntry) -> &'a Arc<str> {
        match d.origin {
            Origin::File(i) => &self.files.get(i as usize).at.source,
            Origin::Generated(_) => self
                .stdin_source
                .expect("a plan with generated episodes knows their source"),
            Origin::Stored | Origin::SameBytes(_) => self.stored_of(d).source(),
        }
    }

    pub fn source_path(&self, d: &PlanEntry) -> Option<&'a str> {
        match d.origin {
            Origin::File(i) => Some(self.files.get(i as usize).rel),
            Origin::Generated(_) => None,
            Origin::Stored | Origin::SameBytes(_) => self.stored_of(d).source_path(),
        }
    }

    /// Kept from the stored episode; `None` means "now" (a create).
    pub fn created_at(&self, d: &PlanEntry) -> Option<DateTime<Utc>> {
        let s = self.stored.get(d.before? as usize);
        Some(self.recorded(d).created_at.unwrap_or(s.created_at()))
    }

    /// Kept from the stored episode where the content did not change.
    pub fn keep_updated_at(&self, d: &PlanEntry) -> Option<DateTime<Utc>> {
        if !d.keeps_updated_at {
            return None;
        }
        let s = self.stored.get(d.before? as usize);
        Some(self.recorded(d).updated_at.unwrap_or(s.updated_at()))
    }

    fn recorded(&self, d: &PlanEntry) -> RecordedTimes {
        if self.recorded.is_empty() {
            return RecordedTimes::default();
        }
        self.recorded
            .get(&*d.entity_id)
            .copied()
            .unwrap_or_default()
    }

    fn stored_of(&self, d: &PlanEntry) -> StoredEpisode<'a> {
        self.stored
            .get(d.before.expect("an entry of the stored state names it") as usize)
    }
}

/// Why an entry does what it does, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Static(&'static str),
    Shared(Arc<str>),
}

impl std::ops::Deref for Reason {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Reason::Static(s) => s,
            Reason::Shared(s) => s,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl From<&'static str> for Reason {
    fn from(s: &'static str) -> Self {
        Reason::Static(s)
    }
}

impl From<String> for Reason {
    fn from(s: String) -> Self {
        Reason::Shared(s.into())
    }
}

/// An entry's reason in its plan's reasons table (see [`Plan::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonId(u32);

/// Every reason of a plan, each text once where entries repeat it.
#[derive(Debug, Clone)]
pub(crate) struct Reasons {
    texts: Vec<Reason>,
    statics: std::collections::HashMap<&'static str, ReasonId>,
    /// The reason of a [`Slot::Bumped`] by its stored version: a bump's
    /// entry is made when it is listed or applied, from the stored episode.
    bumps: std::collections::HashMap<Arc<str>, ReasonId>,
}

impl Default for Reasons {
    fn default() -> Self {
        Reasons {
            texts: vec![Reason::Static(UNCHANGED)],
            statics: [(UNCHANGED, Reasons::UNCHANGED)].into_iter().collect(),
            bumps: Default::default(),
        }
    }
}

/// Why an unchanged file's episodes are skipped.
const UNCHANGED: &str = "file unchanged (source_hash matches); not parsed";

impl Reasons {
    /// [`UNCHANGED`], which every plan has: the skips of unchanged files
    /// are spelled out from the stored state alone.
    pub(crate) const UNCHANGED: ReasonId = ReasonId(0);

    /// `reason`'s id: a static text's own, a shared text the same as the
    /// last one added when it is the same text (the entries of one run of
    /// a version bump), a new one otherwise.
    pub(crate) fn add(&mut self, reason: Reason) -> ReasonId {
        match reason {
            Reason::Static(text) => *self.statics.entry(text).or_insert_with(|| {
                self.texts.push(reason);
                ReasonId(Self::small(self.texts.len() - 1))
            }),
            Reason::Shared(ref text) => {
                let last = self.texts.len() - 1;
                if matches!(&self.texts[last], Reason::Shared(t) if t == text) {
                    return ReasonId(Self::small(last));
                }
                self.texts.push(reason);
                ReasonId(Self::small(self.texts.len() - 1))
            }
        }
    }

    pub(crate) fn get(&self, id: ReasonId) -> &str {
        &self.texts[id.0 as usize]
    }

    /// Whether the bumps from the stored version `from` have a reason yet.
    pub(crate) fn has_bump(&self, from: &str) -> bool {
        self.bumps.contains_key(from)
    }

    /// Record `id` as the reason of the bumps from the stored version
    /// `from` (see [`Reasons::bumped`]).
    pub(crate) fn add_bump(&mut self, from: &Arc<str>, id: ReasonId) {
        self.bumps.entry(from.clone()).or_insert(id);
    }

    /// The reason of a bump from the stored version `from`, recorded when
    /// the bump was planned.
    pub(crate) fn bumped(&self, from: &str) -> ReasonId {
        *self
            .bumps
            .get(from)
            .expect("a bump's reason is recorded when it is planned")
    }

    fn small(n: usize) -> u32 {
        u32::try_from(n).expect("fewer than 2^32 reasons in a plan")
    }
}

impl PlanEntry {
    /// An unchanged episode whose links resolve differently now (a target
    /// appeared, moved or went): only its links are written.
    pub fn relinks(&self) -> bool {
        self.links.is_some() && !self.action.writes()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Parse errors, duplicate ids, unreadable files, invalid stored values.
    Input,
    /// A stored episode is newer than the sources.
    Downgrade,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub kind: ErrorKind,
    /// `source_root/relative/path` where a file is involved.
    pub path: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl PlanError {
    fn input(path: Option<String>, message: impl Into<String>, hint: Option<&str>) -> Self {
        Self {
            kind: ErrorKind::Input,
            path,
            line: None,
            column: None,
            message: message.into(),
            hint: hint.map(str::to_string),
        }
    }

    fn from_parse(path: &str, e: ParseError) -> Self {
        Self {
            kind: ErrorKind::Input,
            path: Some(path.to_string()),
            line: e.line,
            column: e.column,
            message: e.message,
            hint: e.hint,
        }
    }

    /// `path:line:column: message`, the shape editors and CI annotate.
    pub fn location(&self) -> String {
        let mut s = self.path.clone().unwrap_or_else(|| "<input>".to_string());
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
            if let Some(c) = self.column {
                s.push_str(&format!(":{c}"));
            }
        }
        s
    }
}

/// What the walk saw, for summaries and the tests' "parses no file" checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkStats {
    pub files_seen: u64,
    pub files_parsed: u64,
    /// Files not parsed because their bytes match what is stored
    /// (source_hash): counted so seen = unchanged + parsed + unreadable.
    pub files_unchanged: u64,
    pub bytes_hashed: u64,
    pub skipped: Vec<(String, String)>,
}

/// Episodes read from standard input.
#[derive(Debug, Clone)]
pub struct Generated {
    pub source: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct PlanInput {
    pub group_id: String,
    pub version: SeedVersion,
    pub roots: Vec<RootSpec>,
    pub generated: Option<Generated>,
    pub force: bool,
    pub allow_downgrade: bool,
    pub prune: bool,
    pub max_file_bytes: u64,
    /// Set when the hash-first skip cannot be trusted: every file in scope
    /// is parsed, missing episodes are restored, edited ones repaired.
    pub reconcile: Option<Reconcile>,
    /// Let a source take over episodes another source wrote (recorded as
    /// `transfer`); without it that is an error naming both.
    pub transfer_ownership: bool,
    pub links: LinkOptions,
}

/// Why the plan reconciles, and what was found edited by hand.
#[derive(Debug, Clone, Default)]
pub struct Reconcile {
    pub why: String,
    pub edited: std::collections::HashMap<String, edits::HandEdit>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub group_id: String,
    pub version: SeedVersion,
    /// The store's group revision the plan was made against.
    pub revision: u64,
    pub decisions: Decisions,
    /// The first [`crate::limits::MAX_LISTED_ERRORS`] errors; the rest are
    /// only counted in `errors_unlisted`.
    pub errors: Vec<PlanError>,
    /// Errors beyond the listed ones: (how many, how many of them are input
    /// errors rather than refused downgrades).
    pub errors_unlisted: (usize, usize),
    pub files: PlannedFiles,
    /// The bytes of some of `files` (by index), as read and hashed by the
    /// scan: applying parses these instead of reading the file again (see
    /// [`crate::limits::KEEP_READ_BYTES`]).
    pub kept: Kept,
    pub generated: Vec<Candidate>,
    pub stats: WalkStats,
    /// The sources (labels) whose orphans this plan considered.
    pub scope_sources: BTreeSet<String>,
    /// `graph_signature` of the group once this plan is fully applied.
    pub signature_after: String,
    /// Why this plan reconciles instead of trusting unchanged files.
    pub reconciling: Option<String>,
    /// The links of the episodes parsed for this plan.
    pub links: LinkSummary,
    /// [`unchanged::sources_signature`] of this plan's sources, when a
    /// reseed of the same bytes after it is applied would change nothing
    /// (the plan is closed, see [`unchanged`]); recorded with the run.
    pub sources_signature: Option<String>,
}

impl Plan {
    fn facts(&self) -> EntryFacts<'_> {
        EntryFacts {
            files: &self.files,
            stored: &self.decisions.stored,
            stdin_source: self.decisions.stdin_source.as_ref(),
            recorded: &self.decisions.recorded,
        }
    }

    /// Why an entry does what it does, as printed.
    pub fn reason(&self, d: &PlanEntry) -> &str {
        self.decisions.reasons.get(d.reason)
    }

    /// An entry's source label: its root's, stdin's or its stored episode's.
    pub fn source<'a>(&'a self, d: &PlanEntry) -> &'a Arc<str> {
        self.facts().source(d)
    }

    /// An entry's path relative to its root; `None` for an episode from
    /// standard input.
    pub fn source_path<'a>(&'a self, d: &PlanEntry) -> Option<&'a str> {
        self.facts().source_path(d)
    }

    /// The `created_at` a write keeps (its stored episode's); `None` means
    /// "now" (a create).
    pub fn created_at(&self, d: &PlanEntry) -> Option<DateTime<Utc>> {
        self.facts().created_at(d)
    }

    /// The `updated_at` a write keeps, where the content did not change;
    /// `None` means "now".
    pub fn keep_updated_at(&self, d: &PlanEntry) -> Option<DateTime<Utc>> {
        self.facts().keep_updated_at(d)
    }

    /// An entry's state before the plan: its stored episode's.
    pub fn before<'a>(&'a self, d: &PlanEntry) -> Option<Snapshot<'a>> {
        d.before.map(|at| Snapshot::of(self.decisions.stored(at)))
    }

    /// An entry's state once the plan is applied; `None` for an episode the
    /// plan leaves without one (an orphan, a prune).
    pub fn after<'a>(&'a self, d: &'a PlanEntry) -> Option<Snapshot<'a>> {
        match d.after.as_ref()? {
            After::AsBefore => self.before(d),
            After::Written(content_hash) => Some(Snapshot {
                version: &self.decisions.version,
                content_hash: Cow::Owned(StoredHash::Digest(*content_hash)),
                source_hash: match d.origin {
                    Origin::File(i) => Some(Cow::Owned(StoredHash::Digest(
                        self.files.get(i as usize).source_hash(),
                    ))),
                    // Its file's bytes are the stored ones.
                    Origin::SameBytes(_) => self.before(d).and_then(|b| b.source_hash),
                    Origin::Generated(_) | Origin::Stored => None,
                },
            }),
        }
    }

    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        let mut m: BTreeMap<&'static str, u64> =
            Action::ALL.iter().map(|a| (a.as_str(), 0)).collect();
        self.decisions.count_into(&mut m);
        m
    }

    pub fn has_changes(&self) -> bool {
        self.decisions.any_slot_writes()
            || self
                .decisions
                .entries()
                .iter()
                .any(|d| d.action.writes() || d.relinks())
    }

    pub fn has_input_errors(&self) -> bool {
        self.errors_unlisted.1 > 0 || self.errors.iter().any(|e| e.kind == ErrorKind::Input)
    }

    /// Every error, listed or not.
    pub fn error_count(&self) -> usize {
        self.errors.len() + self.errors_unlisted.0
    }

    /// Whether every error is a refused downgrade (exit 5 rather than 4).
    pub fn downgrade_only(&self) -> bool {
        !self.has_input_errors()
    }
}

/// `graph_signature`: SHA-256 over the canonical JSON of the sorted
/// `[entity_id, content_hash, version]` tuples of a scope.
pub fn graph_signature<'a, H: AsRef<str> + Ord>(
    tuples: impl IntoIterator<Item = (&'a str, H, &'a str)>,
) -> String {
    let mut v: Vec<_> = tuples.into_iter().collect();
    v.sort_unstable();
    hashing::canonical_hash_of_triples(v)
}

/// [`graph_signature`] of tuples already in its order: hashed as they
/// come, never collected. With distinct entity_ids (one episode per id in a
/// group), entity_id order is the order of the whole tuples.
fn graph_signature_sorted<'a, H: AsRef<str>>(
    tuples: impl IntoIterator<Item = (&'a str, H, &'a str)>,
) -> String {
    hashing::canonical_hash_of_triples(tuples)
}

/// Whether episodes are in strictly increasing entity_id order, as both
/// stores load them.
fn by_distinct_id(stored: &StoredEpisodes) -> bool {
    stored.is_sorted_by_id(true)
}

/// The `graph_signature` of stored episodes as they are now.
pub fn stored_signature(stored: &StoredEpisodes) -> String {
    let tuples = stored
        .iter()
        .map(|e| (e.entity_id(), e.content_hash().text(), &**e.version()));
    // Loaded in entity_id order: streamed, rather than a sorted copy of a
    // million tuples beside the stored state.
    if by_distinct_id(stored) {
        graph_signature_sorted(tuples)
    } else {
        graph_signature(tuples)
    }
}

/// `graph_signature` covering links: the episodes' signature alone when the
/// group has no links (so a signature recorded before links existed still
/// matches), else SHA-256 over the canonical JSON of that signature and the
/// sorted `[source, target, kind, count]` tuples, so a change of links
/// changes the signature.
pub fn graph_signature_with_links(episodes: String, links: &[StoredLink]) -> String {
    graph_signature_with_link_tuples(episodes, links.iter().map(StoredLink::tuple).collect())
}

/// [`graph_signature_with_links`] of borrowed links in any order: sorted
/// here (56 bytes a link).
fn graph_signature_with_link_tuples(
    episodes: String,
    mut links: Vec<hashing::LinkTuple<'_>>,
) -> String {
    links.sort_unstable();
    graph_signature_with_sorted_links(episodes, links)
}

/// [`graph_signature_with_links`] of borrowed links already in tuple order,
/// hashed as they come, never built as a list or a JSON value.
fn graph_signature_with_sorted_links<'a>(
    episodes: String,
    links: impl IntoIterator<Item = hashing::LinkTuple<'a>>,
) -> String {
    let mut links = links.into_iter().peekable();
    if links.peek().is_none() {
        return episodes;
    }
    hashing::canonical_hash_of_episodes_and_links(&episodes, links)
}

/// Make the plan from scratch (walk, hash, decide). `stored` is the group's
/// current state, `revision` the group revision read before it;
/// `link_state` the stored link facts (see [`Planner::needs_link_state`]).
pub fn plan(
    input: &PlanInput,
    stored: &Arc<StoredEpisodes>,
    stored_links: &[StoredLink],
    link_state: &[StoredLinkState],
    revision: u64,
) -> Plan {
    let scan = scan(
        &input.roots,
        input.max_file_bytes,
        crate::limits::KEEP_READ_BYTES,
    );
    let planner = Planner::new(input, scan, stored);
    planner.plan(stored_links, Some(link_state), revision)
}

/// A plan about to be made from a [`scan`] of `input.roots`: first asked
/// whether it needs the stored link state (loading it costs a read of the
/// whole group, which an unchanged reseed does without), then made.
pub struct Planner<'s> {
    input: &'s PlanInput,
    scan: Scan,
    /// Shared with the plan, whose skips of unchanged files point into it.
    stored: &'s Arc<StoredEpisodes>,
    index: draft::StoredIndex<'s>,
}

impl<'s> Planner<'s> {
    pub fn new(input: &'s PlanInput, scan: Scan, stored: &'s Arc<StoredEpisodes>) -> Self {
        Planner {
            input,
            scan,
            stored,
            index: draft::StoredIndex::new(stored),
        }
    }

    /// Whether anything may resolve links differently: a file would be
    /// parsed (added, edited, moved, removed, forced, reconciled, read from
    /// stdin). Otherwise the plan parses nothing and resolves nothing.
    pub fn needs_link_state(&self) -> bool {
        let i = self.input;
        i.force
            || i.reconcile.is_some()
            || i.generated.is_some()
            || i.links.reread
            || files::sources_changed(i, &self.scan, &self.index)
    }

    /// The whole plan at once: [`Self::draft`], then [`Drafted::finish`]
    /// with the complete `link_state` (`None` when it was not loaded:
    /// nothing is then read again for its links).
    pub fn plan(
        self,
        stored_links: &'s [StoredLink],
        link_state: Option<&[StoredLinkState]>,
        revision: u64,
    ) -> Plan {
        let mut drafted = self.draft(stored_links);
        if let Some(states) = link_state {
            drafted.relink(LinkState {
                states,
                complete: true,
            });
        }
        drafted.finish(
            LinkState {
                states: link_state.unwrap_or_default(),
                complete: true,
            },
            revision,
        )
    }

    /// Each producer in turn, orphans last (they are what no other producer
    /// claimed): every decision the sources and the stored state make.
    /// What links change comes after, once the stored link state
    /// [`Drafted::link_state_wanted`] names is read: [`Drafted::relink`],
    /// then [`Drafted::finish`].
    pub fn draft(self, stored_links: &'s [StoredLink]) -> Drafted<'s> {
        let needs_link_state = self.needs_link_state();
        let input = self.input;
        let walk = self.scan.digest;
        let mut draft = draft::Draft::new(input, self.index.all.len(), self.scan.files());
        draft.stored_links = stored_links;
        for ((ri, root), rs) in input.roots.iter().enumerate().zip(self.scan.roots) {
            files::add_root(&mut draft, &self.index, ri, root, rs);
        }
        if let Some(g) = &input.generated {
            stdin::add_generated(&mut draft, &self.index, g);
        }
        orphans::add_orphans(&mut draft, &self.index);
        Drafted {
            stored: self.stored,
            index: self.index,
            draft,
            walk,
            needs_link_state,
            partial_state: false,
        }
    }
}

/// The stored link state a plan is finished with. `complete` unless it was
/// read for [`StateWanted::Some`]: then an episode left out of `states` has
/// known link facts and no unresolved link.
#[derive(Debug, Clone, Copy)]
pub struct LinkState<'a> {
    pub states: &'a [StoredLinkState],
    pub complete: bool,
}

/// A plan with every decision the sources make, waiting for what links
/// change (see [`Planner::draft`]).
pub struct Drafted<'s> {
    stored: &'s Arc<StoredEpisodes>,
    index: draft::StoredIndex<'s>,
    draft: draft::Draft<'s>,
    walk: Option<Sha256Hash>,
    needs_link_state: bool,
    /// [`Self::relink`] was given a partial state.
    partial_state: bool,
}

impl Drafted<'_> {
    /// Which episodes' stored link state the rest of the plan reads; `None`
    /// when nothing may resolve differently (see
    /// [`Planner::needs_link_state`]). Every episode's when links are
    /// resolved against the group (something parsed names something) or
    /// stored edges may point at any episode; otherwise only the parsed and
    /// departing episodes' (and those [`StateWanted::keeps`] whoever they
    /// are), so a reseed of a group that links nowhere holds a few
    /// thousand states, not a million.
    pub fn link_state_wanted(&self) -> Option<StateWanted> {
        // Nothing stored (a first seed): there is no state to read.
        if !self.needs_link_state || self.index.all.is_empty() {
            return None;
        }
        let d = &self.draft;
        if !d.stored_links.is_empty() || d.input.links.reread || links::any_links(&d.pending_links)
        {
            return Some(StateWanted::All);
        }
        // Only stored episodes have a state: a copy of every parsed id
        // would cost more than the state it saves (a cold seed's million).
        let mut ids: Vec<String> = d
            .pending_links
            .iter()
            .map(|p| p.entity_id(d.made()))
            .filter(|id| self.index.by_id(id).is_some())
            .chain(
                d.decisions
                    .iter()
                    .filter(|e| matches!(e.action, Action::Prune | Action::Orphan))
                    .map(|e| &*e.entity_id),
            )
            .map(str::to_string)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        // A list of a good part of the group costs about what it saves (an
        // id copied here against a state of 80 bytes or so read there).
        if ids.len() > self.index.all.len() / 4 {
            return Some(StateWanted::All);
        }
        Some(StateWanted::Some(ids))
    }

    /// Read again the unchanged files whose links may resolve differently
    /// now, given the stored link state of [`Self::link_state_wanted`]:
    /// what it leaves out cannot change which files those are.
    pub fn relink(&mut self, state: LinkState<'_>) {
        self.partial_state |= !state.complete;
        // `verify` read them all already.
        if !self.draft.input.links.reread {
            let stored_links = self.draft.stored_links;
            relink::add_relinks(&mut self.draft, &self.index, state, stored_links);
        }
    }

    /// Whether a partial state was given to [`Self::relink`] and the links
    /// now to resolve need every episode's: a file read again links
    /// somewhere, and a link may now name any episode by its name.
    pub fn needs_every_state(&self) -> bool {
        self.partial_state && links::any_links(&self.draft.pending_links)
    }

    /// Every parsed episode's links resolved, against `link_state` (empty
    /// when it was not loaded: nothing changed); the plan.
    pub fn finish(self, link_state: LinkState<'_>, revision: u64) -> Plan {
        debug_assert!(
            link_state.complete || !self.needs_every_state(),
            "links resolved against a partial state"
        );
        let Drafted {
            stored,
            index,
            draft,
            walk,
            ..
        } = self;
        draft.finish(&index, stored, link_state.states, revision, walk)
    }
}
/// Plans for unit tests.
#[cfg(test)]
pub(crate) mod for_tests {
    use super::{Plan, PlanInput};
    use crate::metadata::{StoredEpisodes, StoredFields};
    use crate::sources::RootSpec;
    use crate::version::SeedVersion;

    /// The plan at version 1.0.0 of `files` (name, content) under a fresh
    /// root, against an empty group (errors included).
    pub(crate) fn plan_of(files: &[(&str, &str)]) -> (tempfile::TempDir, PlanInput, Plan) {
        let d = tempfile::tempdir().unwrap();
        for (name, body) in files {
            std::fs::write(d.path().join(name), body).unwrap();
        }
        let input = PlanInput {
            group_id: "g".into(),
            version: SeedVersion::parse("1.0.0").unwrap(),
            roots: vec![RootSpec::for_tests(d.path())],
            generated: None,
            force: false,
            allow_downgrade: false,
            prune: false,
            max_file_bytes: 1 << 20,
            reconcile: None,
            transfer_ownership: false,
            links: Default::default(),
        };
        let plan = super::plan(&input, &Default::default(), &[], &[], 0);
        (d, input, plan)
    }

    /// The group's stored state once `plan` is applied, in entity_id order
    /// as the stores load it (timestamps at the epoch).
    pub(crate) fn stored_after(plan: &Plan) -> StoredEpisodes {
        let t = chrono::DateTime::from_timestamp(0, 0).unwrap();
        let mut out = StoredEpisodes::default();
        for d in plan.decisions.iter() {
            let Some(after) = plan.after(&d) else {
                continue;
            };
            let source_hash = after.source_hash.as_ref().map(|h| h.to_string());
            out.push(StoredFields {
                entity_id: &d.entity_id,
                source: plan.source(&d),
                version: after.version,
                created_at: t,
                updated_at: t,
                source_hash: source_hash.as_deref(),
                content_hash: &after.content_hash.to_string(),
                source_path: plan.source_path(&d),
            });
        }
        out.sort_by_id();
        out
    }

    /// The plan of `input` against `stored`.
    pub(crate) fn plan_against(input: &PlanInput, stored: StoredEpisodes) -> Plan {
        super::plan(input, &std::sync::Arc::new(stored), &[], &[], 1)
    }
}

#[cfg(test)]
mod sizes {
    /// One entry per episode of a cold seed or a version bump, a planned
    /// file per parsed file: a byte here is a megabyte at a million. Grown
    /// by a field, these fail, so the growth is a choice.
    #[test]
    fn an_entry_and_a_planned_file_stay_small() {
        assert!(std::mem::size_of::<super::PlanEntry>() <= 80);
        assert_eq!(std::mem::size_of::<super::Slot>(), 8);
    }
}
