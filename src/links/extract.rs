//! Extraction: the links each episode of a file writes, with where.
//!
//! Markdown is read with `pulldown-cmark` (CommonMark plus its wikilink
//! extension) rather than scanned by hand: code spans, fenced and indented
//! code blocks, escaped brackets, HTML blocks and reference definitions are
//! then exactly what a Markdown renderer sees, and its offset iterator and
//! definition spans give each link's byte position for `path:line:col`.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};
use serde_json::{Map, Value};

use super::locate::Locator;
use super::target::{Dest, Syntax, classify};
use super::{LinkKind, RawLink};
use crate::sources::Format;

/// Which fields of a structured item (and of Markdown front matter) hold
/// bare targets: entity_ids or paths relative to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRules {
    pub fields: Vec<String>,
}

impl Default for LinkRules {
    fn default() -> Self {
        LinkRules {
            fields: vec!["links".into(), "related".into()],
        }
    }
}

impl LinkRules {
    fn declares(&self, key: &str) -> bool {
        self.fields.iter().any(|f| f == key)
    }
}

/// One episode's links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// In the order of their place in the file.
    pub links: Vec<RawLink>,
    /// Links to URLs (`https:`, `mailto:`, …): counted, never linked.
    pub external: usize,
}

/// The links of every item of one file, in the order the items were parsed.
/// `text` is the file's text; `items` are the parsed fields of each item
/// (`_metadata` removed) with the item's 1-based line where known. Plain
/// text files link nothing.
pub fn extract_file(
    format: Format,
    text: &str,
    items: &[(&Map<String, Value>, Option<usize>)],
    rules: &LinkRules,
) -> Vec<Extracted> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: Vec<Extracted> = match format {
        Format::Text => vec![Extracted::default(); items.len()],
        Format::Markdown => items
            .iter()
            .map(|(fields, _)| markdown_file(text, fields, rules))
            .collect(),
        Format::Json | Format::JsonLines | Format::Yaml => {
            structured(text, items, format == Format::JsonLines, rules)
        }
    };
    for e in &mut out {
        e.links.sort_by(|a, b| {
            (a.at, a.kind, &a.target, &a.anchor).cmp(&(b.at, b.kind, &b.target, &b.anchor))
        });
    }
    out
}

/// A link found in a piece of Markdown, located by byte offset in it.
struct Found {
    kind: LinkKind,
    dest: Dest,
    offset: usize,
    /// The link's source text, to find it again in the file.
    len: usize,
}

fn markdown_options() -> Options {
    // Tables and footnotes as GitHub and Obsidian read them: without them a
    // footnote definition `[^1]: text` would parse as a link definition.
    Options::ENABLE_WIKILINKS
        | Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// Every link in `md`. Uses of a reference (`[text][atlas]`) are not links
/// of their own: the definition they point at is, once, however often it is
/// used (as Foam keeps one definition per linked note).
fn scan_markdown(md: &str) -> Vec<Found> {
    let parser = Parser::new_ext(md, markdown_options()).into_offset_iter();
    let mut found: Vec<Found> = parser
        .reference_definitions()
        .iter()
        .map(|(_, def)| Found {
            kind: LinkKind::Reference,
            dest: classify(&def.dest, Syntax::Url),
            offset: def.span.start,
            len: def.span.len(),
        })
        .collect();
    for (event, range) in parser {
        let (link_type, dest, image) = match &event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => (*link_type, dest_url, false),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            }) => (*link_type, dest_url, true),
            _ => continue,
        };
        let (kind, dest) = match link_type {
            LinkType::WikiLink { .. } => (
                if image {
                    LinkKind::Embed
                } else {
                    LinkKind::Wikilink
                },
                classify(dest, Syntax::Literal),
            ),
            LinkType::Inline => (
                if image {
                    LinkKind::Embed
                } else {
                    LinkKind::Markdown
                },
                classify(dest, Syntax::Url),
            ),
            // `<https://…>` and `<someone@example.org>`.
            LinkType::Autolink | LinkType::Email => (LinkKind::Markdown, Dest::External),
            _ => continue,
        };
        found.push(Found {
            kind,
            dest,
            offset: range.start,
            len: range.len(),
        });
    }
    found
}

