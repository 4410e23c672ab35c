//! The group's links once a plan is applied, in the order the graph
//! signature hashes them (sorted `(source, target, kind, count)` tuples),
//! without a list of them all. A cold seed of a million linked notes has
//! about three million links: as a sorted list of borrowed tuples that was
//! 56 bytes a link, 160 MB (twice that while the list grew), the largest
//! thing its plan held. Here the stored links kept are 4 bytes each (their
//! positions, sorted), and the links the plan writes are read from the
//! sets it already holds, which are sorted.

use crate::hashing::LinkTuple;
use crate::links::Edge;
use crate::stores::StoredLink;

use super::Action;
use super::created::Made;

/// See the module's documentation.
pub(super) struct LinksAfter<'a> {
    stored: &'a [StoredLink],
    /// Positions in `stored` of the links kept (their source's links not
    /// written again, neither end pruned), in tuple order.
    kept: Vec<u32>,
    /// The sources whose links this plan writes, by id, each once (the
    /// last entry of an id, as written), with their edges (sorted by
    /// target, then kind).
    written: Vec<(&'a str, &'a [Edge])>,
    /// Ids pruned: no link from or to them remains.
    pruned: Vec<&'a str>,
}

impl<'a> LinksAfter<'a> {
    pub(super) fn new(stored: &'a [StoredLink], made: Made<'a>) -> LinksAfter<'a> {
        let sorted = |mut ids: Vec<&'a str>| {
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let pruned = sorted(
            made.entries
                .iter()
                .filter(|d| d.action == Action::Prune)
                .map(|d| &*d.entity_id)
                .collect(),
        );
        let stored_sources = sorted(stored.iter().map(|l| &*l.source).collect());
        let has = |ids: &[&str], id: &str| ids.binary_search(&id).is_ok();
        // Only entries that link somewhere or replace stored links matter:
        // an empty set replacing nothing changes nothing.
        let mut written: Vec<(&str, &[Edge])> = made
            .entries
            .iter()
            .filter_map(|d| Some((&*d.entity_id, d.links.as_deref()?)))
            .chain(made.created.with_links().map(|(id, l)| (id, &**l)))
            .filter(|(id, l)| !l.edges.is_empty() || has(&stored_sources, id))
            .map(|(id, l)| (id, &l.edges[..]))
            .collect();
        // Stable: of two entries of one id, the later one's set is what is
        // written, and it is the one kept, in place (a second list was 32
        // bytes a linked episode).
        written.sort_by(|a, b| a.0.cmp(b.0));
        written.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                *kept = *later;
            }
            same
        });
        written.shrink_to_fit();
        let is_written = |id: &str| written.binary_search_by(|w| w.0.cmp(id)).is_ok();
        let mut kept: Vec<u32> = (0..stored.len())
            .filter(|&i| {
                let l = &stored[i];
                !is_written(&l.source) && !has(&pruned, &l.source) && !has(&pruned, &l.target)
            })
            .map(|i| u32::try_from(i).expect("fewer than 2^32 stored links"))
            .collect();
        // The stores load links in this order already; sort only if not.
        let tuple = |i: &u32| stored[*i as usize].tuple();
        if !kept.is_sorted_by_key(tuple) {
            kept.sort_unstable_by_key(tuple);
        }
        LinksAfter {
            stored,
            kept,
            written,
            pruned,
        }
    }

    /// The links, in tuple order: the stored ones kept and the written ones,
    /// merged (their sources are distinct).
    pub(super) fn tuples(&self) -> impl Iterator<Item = LinkTuple<'a>> + '_ {
        let pruned = |id: &str| self.pruned.binary_search(&id).is_ok();
        let stored = self.stored;
        let mut kept = self
            .kept
            .iter()
            .map(move |&i| stored[i as usize].tuple())
            .peekable();
        let mut written = self
            .written
            .iter()
            .filter(move |(source, _)| !pruned(source))
            .flat_map(move |&(source, edges)| {
                edges
                    .iter()
                    .filter(move |e| !pruned(&e.target))
                    .map(move |e| (source, e.target.as_str(), e.kind.as_str(), e.count))
            })
            .peekable();
        std::iter::from_fn(move || match (kept.peek(), written.peek()) {
            (Some(k), Some(w)) if k <= w => kept.next(),
            (_, Some(_)) => written.next(),
            (Some(_), None) => kept.next(),
            (None, None) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::links::LinkKind::{Embed, Field, Wikilink};
    use crate::planning::EntryLinks;
    use crate::planning::created::Created;
    use crate::planning::{Origin, PlanEntry, Reasons};

    fn entry(id: &str, action: Action) -> PlanEntry {
        PlanEntry {
            action,
            entity_id: id.into(),
            keeps_updated_at: false,
            reason: Reasons::UNCHANGED,
            before: None,
            after: None,
            origin: Origin::Stored,
            links: None,
        }
    }

    fn stored(source: &str, target: &str, kind: crate::links::LinkKind) -> StoredLink {
        StoredLink {
            source: source.into(),
            target: target.into(),
            kind,
            count: 1,
        }
    }

    fn edge(target: &str, kind: crate::links::LinkKind, count: u32) -> Edge {
        Edge {
            target: target.into(),
            kind,
            count,
        }
    }

    /// What the list this replaced made: every stored link of a source not
    /// written, every written edge, none from or to a pruned id, sorted.
    fn by_list(stored: &[StoredLink], made: Made<'_>) -> Vec<(String, String, String, u32)> {
        let mut written: Vec<(&str, &[Edge])> = Vec::new();
        for d in made.entries {
            if let Some(l) = &d.links {
                written.retain(|w| w.0 != &*d.entity_id);
                written.push((&d.entity_id, &l.edges));
            }
        }
        let pruned: Vec<&str> = made
            .entries
            .iter()
            .filter(|d| d.action == Action::Prune)
            .map(|d| &*d.entity_id)
            .collect();
        let mut out: Vec<_> = stored
            .iter()
            .filter(|l| !written.iter().any(|w| w.0 == &*l.source))
            .map(|l| l.tuple())
            .chain(written.iter().flat_map(|&(s, edges)| {
                edges
                    .iter()
                    .map(move |e| (s, e.target.as_str(), e.kind.as_str(), e.count))
            }))
            .filter(|t| !pruned.contains(&t.0) && !pruned.contains(&t.1))
            .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d))
            .collect();
        out.sort();
        out
    }

    /// Stored links in either order, a source written again (twice: the
    /// later set counts), a new source, an empty set replacing stored ones,
    /// a pruned source and a pruned target: the merged stream is the sorted
    /// list, link for link.
    #[test]
    fn the_merged_links_are_the_sorted_list() {
        let links = |edges: Vec<Edge>| Some(Arc::new(EntryLinks::new(edges, Default::default())));
        let mut entries = vec![
            entry("b", Action::Update),
            entry("d", Action::Create),
            entry("b", Action::Update),
            entry("c", Action::Update),
            entry("p", Action::Prune),
        ];
        entries[0].links = links(vec![edge("z", Wikilink, 9)]);
        entries[1].links = links(vec![edge("a", Field, 1), edge("p", Embed, 1)]);
        entries[2].links = links(vec![edge("a", Embed, 2), edge("c", Wikilink, 1)]);
        entries[3].links = links(vec![]);
        let created = Created::default();
        let made = Made {
            entries: &entries,
            created: &created,
        };
        let mut stored_links = vec![
            stored("a", "b", Wikilink),
            stored("a", "c", Embed),
            stored("a", "p", Field),
            stored("b", "a", Field),
            stored("c", "a", Wikilink),
            stored("e", "a", Wikilink),
            stored("p", "a", Wikilink),
        ];
        for _ in 0..2 {
            let after = LinksAfter::new(&stored_links, made);
            let merged: Vec<_> = after
                .tuples()
                .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d))
                .collect();
            let want = by_list(&stored_links, made);
            assert_eq!(merged, want);
            assert!(merged.iter().any(|t| t.0 == "d"), "{merged:?}");
            assert!(!merged.iter().any(|t| t.0 == "c"), "{merged:?}");
            stored_links.reverse();
        }
    }
}
