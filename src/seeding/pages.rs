//! The group's pages, read on every reseed: the hand-edit pass (each
//! episode's seal checked as read) and the stored state planning needs,
//! carried by the same pages, so the group is read once. With a gate (see
//! `sink`), the pages stop being held once the walk proves the sources
//! unchanged.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Instant;

use super::joined;
use super::sink::{Gate, Sink, Walked};
use crate::applying::{RetryPolicy, retry};
use crate::error::Error;
use crate::metadata::StoredEpisodes;
use crate::planning;
use crate::stores::Store;
use crate::ui::Ui;

/// Stored episodes read per page by [`read_stored`]: enough to keep the
/// per-query overhead small, few enough that a page of large bodies stays
/// a few MB.
const SCAN_PAGE: u32 = 1000;

/// Every hand-edited episode of `group`: each body re-hashed against its
/// `content_hash` and every tool-owned property against its `_metadata`.
///
/// Why on every reseed: the group's graph_signature covers ids, content
/// hashes and versions, not bodies or timestamps, and Neo4j Community has no
/// hash function in Cypher, so the server cannot check a body for us. What
/// keeps it cheap is the seal (`hashing::episode_seal`): both stores write,
/// with each episode, a SHA-256 over the values this check compares, and
/// verify it on the values as read (no JSON parsing, no property map),
/// reading in full only the episodes it does not vouch for (none after a
/// clean run; all of them once after an upgrade from a build without seals,
/// and graphiti-profile nodes always). On SQLite at a million episodes,
/// parsing every row was 11 s of a 19 s no-op reseed; with seals the check
/// is 3 s.
///
/// Measured on a no-op reseed of 100k small files (about 500 B, release
/// build, one Neo4j 5.26 on the same 2-core machine, load 1-2), the check
/// was 3.7 s of a 4.5 s reseed when every body was parsed, which made the
/// reseed no faster than python-unwind-skip (4.1 s), which checks nothing;
/// see bench/results/profile.md for the numbers with the seal.
/// Bodies are held a page at a time: pages are read in entity_id order
/// (keyset, not OFFSET) and of the bodies only the mismatches kept.
///
/// Returns the group's stored state too (what `Episodes::load_episodes`
/// returns): each page carries its episodes as planning needs them, so the
/// group is read once. A large group on Neo4j is read in two key ranges
/// side by side. The pages are counted against the group's size; if they
/// missed any or held one twice (a writer between two pages, an entity_id
/// of another type, which keyset paging cannot pass), the group is loaded
/// whole, with that read's errors.
pub(crate) async fn read_stored<S: Store>(
    store: &S,
    group: &str,
    policy: RetryPolicy,
    ui: &Ui,
) -> Result<(StoredEpisodes, HashMap<String, planning::edits::HandEdit>), Error> {
    match read_group(store, group, policy, ui, "", None).await? {
        GroupRead::Held(stored, edited) => Ok((*stored, edited)),
        GroupRead::Unchanged { .. } => unreachable!("no gate, nothing unchanged"),
    }
}

/// What [`read_group`] read.
pub(super) enum GroupRead {
    /// The group's stored state, and its hand edits.
    Held(
        Box<StoredEpisodes>,
        HashMap<String, planning::edits::HandEdit>,
    ),
    /// The walk was the one the gate's seed recorded: nothing was held.
    /// `signature` is the episodes' graph_signature, `None` when the pages
    /// could not stand for the group (a writer between them, an order
    /// Rust does not share): then the group must be read again.
    Unchanged {
        episodes: u64,
        signature: Option<String>,
        edited: HashMap<String, planning::edits::HandEdit>,
    },
}

