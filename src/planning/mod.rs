//! The planner: one decision per episode, made from the sources and the
//! stored state alone. It never writes, never sees Bolt or SQL, and its
//! output is deterministic: same inputs, same graph, byte-identical plan.
//!
//! | stored | condition | decision |
//! |---|---|---|
//! | none | | create |
//! | same version | same content | skip (update with `--force`) |
//! | same version | same content, file changed or moved | refresh |
//! | same version | content differs | update |
//! | older version | | replace |
//! | newer version | | error: downgrade, unless `--allow-downgrade` (replace) |
//! | not in sources | same group and source | orphan; prune with `--prune` |
//!
//! Hash first: a file whose bytes hash to the stored `source_hash` (at the
//! same version) is not parsed at all; its stored episodes are skipped.

pub mod edits;
pub mod render;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::hashing;
use crate::metadata::StoredEpisode;
use crate::sources::{self, Candidate, Format, ParseError, RootSpec, SourceFile};
use crate::version::SeedVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlanAction {
    Create,
    Update,
    Replace,
    Refresh,
    /// Missing from the graph although its file is unchanged.
    Restore,
    /// Stored body or tool-owned field edited by hand.
    Repair,
    /// `--force` with unchanged content.
    Rewrite,
    /// Taken over from another source (`--transfer-ownership`).
    Transfer,
    Skip,
    /// Stored, gone from the sources; reported, kept (no `--prune`).
    Orphan,
    /// Stored, gone from the sources; deleted (`--prune`).
    Prune,
}

impl PlanAction {
    pub const ALL: [PlanAction; 11] = [
        PlanAction::Create,
        PlanAction::Update,
        PlanAction::Replace,
        PlanAction::Refresh,
        PlanAction::Restore,
        PlanAction::Repair,
        PlanAction::Rewrite,
        PlanAction::Transfer,
        PlanAction::Skip,
        PlanAction::Orphan,
        PlanAction::Prune,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanAction::Create => "create",
            PlanAction::Update => "update",
            PlanAction::Replace => "replace",
            PlanAction::Refresh => "refresh",
            PlanAction::Restore => "restore",
            PlanAction::Repair => "repair",
            PlanAction::Rewrite => "rewrite",
            PlanAction::Transfer => "transfer",
            PlanAction::Skip => "skip",
            PlanAction::Orphan => "orphan",
            PlanAction::Prune => "prune",
        }
    }

    /// Whether applying this decision writes to the store.
    pub fn writes(self) -> bool {
        !matches!(self, PlanAction::Skip | PlanAction::Orphan)
    }

    /// The action recorded on the provenance link.
    pub fn stored_action(self) -> Option<crate::stores::Action> {
        use crate::stores::Action;
        Some(match self {
            PlanAction::Create => Action::Create,
            PlanAction::Update => Action::Update,
            PlanAction::Replace => Action::Replace,
            PlanAction::Refresh => Action::Refresh,
            PlanAction::Restore => Action::Restore,
            PlanAction::Repair => Action::Repair,
            PlanAction::Rewrite => Action::Rewrite,
            PlanAction::Transfer => Action::Transfer,
            PlanAction::Prune => Action::Prune,
            PlanAction::Skip | PlanAction::Orphan => return None,
        })
    }
}

/// The facts that identify an episode's state, before or after. Shared text:
/// a before-snapshot points at the stored episode's strings, and every
/// after-snapshot at the one version of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub version: Arc<str>,
    pub content_hash: Arc<str>,
    pub source_hash: Option<Arc<str>>,
}

/// Where an episode's body comes from at apply time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `Plan::files[i]`: re-read and re-parsed when applied, so the plan
    /// keeps no bodies in memory (100k episodes would not fit the budget).
    File(usize),
    /// `Plan::generated[i]`, read from standard input and kept.
    Generated(usize),
    /// Only the stored episode is involved (skips of unchanged files,
    /// orphans, prunes): nothing is read when applied.
    Stored,
}

#[derive(Debug, Clone)]
pub struct Decision {
    pub action: PlanAction,
    pub entity_id: String,
    pub source: Arc<str>,
    pub source_path: Option<String>,
    /// Static for the common cases: a 100k-file reseed is 100k skips.
    pub reason: Cow<'static, str>,
    /// Shared with `after` where nothing changes (skips).
    pub before: Option<Arc<Snapshot>>,
    pub after: Option<Arc<Snapshot>>,
    pub origin: Origin,
    /// Kept from the stored episode; `None` means "now" (a create).
    pub created_at: Option<DateTime<Utc>>,
    /// Kept from the stored episode for a refresh (content did not change).
    pub keep_updated_at: Option<DateTime<Utc>>,
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

/// A file the plan read, with the hash it had then.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub root: usize,
    /// Relative to the root, `/`-separated.
    pub rel: String,
    pub format: Format,
    /// Shared with the after-snapshots of the file's episodes.
    pub source_hash: Arc<str>,
    /// The root's path and the root as the user wrote it, one copy per root:
    /// a plan keeps every parsed file, so full paths are built only when a
    /// file is read again or named in a message.
    pub root_path: Arc<Path>,
    pub root_display: Arc<str>,
}

