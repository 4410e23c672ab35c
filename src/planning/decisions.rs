//! Every decision of a plan in plan order: the entries, and the slots
//! that stand for an entry made only when it is listed or applied (the
//! skips of unchanged files, the bumps of files whose bytes are stored).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::created::Created;
use super::{Action, After, Origin, PlanEntry, Reasons, RecordedTimes};
use crate::metadata::{StoredEpisode, StoredEpisodes};

/// Where one decision of the plan is, in plan order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// `Decisions::entries[i]`.
    Entry(u32),
    /// The stored episode `stored[i]` of a file whose bytes and version are
    /// the stored ones: skipped, and spelled out only when listed. A no-op
    /// reseed of a million files is a million of these, eight bytes each,
    /// where an entry (with its snapshot and copied strings) was ~300.
    Unchanged(u32),
    /// The stored episode `stored[stored]` of a file under
    /// `input.roots[root]` whose bytes are the stored ones, at an older
    /// version: replaced at the plan's version, its body read again when
    /// applied ([`Origin::SameBytes`]). A version bump of a million files
    /// is a million of these; as entries, with a planned file each, they
    /// were about 180 bytes an episode beside the stored state.
    Bumped { stored: u32, root: u16 },
    /// `Decisions::created`'s row `i`: a create of a whole file's item,
    /// spelled out only when listed (see [`super::created`]). A cold seed of
    /// a million files is a million of these.
    Created(u32),
}

/// Every decision of a plan, in plan order: the entries that do something
/// (or were parsed), and the skips of unchanged files and the bumps of
/// files whose bytes are stored, as positions in the stored state the plan
/// was made from.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    pub(super) entries: Vec<PlanEntry>,
    pub(super) order: Vec<Slot>,
    pub(super) stored: Arc<StoredEpisodes>,
    pub(super) created: Created,
    /// The plan's version as text, the version of every written entry.
    pub(super) version: Arc<str>,
    /// The source of the episodes read from standard input.
    pub(super) stdin_source: Option<Arc<str>>,
    /// Timestamps hand edits changed, by entity_id (see [`RecordedTimes`]).
    pub(super) recorded: std::collections::HashMap<String, RecordedTimes>,
    pub(super) reasons: Reasons,
    /// Skips of unchanged files counted without their stored episodes: a
    /// plan made without the stored state ([`unchanged::unchanged_plan`])
    /// is nothing else. They are counted, never spelled out: such a plan is
    /// made only for a seed that lists no skip.
    pub(super) unlisted_skips: u64,
}

impl Decisions {
    /// The stored episode at a position an entry's `before` names.
    pub(crate) fn stored(&self, at: u32) -> StoredEpisode<'_> {
        self.stored.get(at as usize)
    }
}

impl Decisions {
    /// `order` refers to `entries` by index; entries made from a skip late
    /// (an unchanged file read again for its links) come last there, and
    /// are put back in plan order here, so `entries` is in plan order.
    pub(crate) fn new(
        (mut entries, created): (Vec<PlanEntry>, Created),
        mut order: Vec<Slot>,
        stored: Arc<StoredEpisodes>,
        version: Arc<str>,
        stdin_source: Option<Arc<str>>,
        recorded: std::collections::HashMap<String, RecordedTimes>,
        reasons: Reasons,
    ) -> Self {
        let in_order = order
            .iter()
            .filter_map(|s| match *s {
                Slot::Entry(i) => Some(i),
                Slot::Unchanged(_) | Slot::Bumped { .. } | Slot::Created(_) => None,
            })
            .enumerate()
            .all(|(k, i)| k == i as usize);
        if !in_order {
            let mut taken: Vec<Option<PlanEntry>> = entries.into_iter().map(Some).collect();
            entries = Vec::with_capacity(taken.len());
            for slot in &mut order {
                if let Slot::Entry(i) = slot {
                    entries.push(taken[*i as usize].take().expect("each entry once"));
                    *i = (entries.len() - 1) as u32;
                }
            }
        }
        Decisions {
            entries,
            order,
            stored,
            created,
            version,
            stdin_source,
            recorded,
            reasons,
            unlisted_skips: 0,
        }
    }