/// [`read_stored`], and with a gate (the last closed seed's
/// `sources_signature`, and the walk's end as it comes) a read that stops
/// holding episodes once the walk proves the sources unchanged (see
/// `sink`). `version`: the reseed's, which that fingerprint covers.
pub(super) async fn read_group<S: Store>(
    store: &S,
    group: &str,
    policy: RetryPolicy,
    ui: &Ui,
    version: &str,
    gate: Option<(&str, tokio::sync::watch::Receiver<Walked>)>,
) -> Result<GroupRead, Error> {
    let t = Instant::now();
    let expected = retry::read(policy, ui, || store.count_episodes(group)).await?;
    let (gate, walk) = match gate {
        Some((sources, walk)) if expected > 0 => (
            Some(Gate {
                sources_signature: sources.to_string(),
                version: version.to_string(),
                episodes: expected,
            }),
            Some(walk),
        ),
        _ => (None, None),
    };
    // A large group on Neo4j is read as two ranges side by side: the server
    // answers each on a thread of its own while the client decodes and
    // checks the other's rows, instead of waiting for every page in turn.
    // The first range is the first `half` episodes, which must end at the
    // split's key (checked below), the second everything after that key.
    let half = expected / 2;
    let split = if store.reads_side_by_side() && expected >= SPLIT_FROM {
        retry::read(policy, ui, || store.entity_id_at(group, half - 1)).await?
    } else {
        None
    };
    // Both ranges append their pages to one list, sized once: two lists,
    // grown page by page and joined at the end, peaked at 382 MB instead of
    // 319 MB at 1M (spare capacity, and the second half held twice while
    // joined). The pages interleave, so it is sorted below.
    let into = RefCell::new(Sink::new(usize::try_from(expected).unwrap_or(0), gate));
    // Kept to wait for the walk's end if the pages end first.
    let walk_end = walk.clone();
    let (mut pass, second) = match &split {
        Some(key) => {
            let first = Range {
                index: 0,
                after: None,
                take: Some(half),
            };
            let second = Range {
                index: 1,
                after: Some(key.clone()),
                take: None,
            };
            let (first, second) = tokio::try_join!(
                read_range(store, group, first, &into, walk.clone(), policy, ui),
                read_range(store, group, second, &into, walk, policy, ui),
            )?;
            (first, Some(second))
        }
        None => (
            read_range(store, group, Range::WHOLE, &into, walk, policy, ui).await?,
            None,
        ),
    };
    // The ranges meet only if the first ended at the split's key: a writer
    // between the count and the pages can shift it (then the group is
    // loaded whole, below).
    let mut met = true;
    if let (Some(key), Some(second)) = (&split, second) {
        met = pass.last.as_deref() == Some(key.as_str());
        pass.join(second);
    }
    let RangePass {
        edited,
        read,
        unsealed,
        ..
    } = pass;
    // The pages ended before the walk (a small group, a fast store): what
    // was read is held anyway, but whether the plan needs it is still the
    // walk's to say, so the outcome never depends on which ended first.
    if let Some(mut walk) = walk_end {
        follow_walk(&into, &mut walk, Sink::walking).await;
    }
    let sink = into.into_inner();
    if sink.unchanged() {
        ui.debug(&format!(
            "checked {read} stored episodes for hand edits, none held ({unsealed} read in full, {} edited) in {:.2?}{}",
            edited.len(),
            t.elapsed(),
            if split.is_some() { ", in two ranges" } else { "" }
        ));
        // Every episode once, in order (the signature checked the order).
        let whole = read as u64 == expected && met;
        return Ok(GroupRead::Unchanged {
            episodes: expected,
            signature: sink.signature().filter(|_| whole),
            edited,
        });
    }
    let mut stored = sink.held;
    ui.debug(&format!(
        "checked {read} stored episodes for hand edits ({unsealed} read in full, {} edited) in {:.2?}{}",
        edited.len(),
        t.elapsed(),
        if split.is_some() { ", in two ranges" } else { "" }
    ));
    // Planning relies on Rust's order of entity_ids; Cypher orders strings
    // by UTF-16 code unit, which differs beyond the BMP, and two ranges'
    // pages arrive interleaved. In place: entity_ids are unique in a group
    // (checked next), so an unstable sort gives the one order.
    if !stored.is_sorted_by_id(true) {
        stored.sort_by_id();
    }
    if let Some(gap) = pass_gap(expected, met, &stored) {
        ui.debug(&format!("{gap}; loading it whole"));
        stored = retry::read(policy, ui, || store.load_episodes(group)).await?;
        if !stored.is_sorted_by_id(false) {
            stored.sort_by_id();
        }
    }
    Ok(GroupRead::Held(Box::new(stored), edited))
}

/// The walk's end as far as it is known given to `sink`, then waited for
/// while `waits` says so (or until the walk's task is gone). The sink is
/// borrowed only between awaits.
async fn follow_walk(
    sink: &RefCell<Sink>,
    walk: &mut tokio::sync::watch::Receiver<Walked>,
    waits: fn(&Sink) -> bool,
) {
    loop {
        // Copied out: the channel's lock is never held across an await.
        let seen = *walk.borrow_and_update();
        sink.borrow_mut().walked(seen);
        if !waits(&sink.borrow()) {
            return;
        }
        if walk.changed().await.is_err() {
            // The walk's task is gone (its panic reaches the caller).
            sink.borrow_mut().walk_lost();
            return;
        }
    }
}

/// Why the pages of a hand-edit pass cannot stand for the group's stored
/// state (which is then loaded whole), or `None` when they hold every
/// episode once: as many as the group's count, no entity_id twice (`stored`
/// is sorted), and, read in two ranges, the first ended at the split's key
/// (`met`). Each catches a writer between the count and the pages: an
/// episode added or removed, or the split's key shifted so the ranges
/// overlap or leave a gap.
fn pass_gap(expected: u64, met: bool, stored: &StoredEpisodes) -> Option<String> {
    let held = stored.len();
    if stored.has_adjacent_duplicates() {
        Some(format!(
            "the pages held some of the group's episodes twice ({held} read, {expected} counted)"
        ))
    } else if held as u64 != expected {
        Some(format!(
            "the pages held {held} of the group's {expected} episodes"
        ))
    } else if !met {
        Some("the group's two ranges did not meet at the split's key".to_string())
    } else {
        None
    }
}

