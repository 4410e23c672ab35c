//! The files producer: walk and hash every source root (before the stored
//! state is needed), then, file by file in walk order, skip what is
//! unchanged without parsing it, parse the rest, and hand every episode to
//! [`super::decide`]. A file that cannot be read or parsed protects its
//! stored episodes.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::PlanInput;
use super::draft::{AtPath, Draft, Facts, Here, StoredIndex};
use super::links::{ItemLinks, Pending, take_links};
use super::read::{Kept, ReadError, RootDir, kept_or_read, read_limited_in};
use super::{Origin, PlanError};
use crate::hashing::{self, Sha256Hash, StoredHashRef};
use crate::sources::{self, Candidate, Format, ParseError, RootSpec};
use crate::spill::Spilled;

/// The sources as walked and hashed: everything planning needs from the disk
/// before it sees the stored state, so it can run while that state loads.
#[derive(Debug)]
pub struct Scan {
    pub(super) roots: Vec<RootScan>,
    /// Walk, read and hash time, for `-vv`.
    pub elapsed: std::time::Duration,
    /// What was walked, as one digest (see [`super::unchanged::walk_digest`]);
    /// `None` when a root or a file could not be read.
    pub(super) digest: Option<Sha256Hash>,
}

#[derive(Debug)]
pub(super) struct RootScan {
    pub(super) report: Result<sources::WalkReport, String>,
    /// Per walked file, in walk order: its SHA-256 (zeros for a file that
    /// could not be read: `unread` lists those). Raw digests: 100k hex
    /// strings would be 100k allocations held through planning. A million
    /// digests are held until planning consumes them, so past a few
    /// megabytes they wait in a temporary file ([`Spilled`]), read a round
    /// at a time.
    pub(super) digests: Spilled<32>,
    /// Why each file that could not be read could not be, by walk index, in
    /// order: few, so kept beside the digests rather than in each.
    pub(super) unread: Vec<(usize, ReadError)>,
    /// The bytes of the files read and hashed, all together.
    pub(super) bytes_hashed: u64,
    /// The bytes of the files read while the run's allowance lasted, by
    /// walk index: planning parses these instead of reading them again.
    kept: Kept,
}

/// The digest of the file at walk index `i`, or `None` if it could not be
/// read: `digests` holds the walk's digests from index `base` on, `unread`
/// (a [`RootScan`]'s) the files that could not be read.
fn digest_at(
    digests: &[[u8; 32]],
    base: usize,
    unread: &[(usize, ReadError)],
    i: usize,
) -> Option<Sha256Hash> {
    let readable = unread.is_empty() || unread.binary_search_by_key(&i, |(j, _)| *j).is_err();
    readable.then(|| Sha256Hash(digests[i - base]))
}

impl RootScan {
    /// Every walked file's digest, or `None` for one that could not be
    /// read, in walk order.
    pub(super) fn digests(&self) -> impl Iterator<Item = Option<Sha256Hash>> + '_ {
        let mut unread = self.unread.iter().map(|(i, _)| *i).peekable();
        self.digests.iter().enumerate().map(move |(i, d)| {
            let readable = unread.next_if_eq(&i).is_none();
            readable.then_some(Sha256Hash(d))
        })
    }
}

/// Why the file at walk index `i`, marked unread, could not be read
/// (`unread`: a [`RootScan`]'s, in index order).
fn unread_because(unread: &[(usize, ReadError)], i: usize) -> &ReadError {
    let at = unread
        .binary_search_by_key(&i, |(j, _)| *j)
        .expect("every unread file has its error");
    &unread[at].1
}

impl Scan {
    /// The walk as one digest (see [`super::unchanged`]); `None` when a
    /// root or a file could not be read.
    pub fn digest(&self) -> Option<Sha256Hash> {
        self.digest
    }

    pub fn files(&self) -> usize {
        self.roots.iter().map(|r| r.digests.len()).sum()
    }
}

