//! The stored-state producer: episodes stored in this group under a source
//! this run looked at, produced by nothing now (and not protected by a
//! failing file), are orphans, or prunes with `--prune`. Pruning is refused
//! when the producers found no source at all: an empty walk would delete
//! everything.

use super::decide::{DecideOptions, Decision, decide};
use super::draft::{Draft, StoredHashes, StoredIndex, position, stored_facts};
use super::{Origin, PlanEntry, PlanError};
use crate::metadata::StoredEpisode;

/// Plan what is stored and gone from the sources; after every other
/// producer has claimed what it produces.
pub(super) fn add_orphans(draft: &mut Draft<'_>, index: &StoredIndex<'_>) {
    let mut orphans: Vec<StoredEpisode<'_>> = index
        .all
        .iter()
        .enumerate()
        .filter(|&(at, s)| {
            draft.scope_sources.contains(s.source().as_ref())
                && !draft.is_produced(index, at)
                && !draft.protected.contains(s.entity_id())
        })
        .map(|(_, s)| s)
        .collect();
    orphans.sort_by(|a, b| a.entity_id().cmp(b.entity_id()));
    let options = draft.options();
    if options.prune && !orphans.is_empty() && !draft.found_any_source {
        draft.errors.push(PlanError::input(
            None,
            format!(
                "refusing to prune {} episodes: the walk found no sources at all",
                orphans.len()
            ),
            Some("check the source roots and include globs; an empty walk would delete everything"),
        ));
    }
    let options = DecideOptions {
        prune: options.prune && draft.found_any_source,
        ..options
    };
    for s in orphans {
        let hashes = StoredHashes::of(s);
        let decision = decide(Some(&stored_facts(s, &hashes)), None, options);
        let reason = match decision {
            Decision::Prune => "gone from the sources; deleted by --prune",
            _ => "gone from the sources; kept (use --prune to delete)",
        };
        let reason = draft.reasons.add(reason.into());
        draft.push(PlanEntry {
            action: decision.action().expect("an orphan is never refused"),
            keeps_updated_at: true,
            entity_id: s.entity_id().into(),
            reason,
            before: Some(position(index, s)),
            after: None,
            origin: Origin::Stored,
            links: None,
        });
    }
}