/// Groups this large are read in two ranges when the store serves reads
/// side by side ([`crate::stores::Episodes::reads_side_by_side`]); below
/// it, one more query would cost more than the overlap saves.
const SPLIT_FROM: u64 = 20 * SCAN_PAGE as u64;

/// What one range of the hand-edit pass read (its episodes went to the
/// shared list).
#[derive(Default)]
struct RangePass {
    edited: HashMap<String, planning::edits::HandEdit>,
    /// The entity_id of the last episode read.
    last: Option<String>,
    read: usize,
    unsealed: usize,
}

impl RangePass {
    /// `next` read the range after this one's.
    fn join(&mut self, next: RangePass) {
        self.edited.extend(next.edited);
        self.read += next.read;
        self.unsealed += next.unsealed;
        self.last = next.last;
    }
}

/// One range of a group's pages: those after `after` (from the start when
/// `None`), at most `take` episodes (to the end when `None`).
struct Range {
    /// 0 for the first (or only) range, 1 for the second.
    index: usize,
    after: Option<String>,
    take: Option<u64>,
}

impl Range {
    const WHOLE: Range = Range {
        index: 0,
        after: None,
        take: None,
    };
}

/// The pages of one range of a group, their episodes given to `into`;
/// with `walk`, the walk's end is passed on between pages, and the read
/// waits for it while `into` says so.
async fn read_range<S: Store>(
    store: &S,
    group: &str,
    range: Range,
    into: &RefCell<Sink>,
    mut walk: Option<tokio::sync::watch::Receiver<Walked>>,
    policy: RetryPolicy,
    ui: &Ui,
) -> Result<RangePass, Error> {
    let Range {
        index,
        mut after,
        take,
    } = range;
    let mut pass = RangePass::default();
    // One page is checked (parsed and re-hashed, on a blocking thread)
    // while the next is read: the store's reply and the client's hashing
    // overlap instead of taking turns. At most two pages are held.
    let mut checking: Option<tokio::task::JoinHandle<HashMap<String, planning::edits::HandEdit>>> =
        None;
    loop {
        let left = take.map_or(u64::MAX, |t| t - pass.read as u64);
        let limit = u32::try_from(left.min(u64::from(SCAN_PAGE))).unwrap_or(SCAN_PAGE);
        if limit == 0 {
            break;
        }
        let page = retry::read(policy, ui, || {
            store.hand_edit_page(group, after.as_deref(), limit)
        })
        .await?;
        let full = page.read == limit as usize;
        pass.read += page.read;
        pass.unsealed += page.unsealed.len();
        // Borrowed only here, never across an await.
        into.borrow_mut().take(index, page.episodes);
        if let Some(walk) = &mut walk {
            follow_walk(into, walk, Sink::waits).await;
        }
        let raw = page.unsealed;
        let previous = checking.replace(tokio::task::spawn_blocking(move || {
            planning::edits::by_entity(planning::edits::hand_edits(&raw))
        }));
        if let Some(previous) = previous {
            pass.edited.extend(joined(previous).await);
        }
        pass.last.clone_from(&page.last);
        match page.last {
            Some(last) if full => after = Some(last),
            // The last page, or an entity_id planted of another type, which
            // cannot be paged past by value (`validate` reports it): stop
            // rather than loop.
            _ => break,
        }
    }
    if let Some(last) = checking {
        pass.edited.extend(joined(last).await);
    }
    Ok(pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn episodes(ids: &[&str]) -> StoredEpisodes {
        ids.iter()
            .map(|id| super::super::sink::tests::episode(id, "c"))
            .collect()
    }

    /// A page pass stands for the group only with every episode once.
    #[test]
    fn a_page_pass_stands_for_the_group_only_with_every_episode_once() {
        // (counted, ranges met, entity_ids read (sorted), what is wrong)
        let table: [(u64, bool, &[&str], Option<&str>); 7] = [
            (3, true, &["a", "b", "c"], None),
            (0, true, &[], None),
            (4, true, &["a", "b", "c"], Some("held 3 of the group's 4")),
            (2, true, &["a", "b", "c"], Some("held 3 of the group's 2")),
            // An overlap that the count does not show: one added before the
            // split's key while the ranges were read, one removed after it.
            (3, true, &["a", "b", "b"], Some("twice")),
            (3, false, &["a", "b", "c"], Some("did not meet")),
            (3, false, &["a", "a", "c"], Some("twice")),
        ];
        for (expected, met, ids, wrong) in table {
            let gap = pass_gap(expected, met, &episodes(ids));
            match (wrong, &gap) {
                (None, None) => {}
                (Some(w), Some(g)) => assert!(g.contains(w), "{ids:?}: {g}"),
                _ => panic!("{expected} {met} {ids:?}: {gap:?}"),
            }
        }
    }
}