impl PlannedFile {
    /// `root display/rel`, for messages.
    pub fn display(&self) -> String {
        format!("{}/{}", self.root_display, self.rel)
    }

    /// The file as walked.
    pub fn source_file(&self) -> SourceFile {
        SourceFile {
            path: self.root_path.join(&self.rel),
            rel: self.rel.clone(),
            format: self.format,
        }
    }
}

/// What the walk saw, for summaries and the tests' "parses no file" checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkStats {
    pub files_seen: u64,
    pub files_parsed: u64,
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
}

/// Why the plan reconciles, and what was found edited by hand.
#[derive(Debug, Clone, Default)]
pub struct Reconcile {
    pub why: String,
    pub edited: HashMap<String, edits::HandEdit>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub group_id: String,
    pub version: SeedVersion,
    /// The store's group revision the plan was made against.
    pub revision: u64,
    pub decisions: Vec<Decision>,
    /// The first [`crate::limits::MAX_LISTED_ERRORS`] errors; the rest are
    /// only counted in `errors_unlisted`.
    pub errors: Vec<PlanError>,
    /// Errors beyond the listed ones: (how many, how many of them are input
    /// errors rather than refused downgrades).
    pub errors_unlisted: (usize, usize),
    pub files: Vec<PlannedFile>,
    pub generated: Vec<Candidate>,
    pub stats: WalkStats,
    /// The sources (labels) whose orphans this plan considered.
    pub scope_sources: BTreeSet<String>,
    /// `graph_signature` of the group once this plan is fully applied.
    pub signature_after: String,
    /// Why this plan reconciles instead of trusting unchanged files.
    pub reconciling: Option<String>,
}