/// Walk every root and hash every file, on all cores. The bytes read are
/// kept while `keep` (bytes, for the whole scan) lasts, so a file that is
/// then parsed and written is read from disk once (see
/// [`crate::limits::KEEP_READ_BYTES`]); the rest are read again if needed.
/// Most files of a reseed are unchanged: planning drops their bytes.
pub fn scan(roots: &[RootSpec], max_file_bytes: u64, keep: u64) -> Scan {
    let t = std::time::Instant::now();
    let roots_spec = roots;
    let reports: Vec<_> = roots.iter().map(sources::walk).collect();
    let walked: usize = reports.iter().flatten().map(|r| r.files.len()).sum();
    let allowance = AtomicU64::new(keep_for(keep, walked));
    let roots = reports
        .into_iter()
        .map(|report| {
            let kept = Kept::default();
            let unread = std::sync::Mutex::new(Vec::new());
            let bytes_hashed = AtomicU64::new(0);
            let mut digests = Spilled::new();
            if let Ok(r) = &report {
                let dir = (!r.files.is_empty())
                    .then(|| RootDir::open(r.files.root()))
                    .flatten();
                // Hashed a part at a time on all cores, each part then added
                // to the list (which may move it to its file): only one part
                // is ever in memory besides it.
                let mut part = Vec::new();
                for start in (0..r.files.len()).step_by(HASH_PART) {
                    part.clear();
                    part.resize(HASH_PART.min(r.files.len() - start), Sha256Hash([0; 32]));
                    crate::parallel::fill_indexed(&mut part, |j| {
                        let i = start + j;
                        let f = r.files.get(i);
                        let file = (f.root, f.rel);
                        let bytes = match read_limited_in(dir.as_ref(), file, max_file_bytes) {
                            Ok(bytes) => bytes,
                            Err(e) => {
                                // A poisoned lock: another worker panicked, and
                                // its panic is what the caller gets.
                                if let Ok(mut u) = unread.lock() {
                                    u.push((i, e));
                                }
                                return Sha256Hash([0; 32]);
                            }
                        };
                        let digest = Sha256Hash(hashing::sha256(&bytes));
                        let len = bytes.len() as u64;
                        bytes_hashed.fetch_add(len, Ordering::Relaxed);
                        if allowance
                            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |a| {
                                a.checked_sub(len)
                            })
                            .is_ok()
                        {
                            kept.put(i, bytes);
                        }
                        digest
                    });
                    part.iter().for_each(|d| digests.push(d.0));
                }
            }
            let mut unread = unread.into_inner().unwrap_or_else(|e| e.into_inner());
            unread.sort_unstable_by_key(|(i, _)| *i);
            RootScan {
                report,
                digests,
                unread,
                bytes_hashed: bytes_hashed.into_inner(),
                kept,
            }
        })
        .collect::<Vec<_>>();
    let digest = super::unchanged::walk_digest(roots_spec, &roots);
    Scan {
        roots,
        elapsed: t.elapsed(),
        digest,
    }
}

/// Files hashed together before their digests join the walk's list.
const HASH_PART: usize = 16_384;

/// Walks past this many files keep a share of the read allowance: the
/// allowance covers fewer of their files, while what the plan holds per
/// file grows with them (see [`keep_for`]).
const KEEP_ALL_UP_TO_FILES: u64 = 100_000;

/// The read allowance of a walk of `files` files: all of `keep` up to
/// [`KEEP_ALL_UP_TO_FILES`], then shrinking with the walk. At a million
/// files the whole allowance saved a second read of 6% of them (about a
/// second of system time in a minute's seed) and was 32 of the run's
/// 315 MB peak, where the plan's own state already takes most of the
/// budget.
fn keep_for(keep: u64, files: usize) -> u64 {
    let files = (files as u64).max(KEEP_ALL_UP_TO_FILES);
    // In u128: `keep` times a file count may pass u64.
    u64::try_from(u128::from(keep) * u128::from(KEEP_ALL_UP_TO_FILES) / u128::from(files))
        .unwrap_or(keep)
}

