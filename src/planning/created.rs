//! The creates of parsed items, as rows rather than entries: a cold
//! seed of a million files is a million of them, and as a [`PlanEntry`] each
//! (80 bytes and its id's allocation, about 100 bytes in all) they were
//! the largest part of its plan. A row is its id's text and its file (about
//! 23 bytes at a short id) and its content hash, 32 bytes in a [`Spilled`]
//! list (in a temporary file past a few megabytes), and a
//! [`super::Slot::Created`] of 8 bytes places it in plan order.
//!
//! Only a plain create is a row: an item of a parsed file with no stored
//! episode, decided [`super::decide::Decision::Create`], that starts on
//! line 1 (a JSON object, the first line of JSON Lines) or has no line. A
//! row keeps that one line in a bit, for the duplicate check to name; the
//! items on later lines keep entries, which the check finds the lines of.
//! It is spelled out as its entry only when listed, counted, signed or
//! written ([`super::Decisions`]).

use std::sync::Arc;

use super::{Action, After, Origin, PlanEntry, ReasonId};
use crate::hashing::Sha256Hash;
use crate::spill::Spilled;
use crate::text_list::TextList;

/// The bit of a made decision's position (see [`Made`]) that says it is a
/// created row, not an entry. Entries stay below it: a plan of 2^30
/// entries would not fit in memory anyway.
pub(super) const CREATED: u32 = 1 << 30;

/// The position of entry `i` (see [`Made`]): below the row bit, so that it
/// never reads as a row's.
pub(super) fn entry_at(i: usize) -> u32 {
    u32::try_from(i)
        .ok()
        .filter(|&i| i < CREATED)
        .expect("fewer than 2^30 entries in a plan")
}

/// The created rows of a plan.
#[derive(Debug, Clone, Default)]
pub(crate) struct Created {
    /// Each row's entity_id, with its file.
    rows: TextList<Row>,
    /// Each row's content hash, by row.
    contents: Spilled<32>,
    /// Each row's links once resolved (see `links::resolve_pending`).
    links: RowLinks,
    /// The reason every create gives ("new episode"), once there is a row.
    reason: Option<ReasonId>,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    /// `Plan::files[file]`; [`LINE_ONE`] set when the item starts on line 1
    /// (a JSON object), unset for an item without a line.
    file: u32,
}

/// The bit of a row's `file` saying its item starts on line 1.
const LINE_ONE: u32 = 1 << 31;

/// The rows' links. Resolving gives every parsed item a set, most of them
/// one shared empty set (an item that links nowhere): those are a bit each,
/// and only a row with a set of its own takes a slot in `own` (made, for
/// every row, once the first one does). A slot per row from the start was
/// 8 MB at a million creates, at the plan's peak.
#[derive(Debug, Clone, Default)]
struct RowLinks {
    shared: Option<Arc<super::EntryLinks>>,
    /// Bit `k`: row `k` has the shared set.
    has_shared: Vec<u64>,
    own: Vec<Option<Arc<super::EntryLinks>>>,
}

impl RowLinks {
    fn get(&self, k: usize) -> Option<&Arc<super::EntryLinks>> {
        if let Some(l) = self.own.get(k).and_then(Option::as_ref) {
            return Some(l);
        }
        let bit = self
            .has_shared
            .get(k / 64)
            .is_some_and(|w| w & (1 << (k % 64)) != 0);
        bit.then_some(self.shared.as_ref()).flatten()
    }

    fn set(&mut self, k: usize, rows: usize, links: Arc<super::EntryLinks>) {
        let shared = self.shared.get_or_insert_with(|| links.clone());
        if Arc::ptr_eq(shared, &links) {
            if self.has_shared.len() <= k / 64 {
                self.has_shared.resize(rows.div_ceil(64), 0);
            }
            self.has_shared[k / 64] |= 1 << (k % 64);
            if let Some(own) = self.own.get_mut(k) {
                *own = None;
            }
        } else {
            if self.own.len() < rows {
                self.own.resize(rows, None);
            }
            self.own[k] = Some(links);
        }
    }
}