impl Plan {
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        let mut m: BTreeMap<&'static str, u64> =
            PlanAction::ALL.iter().map(|a| (a.as_str(), 0)).collect();
        for d in &self.decisions {
            *m.entry(d.action.as_str()).or_default() += 1;
        }
        m
    }

    pub fn has_changes(&self) -> bool {
        self.decisions.iter().any(|d| d.action.writes())
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
pub fn graph_signature<'a>(
    tuples: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> String {
    let mut v: Vec<_> = tuples.into_iter().collect();
    v.sort_unstable();
    hashing::canonical_hash_of_triples(v)
}

/// The `graph_signature` of stored episodes as they are now.
pub fn stored_signature(stored: &[StoredEpisode]) -> String {
    graph_signature(
        stored
            .iter()
            .map(|e| (e.entity_id.as_str(), &*e.content_hash, &*e.version)),
    )
}

/// `n` bytes as megabytes (or gigabytes) for messages; `max_file_mb` counts
/// MiB.
fn mb(n: u64) -> String {
    let (v, unit) = match n as f64 / (1024.0 * 1024.0) {
        m if m >= 1024.0 => (m / 1024.0, "GB"),
        m => (m, "MB"),
    };
    if v.fract() == 0.0 {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}

fn read_limited(file: &SourceFile, max: u64) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: the walk skips FIFOs, but a file swapped for one after the
    // walk would block a plain open(2) until a writer shows up, i.e. forever.
    // For a regular file the flag changes nothing.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&file.path)
        .map_err(|e| format!("cannot read: {e}"))?;
    let meta = f.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file (it changed after the walk)".to_string());
    }
    let len = meta.len();
    // Checked before reading a byte: a huge file costs neither time nor memory.
    if len > max {
        return Err(format!(
            "file is {len} bytes ({}), over the {} limit ([limits] max_file_mb)",
            mb(len),
            mb(max)
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` guards against a file that grows while we read it.
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "file grew past the {} limit ([limits] max_file_mb) while being read",
            mb(max)
        ));
    }
    Ok(bytes)
}

/// Read a planned file again at apply time. The caller checks that each
/// episode it takes has the `content_hash` that was planned (see
/// `applying`): that is what keeps body and hash in agreement, and it costs
/// no second SHA-256 pass over the file.
pub fn reread(pf: &PlannedFile, max: u64) -> Result<Vec<Candidate>, String> {
    let file = pf.source_file();
    let bytes = read_limited(&file, max)?;
    sources::parse_file(&file, &bytes).map_err(|errs| {
        errs.into_iter()
            .map(|e| e.message)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Where an entity_id was first produced: one per episode, so kept compact
/// (no text) and spelled out only for a duplicate's message.
#[derive(Debug, Clone, Copy)]
enum Here<'s> {
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
    fn describe(self, roots: &[RootSpec], files: &[PlannedFile]) -> String {
        match self {
            Here::Unchanged { root, rel } => format!("{}/{rel}", roots[root].display),
            Here::Parsed { file, line: None } => files[file].display(),
            Here::Parsed {
                file,
                line: Some(l),
            } => format!("{}:{l}", files[file].display()),
            Here::Stdin { line } => format!("<stdin>:{}", line.unwrap_or(0)),
        }
    }
}

struct Seen<'s> {
    /// entity_id → where it came from. Ids of stored episodes are borrowed.
    origins: HashMap<Cow<'s, str>, Here<'s>>,
    /// Duplicates past the listed errors: counted, never formatted (a
    /// million repeated lines must not cost a million messages).
    unlisted: usize,
}

impl<'s> Seen<'s> {
    fn claim(
        &mut self,
        entity_id: Cow<'s, str>,
        here: Here<'s>,
        errors: &mut Vec<PlanError>,
        path: &str,
        (roots, files): (&[RootSpec], &[PlannedFile]),
    ) -> bool {
        match self.origins.get(entity_id.as_ref()) {
            Some(_) if errors.len() >= crate::limits::MAX_LISTED_ERRORS => {
                self.unlisted += 1;
                false
            }
            Some(first) => {
                let (first, here) = (first.describe(roots, files), here.describe(roots, files));
                errors.push(PlanError::input(
                    Some(path.to_string()),
                    format!("duplicate entity_id `{entity_id}`: produced by {first} and by {here}"),
                    Some("give one of them a distinct `entity_id`, or rename one of the files"),
                ));
                false
            }
            None => {
                self.origins.insert(entity_id, here);
                true
            }
        }
    }
}

/// The sources as walked and hashed: everything planning needs from the disk
/// before it sees the stored state, so it can run while that state loads.
#[derive(Debug)]
pub struct Scan {
    roots: Vec<RootScan>,
    /// Walk, read and hash time, for `-vv`.
    pub elapsed: std::time::Duration,
}

#[derive(Debug)]
struct RootScan {
    report: Result<sources::WalkReport, String>,
    /// Per walked file, in walk order: `(length, SHA-256)` or why the file
    /// could not be read. Raw digests: 100k hex strings would be 100k
    /// allocations held through planning.
    hashed: Vec<Result<(u64, [u8; 32]), String>>,
}

impl Scan {
    pub fn files(&self) -> usize {
        self.roots.iter().map(|r| r.hashed.len()).sum()
    }
}

/// Walk every root and hash every file, on all cores. Bodies are not kept:
/// most files of a reseed are unchanged and never need them.
pub fn scan(roots: &[RootSpec], max_file_bytes: u64) -> Scan {
    let t = std::time::Instant::now();
    let roots = roots
        .iter()
        .map(|root| {
            let report = sources::walk(root);
            let hashed = match &report {
                Ok(r) => crate::parallel::map(&r.files, |f| {
                    read_limited(f, max_file_bytes).map(|b| (b.len() as u64, hashing::sha256(&b)))
                }),
                Err(_) => Vec::new(),
            };
            RootScan { report, hashed }
        })
        .collect();
    Scan {
        roots,
        elapsed: t.elapsed(),
    }
}

/// What planning learned about one file.
enum Examined {
    Unreadable(String),
    /// Same bytes as stored, at the same version: not parsed.
    Unchanged,
    /// Same bytes as stored, at another version (a version bump): decided
    /// from the stored items, which these bytes parse to, without parsing.
    SameBytes {
        source_hash: String,
    },
    Parsed {
        source_hash: String,
        items: Result<Vec<Candidate>, Vec<ParseError>>,
    },
}

/// Files examined per round: the parsed items of one round are held in
/// memory at once (without their bodies), so this bounds the plan's memory.
const EXAMINE_ROUND: usize = 4096;

/// Make the plan from scratch (walk, hash, decide). `stored` is the group's
/// current state, `revision` the group revision read before it.
pub fn plan(input: &PlanInput, stored: &[StoredEpisode], revision: u64) -> Plan {
    plan_scanned(
        input,
        scan(&input.roots, input.max_file_bytes),
        stored,
        revision,
    )
}

/// Make the plan from a [`scan`] of `input.roots`.
pub fn plan_scanned(
    input: &PlanInput,
    scan: Scan,
    stored: &[StoredEpisode],
    revision: u64,
) -> Plan {
    let by_id: HashMap<&str, &StoredEpisode> =
        stored.iter().map(|s| (s.entity_id.as_str(), s)).collect();
    // source → source_path → stored episodes, in entity_id order (the order
    // decisions for an unparsed file are made in). Nested so that lookups
    // take plain `&str`s of any lifetime.
    let mut by_path: HashMap<&str, HashMap<&str, Vec<&StoredEpisode>>> = HashMap::new();
    for s in stored {
        if let Some(p) = &s.source_path {
            by_path
                .entry(s.source.as_ref())
                .or_default()
                .entry(p.as_str())
                .or_default()
                .push(s);
        }
    }
    for here in by_path.values_mut().flat_map(HashMap::values_mut) {
        here.sort_unstable_by(|a, b| a.entity_id.cmp(&b.entity_id));
    }
    let version_text = input.version.to_string();
    // Sized up front: a 100k-episode plan otherwise spends a sixth of its
    // time growing these.
    let expected = stored.len().max(scan.files());
    // Room for a decision per file plus one per stored episode (orphans and
    // prunes come last): growing this Vec past its capacity near the end
    // would hold the old and the new copy at once, at the plan's peak.
    // Capacity that is never written costs address space, not memory.
    let mut decisions = Vec::with_capacity(stored.len() + scan.files());
    let mut errors = Vec::new();
    let mut files = Vec::new();
    let mut stats = WalkStats::default();
    let mut seen = Seen {
        origins: HashMap::with_capacity(expected),
        unlisted: 0,
    };
    // entity_ids whose stored episode must survive this run whatever happens
    // (its file failed): never orphaned, never pruned.
    let mut protected: BTreeSet<String> = BTreeSet::new();
    let mut scope_sources = BTreeSet::new();
    let mut found_any_source = false;

    let ctx = Ctx {
        input,
        by_id: &by_id,
        version_text: &version_text,
        version: version_text.as_str().into(),
    };

    for ((ri, root), rs) in input.roots.iter().enumerate().zip(scan.roots) {
        // Outside the scope (nothing of it is orphaned) when refused.
        if let Err(m) = crate::limits::check_key("source", &root.source) {
            errors.push(PlanError::input(
                Some(root.display.clone()),
                m,
                Some("use a shorter `source` label for this root"),
            ));
            continue;
        }
        scope_sources.insert(root.source.clone());
        // One shared copy per root, for all its decisions and files.
        let root_source: Arc<str> = root.source.as_str().into();
        let root_display: Arc<str> = root.display.as_str().into();
        let root_path: Arc<Path> = root.path.as_path().into();
        let mut report = match rs.report {
            Ok(r) => r,
            Err(message) => {
                errors.push(PlanError::input(
                    Some(root.display.clone()),
                    message,
                    Some("check the `root` of this source in graphseed.toml or --root"),
                ));
                continue;
            }
        };
        for s in report.skipped {
            stats
                .skipped
                .push((format!("{}/{}", root.display, s.rel), s.why.to_string()));
        }
        for e in report.errors {
            // Protect everything stored under a path we could not read.
            for s in stored.iter().filter(|s| *s.source == *root.source) {
                if let Some(p) = &s.source_path
                    && (p == &e.rel || p.starts_with(&format!("{}/", e.rel)))
                {
                    protected.insert(s.entity_id.clone());
                }
            }
            errors.push(PlanError::input(
                Some(format!("{}/{}", root.display, e.rel)),
                e.message,
                Some("fix the permissions or the link, or exclude the path"),
            ));
        }
        let here_by_path = by_path.get(root.source.as_str());
        let stored_at = |rel: &str| -> &[&StoredEpisode] {
            here_by_path
                .and_then(|m| m.get(rel))
                .map_or(&[], Vec::as_slice)
        };
        // Stored episodes of this source whose path is no file of the walk
        // (moved, or their source_path edited by hand): a file with their
        // source_hash may still produce them, so it is parsed, never
        // skipped. Otherwise they would look orphaned, and `--prune` would
        // delete what a file in scope still produces.
        let walked: std::collections::HashSet<&str> =
            report.files.iter().map(|f| f.rel.as_str()).collect();
        let displaced: std::collections::HashSet<&str> = here_by_path
            .into_iter()
            .flat_map(|m| m.iter())
            .filter(|(p, _)| !walked.contains(*p))
            .flat_map(|(_, eps)| eps.iter().filter_map(|s| s.source_hash.as_deref()))
            .collect();
        let trust_unchanged = input.reconcile.is_none();
        let indices: Vec<usize> = (0..report.files.len()).collect();
        for round in indices.chunks(EXAMINE_ROUND) {
            // Deciding needs the files in walk order (duplicates are reported
            // against the first producer); reading and parsing do not, so
            // they run on all cores, a round at a time.
            let examined = crate::parallel::map(round, |&i| {
                let file = &report.files[i];
                let scanned_hash = match &rs.hashed[i] {
                    Ok((_, digest)) => hashing::Hex::of(digest),
                    Err(m) => return Examined::Unreadable(m.clone()),
                };
                // Hash first: an unchanged file at the same version is not
                // parsed. graphseed always stores the canonical text of the
                // version, so text equality is semver equality here.
                let here = stored_at(&file.rel);
                if !input.force
                    && trust_unchanged
                    && !displaced.contains(scanned_hash.as_str())
                    && !here.is_empty()
                    && here
                        .iter()
                        .all(|s| s.source_hash.as_deref() == Some(scanned_hash.as_str()))
                {
                    if here.iter().all(|s| *s.version == *version_text) {
                        return Examined::Unchanged;
                    }
                    // The same trust as above: graphseed wrote these items
                    // from these very bytes. The body is read again when
                    // applied and checked against the stored content_hash.
                    return Examined::SameBytes {
                        source_hash: scanned_hash.as_str().to_string(),
                    };
                }
                // Read again rather than keep every body from the scan; what
                // is parsed is hashed with it, so the two always agree.
                match read_limited(file, input.max_file_bytes) {
                    Err(m) => Examined::Unreadable(m),
                    Ok(bytes) => Examined::Parsed {
                        source_hash: hashing::sha256_hex(&bytes),
                        items: sources::parse_file(file, &bytes).map(|mut cands| {
                            // Bodies are read again when applied.
                            for c in &mut cands {
                                c.fields = Default::default();
                            }
                            cands
                        }),
                    },
                }
            });
            for (&i, ex) in round.iter().zip(examined) {
                // Moved out, not cloned: the plan keeps the files it parsed.
                let file = std::mem::replace(&mut report.files[i], SourceFile::placeholder());
                found_any_source = true;
                stats.files_seen += 1;
                let display = format!("{}/{}", root.display, file.rel);
                let stored_here = stored_at(&file.rel);
                if let Ok((len, _)) = &rs.hashed[i] {
                    stats.bytes_hashed += len;
                }
                let ex = match crate::limits::check_key("source_path", &file.rel) {
                    Ok(()) => ex,
                    Err(m) => Examined::Unreadable(m),
                };
                let (source_hash, items) = match ex {
                    Examined::Unreadable(message) => {
                        protected.extend(stored_here.iter().map(|s| s.entity_id.clone()));
                        errors.push(PlanError::input(
                            Some(display),
                            message,
                            Some("fix the file, raise the limit, or exclude it"),
                        ));
                        continue;
                    }
                    Examined::Unchanged => {
                        for &s in stored_here {
                            let here = Here::Unchanged {
                                root: ri,
                                rel: s.source_path.as_deref().unwrap_or_default(),
                            };
                            let at = (input.roots.as_slice(), files.as_slice());
                            let id = Cow::Borrowed(s.entity_id.as_str());
                            if !seen.claim(id, here, &mut errors, &display, at) {
                                continue;
                            }
                            let snap = snapshot(s);
                            decisions.push(Decision {
                                action: PlanAction::Skip,
                                entity_id: s.entity_id.clone(),
                                source: s.source.clone(),
                                source_path: s.source_path.clone(),
                                reason: "file unchanged (source_hash matches); not parsed".into(),
                                before: Some(snap.clone()),
                                after: Some(snap),
                                origin: Origin::Stored,
                                created_at: Some(s.created_at),
                                keep_updated_at: Some(s.updated_at),
                            });
                        }
                        continue;
                    }
                    Examined::Parsed { source_hash, items } => {
                        stats.files_parsed += 1;
                        (source_hash, items)
                    }
                    Examined::SameBytes { source_hash } => {
                        let items = stored_here
                            .iter()
                            .map(|s| Candidate {
                                entity_id: s.entity_id.clone(),
                                name: String::new(),
                                fields: Default::default(),
                                content_hash: s.content_hash.to_string(),
                                line: None,
                            })
                            .collect();
                        (source_hash, Ok(items))
                    }
                };
                let candidates = match items {
                    Ok(c) => c,
                    Err(errs) => {
                        // A file that fails to parse never loses its episodes.
                        protected.extend(stored_here.iter().map(|s| s.entity_id.clone()));
                        errors.extend(errs.into_iter().map(|e| PlanError::from_parse(&display, e)));
                        continue;
                    }
                };
                let fi = files.len();
                files.push(PlannedFile {
                    root: ri,
                    rel: file.rel,
                    format: file.format,
                    source_hash: source_hash.as_str().into(),
                    root_path: root_path.clone(),
                    root_display: root_display.clone(),
                });
                let file = &files[fi];
                let file_hash = files[fi].source_hash.clone();
                // Its stored episodes carry these very bytes' hash: one that
                // is missing was deleted from the graph, not added to the file.
                let file_unchanged = !stored_here.is_empty()
                    && stored_here
                        .iter()
                        .all(|s| s.source_hash.as_deref() == Some(&*file_hash));
                for c in candidates {
                    let here = Here::Parsed {
                        file: fi,
                        line: c.line,
                    };
                    let at = (input.roots.as_slice(), files.as_slice());
                    let id = Cow::Owned(c.entity_id.clone());
                    if !seen.claim(id, here, &mut errors, &display, at) {
                        continue;
                    }
                    let facts = Facts {
                        source: &root_source,
                        source_path: Some(&file.rel),
                        source_hash: Some(&file_hash),
                        display: &display,
                        file_unchanged,
                    };
                    if let Some(d) = ctx.decide(&c, &facts, Origin::File(fi), &mut errors) {
                        decisions.push(d);
                    }
                }
            }
        }
    }

    let mut generated = Vec::new();
    if let Some(g) = &input.generated
        && let Err(m) = crate::limits::check_key("source", &g.source)
    {
        errors.push(PlanError::input(
            Some("<stdin>".into()),
            m,
            Some("use a shorter --source"),
        ));
    } else if let Some(g) = &input.generated {
        scope_sources.insert(g.source.clone());
        let stdin_source: Arc<str> = g.source.as_str().into();
        match sources::parse_generated(&g.bytes, input.max_file_bytes) {
            Ok(cands) => {
                found_any_source |= !cands.is_empty();
                for c in cands {
                    let here = Here::Stdin { line: c.line };
                    let at = (input.roots.as_slice(), files.as_slice());
                    let id = Cow::Owned(c.entity_id.clone());
                    if !seen.claim(id, here, &mut errors, "<stdin>", at) {
                        continue;
                    }
                    let origin = Origin::Generated(generated.len());
                    let facts = Facts {
                        source: &stdin_source,
                        source_path: None,
                        source_hash: None,
                        display: "<stdin>",
                        file_unchanged: false,
                    };
                    if let Some(d) = ctx.decide(&c, &facts, origin, &mut errors) {
                        decisions.push(d);
                    }
                    generated.push(c);
                }
            }
            Err(errs) => {
                // Nothing from stdin is trusted, and nothing of its source is
                // pruned, when any line is bad.
                protected.extend(
                    stored
                        .iter()
                        .filter(|s| *s.source == *g.source)
                        .map(|s| s.entity_id.clone()),
                );
                errors.extend(
                    errs.into_iter()
                        .map(|e| PlanError::from_parse("<stdin>", e)),
                );
            }
        }
    }

    // Orphans: stored in this group under a source this run walked, and
    // produced by nothing (and not protected by a failing file).
    let mut orphans: Vec<&StoredEpisode> = stored
        .iter()
        .filter(|s| {
            scope_sources.contains(s.source.as_ref())
                && !seen.origins.contains_key(s.entity_id.as_str())
                && !protected.contains(&s.entity_id)
        })
        .collect();
    orphans.sort_by(|a, b| a.entity_id.cmp(&b.entity_id));
    if input.prune && !orphans.is_empty() && !found_any_source {
        errors.push(PlanError::input(
            None,
            format!(
                "refusing to prune {} episodes: the walk found no sources at all",
                orphans.len()
            ),
            Some("check the source roots and include globs; an empty walk would delete everything"),
        ));
    }
    for s in orphans {
        let prune = input.prune && found_any_source;
        decisions.push(Decision {
            action: if prune {
                PlanAction::Prune
            } else {
                PlanAction::Orphan
            },
            entity_id: s.entity_id.clone(),
            source: s.source.clone(),
            source_path: s.source_path.clone(),
            reason: if prune {
                "gone from the sources; deleted by --prune".into()
            } else {
                "gone from the sources; kept (use --prune to delete)".into()
            },
            before: Some(snapshot(s)),
            after: None,
            origin: Origin::Stored,
            created_at: Some(s.created_at),
            keep_updated_at: Some(s.updated_at),
        });
    }

    let signature_after = signature_after(stored, &decisions);
    let (unlisted, unlisted_input) = cap_errors(&mut errors);
    let errors_unlisted = (unlisted + seen.unlisted, unlisted_input + seen.unlisted);
    Plan {
        group_id: input.group_id.clone(),
        version: input.version.clone(),
        revision,
        decisions,
        errors,
        errors_unlisted,
        files,
        generated,
        stats,
        scope_sources,
        signature_after,
        reconciling: input.reconcile.as_ref().map(|r| r.why.clone()),
    }
}

/// Keep the first [`crate::limits::MAX_LISTED_ERRORS`] errors; return how
/// many were dropped and how many of those were input errors.
fn cap_errors(errors: &mut Vec<PlanError>) -> (usize, usize) {
    let rest = errors.split_off(errors.len().min(crate::limits::MAX_LISTED_ERRORS));
    let input = rest.iter().filter(|e| e.kind == ErrorKind::Input).count();
    (rest.len(), input)
}

fn snapshot(s: &StoredEpisode) -> Arc<Snapshot> {
    Arc::new(Snapshot {
        version: s.version.clone(),
        content_hash: s.content_hash.clone(),
        source_hash: s.source_hash.clone(),
    })
}

/// The group's signature once every decision is applied (errors leave their
/// stored episodes as they are).
fn signature_after(stored: &[StoredEpisode], decisions: &[Decision]) -> String {
    let mut state: BTreeMap<&str, (&str, &str)> = stored
        .iter()
        .map(|s| {
            (
                s.entity_id.as_str(),
                (s.content_hash.as_ref(), s.version.as_ref()),
            )
        })
        .collect();
    for d in decisions {
        match (&d.action, &d.after) {
            (PlanAction::Prune, _) => {
                state.remove(d.entity_id.as_str());
            }
            (_, Some(after)) => {
                state.insert(&d.entity_id, (&after.content_hash, &after.version));
            }
            _ => {}
        }
    }
    graph_signature(state.into_iter().map(|(e, (c, v))| (e, c, v)))
}

struct Ctx<'a> {
    input: &'a PlanInput,
    by_id: &'a HashMap<&'a str, &'a StoredEpisode>,
    version_text: &'a str,
    /// `version_text`, shared by every after-snapshot.
    version: Arc<str>,
}

struct Facts<'a> {
    source: &'a Arc<str>,
    source_path: Option<&'a str>,
    source_hash: Option<&'a Arc<str>>,
    display: &'a str,
    /// The file's bytes hash to its stored episodes' `source_hash`.
    file_unchanged: bool,
}

impl Ctx<'_> {
    fn decide(
        &self,
        c: &Candidate,
        f: &Facts<'_>,
        origin: Origin,
        errors: &mut Vec<PlanError>,
    ) -> Option<Decision> {
        let after = Snapshot {
            version: self.version.clone(),
            content_hash: c.content_hash.as_str().into(),
            source_hash: f.source_hash.cloned(),
        };
        let mut d = Decision {
            action: PlanAction::Create,
            entity_id: c.entity_id.clone(),
            source: f.source.clone(),
            source_path: f.source_path.map(str::to_string),
            reason: "new episode".into(),
            before: None,
            after: Some(Arc::new(after)),
            origin,
            created_at: None,
            keep_updated_at: None,
        };
        let Some(s) = self.by_id.get(c.entity_id.as_str()) else {
            if f.file_unchanged {
                d.action = PlanAction::Restore;
                d.reason =
                    "missing from the graph although its file is unchanged (deleted by hand)"
                        .into();
            }
            return Some(d);
        };
        d.before = Some(snapshot(s));
        d.created_at = Some(s.created_at);
        let short = |h: &str| h.get(..12).unwrap_or(h).to_string();
        // Edited by hand: written again from the source, whatever its
        // stored version or source say (those may be the edit). The
        // timestamps are kept when the source still has the body's content.
        if let Some(edit) = self
            .input
            .reconcile
            .as_ref()
            .and_then(|r| r.edited.get(&c.entity_id))
        {
            d.action = PlanAction::Repair;
            d.reason = format!("edited by hand: {}", edit.problems.join("; ")).into();
            // Either the property or the body may be the edit; whichever
            // still agrees with the source says the content did not change.
            if edit.body_hash.as_deref() == Some(c.content_hash.as_str())
                || *s.content_hash == *c.content_hash
            {
                d.keep_updated_at = Some(s.updated_at);
            }
            return Some(d);
        }
        // An episode belongs to its source: another one producing it is an
        // error naming both, unless the user hands it over explicitly.
        if *s.source != **f.source {
            if !self.input.transfer_ownership {
                errors.push(PlanError {
                    kind: ErrorKind::Input,
                    path: Some(f.display.to_string()),
                    line: c.line,
                    column: None,
                    message: format!(
                        "`{}` belongs to source `{}` ({}), not to `{}`",
                        c.entity_id,
                        s.source,
                        s.source_path.as_deref().unwrap_or("<stdin>"),
                        f.source
                    ),
                    hint: Some(
                        "give one of them a distinct entity_id, or pass --transfer-ownership to move it to this source".into(),
                    ),
                });
                return None;
            }
            d.action = PlanAction::Transfer;
            d.reason = format!(
                "ownership transferred from source `{}` to `{}` (--transfer-ownership)",
                s.source, f.source
            )
            .into();
            if *s.content_hash == *c.content_hash {
                d.keep_updated_at = Some(s.updated_at);
            }
            return Some(d);
        }
        let stored_version = match SeedVersion::parse(&s.version) {
            Ok(v) => v,
            Err(_) if self.input.force => {
                d.action = PlanAction::Replace;
                d.reason = format!(
                    "stored version `{}` is not semver; replaced by --force",
                    s.version
                )
                .into();
                return Some(d);
            }
            Err(e) => {
                errors.push(PlanError::input(
                    Some(f.display.to_string()),
                    format!(
                        "stored episode `{}` has an invalid version: {e}",
                        c.entity_id
                    ),
                    Some("repair it in the graph, or reseed with --force"),
                ));
                return None;
            }
        };
        use std::cmp::Ordering::*;
        match stored_version.cmp(&self.input.version) {
            Less => {
                d.action = PlanAction::Replace;
                d.reason = format!("version {} -> {}", s.version, self.version_text).into();
            }
            Greater if self.input.allow_downgrade => {
                d.action = PlanAction::Replace;
                d.reason = format!(
                    "downgrade {} -> {} allowed by --allow-downgrade",
                    s.version, self.version_text
                )
                .into();
            }
            Greater => {
                errors.push(PlanError {
                    kind: ErrorKind::Downgrade,
                    path: Some(f.display.to_string()),
                    line: c.line,
                    column: None,
                    message: format!(
                        "`{}` is stored at version {}, newer than the sources' {}",
                        c.entity_id, s.version, self.version_text
                    ),
                    hint: Some("bump the version, or pass --allow-downgrade to replace it".into()),
                });
                return None;
            }
            Equal if self.input.force && *s.content_hash == *c.content_hash => {
                d.action = PlanAction::Rewrite;
                d.reason = "content unchanged; rewritten by --force (timestamps kept)".into();
                d.keep_updated_at = Some(s.updated_at);
            }
            Equal if self.input.force => {
                d.action = PlanAction::Update;
                d.reason = format!(
                    "content changed ({} -> {}); rewritten by --force",
                    short(&s.content_hash),
                    short(&c.content_hash)
                )
                .into();
            }
            Equal if *s.content_hash != *c.content_hash => {
                d.action = PlanAction::Update;
                d.reason = format!(
                    "content changed ({} -> {})",
                    short(&s.content_hash),
                    short(&c.content_hash)
                )
                .into();
            }
            Equal => {
                let moved = s.source_path.as_deref() != f.source_path;
                let rehashed = s.source_hash.as_deref() != f.source_hash.map(|h| h.as_ref());
                d.keep_updated_at = Some(s.updated_at);
                if moved || rehashed {
                    d.action = PlanAction::Refresh;
                    d.reason = if moved {
                        format!(
                            "content unchanged; moved from {}",
                            s.source_path.as_deref().unwrap_or("<generated>")
                        )
                        .into()
                    } else {
                        "content unchanged; its file changed elsewhere (source_hash refreshed)"
                            .into()
                    };
                } else {
                    d.action = PlanAction::Skip;
                    d.reason = "content unchanged (content_hash matches)".into();
                }
            }
        }
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::Format;

    fn source(path: &std::path::Path) -> SourceFile {
        SourceFile {
            path: path.to_path_buf(),
            rel: "x.json".into(),
            format: Format::Json,
        }
    }

    #[test]
    fn a_fifo_swapped_in_after_the_walk_is_refused_not_waited_on() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("x.json");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        // Nobody writes to it: a blocking open(2) would never return.
        let err = read_limited(&source(&fifo), 1 << 20).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn the_size_limit_is_checked_before_reading() {
        let d = tempfile::tempdir().unwrap();
        let big = d.path().join("x.json");
        // Sparse: 3 GiB that cost no disk; reading it would take ages.
        std::fs::File::create(&big)
            .unwrap()
            .set_len(3 << 30)
            .unwrap();
        let err = read_limited(&source(&big), 16 << 20).unwrap_err();
        assert_eq!(
            err,
            "file is 3221225472 bytes (3 GB), over the 16 MB limit ([limits] max_file_mb)"
        );
        std::fs::write(&big, b"{}").unwrap();
        assert_eq!(read_limited(&source(&big), 2).unwrap(), b"{}");
    }
}