/// Whether any file would be parsed: one added, removed, renamed or edited
/// since it was stored (or unreadable: planning reports it). Only then may
/// links resolve differently, so only then is the stored link state loaded
/// (see `seeding`): an unchanged reseed reads no more than it did without
/// links.
pub(super) fn sources_changed(input: &PlanInput, scan: &Scan, index: &StoredIndex<'_>) -> bool {
    for (root, rs) in input.roots.iter().zip(&scan.roots) {
        let Ok(report) = &rs.report else { return true };
        let stored = index.of_source(root.source.as_str());
        let mut next = 0;
        for (file, digest) in report.files.iter().zip(rs.digests()) {
            let Some(digest) = digest else {
                return true;
            };
            let here = stored
                .and_then(|m| m.get_near(file.rel, &mut next))
                .unwrap_or(AtPath::empty(index.all));
            if here.is_empty()
                || here
                    .iter()
                    .any(|s| !s.source_hash().is_some_and(|h| h.is(&digest)))
            {
                return true;
            }
        }
        // Every stored path of this source was walked: none is gone.
        if stored.map_or(0, |m| m.len()) != report.files.len() {
            return true;
        }
    }
    false
}

/// What planning learned about one file.
enum Examined {
    Unreadable(String),
    /// Same bytes as stored, at the same version: not parsed.
    Unchanged,
    /// Same bytes as stored, at another version (a version bump): decided
    /// from the stored items, which these bytes parse to, without parsing.
    SameBytes {
        source_hash: Sha256Hash,
        /// The scan's bytes, for applying.
        kept: Option<Vec<u8>>,
    },
    Parsed {
        source_hash: Sha256Hash,
        items: Result<Vec<Candidate>, Vec<ParseError>>,
        /// Per item, in order; empty when the file did not parse.
        links: Vec<ItemLinks>,
        /// The scan's bytes, for applying (none if it read them again).
        kept: Option<Vec<u8>>,
    },
}

/// Files examined per round: the parsed items of one round are held in
/// memory at once (without their bodies), so this bounds the plan's memory.
const EXAMINE_ROUND: usize = 4096;