/// Add what `scan_markdown` found to `out`, each at `place(found)`.
fn push_found(
    out: &mut Extracted,
    found: Vec<Found>,
    kind: Option<LinkKind>,
    mut place: impl FnMut(&Found) -> super::Position,
) {
    for f in found {
        match &f.dest {
            Dest::Ignore => {}
            Dest::External => out.external += 1,
            Dest::Local { target, anchor } => out.links.push(RawLink {
                kind: kind.unwrap_or(f.kind),
                target: target.clone(),
                anchor: anchor.clone(),
                at: place(&f),
            }),
        }
    }
}

/// A Markdown file: its body, then the links its front matter holds.
fn markdown_file(text: &str, fields: &Map<String, Value>, rules: &LinkRules) -> Extracted {
    let mut out = Extracted::default();
    let body = fields.get("content").and_then(Value::as_str).unwrap_or("");
    // The body is the file's tail with CRLF made LF: the same number of
    // lines, so it starts on the line found by counting newlines back.
    let body_line =
        1 + text.matches('\n').count() - body.matches('\n').count().min(text.matches('\n').count());
    let body_loc = Locator::new(body, body_line - 1);
    push_found(&mut out, scan_markdown(body), None, |f| {
        body_loc.position(f.offset)
    });

    let file = Locator::new(text, 0);
    let front_end = file.line_start(body_line);
    let mut values = Vec::new();
    for (key, value) in fields {
        if key == "content" {
            continue;
        }
        values.clear();
        strings(value, &mut values);
        if values.is_empty() {
            continue;
        }
        let key_at = file.find_key(key, 0, front_end);
        value_links(
            &mut out,
            &values,
            rules.declares(key),
            LinkKind::Frontmatter,
            &file,
            key_at.unwrap_or(0),
            front_end,
        );
    }
    out
}

/// The declared fields of JSON, JSONL and YAML items.
fn structured(
    text: &str,
    items: &[(&Map<String, Value>, Option<usize>)],
    one_per_line: bool,
    rules: &LinkRules,
) -> Vec<Extracted> {
    let file = Locator::new(text, 0);
    // Items of a JSON array or YAML sequence have no line of their own:
    // they are found in file order, each after the links of the one before.
    let mut cursor = 0;
    let mut values = Vec::new();
    items
        .iter()
        .map(|(fields, line)| {
            let mut out = Extracted::default();
            let start = line.map_or(cursor, |l| file.line_start(l));
            let end = match line {
                // A JSONL item is its line.
                Some(l) if one_per_line => file.line_start(l + 1),
                _ => text.len(),
            };
            for field in &rules.fields {
                let Some(value) = fields.get(field) else {
                    continue;
                };
                values.clear();
                strings(value, &mut values);
                let key_at = file.find_key(field, start, end).unwrap_or(start);
                let last =
                    value_links(&mut out, &values, true, LinkKind::Field, &file, key_at, end);
                cursor = cursor.max(last);
            }
            out
        })
        .collect()
}

