//! A reseed that changes nothing, known without holding the stored state.
//!
//! The full planner compares every walked file with the stored episodes of
//! its path, so it holds the whole group (about 130 bytes an episode) beside
//! the walk. For the commonest reseed, the sources exactly as the last run
//! left them, that is all spent to learn "skip everything". Instead:
//!
//! - A seed whose plan leaves the group *closed* (`closed`: every episode
//!   of the group comes from a file the run walked, every walked file holds
//!   one, nothing is left orphaned or in error) records a fingerprint of its
//!   sources with its run: [`sources_signature`] over the walk (each root's
//!   label, every file's path and SHA-256), the version, and how many
//!   episodes the group then holds.
//! - A reseed computes the same fingerprint from its own walk and the
//!   group's count. If it is the one the last successful seed recorded, and
//!   the group is as that run left it (its graph_signature, and the seals of
//!   the hand-edit pass, the same checks that let any reseed trust a file's
//!   hash), then every walked file is unchanged at the same version and
//!   every stored episode is one of theirs: the full planner would skip each
//!   one. [`unchanged_plan`] makes that plan from the walk and the count.
//!
//! Whatever does not match plans in full, as before; so does a seed that
//! lists its skips (`-vv`, `--dry-run`), since this plan cannot spell them
//! out.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use super::files::RootScan;
use super::{Decisions, LinkSummary, Plan, PlanInput, Scan, WalkStats};
use crate::hashing::Sha256Hash;
use crate::sources::RootSpec;

/// One digest of what the walk found: each root's source label and every
/// file's path and SHA-256, in walk order. `None` when a root could not be
/// walked or a file could not be read (such a plan has errors, and is never
/// closed).
pub(super) fn walk_digest(specs: &[RootSpec], roots: &[RootScan]) -> Option<Sha256Hash> {
    let mut h = Sha256::new();
    h.update(b"graphseed walk 1\0");
    h.update((specs.len() as u64).to_le_bytes());
    for (spec, root) in specs.iter().zip(roots) {
        let report = root.report.as_ref().ok()?;
        if !report.errors.is_empty() || !root.unread.is_empty() {
            return None;
        }
        // Lengths before texts, so no two walks hash the same bytes.
        h.update((spec.source.len() as u64).to_le_bytes());
        h.update(spec.source.as_bytes());
        h.update((report.files.len() as u64).to_le_bytes());
        // No file is unread (checked above): every digest is one.
        for (file, digest) in report.files.iter().zip(root.digests.iter()) {
            h.update((file.rel.len() as u64).to_le_bytes());
            h.update(file.rel.as_bytes());
            h.update(digest);
        }
    }
    Some(Sha256Hash(h.finalize().into()))
}

/// The fingerprint a closed seed records (`RunRecord::sources_signature`):
/// its walk, its version, and how many episodes the group holds once it is
/// applied. As lowercase hex.
pub fn sources_signature(walk: &Sha256Hash, version: &str, episodes: u64) -> String {
    let mut h = Sha256::new();
    h.update(b"graphseed sources 1\0");
    h.update(walk.0);
    h.update((version.len() as u64).to_le_bytes());
    h.update(version.as_bytes());
    h.update(episodes.to_le_bytes());
    hex::encode(h.finalize())
}

/// The fingerprint of a reseed's walk against a group of `episodes`, if
/// the walk read everything.
pub fn scan_signature(scan: &Scan, input: &PlanInput, episodes: u64) -> Option<String> {
    let walk = scan.digest?;
    Some(sources_signature(
        &walk,
        &input.version.to_string(),
        episodes,
    ))
}

/// What decides whether a plan leaves the group closed.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Closure {
    /// Episodes read from standard input: no file produces them again.
    pub generated: bool,
    /// Errors, listed or not: some of the plan is not applied.
    pub errors: usize,
    /// Files parsed to no episode: a reseed parses them again.
    pub empty_files: u64,
    /// Episodes left stored without a file (orphans kept without --prune).
    pub orphans: u64,
    /// Stored episodes of sources this run did not walk.
    pub out_of_scope: bool,
}