/// Plan the files of one root (`ri`, as scanned in `rs`).
pub(super) fn add_root<'s>(
    draft: &mut Draft<'s>,
    index: &StoredIndex<'s>,
    ri: usize,
    root: &'s RootSpec,
    rs: RootScan,
) {
    let input = draft.input;
    // An index key on every store: refused at plan time. Outside the scope
    // then, so nothing of it is orphaned.
    if let Err(m) = crate::limits::check_key("source", &root.source) {
        draft.errors.push(PlanError::input(
            Some(root.display.clone()),
            m,
            Some("use a shorter `source` label for this root"),
        ));
        return;
    }
    draft.scope_sources.insert(root.source.clone());
    // One shared copy per root, for all its decisions and files.
    let root_source: Arc<str> = root.source.as_str().into();
    let report = match rs.report {
        Ok(r) => r,
        Err(message) => {
            draft.errors.push(PlanError::input(
                Some(root.display.clone()),
                message,
                Some("check the `root` of this source in graphseed.toml or --root"),
            ));
            return;
        }
    };
    for s in report.skipped {
        draft
            .stats
            .skipped
            .push((format!("{}/{}", root.display, s.rel), s.why.to_string()));
    }
    for e in report.errors {
        // Protect everything stored under a path we could not read.
        for s in index.all.iter().filter(|s| **s.source() == *root.source) {
            if let Some(p) = s.source_path()
                && (p == e.rel || p.starts_with(&format!("{}/", e.rel)))
            {
                draft.protected.insert(s.entity_id().to_string());
            }
        }
        draft.errors.push(PlanError::input(
            Some(format!("{}/{}", root.display, e.rel)),
            e.message,
            Some("fix the permissions or the link, or exclude the path"),
        ));
    }
    let here_by_path = index.of_source(root.source.as_str());
    let version_text = draft.version.clone();
    // Where the last file's stored episodes ended (see `get_near`).
    let mut next_stored = 0;
    // Stored episodes of this source whose path is no file of the walk
    // (moved, or their source_path edited by hand): a file with their
    // source_hash may still produce them, so it is parsed, never skipped.
    // Otherwise they would look orphaned, and `--prune` would delete what a
    // file in scope still produces.
    let displaced: HashSet<Sha256Hash> = here_by_path
        .into_iter()
        .flat_map(|m| m.not_at(report.files.iter().map(|f| f.rel)))
        .filter_map(|s| s.source_hash().and_then(StoredHashRef::digest))
        .collect();
    // Reconciling: no file is trusted for its hash alone.
    let trust_unchanged = input.reconcile.is_none();
    let reread = draft.input.links.reread;
    // The walk's files and digests, consumed a round at a time: `base` is
    // the walk index of `hashed[0]`, the round's digests read from the
    // walk's list. Their storage is given back as they are consumed
    // (below), so the plan's peak, at the end of the walk, does not also
    // hold every walked file's path and digest.
    let (mut files, mut digests) = (report.files, rs.digests);
    let mut hashed = Vec::with_capacity(EXAMINE_ROUND);
    draft.stats.bytes_hashed += rs.bytes_hashed;
    let unread = rs.unread;
    let total = files.len();
    // Rounds of walk indices (not a list of every index: 8 bytes a file).
    let rounds = (0..total)
        .step_by(EXAMINE_ROUND)
        .map(|start| (start..total.min(start + EXAMINE_ROUND)).collect::<Vec<usize>>());
    for round in rounds {
        let round = &round[..];
        let base = round[0];
        hashed.clear();
        digests.read_range(base..base + round.len(), &mut hashed);
        // Each file's stored episodes, looked up in walk order.
        let stored_in_round: Vec<AtPath<'_, '_>> = round
            .iter()
            .map(|&i| {
                here_by_path
                    .and_then(|m| m.get_near(files.get(i).rel, &mut next_stored))
                    .unwrap_or(AtPath::empty(index.all))
            })
            .collect();
        let stored_at = |i: usize| stored_in_round[i - round[0]];
        // Deciding needs the files in walk order (duplicates are reported
        // against the first producer); reading and parsing do not, so
        // they run on all cores, a round at a time.
        let examined = crate::parallel::map(round, |&i| {
            let file = files.get(i);
            // Taken either way: an unchanged file's bytes are dropped here.
            let kept = rs.kept.take(i);
            let scanned_hash = match digest_at(&hashed, base, &unread, i) {
                Some(digest) => digest,
                None => return Examined::Unreadable(unread_because(&unread, i).to_string()),
            };
            // Hash first: an unchanged file at the same version is not
            // parsed. graphseed always stores the canonical text of the
            // version, so text equality is semver equality here.
            let here = stored_at(i);
            // `verify` parses every file that can hold links, for them.
            let links_needed = reread && file.format != Format::Text;
            if !input.force
                && trust_unchanged
                && !displaced.contains(&scanned_hash)
                && !links_needed
                && !here.is_empty()
                && here
                    .iter()
                    .all(|s| s.source_hash().is_some_and(|h| h.is(&scanned_hash)))
            {
                if here.iter().all(|s| **s.version() == *version_text) {
                    return Examined::Unchanged;
                }
                // The same trust as above: graphseed wrote these items
                // from these very bytes. The body is read again when
                // applied and checked against the stored content_hash.
                return Examined::SameBytes {
                    source_hash: scanned_hash,
                    kept,
                };
            }
            // The scan's bytes if it kept them, else read again; what is
            // parsed is hashed with it, so the two always agree.
            let from_scan = kept.is_some();
            let file = file.to_source_file();
            match kept_or_read(kept, &file, input.max_file_bytes) {
                Err(m) => Examined::Unreadable(m.to_string()),
                Ok(bytes) => {
                    let mut items = sources::parse_file(&file, &bytes);
                    // Links are read while the fields are here: bodies are
                    // read again when applied, links are resolved before.
                    let links = match &mut items {
                        Ok(cands) => take_links(file.format, &bytes, cands, &input.links.rules),
                        Err(_) => Vec::new(),
                    };
                    Examined::Parsed {
                        source_hash: Sha256Hash(hashing::sha256(&bytes)),
                        items,
                        links,
                        // Bytes read again here are not kept: the scan's
                        // allowance was spent on others.
                        kept: from_scan.then_some(bytes),
                    }
                }
            }
        });
        for (&i, ex) in round.iter().zip(examined) {
            let file = files.get(i);
            draft.found_any_source = true;
            draft.stats.files_seen += 1;
            let display = format!("{}/{}", root.display, file.rel);
            let stored_here = stored_at(i);
            // An index key on every store, like entity_id.
            let ex = match crate::limits::check_key("source_path", file.rel) {
                Ok(()) => ex,
                Err(m) => Examined::Unreadable(m),
            };
            let (source_hash, items, mut item_links, kept) = match ex {
                Examined::Unreadable(message) => {
                    draft
                        .protected
                        .extend(stored_here.iter().map(|s| s.entity_id().to_string()));
                    draft.errors.push(PlanError::input(
                        Some(display),
                        message,
                        Some("fix the file, raise the limit, or exclude it"),
                    ));
                    continue;
                }
                Examined::Unchanged => {
                    draft.stats.files_unchanged += 1;
                    // Skips, not entries: spelled out only when listed.
                    for s in stored_here.iter() {
                        draft.claim_unchanged(index, index.position(s), ri, &display);
                    }
                    continue;
                }
                Examined::Parsed {
                    source_hash,
                    items,
                    links,
                    kept,
                } => {
                    draft.stats.files_parsed += 1;
                    (source_hash, items, links, kept)
                }
                Examined::SameBytes { source_hash, kept } => {
                    draft.stats.files_unchanged += 1;
                    // A plain bump plans no file and no entries: the bytes
                    // are read again when applied (none kept for it).
                    if draft.bump_same_bytes(index, stored_here, (ri, &root_source), source_hash) {
                        continue;
                    }
                    let items = stored_here
                        .iter()
                        .map(|s| Candidate {
                            entity_id: s.entity_id().to_string(),
                            name: String::new(),
                            fields: Default::default(),
                            content_hash: s.content_hash().to_string(),
                            line: None,
                        })
                        .collect();
                    (source_hash, Ok(items), Vec::new(), kept)
                }
            };
            let candidates = match items {
                Ok(c) => c,
                Err(errs) => {
                    // A file that fails to parse never loses its episodes.
                    draft
                        .protected
                        .extend(stored_here.iter().map(|s| s.entity_id().to_string()));
                    draft
                        .errors
                        .extend(errs.into_iter().map(|e| PlanError::from_parse(&display, e)));
                    continue;
                }
            };
            // A file of no episodes is parsed again by every reseed (nothing
            // stored says it is unchanged): no plan with one is closed.
            draft.empty_files += u64::from(candidates.is_empty());
            // The walk's path names the file while it is planned; the plan
            // keeps its own copy.
            let rel = file.rel;
            let fi = draft.files.push((ri, root), rel, file.format, source_hash);
            if let Some(bytes) = kept {
                draft.kept.put(fi, bytes);
            }
            // Its stored episodes carry these very bytes' hash: one that is
            // missing was deleted from the graph, not added to the file.
            let file_unchanged = !stored_here.is_empty()
                && stored_here
                    .iter()
                    .all(|s| s.source_hash().is_some_and(|h| h.is(&source_hash)));
            let parsed_now = !item_links.is_empty();
            item_links.resize_with(candidates.len(), ItemLinks::default);
            for (c, links) in candidates.into_iter().zip(item_links) {
                let here = Here::Parsed {
                    file: fi,
                    line: c.line,
                };
                let facts = Facts {
                    source: &root_source,
                    source_path: Some(rel),
                    source_hash: Some(source_hash),
                    display: &display,
                    file_unchanged,
                };
                let mark = draft.mark();
                let origin =
                    Origin::File(u32::try_from(fi).expect("fewer than 2^32 files in a plan"));
                if !draft.claim_and_produce(index, &c, (here, &display), &facts, origin) {
                    continue;
                }
                // Items not parsed (same bytes, new version) keep their
                // stored links: only parsed ones are resolved again.
                if parsed_now {
                    draft.pending_links.push(Pending::of_file(
                        (c.entity_id, c.name),
                        (ri, rel),
                        links,
                        (fi, draft.made_since(mark)),
                        &mut draft.names,
                    ));
                }
            }
        }
        // Give back what was consumed once it is half the storage: each
        // copy moves at most what is left, so the whole walk is copied
        // about once in all.
        let done = round.last().map_or(base, |&i| i + 1);
        files.drop_before(done);
        digests.forget_before(done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan keeps the bytes it read only while its allowance lasts,
    /// and exactly the bytes it hashed.
    #[test]
    fn the_scan_keeps_bytes_within_its_allowance() {
        let d = tempfile::tempdir().unwrap();
        for i in 0..100 {
            std::fs::write(
                d.path().join(format!("f{i:03}.json")),
                format!("{{\"k\": {i:04}}}"),
            )
            .unwrap();
        }
        let root = RootSpec::for_tests(d.path());
        let kept = |keep: u64| {
            let s = scan(std::slice::from_ref(&root), 1 << 20, keep);
            let rs = &s.roots[0];
            let report = rs.report.as_ref().unwrap();
            let mut n = 0;
            for ((i, f), digest) in report.files.iter().enumerate().zip(rs.digests()) {
                if let Some(bytes) = rs.kept.take(i) {
                    let Some(digest) = digest else {
                        panic!("{} was kept but not hashed", f.rel)
                    };
                    assert_eq!(hashing::sha256(&bytes), digest.0);
                    n += 1;
                }
            }
            n
        };
        // Every file is 11 bytes.
        assert_eq!(kept(0), 0);
        assert_eq!(kept(11 * 10 + 5), 10);
        assert_eq!(kept(1 << 20), 100);
    }

    /// Files are hashed a part at a time: every digest lands at its file's
    /// index across parts, and a file that cannot be read (here, too
    /// large) has none.
    #[test]
    fn digests_follow_their_files_across_hash_parts() {
        let d = tempfile::tempdir().unwrap();
        let n = HASH_PART + 3;
        let too_large = HASH_PART + 1;
        for i in 0..n {
            let body = match i {
                _ if i == too_large => format!("{{\"k\": \"{}\"}}", "x".repeat(100)),
                _ => format!("{{\"k\": {i}}}"),
            };
            std::fs::write(d.path().join(format!("f{i:06}.json")), body).unwrap();
        }
        let root = RootSpec::for_tests(d.path());
        let s = scan(std::slice::from_ref(&root), 50, 0);
        let rs = &s.roots[0];
        let report = rs.report.as_ref().unwrap();
        assert_eq!(s.files(), n);
        assert_eq!(
            rs.unread.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [too_large]
        );
        let mut seen = 0;
        for ((i, f), digest) in report.files.iter().enumerate().zip(rs.digests()) {
            let bytes = std::fs::read(d.path().join(f.rel)).unwrap();
            let want = (i != too_large).then(|| Sha256Hash(hashing::sha256(&bytes)));
            assert_eq!(digest, want, "{}", f.rel);
            seen += 1;
        }
        assert_eq!(seen, n);
    }

    /// The whole allowance up to 100k files, then a share that shrinks
    /// with the walk: a tenth at a million.
    #[test]
    fn the_read_allowance_shrinks_past_100k_files() {
        let keep = 32 << 20;
        assert_eq!(keep_for(keep, 0), keep);
        assert_eq!(keep_for(keep, 100_000), keep);
        assert_eq!(keep_for(keep, 200_000), keep / 2);
        assert_eq!(keep_for(keep, 1_000_000), keep / 10);
        assert_eq!(keep_for(0, 1_000_000), 0);
        assert_eq!(keep_for(u64::MAX, usize::MAX), 100_000, "no overflow");
    }
}