impl Created {
    /// Whether an item on `line` of its file may be a row (see the module's
    /// doc).
    pub(super) fn takes_line(line: Option<usize>) -> bool {
        matches!(line, None | Some(1))
    }

    /// Add a row for the item on `line` (see [`Self::takes_line`]) of
    /// `Plan::files[file]`; its index.
    pub(super) fn push(
        &mut self,
        entity_id: &str,
        (file, line): (u32, Option<usize>),
        content: Sha256Hash,
        reason: ReasonId,
    ) -> u32 {
        debug_assert!(self.reason.is_none_or(|r| r == reason));
        debug_assert!(Self::takes_line(line) && file < LINE_ONE);
        self.reason = Some(reason);
        let k = self.rows.push(
            entity_id,
            Row {
                file: if line == Some(1) {
                    file | LINE_ONE
                } else {
                    file
                },
            },
        );
        self.contents.push(content.0);
        debug_assert_eq!(self.contents.len(), self.rows.len());
        u32::try_from(k)
            .ok()
            .filter(|&k| k < CREATED)
            .expect("fewer than 2^30 creates in a plan")
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(super) fn id(&self, k: u32) -> &str {
        self.rows.get(k as usize).0
    }

    /// The file the row's item is in.
    pub(super) fn file(&self, k: u32) -> u32 {
        self.rows.get(k as usize).1.file & !LINE_ONE
    }

    /// The line its item starts on, where the format tells.
    pub(super) fn line(&self, k: u32) -> Option<u32> {
        (self.rows.get(k as usize).1.file & LINE_ONE != 0).then_some(1)
    }

    pub(super) fn content(&self, k: u32) -> Sha256Hash {
        Sha256Hash(self.contents.get(k as usize))
    }

    /// Its links, once resolved.
    pub(super) fn links(&self, k: u32) -> Option<&Arc<super::EntryLinks>> {
        self.links.get(k as usize)
    }

    fn set_links(&mut self, k: u32, links: Arc<super::EntryLinks>) {
        let rows = self.len();
        self.links.set(k as usize, rows, links);
    }

    /// The entry row `k` stands for.
    pub(crate) fn entry(&self, k: u32) -> PlanEntry {
        let (id, row) = self.rows.get(k as usize);
        PlanEntry {
            action: Action::Create,
            keeps_updated_at: false,
            entity_id: id.into(),
            reason: self.reason.expect("a row was pushed with its reason"),
            before: None,
            after: Some(After::Written(self.content(k))),
            origin: Origin::File(row.file & !LINE_ONE),
            links: self.links(k).cloned(),
        }
    }

    /// Every row's id and content hash, in order.
    pub(super) fn ids_and_contents(&self) -> impl Iterator<Item = (&str, Sha256Hash)> + '_ {
        (self.rows.iter().zip(self.contents.iter())).map(|((id, _), c)| (id, Sha256Hash(c)))
    }

    /// Every row's id and links, for rows that have links.
    pub(super) fn with_links(&self) -> impl Iterator<Item = (&str, &Arc<super::EntryLinks>)> + '_ {
        (0..self.len() as u32).filter_map(|k| Some((self.id(k), self.links(k)?)))
    }
}

/// The decisions made so far, entries and created rows, read by position:
/// an entry's index, or [`CREATED`] and a row's.
#[derive(Clone, Copy)]
pub(super) struct Made<'a> {
    pub(super) entries: &'a [PlanEntry],
    pub(super) created: &'a Created,
}