/// Whether, once the plan is applied, the group holds exactly the episodes
/// of the files walked, each file at least one: then a reseed of the very
/// same bytes skips every episode, and nothing else.
pub(super) fn closed(c: Closure) -> bool {
    !c.generated && c.errors == 0 && c.empty_files == 0 && c.orphans == 0 && !c.out_of_scope
}

/// The plan of a reseed whose walk is the one the last closed seed recorded
/// and whose group is as that seed left it: `episodes` skips, counted, not
/// held (see the module's notes). `signature` is the group's
/// graph_signature, which this plan keeps.
pub fn unchanged_plan(
    input: &PlanInput,
    scan: Scan,
    episodes: u64,
    signature: String,
    sources_signature: String,
    revision: u64,
) -> Plan {
    // As `files::add_root` counts a walk whose every file is unchanged.
    let mut stats = WalkStats::default();
    let mut scope_sources = BTreeSet::new();
    for (root, rs) in input.roots.iter().zip(scan.roots) {
        scope_sources.insert(root.source.clone());
        let Ok(report) = rs.report else { continue };
        for s in report.skipped {
            stats
                .skipped
                .push((format!("{}/{}", root.display, s.rel), s.why.to_string()));
        }
        let files = rs.digests.len() as u64;
        stats.files_seen += files;
        stats.files_unchanged += files;
        stats.bytes_hashed += rs.bytes_hashed;
    }
    let version = input.version.to_string();
    Plan {
        group_id: input.group_id.clone(),
        version: input.version.clone(),
        revision,
        decisions: Decisions::unchanged(episodes, version.into()),
        errors: Vec::new(),
        errors_unlisted: (0, 0),
        files: Default::default(),
        kept: Default::default(),
        generated: Vec::new(),
        stats,
        scope_sources,
        signature_after: signature,
        reconciling: None,
        links: LinkSummary {
            strict: input.links.strict,
            ..LinkSummary::default()
        },
        sources_signature: Some(sources_signature),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each rule of a closed plan, one row each: anything a reseed of the
    /// same bytes would do again (parse, orphan, report) opens it.
    #[test]
    fn a_plan_is_closed_only_when_a_reseed_of_its_bytes_would_skip_everything() {
        let closed_one = Closure::default();
        let table: [(&str, Closure, bool); 6] = [
            ("every file's episodes, nothing else", closed_one, true),
            (
                "episodes from stdin",
                Closure {
                    generated: true,
                    ..closed_one
                },
                false,
            ),
            (
                "an error",
                Closure {
                    errors: 1,
                    ..closed_one
                },
                false,
            ),
            (
                "a file of no episodes",
                Closure {
                    empty_files: 1,
                    ..closed_one
                },
                false,
            ),
            (
                "an orphan kept",
                Closure {
                    orphans: 1,
                    ..closed_one
                },
                false,
            ),
            (
                "another source's episodes",
                Closure {
                    out_of_scope: true,
                    ..closed_one
                },
                false,
            ),
        ];
        for (what, c, want) in table {
            assert_eq!(closed(c), want, "{what}");
        }
    }

    /// The fingerprint changes with each thing it covers.
    #[test]
    fn the_sources_signature_covers_the_walk_the_version_and_the_count() {
        let a = Sha256Hash([1; 32]);
        let b = Sha256Hash([2; 32]);
        let base = sources_signature(&a, "1.0.0", 10);
        assert_eq!(base, sources_signature(&a, "1.0.0", 10));
        assert_ne!(base, sources_signature(&b, "1.0.0", 10));
        assert_ne!(base, sources_signature(&a, "1.0.1", 10));
        assert_ne!(base, sources_signature(&a, "1.0.0", 11));
        assert_eq!(base.len(), 64);
    }
}
