//! What the store keeps of an episode's links besides its edges, so a plan
//! can tell which unchanged files must resolve their links again without
//! reading them all: the names links may call the episode by (its aliases
//! and item key; its name and path are stored anyway), and the links it
//! wrote that resolved to no single episode (dangling or ambiguous), with
//! where they were written.
//!
//! In Neo4j the unresolved links are a list property of the episode
//! (`links_dangling`), one string each ([`encode`]): they belong to the
//! episode, so they are replaced by the same statement as its edges and go
//! with it on prune, with no extra label, constraint or node for consumers
//! (Graphiti, community projections) to step over. SQLite keeps them as rows
//! of `links_dangling`.

use super::{LinkKind, Position, RawLink};

/// The stored link facts of one episode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkFacts {
    /// Its `aliases` / `alias` front-matter values.
    pub aliases: Vec<String>,
    /// Its own `id` or `name` in a multi-episode file (picks it by anchor).
    pub key: Option<String>,
    /// Its links that name no episode, or several; in file order.
    pub unresolved: Vec<RawLink>,
}

/// One stored episode's link facts, as loaded for planning: one per stored
/// episode when a file changed, so kept small: entity_id and name in one
/// allocation, the facts behind a pointer that episodes with none share
/// (32 bytes and one allocation an episode, not 40 and two).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredLinkState {
    /// entity_id, then the episode's stored `name`.
    id_name: Box<str>,
    /// Where the name starts in `id_name`.
    name_at: u32,
    /// `None` when the episode was written before graphseed stored link
    /// facts: then nothing is known and its file is read again once.
    pub facts: Option<std::sync::Arc<LinkFacts>>,
}

impl StoredLinkState {
    pub fn new(entity_id: &str, name: &str, facts: Option<std::sync::Arc<LinkFacts>>) -> Self {
        let mut id_name = String::with_capacity(entity_id.len() + name.len());
        id_name.push_str(entity_id);
        id_name.push_str(name);
        StoredLinkState {
            id_name: id_name.into_boxed_str(),
            // The stores cap property sizes far below 4 GB.
            name_at: u32::try_from(entity_id.len()).expect("entity_id shorter than 4 GB"),
            facts,
        }
    }

    pub fn entity_id(&self) -> &str {
        &self.id_name[..self.name_at as usize]
    }

    /// The episode's stored `name`.
    pub fn name(&self) -> &str {
        &self.id_name[self.name_at as usize..]
    }
}

impl std::fmt::Debug for StoredLinkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredLinkState")
            .field("entity_id", &self.entity_id())
            .field("name", &self.name())
            .field("facts", &self.facts)
            .finish()
    }
}

impl LinkFacts {
    /// Shared: most episodes have no aliases, key or unresolved links, and
    /// a million of them loaded at once need not hold a million copies.
    pub fn shared(self) -> std::sync::Arc<LinkFacts> {
        static NONE: std::sync::LazyLock<std::sync::Arc<LinkFacts>> =
            std::sync::LazyLock::new(Default::default);
        if self == LinkFacts::default() {
            NONE.clone()
        } else {
            std::sync::Arc::new(self)
        }
    }
}

/// Which episodes' link state a plan reads. Loading a group's whole state
/// is about 80 bytes an episode (85 MB at a million), where a reseed that
/// changed a few files of a group whose episodes link nowhere needs only
/// a handful: those it parsed or lets go, and those a change may concern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateWanted {
    /// Every episode's: links are resolved against the whole group, or
    /// stored edges may point at any episode whose names change.
    All,
    /// The listed entity_ids' (sorted), and every episode whose state a
    /// plan must see whoever it is: one that stored unresolved links (a
    /// change may resolve them) or whose facts are unknown (its file is
    /// read again). An episode left out has known facts and no unresolved
    /// link, which is all a plan needs to know of it then.
    Some(Vec<String>),
}

impl StateWanted {
    /// Whether `s` is read.
    pub fn keeps(&self, s: &StoredLinkState) -> bool {
        match self {
            StateWanted::All => true,
            StateWanted::Some(ids) => {
                s.facts.as_ref().is_none_or(|f| !f.unresolved.is_empty())
                    || ids
                        .binary_search_by(|id| id.as_str().cmp(s.entity_id()))
                        .is_ok()
            }
        }
    }
}