/// Every string in a value: the value itself, or the strings of a list (at
/// any depth) or a mapping's values.
fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(m) => m.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The links in the strings of one field. Link syntax (`[[A]]`,
/// `[A](a.md)`) counts anywhere; a bare string (`../b.md`, `people_alice`)
/// only in a declared field. Each is located by searching the file for it
/// from the field's key on, in order; a value the file spells differently
/// (YAML or JSON escapes) is placed at its key. Returns where the search
/// ended, so the next item of the same file starts after it.
fn value_links(
    out: &mut Extracted,
    values: &[&str],
    declared: bool,
    kind: LinkKind,
    file: &Locator,
    key_at: usize,
    end: usize,
) -> usize {
    let mut cursor = key_at;
    for value in values {
        let found = scan_markdown(value);
        if found.is_empty() {
            if !declared || value.contains("[[") {
                continue;
            }
            match classify(value, Syntax::Literal) {
                Dest::Ignore => {}
                Dest::External => out.external += 1,
                Dest::Local { target, anchor } => {
                    let at = file.find(value, cursor, end);
                    if let Some(at) = at {
                        cursor = at + value.len();
                    }
                    out.links.push(RawLink {
                        kind,
                        target,
                        anchor,
                        at: file.position(at.unwrap_or(key_at)),
                    });
                }
            }
            continue;
        }
        push_found(out, found, Some(kind), |f| {
            let needle = value.get(f.offset..f.offset + f.len).unwrap_or(value);
            match file.find(needle, cursor, end) {
                Some(at) => {
                    cursor = at + needle.len();
                    file.position(at)
                }
                None => file.position(key_at),
            }
        });
    }
    cursor
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::Position;
    use crate::sources::formats;

    /// Parse `text` as the real pipeline does, then extract.
    fn links_of(format: Format, text: &str) -> Vec<Extracted> {
        let parsed = formats::parse(format, text.as_bytes(), "stem").unwrap();
        let items: Vec<_> = parsed.items.iter().map(|i| (&i.fields, i.line)).collect();
        extract_file(format, text, &items, &LinkRules::default())
    }

    /// `kind target#anchor@line:col` per link, compact for tables.
    fn show(e: &Extracted) -> Vec<String> {
        e.links
            .iter()
            .map(|l| {
                let anchor = l
                    .anchor
                    .as_ref()
                    .map(|a| format!("#{a}"))
                    .unwrap_or_default();
                format!("{} {}{}@{}", l.kind, l.target, anchor, l.at)
            })
            .collect()
    }

    fn md(text: &str) -> (Vec<String>, usize) {
        let e = links_of(Format::Markdown, text).remove(0);
        (show(&e), e.external)
    }

    #[test]
    fn markdown_link_forms() {
        let table: &[(&str, &[&str], usize)] = &[
            (
                "[Atlas](../projects/atlas.md)",
                &["markdown ../projects/atlas.md@1:1"],
                0,
            ),
            (
                "see [A](Note%20Name.md#Usage) now",
                &["markdown Note Name.md#Usage@1:5"],
                0,
            ),
            ("[A](<with space.md>)", &["markdown with space.md@1:1"], 0),
            ("[[Note]]", &["wikilink Note@1:1"], 0),
            ("x [[Note|the note]]", &["wikilink Note@1:3"], 0),
            ("[[Note#Heading]]", &["wikilink Note#Heading@1:1"], 0),
            ("[[Note#^block-1]]", &["wikilink Note#^block-1@1:1"], 0),
            ("[[folder/Note.md]]", &["wikilink folder/Note.md@1:1"], 0),
            ("![[Diagram]]", &["embed Diagram@1:1"], 0),
            ("![alt](img/d.png)", &["embed img/d.png@1:1"], 0),
            (
                "[x][atlas]\n\n[atlas]: ../projects/atlas.md \"Atlas\"\n",
                &["reference ../projects/atlas.md@3:1"],
                0,
            ),
            // Used twice, defined once: one link.
            ("[a][n] [b][n]\n\n[n]: n.md\n", &["reference n.md@3:1"], 0),
            (
                "[web](https://example.org) <https://x.org> <me@x.org> [m](mailto:a@b.c)",
                &[],
                4,
            ),
            ("[[https://example.org]]", &[], 1),
            ("[top](#usage) [[#Heading]]", &[], 0),
            ("plain [not a link] text", &[], 0),
            ("café [[Ünïcode]]", &["wikilink Ünïcode@1:6"], 0),
        ];
        for (text, want, external) in table {
            let (got, ext) = md(text);
            assert_eq!(&got, want, "{text:?}");
            assert_eq!(ext, *external, "{text:?}");
        }
    }

    #[test]
    fn code_is_not_scanned() {
        let text = "\
`[[inline]]` and ``[x](y.md)``

```md
[[fenced]] [a](b.md)
```

~~~
[[tilde]]
~~~

    [[indented]]
    [d]: indented.md

[[real]]
";
        assert_eq!(md(text).0, ["wikilink real@14:1"]);
        // A definition inside a fence is not a definition.
        assert_eq!(md("```\n[d]: x.md\n```\n").0, Vec::<String>::new());
    }

    #[test]
    fn front_matter_values_and_lists_hold_links() {
        let text = "\
---
title: Atlas
owner: \"[Alice](../people/alice.md)\"
related: [\"[[A]]\", \"../b.md\"]
links:
  - people_bob
  - https://example.org
tags: [plain, words]
---
Body with [[C]].
";
        let (got, external) = md(text);
        assert_eq!(
            got,
            [
                "frontmatter ../people/alice.md@3:9",
                "frontmatter A@4:12",
                "frontmatter ../b.md@4:21",
                "frontmatter people_bob@6:5",
                "wikilink C@10:11",
            ]
        );
        assert_eq!(external, 1);
    }

    #[test]
    fn crlf_files_place_body_links_on_their_lines() {
        let (got, _) = md("---\r\ntitle: x\r\n---\r\n\r\nsee [[B]]\r\n");
        assert_eq!(got, ["wikilink B@5:5"]);
    }

    #[test]
    fn declared_fields_of_structured_items() {
        let json = links_of(
            Format::Json,
            "{\n  \"name\": \"Atlas\",\n  \"links\": [\"people_alice\", \"../people/bob.json\"],\n  \"related\": \"[[Carol]]\",\n  \"other\": \"[[ignored]]\"\n}\n",
        );
        assert_eq!(
            show(&json[0]),
            [
                "field people_alice@3:14",
                "field ../people/bob.json@3:30",
                "field Carol@4:15",
            ]
        );

        let jsonl = links_of(
            Format::JsonLines,
            "{\"id\":\"a\",\"links\":[\"x\"]}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"related\":\"x\"}\n",
        );
        let shown: Vec<_> = jsonl.iter().map(show).collect();
        assert_eq!(
            shown,
            [
                vec!["field x@1:21".to_string()],
                vec![],
                vec!["field x@3:22".to_string()]
            ]
        );

        // Items of a sequence have no line: found in order.
        let yaml = links_of(
            Format::Yaml,
            "- id: a\n  links: [x]\n- id: b\n- id: c\n  related:\n    - x\n    - y.md#Part\n",
        );
        let shown: Vec<_> = yaml.iter().map(show).collect();
        assert_eq!(
            shown,
            [
                vec!["field x@2:11".to_string()],
                vec![],
                vec!["field x@6:7".to_string(), "field y.md#Part@7:7".to_string()],
            ]
        );

        let custom = LinkRules {
            fields: vec!["see_also".into()],
        };
        let text = "{\"links\":[\"x\"],\"see_also\":[\"y\"]}";
        let parsed = formats::parse(Format::Json, text.as_bytes(), "s").unwrap();
        let items: Vec<_> = parsed.items.iter().map(|i| (&i.fields, i.line)).collect();
        let got = extract_file(Format::Json, text, &items, &custom);
        assert_eq!(show(&got[0]), ["field y@1:29"]);
    }

    #[test]
    fn text_files_link_nothing() {
        assert_eq!(
            links_of(Format::Text, "[[A]] [b](b.md)")[0],
            Extracted::default()
        );
    }

    #[test]
    fn a_value_spelled_differently_is_placed_at_its_key() {
        // JSON escapes `/` as `\/`: the parsed value is not in the text.
        let got = links_of(Format::Json, "{\"links\": [\"a\\/b.md\"]}");
        assert_eq!(got[0].links[0].target, "a/b.md");
        assert_eq!(got[0].links[0].at, Position { line: 1, column: 2 });
    }
}