    /// `skips` skips of unchanged files, and nothing else, without the
    /// stored episodes they are about (see [`Decisions::unlisted_skips`]).
    pub(crate) fn unchanged(skips: u64, version: Arc<str>) -> Self {
        Decisions {
            version,
            unlisted_skips: skips,
            ..Decisions::default()
        }
    }

    /// How many decisions, skips of unchanged files included.
    pub fn len(&self) -> usize {
        self.order.len() + self.unlisted_skips as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Skips counted but not held, so not in [`Decisions::iter`]: all of a
    /// plan made without the stored state, none of any other.
    pub fn unlisted_skips(&self) -> u64 {
        self.unlisted_skips
    }

    /// The decisions that were made as entries, in plan order: every one
    /// that relinks, orphans or prunes is one, and every write but the
    /// bumps of `Slot::Bumped` and the creates of `Slot::Created` (see
    /// [`Decisions::writes`]); skips of unchanged files are not.
    pub fn entries(&self) -> &[PlanEntry] {
        &self.entries
    }

    /// Every decision in plan order, the skips of unchanged files spelled
    /// out one at a time (never collected: a listing or an audit trail of a
    /// million skips holds one at once); [`Decisions::unlisted_skips`]
    /// are not among them.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, PlanEntry>> + '_ {
        self.order.iter().map(|slot| match *slot {
            Slot::Entry(i) => Cow::Borrowed(&self.entries[i as usize]),
            Slot::Unchanged(i) => Cow::Owned(unchanged_skip(self.stored.get(i as usize), i)),
            Slot::Bumped { stored, root } => Cow::Owned(self.bumped(stored, root)),
            Slot::Created(k) => Cow::Owned(self.created.entry(k)),
        })
    }

    /// The entry a [`Slot::Bumped`] stands for.
    fn bumped(&self, at: u32, root: u16) -> PlanEntry {
        let s = self.stored.get(at as usize);
        let crate::hashing::StoredHashRef::Digest(content) = s.content_hash() else {
            unreachable!("only an episode whose content_hash is a digest is bumped in a slot")
        };
        PlanEntry {
            action: Action::Replace,
            // The version changes, so `updated_at` moves, as for any replace.
            keeps_updated_at: false,
            entity_id: s.entity_id().into(),
            reason: self.reasons.bumped(s.version()),
            before: Some(at),
            after: Some(After::Written(content)),
            origin: Origin::SameBytes(root),
            links: None,
        }
    }