impl<'a> Made<'a> {
    pub(super) fn id(self, at: u32) -> &'a str {
        if at & CREATED != 0 {
            self.created.id(at & !CREATED)
        } else {
            &self.entries[at as usize].entity_id
        }
    }

    /// Where the decision's body comes from.
    pub(super) fn origin(self, at: u32) -> Origin {
        if at & CREATED != 0 {
            Origin::File(self.created.file(at & !CREATED))
        } else {
            self.entries[at as usize].origin
        }
    }
}

/// [`Made`], to attach links.
pub(super) struct MadeMut<'a> {
    pub(super) entries: &'a mut [PlanEntry],
    pub(super) created: &'a mut Created,
}

impl MadeMut<'_> {
    pub(super) fn as_made(&self) -> Made<'_> {
        Made {
            entries: self.entries,
            created: self.created,
        }
    }

    /// Give the decision at `at` its resolved links: every write gets its
    /// set, a skip only one that differs from the stored (`changed`, asked
    /// only for a skip). `true` for a skip relinked.
    pub(super) fn set_links(
        &mut self,
        at: u32,
        links: Arc<super::EntryLinks>,
        changed: impl FnOnce(&super::EntryLinks) -> bool,
    ) -> bool {
        if at & CREATED != 0 {
            self.created.set_links(at & !CREATED, links);
            return false;
        }
        let Some(d) = self.entries.get_mut(at as usize) else {
            return false;
        };
        if d.action.writes() {
            d.links = Some(links);
            false
        } else if d.action == Action::Skip && changed(&links) {
            d.links = Some(links);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row reads back as the entry it stands for, with its links once
    /// set; positions find rows and entries apart.
    #[test]
    fn a_row_is_the_create_it_stands_for() {
        let mut c = Created::default();
        let reason = ReasonId(3);
        for (i, id) in ["a", "bb", ""].into_iter().enumerate() {
            let at = (i as u32 * 7, (i == 1).then_some(1));
            assert_eq!(c.push(id, at, Sha256Hash([i as u8; 32]), reason), i as u32);
        }
        assert_eq!((c.line(0), c.line(1), c.file(1)), (None, Some(1), 7));
        let e = c.entry(1);
        assert_eq!(
            (e.action, &*e.entity_id, e.reason, e.before, e.origin),
            (Action::Create, "bb", reason, None, Origin::File(7))
        );
        assert_eq!(e.after, Some(After::Written(Sha256Hash([1; 32]))));
        assert!(e.links.is_none() && c.with_links().next().is_none());
        let links = Arc::new(super::super::EntryLinks::default());
        let entries = vec![c.entry(0)];
        let mut made = MadeMut {
            entries: &mut entries.clone(),
            created: &mut c,
        };
        assert!(!made.set_links(2 | CREATED, links.clone(), |_| true));
        // The first set given is the shared one; another is a row's own.
        let own = Arc::new(super::super::EntryLinks::new(vec![], Default::default()));
        made.set_links(1 | CREATED, own.clone(), |_| true);
        made.set_links(CREATED, links.clone(), |_| true);
        assert_eq!(made.as_made().id(2 | CREATED), "");
        assert_eq!(made.as_made().id(0), "a");
        assert_eq!(made.as_made().origin(1 | CREATED), Origin::File(7));
        assert!(Arc::ptr_eq(c.entry(2).links.as_ref().unwrap(), &links));
        assert!(Arc::ptr_eq(c.entry(1).links.as_ref().unwrap(), &own));
        assert!(Arc::ptr_eq(c.entry(0).links.as_ref().unwrap(), &links));
        assert_eq!(
            c.with_links().map(|(id, _)| id).collect::<Vec<_>>(),
            ["a", "bb", ""]
        );
        assert_eq!(
            c.ids_and_contents().map(|(id, _)| id).collect::<Vec<_>>(),
            ["a", "bb", ""]
        );
    }

    /// A row per create of a cold seed: a byte here is a megabyte at a
    /// million (with its id's text and four bytes for where it ends).
    #[test]
    fn a_row_stays_small() {
        assert_eq!(std::mem::size_of::<Row>(), 4);
    }
}
