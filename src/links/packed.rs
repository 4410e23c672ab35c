//! An item's extracted links as one byte string while they wait to be
//! resolved. Links are resolved only once every file is parsed (a link may
//! name a file walked later), so a cold seed of linked notes holds every
//! note's links at once: as [`RawLink`]s, 72 bytes each plus an allocation
//! for the target, about 90 bytes a link (a million notes of three links:
//! 260 MB). Packed, a link is its target and anchor bytes and four bytes
//! or so of numbers.

use super::{Extracted, LinkKind, Position, RawLink};
use crate::leb128;

/// Links in the order extracted, and the count of external ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedLinks {
    /// Per link, each number in LEB128: the kind (its place in
    /// [`LinkKind::ALL`]), line, column, the target's length then its
    /// bytes, and the anchor's length plus one (0: no anchor) then its
    /// bytes.
    bytes: Box<[u8]>,
    len: u32,
    external: u32,
}

impl PackedLinks {
    pub fn pack(e: &Extracted) -> PackedLinks {
        let mut bytes = Vec::with_capacity(
            e.links
                .iter()
                .map(|l| 8 + l.target.len() + l.anchor.as_ref().map_or(0, String::len))
                .sum(),
        );
        for l in &e.links {
            let kind = LinkKind::ALL
                .iter()
                .position(|&k| k == l.kind)
                .expect("every kind is in ALL");
            leb128::push(kind as u64, &mut bytes);
            leb128::push(l.at.line as u64, &mut bytes);
            leb128::push(l.at.column as u64, &mut bytes);
            leb128::push(l.target.len() as u64, &mut bytes);
            bytes.extend_from_slice(l.target.as_bytes());
            match &l.anchor {
                None => bytes.push(0),
                Some(a) => {
                    leb128::push(a.len() as u64 + 1, &mut bytes);
                    bytes.extend_from_slice(a.as_bytes());
                }
            }
        }
        PackedLinks {
            bytes: bytes.into_boxed_slice(),
            len: u32::try_from(e.links.len()).expect("fewer than 2^32 links in an item"),
            external: u32::try_from(e.external).unwrap_or(u32::MAX),
        }
    }

    /// How many links (external ones not counted).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Links to URLs: counted, never linked.
    pub fn external(&self) -> usize {
        self.external as usize
    }

    /// The links, as extracted.
    pub fn unpack(&self) -> Vec<RawLink> {
        let mut out = Vec::with_capacity(self.len());
        let mut rest = &self.bytes[..];
        let number = |rest: &mut &[u8]| {
            let (n, used) = leb128::read(rest);
            *rest = &rest[used..];
            usize::try_from(n).expect("packed from a usize")
        };
        let text = |rest: &mut &[u8], len: usize| {
            let (t, after) = rest.split_at(len);
            *rest = after;
            std::str::from_utf8(t)
                .expect("packed from a str")
                .to_string()
        };
        while !rest.is_empty() {
            let kind = LinkKind::ALL[number(&mut rest)];
            let at = Position {
                line: number(&mut rest),
                column: number(&mut rest),
            };
            let target_len = number(&mut rest);
            let target = text(&mut rest, target_len);
            let anchor = match number(&mut rest) {
                0 => None,
                n => Some(text(&mut rest, n - 1)),
            };
            out.push(RawLink {
                kind,
                target,
                anchor,
                at,
            });
        }
        debug_assert_eq!(out.len(), self.len());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(kind: LinkKind, target: &str, anchor: Option<&str>, line: usize) -> RawLink {
        RawLink {
            kind,
            target: target.into(),
            anchor: anchor.map(str::to_string),
            at: Position {
                line,
                column: line * 3 + 1,
            },
        }
    }

    /// What is packed is what comes back: every kind, anchors absent, empty
    /// and present, text past one length byte, characters past ASCII,
    /// lines past one byte, and the external count beside them.
    #[test]
    fn links_come_back_as_packed() {
        let long = "d/".repeat(100) + "note.md";
        let cases: Vec<Extracted> = vec![
            Extracted::default(),
            Extracted {
                links: vec![],
                external: 3,
            },
            Extracted {
                links: LinkKind::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, &k)| link(k, &format!("t{i}"), None, i + 1))
                    .collect(),
                external: 0,
            },
            Extracted {
                links: vec![
                    link(LinkKind::Wikilink, "Note", Some("Heading"), 1),
                    link(LinkKind::Wikilink, "Note", Some(""), 200),
                    link(LinkKind::Markdown, &long, Some(&"h".repeat(130)), 70_000),
                    link(LinkKind::Embed, "Café 名前.md", Some("^block"), 2),
                    link(LinkKind::Field, "a#b", None, 5),
                ],
                external: 1,
            },
        ];
        for e in cases {
            let p = PackedLinks::pack(&e);
            assert_eq!(p.unpack(), e.links);
            assert_eq!(p.len(), e.links.len());
            assert_eq!(p.is_empty(), e.links.is_empty());
            assert_eq!(p.external(), e.external);
        }
        // Nothing extracted packs to the default, which is how an item
        // that names nothing is told apart.
        assert_eq!(
            PackedLinks::pack(&Extracted::default()),
            PackedLinks::default()
        );
    }
}