    /// The slots of [`Decisions::writes`].
    fn write_slots(&self) -> impl Iterator<Item = &Slot> + '_ {
        self.order.iter().filter(move |slot| match **slot {
            Slot::Entry(i) => {
                let d = &self.entries[i as usize];
                d.action.writes() && d.action != Action::Prune
            }
            Slot::Unchanged(_) => false,
            Slot::Bumped { .. } | Slot::Created(_) => true,
        })
    }

    /// Per write of [`Decisions::writes`], in the same order, its episode's
    /// entity_id and links when it writes links, borrowed from the plan
    /// (a created row's entry is made anew each time it is spelled out).
    pub(crate) fn write_links(
        &self,
    ) -> impl Iterator<Item = Option<(&str, &super::EntryLinks)>> + '_ {
        self.write_slots().map(move |slot| match *slot {
            Slot::Entry(i) => {
                let d = &self.entries[i as usize];
                Some((&*d.entity_id, d.links.as_deref()?))
            }
            Slot::Created(k) => Some((self.created.id(k), &**self.created.links(k)?)),
            Slot::Bumped { .. } | Slot::Unchanged(_) => None,
        })
    }

    /// Every decision that writes an episode (creates, updates, replaces,
    /// refreshes, not prunes), in plan order, the bumps and the created
    /// rows made one at a time (see `Slot::Bumped`, `Slot::Created`).
    pub fn writes(&self) -> impl Iterator<Item = Cow<'_, PlanEntry>> + '_ {
        self.write_slots().map(move |slot| match *slot {
            Slot::Entry(i) => Cow::Borrowed(&self.entries[i as usize]),
            Slot::Bumped { stored, root } => Cow::Owned(self.bumped(stored, root)),
            Slot::Created(k) => Cow::Owned(self.created.entry(k)),
            Slot::Unchanged(_) => unreachable!("skips write nothing"),
        })
    }

    /// Whether any decision is a write held as a slot ([`Slot::Bumped`],
    /// [`Slot::Created`]).
    pub(super) fn any_slot_writes(&self) -> bool {
        self.created.len() > 0 || self.order.iter().any(|s| matches!(s, Slot::Bumped { .. }))
    }

    /// How many decisions of each action, without spelling any out.
    pub(super) fn count_into(&self, m: &mut BTreeMap<&'static str, u64>) {
        for slot in &self.order {
            let action = match *slot {
                Slot::Entry(i) => self.entries[i as usize].action,
                Slot::Unchanged(_) => Action::Skip,
                Slot::Bumped { .. } => Action::Replace,
                Slot::Created(_) => Action::Create,
            };
            *m.entry(action.as_str()).or_default() += 1;
        }
        *m.entry(Action::Skip.as_str()).or_default() += self.unlisted_skips;
    }
}