/// Separates an anchor from its target in [`encode`]: a control character no
/// path or note name holds (a target may hold `#`, decoded from `%23`).
const ANCHOR: char = '\u{1f}';

/// `wikilink 3:5 Nope` (plus `\u{1f}Heading` when it has an anchor): kind
/// and position first, so the target keeps every character it has,
/// spaces included.
pub fn encode(link: &RawLink) -> String {
    let mut s = format!(
        "{} {}:{} {}",
        link.kind, link.at.line, link.at.column, link.target
    );
    if let Some(a) = &link.anchor {
        s.push(ANCHOR);
        s.push_str(a);
    }
    s
}

/// The inverse of [`encode`]; `None` for a value that is not one (edited by
/// hand): the caller treats the episode's facts as unknown.
pub fn decode(s: &str) -> Option<RawLink> {
    let (kind, rest) = s.split_once(' ')?;
    let (at, rest) = rest.split_once(' ')?;
    let (line, column) = at.split_once(':')?;
    let (target, anchor) = match rest.split_once(ANCHOR) {
        Some((t, a)) => (t, Some(a.to_string())),
        None => (rest, None),
    };
    if target.is_empty() {
        return None;
    }
    Some(RawLink {
        kind: LinkKind::parse(kind)?,
        target: target.to_string(),
        anchor,
        at: Position {
            line: line.parse().ok()?,
            column: column.parse().ok()?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(
        kind: LinkKind,
        target: &str,
        anchor: Option<&str>,
        line: usize,
        column: usize,
    ) -> RawLink {
        RawLink {
            kind,
            target: target.into(),
            anchor: anchor.map(str::to_string),
            at: Position { line, column },
        }
    }

    /// What a partial load keeps: the listed ids, and whoever has unknown
    /// facts or unresolved links; everything with `All`.
    #[test]
    fn a_partial_state_keeps_the_listed_and_the_unresolved() {
        let known = LinkFacts::default().shared();
        let dangling = LinkFacts {
            unresolved: vec![link(LinkKind::Wikilink, "Nope", None, 1, 1)],
            ..LinkFacts::default()
        }
        .shared();
        let aliased = LinkFacts {
            aliases: vec!["b".into()],
            ..LinkFacts::default()
        }
        .shared();
        let some = StateWanted::Some(vec!["b".into(), "d".into()]);
        // (id, facts, kept by `some`)
        let table = [
            ("a", Some(known.clone()), false),
            ("b", Some(known.clone()), true),
            ("c", None, true),
            ("d", Some(aliased.clone()), true),
            ("e", Some(aliased), false),
            ("f", Some(dangling), true),
            ("", Some(known), false),
        ];
        for (id, facts, kept) in table {
            let s = StoredLinkState::new(id, "name", facts);
            assert_eq!(some.keeps(&s), kept, "{id:?}");
            assert!(StateWanted::All.keeps(&s), "{id:?}");
        }
    }

    #[test]
    fn unresolved_links_round_trip_through_their_stored_text() {
        let table = [
            (
                link(LinkKind::Wikilink, "Nope", None, 3, 5),
                "wikilink 3:5 Nope",
            ),
            (
                link(LinkKind::Markdown, "../a b/c #1.md", Some("Intro"), 10, 1),
                "markdown 10:1 ../a b/c #1.md\u{1f}Intro",
            ),
            (
                link(LinkKind::Field, "people_bob", None, 1, 12),
                "field 1:12 people_bob",
            ),
        ];
        for (l, text) in table {
            assert_eq!(encode(&l), text);
            assert_eq!(decode(text), Some(l));
        }
    }

    #[test]
    fn text_that_is_no_stored_link_decodes_to_nothing() {
        for bad in [
            "",
            "wikilink",
            "wikilink 3:5",
            "wikilink 3:5 ",
            "nolink 1:1 x",
            "wikilink x:1 a",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
