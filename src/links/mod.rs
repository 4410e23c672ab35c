//! Links between episodes: what an episode's source says it links to
//! ([`extract`]), and which episode of the group each link names
//! ([`resolve`]). Both are pure functions of their inputs, so the planner can
//! run them per file in parallel and the same sources always give the same
//! edges.
//!
//! | kind | written as |
//! |---|---|
//! | `markdown` | `[text](../projects/atlas.md)`, `<path with spaces.md>`, `%20` |
//! | `reference` | a definition `[atlas]: ../projects/atlas.md "Atlas"` |
//! | `wikilink` | `[[Note]]`, `[[Note\|alias]]`, `[[Note#Heading]]`, `[[Note#^block]]` |
//! | `embed` | `![[Note]]`, `![alt](diagram.md)` |
//! | `frontmatter` | a front-matter value holding a link, or a bare path / id in a declared field |
//! | `field` | a declared field (`links`, `related`) of a JSON, JSONL or YAML item |

pub mod extract;
pub mod index;
mod locate;
pub mod packed;
pub mod resolve;
pub mod state;
mod target;

pub use extract::{Extracted, LinkRules, extract_file};
pub use index::Index;
pub use packed::PackedLinks;
pub use resolve::{Edge, Episode, Outcome, Resolved, Unresolved, resolve_links};
pub use state::{LinkFacts, StateWanted, StoredLinkState};

use serde::{Deserialize, Serialize};

/// How a link was written. Part of the stored edge, so a consumer can weigh
/// an embed differently from a passing mention. Variants are in the order
/// of their names, so sorting by kind is the same in Rust, SQL and Cypher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    Embed,
    Field,
    Frontmatter,
    Markdown,
    Reference,
    Wikilink,
}

impl LinkKind {
    pub const ALL: [LinkKind; 6] = [
        LinkKind::Embed,
        LinkKind::Field,
        LinkKind::Frontmatter,
        LinkKind::Markdown,
        LinkKind::Reference,
        LinkKind::Wikilink,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Markdown => "markdown",
            LinkKind::Reference => "reference",
            LinkKind::Wikilink => "wikilink",
            LinkKind::Embed => "embed",
            LinkKind::Frontmatter => "frontmatter",
            LinkKind::Field => "field",
        }
    }

    pub fn parse(s: &str) -> Option<LinkKind> {
        LinkKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for LinkKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 1-based line and column (in characters) in the source file, as editors
/// and compilers count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One link as written in the source, before resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLink {
    pub kind: LinkKind,
    /// The target as the link names it: percent-decoded (Markdown forms),
    /// anchor and query removed. Never empty.
    pub target: String,
    /// What followed `#`, without it (`Heading`, `^block`). Dropped for
    /// files with one episode; picks the item of a multi-episode file.
    pub anchor: Option<String>,
    pub at: Position,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names_and_sort_by_them() {
        let mut names: Vec<_> = LinkKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, LinkKind::ALL.map(LinkKind::as_str));
        for k in LinkKind::ALL {
            assert_eq!(LinkKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.as_str().into())
            );
        }
        assert_eq!(LinkKind::parse("Markdown"), None);
    }
}