/// The entry of a stored episode whose file is unchanged: what a
/// [`Slot::Unchanged`] stands for.
pub(crate) fn unchanged_skip(s: StoredEpisode<'_>, at: u32) -> PlanEntry {
    PlanEntry {
        action: Action::Skip,
        keeps_updated_at: true,
        entity_id: s.entity_id().into(),
        reason: Reasons::UNCHANGED,
        before: Some(at),
        after: Some(After::AsBefore),
        origin: Origin::Stored,
        links: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::for_tests::{plan_against, plan_of, stored_after};
    use super::super::{Origin, PlanInput, stored_signature};
    use super::*;
    use crate::version::SeedVersion;

    const FILES: [(&str, &str); 3] = [
        ("a.json", r#"{"name": "x", "k": 1}"#),
        ("b.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"),
        ("c.json", r#"{"name": "z", "k": 3}"#),
    ];

    fn at(input: &PlanInput, version: &str) -> PlanInput {
        PlanInput {
            version: SeedVersion::parse(version).unwrap(),
            ..input.clone()
        }
    }

    /// `plan` writes each of `FILES`' five episodes, by `action`, in walk
    /// order, and its signature is the state it leaves.
    fn writes_every_file(plan: &super::super::Plan, action: &str) {
        assert_eq!(plan.counts()[action], 5);
        assert!(plan.has_changes());
        let writes: Vec<String> = plan
            .decisions
            .writes()
            .map(|d| d.entity_id.to_string())
            .collect();
        assert_eq!(writes, ["a", "1", "2", "3", "c"]);
        assert_eq!(plan.signature_after, stored_signature(&stored_after(plan)));
    }

    /// A version bump of files whose bytes are stored plans no file and no
    /// entry for them: each is a slot, spelled out as the replace it is
    /// when listed, counted and applied, and in the signature.
    #[test]
    fn a_bump_of_stored_bytes_is_slots_spelled_out_as_replaces() {
        let (d, input, first) = plan_of(&FILES);
        let stored = stored_after(&first);
        std::fs::write(d.path().join("c.json"), r#"{"name": "z", "k": 4}"#).unwrap();
        let plan = plan_against(&at(&input, "1.1.0"), stored.clone());
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        // Only the changed file is planned and made an entry.
        assert_eq!(plan.files.len(), 1);
        assert_eq!(plan.decisions.entries().len(), 1);
        assert_eq!(&*plan.decisions.entries()[0].entity_id, "c");
        let listed: Vec<_> = plan.decisions.iter().collect();
        let ids: Vec<&str> = listed.iter().map(|d| &*d.entity_id).collect();
        assert_eq!(ids, ["a", "1", "2", "3", "c"], "walk order");
        for d in &listed[..4] {
            let s = stored
                .iter()
                .find(|s| s.entity_id() == &*d.entity_id)
                .unwrap();
            assert_eq!(d.action, Action::Replace);
            assert_eq!(d.origin, Origin::SameBytes(0));
            assert!(!d.keeps_updated_at && d.links.is_none());
            assert_eq!(plan.reason(d), "version 1.0.0 -> 1.1.0");
            assert_eq!(&**plan.source(d), "src");
            assert_eq!(plan.source_path(d), s.source_path());
            let after = plan.after(d).unwrap();
            assert_eq!(after.version, "1.1.0");
            assert_eq!(after.content_hash.to_string(), s.content_hash().to_string());
            assert_eq!(
                after.source_hash.map(|h| h.to_string()),
                s.source_hash().map(|h| h.to_string())
            );
            assert_eq!(plan.before(d).unwrap().version, "1.0.0");
        }
        writes_every_file(&plan, "replace");
        assert_ne!(plan.signature_after, stored_signature(&stored));
    }

    /// A cold seed's creates are rows, no entries: listed, counted, written
    /// and signed as the creates they are. Items past a file's first line
    /// stay entries; an id produced again names the row's file and line as
    /// its first producer.
    #[test]
    fn a_cold_seeds_creates_are_rows_spelled_out_as_creates() {
        let (d, input, plan) = plan_of(&FILES);
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        let entries: Vec<&str> = plan
            .decisions
            .entries()
            .iter()
            .map(|e| &*e.entity_id)
            .collect();
        assert_eq!(entries, ["2", "3"], "the items past line 1");
        assert_eq!(plan.decisions.created.len(), 3);
        let listed: Vec<_> = plan.decisions.iter().collect();
        let ids: Vec<&str> = listed.iter().map(|d| &*d.entity_id).collect();
        assert_eq!(ids, ["a", "1", "2", "3", "c"], "walk order");
        for (d, file) in [(&listed[0], "a.json"), (&listed[4], "c.json")] {
            assert_eq!(d.action, Action::Create);
            assert_eq!(plan.reason(d), "new episode");
            assert_eq!(d.before, None);
            assert!(d.links.as_deref().is_none_or(|l| l.edges.is_empty()));
            assert_eq!(plan.source_path(d), Some(file));
            assert!(matches!(d.origin, Origin::File(_)));
            let after = plan.after(d).unwrap();
            assert_eq!(after.version, "1.0.0");
            assert!(after.source_hash.is_some());
        }
        writes_every_file(&plan, "create");
        // Produced twice: the row's file and line are named first.
        std::fs::write(d.path().join("z.json"), r#"{"entity_id": "c"}"#).unwrap();
        let plan = plan_against(&input, Default::default());
        let messages: Vec<&str> = plan.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            ["duplicate entity_id `c`: produced by src/c.json:1 and by src/z.json:1"]
        );
    }

    /// A bump that is more than a plain replace goes the way of any
    /// produced episode, with the same words.
    #[test]
    fn a_bump_that_is_no_plain_replace_is_decided_as_an_entry() {
        let (d, input, first) = plan_of(&FILES);
        let stored = stored_after(&first);
        // Older than stored: refused, one error an episode.
        let plan = plan_against(&at(&input, "0.9.0"), stored.clone());
        assert_eq!(plan.error_count(), 5);
        assert!(plan.downgrade_only());
        assert!(!plan.has_changes());
        // Produced twice: the bumped file is named as the first producer.
        std::fs::write(d.path().join("z.json"), r#"{"entity_id": "a"}"#).unwrap();
        let plan = plan_against(&at(&input, "1.1.0"), stored);
        let messages: Vec<&str> = plan.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            ["duplicate entity_id `a`: produced by src/a.json and by src/z.json:1"]
        );
    }
}
