//! Resolution: which episode of the group a link names.
//!
//! In order, the first rule that matches anything decides (one match links,
//! several are reported as ambiguous with their candidates):
//!
//! 1. the path relative to the linking file (`../projects/atlas.md`, or
//!    `[[atlas]]` for `atlas.md` beside it);
//! 2. the path from the source root (`/projects/atlas.md`, `[[projects/atlas]]`,
//!    as Obsidian and Quartz read vault paths);
//! 3. an entity_id (`people_alice`);
//! 4. the name, file stem or alias (front matter `aliases`) of the last path
//!    segment, across the whole group; with folders given, narrowed to the
//!    episodes whose path ends with them.
//!
//! Paths and names compare case-insensitively, as Obsidian and Quartz match
//! links (an exact-case match wins over others). An anchor (`#Heading`) is
//! ignored, except that it picks the item of a multi-episode file
//! (`all.json#fastapi`). A target that matches nothing but is a file graphseed
//! does not read (`diagram.png`) is an asset, counted and not reported.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Index, LinkKind, RawLink};
use crate::sources::Format;
use crate::sources::entity_id::snake_case;

/// One episode of the group, as links find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub entity_id: String,
    /// The source root and the `/`-separated path under it; `None` for
    /// generated episodes, which only names and ids reach.
    pub file: Option<(usize, String)>,
    pub name: String,
    /// Obsidian's `aliases` (or `alias`) property: more names for it.
    pub aliases: Vec<String>,
    /// The item's own `id` or `name` in a multi-episode file, for anchors.
    pub key: Option<String>,
}

impl Episode {
    /// The aliases an item's fields declare: `aliases` or `alias`, a string
    /// or a list of strings.
    pub fn aliases_from(fields: &Map<String, Value>) -> Vec<String> {
        let mut out = Vec::new();
        for key in ["aliases", "alias"] {
            match fields.get(key) {
                Some(Value::String(s)) => out.push(s.clone()),
                Some(Value::Array(a)) => {
                    out.extend(a.iter().filter_map(Value::as_str).map(str::to_string))
                }
                _ => {}
            }
        }
        out.retain(|a| !a.trim().is_empty());
        out
    }
}

/// What one link resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Linked(String),
    /// The link names its own episode: not an edge.
    SelfLink,
    /// A file graphseed does not read (an image, a PDF).
    Asset,
    Dangling,
    /// Several episodes match; sorted entity_ids.
    Ambiguous(Vec<String>),
}

/// `LINKS_TO {kind, count}`: one per target and kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub target: String,
    pub kind: LinkKind,
    pub count: u32,
}

/// A link that names no episode (no candidates) or several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub link: RawLink,
    pub candidates: Vec<String>,
}

/// An episode's links, resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Sorted by target, then kind.
    pub edges: Vec<Edge>,
    /// In the order of the links.
    pub unresolved: Vec<Unresolved>,
    pub assets: usize,
}

/// `path` without its extension when graphseed reads that extension
/// (`notes/atlas.md` → `notes/atlas`); unchanged otherwise.
pub(super) fn strip_source_ext(path: &str) -> &str {
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[name_start..].rfind('.') {
        Some(dot) if Format::from_name(&path[name_start..]).is_some() => &path[..name_start + dot],
        _ => path,
    }
}

/// Whether the last segment has an extension graphseed does not read
/// (`png`, `pdf`): short and alphanumeric, so `Release 1.2 notes` is not.
fn is_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && (1..=8).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && Format::from_name(name).is_none()
        }
        None => false,
    }
}

/// `dir` joined with `rel`, `.` and `..` applied; `None` above the root.
fn join(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

impl Index {
    /// The episodes of the file at `path` (case-insensitive; without its
    /// extension when the link leaves it out).
    fn by_file(&self, root: usize, path: &str) -> Vec<usize> {
        let lower = path.to_lowercase();
        let mut found = self.by_path(root, &lower);
        if found.is_empty() && strip_source_ext(&lower) == lower {
            found = self.by_path_stem(root, &lower);
        }
        // Files differing only in case: the one spelled as linked wins.
        if found.len() > 1 {
            let exact: Vec<usize> = found
                .iter()
                .copied()
                .filter(|&i| {
                    self.path(i)
                        .is_some_and(|p| p == path || strip_source_ext(p) == path)
                })
                .collect();
            if !exact.is_empty() {
                found = exact;
            }
        }
        found
    }

    /// Of several items, the one an anchor names (`all.json#fastapi`):
    /// by entity_id, the item's id / name, or the id derived from it.
    fn narrow_by_anchor(&self, found: Vec<usize>, anchor: Option<&str>) -> Vec<usize> {
        let Some(anchor) = anchor.filter(|_| found.len() > 1) else {
            return found;
        };
        let lower = anchor.to_lowercase();
        let snake = snake_case(anchor);
        let picked: Vec<usize> = found
            .iter()
            .copied()
            .filter(|&i| {
                let id = self.entity_id(i);
                id == anchor
                    || self.key(i).is_some_and(|k| k.to_lowercase() == lower)
                    || (!snake.is_empty() && id.ends_with(&format!("_{snake}")))
            })
            .collect();
        if picked.is_empty() { found } else { picked }
    }

    fn decide(&self, from: &Episode, found: Vec<usize>) -> Option<Outcome> {
        match found.as_slice() {
            [] => None,
            [i] if self.entity_id(*i) == from.entity_id => Some(Outcome::SelfLink),
            [i] => Some(Outcome::Linked(self.entity_id(*i).to_string())),
            many => {
                let mut ids: Vec<String> = many
                    .iter()
                    .map(|&i| self.entity_id(i).to_string())
                    .collect();
                ids.sort();
                ids.dedup();
                Some(Outcome::Ambiguous(ids))
            }
        }
    }

    /// Resolve one link written by `from`.
    pub fn resolve(&self, from: &Episode, link: &RawLink) -> Outcome {
        let target = link.target.as_str();
        let anchor = link.anchor.as_deref();
        let tiers = [
            // 1. Relative to the linking file.
            from.file.as_ref().and_then(|(root, path)| {
                if target.starts_with('/') {
                    return None;
                }
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                join(dir, target).map(|p| self.by_file(*root, &p))
            }),
            // 2. From the root of the linking file's source.
            from.file.as_ref().and_then(|(root, _)| {
                join("", target.trim_start_matches('/')).map(|p| self.by_file(*root, &p))
            }),
            // 3. An entity_id.
            // Of two episodes with one id, the last (as a map kept it).
            self.by_id(target).last().map(|&i| vec![i]),
        ];
        for found in tiers.into_iter().flatten() {
            if let Some(outcome) = self.decide(from, self.narrow_by_anchor(found, anchor)) {
                return outcome;
            }
        }
        // 4. Name, stem or alias of the last segment, across the group.
        let trimmed = target.trim_end_matches('/');
        let (dirs, last) = trimmed.rsplit_once('/').unwrap_or(("", trimmed));
        let mut found = self.by_name(&strip_source_ext(last).to_lowercase());
        if found.is_empty() && strip_source_ext(last) != last {
            // `Release 1.md` may name a note titled exactly that.
            found = self.by_name(&last.to_lowercase());
        }
        // With folders given, the episode's path must end with them: a
        // link into a folder that holds no such file is broken, not a name.
        if !dirs.is_empty() {
            let wanted = strip_source_ext(trimmed.trim_start_matches(['.', '/'])).to_lowercase();
            let suffix = format!("/{wanted}");
            found.retain(|&i| {
                self.path(i).is_some_and(|p| {
                    let p = p.to_lowercase();
                    let p = strip_source_ext(&p);
                    p == wanted || p.ends_with(&suffix)
                })
            });
        }
        if let Some(outcome) = self.decide(from, self.narrow_by_anchor(found, anchor)) {
            return outcome;
        }
        if is_asset(target) {
            Outcome::Asset
        } else {
            Outcome::Dangling
        }
    }
}

/// Resolve all links of one episode: edges counted per target and kind,
/// dangling and ambiguous links kept with where they were written.
pub fn resolve_links(index: &Index, from: &Episode, links: &[RawLink]) -> Resolved {
    let mut edges: BTreeMap<(String, LinkKind), u32> = BTreeMap::new();
    let mut out = Resolved::default();
    for link in links {
        match index.resolve(from, link) {
            Outcome::Linked(id) => *edges.entry((id, link.kind)).or_default() += 1,
            Outcome::SelfLink => {}
            Outcome::Asset => out.assets += 1,
            Outcome::Dangling => out.unresolved.push(Unresolved {
                link: link.clone(),
                candidates: Vec::new(),
            }),
            Outcome::Ambiguous(candidates) => out.unresolved.push(Unresolved {
                link: link.clone(),
                candidates,
            }),
        }
    }
    out.edges = edges
        .into_iter()
        .map(|((target, kind), count)| Edge {
            target,
            kind,
            count,
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::Position;

    fn ep(
        id: &str,
        root: usize,
        path: &str,
        name: &str,
        aliases: &[&str],
        key: Option<&str>,
    ) -> Episode {
        Episode {
            entity_id: id.into(),
            file: Some((root, path.into())),
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            key: key.map(str::to_string),
        }
    }

    /// The group's episodes, and its index.
    fn group() -> (Vec<Episode>, Index) {
        let episodes = vec![
            ep("notes_index", 0, "notes/index.md", "Index", &[], None),
            ep(
                "notes_atlas",
                0,
                "notes/atlas.md",
                "Atlas Project",
                &["ATL"],
                None,
            ),
            ep("projects_atlas", 0, "projects/atlas.md", "Atlas", &[], None),
            ep("people_alice", 0, "people/alice.md", "Alice", &[], None),
            ep(
                "people_note_name",
                0,
                "people/Note Name.md",
                "Note Name",
                &[],
                None,
            ),
            ep(
                "templates_fastapi",
                0,
                "templates/all.json",
                "FastAPI",
                &[],
                Some("fastapi"),
            ),
            ep(
                "templates_react_app",
                0,
                "templates/all.json",
                "React App",
                &[],
                Some("React App"),
            ),
            ep("guides_setup", 0, "guides/setup.md", "Setup", &[], None),
            ep(
                "failure_modes_setup",
                0,
                "failure_modes/setup.md",
                "Setup",
                &[],
                None,
            ),
            ep(
                "archive_old_setup",
                0,
                "archive/old/setup.md",
                "Setup",
                &[],
                None,
            ),
            ep("readme", 0, "README.md", "README", &[], None),
            ep("other_atlas", 1, "other/atlas.md", "Other Atlas", &[], None),
            Episode {
                entity_id: "fact_1".into(),
                file: None,
                name: "Fact 1".into(),
                aliases: vec![],
                key: None,
            },
        ];
        let ix = Index::new(&episodes);
        (episodes, ix)
    }

    fn link(target: &str, anchor: Option<&str>) -> RawLink {
        RawLink {
            kind: LinkKind::Wikilink,
            target: target.into(),
            anchor: anchor.map(str::to_string),
            at: Position { line: 1, column: 1 },
        }
    }

    fn linked(id: &str) -> Outcome {
        Outcome::Linked(id.into())
    }

    fn ambiguous(ids: &[&str]) -> Outcome {
        Outcome::Ambiguous(ids.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn resolution_rules() {
        let (episodes, ix) = group();
        let from = episodes[0].clone();
        let table: &[(&str, Option<&str>, Outcome)] = &[
            // 1. Relative to the linking file beats a name elsewhere.
            ("../projects/atlas.md", None, linked("projects_atlas")),
            ("atlas.md", None, linked("notes_atlas")),
            ("atlas", None, linked("notes_atlas")),
            ("./Atlas.MD", None, linked("notes_atlas")),
            ("atlas.md", Some("Heading"), linked("notes_atlas")),
            // 2. From the root.
            ("/projects/atlas.md", None, linked("projects_atlas")),
            ("projects/atlas", None, linked("projects_atlas")),
            ("guides/setup", None, linked("guides_setup")),
            ("../README.md", None, linked("readme")),
            // 3. entity_id.
            ("people_alice", None, linked("people_alice")),
            ("fact_1", None, linked("fact_1")),
            // 4. Name, stem, alias; case-insensitive.
            ("Alice", None, linked("people_alice")),
            ("ALICE", None, linked("people_alice")),
            ("atl", None, linked("notes_atlas")),
            ("Atlas Project", None, linked("notes_atlas")),
            ("Note Name.md", None, linked("people_note_name")),
            ("note name", None, linked("people_note_name")),
            ("Fact 1", None, linked("fact_1")),
            ("readme", None, linked("readme")),
            // Folders narrow a name found in several places (Obsidian's
            // partial paths); folders that hold no such file break the link.
            ("old/setup", None, linked("archive_old_setup")),
            ("x/guides/setup.md", None, Outcome::Dangling),
            ("../persons/alice.md", None, Outcome::Dangling),
            // Ambiguity keeps every candidate.
            (
                "Setup",
                None,
                ambiguous(&["archive_old_setup", "failure_modes_setup", "guides_setup"]),
            ),
            (
                "../templates/all.json",
                None,
                ambiguous(&["templates_fastapi", "templates_react_app"]),
            ),
            (
                "all",
                None,
                ambiguous(&["templates_fastapi", "templates_react_app"]),
            ),
            // An anchor picks the item of a multi-episode file.
            (
                "../templates/all.json",
                Some("react-app"),
                linked("templates_react_app"),
            ),
            (
                "../templates/all.json",
                Some("fastapi"),
                linked("templates_fastapi"),
            ),
            (
                "all",
                Some("templates_fastapi"),
                linked("templates_fastapi"),
            ),
            // Another root's paths are not this file's paths; names are.
            ("other/atlas.md", None, linked("other_atlas")),
            ("Other Atlas", None, linked("other_atlas")),
            // Self, assets, dangling.
            ("index", None, Outcome::SelfLink),
            ("Index.md", Some("Top"), Outcome::SelfLink),
            ("diagram.png", None, Outcome::Asset),
            ("../docs/spec.pdf", None, Outcome::Asset),
            ("nope.md", None, Outcome::Dangling),
            ("Nobody", None, Outcome::Dangling),
            ("Release 1.2 notes", None, Outcome::Dangling),
            ("../../outside.md", None, Outcome::Dangling),
        ];
        for (target, anchor, want) in table {
            assert_eq!(
                &ix.resolve(&from, &link(target, *anchor)),
                want,
                "{target:?} #{anchor:?}"
            );
        }
    }

    #[test]
    fn generated_episodes_resolve_by_id_and_name_only() {
        let (episodes, ix) = group();
        let from = episodes.last().unwrap().clone();
        assert_eq!(
            ix.resolve(&from, &link("people_alice", None)),
            linked("people_alice")
        );
        assert_eq!(
            ix.resolve(&from, &link("Alice", None)),
            linked("people_alice")
        );
        // Three files are named `atlas`: a stem is a name too.
        assert_eq!(
            ix.resolve(&from, &link("Atlas", None)),
            ambiguous(&["notes_atlas", "other_atlas", "projects_atlas"])
        );
        assert_eq!(
            ix.resolve(&from, &link("../projects/atlas.md", None)),
            linked("projects_atlas")
        );
        assert_eq!(
            ix.resolve(&from, &link("notes/x.md", None)),
            Outcome::Dangling
        );
    }

    #[test]
    fn files_differing_only_in_case_prefer_the_exact_spelling() {
        let episodes = [
            ep("a_from", 0, "a/from.md", "from", &[], None),
            ep("a_note_upper", 0, "a/Note.md", "x", &[], None),
            ep("a_note_lower", 0, "a/note.md", "y", &[], None),
        ];
        let ix = Index::new(&episodes);
        let from = episodes[0].clone();
        assert_eq!(
            ix.resolve(&from, &link("Note.md", None)),
            linked("a_note_upper")
        );
        assert_eq!(
            ix.resolve(&from, &link("note", None)),
            linked("a_note_lower")
        );
        assert_eq!(
            ix.resolve(&from, &link("NOTE", None)),
            ambiguous(&["a_note_lower", "a_note_upper"])
        );
    }

    #[test]
    fn links_aggregate_into_edges_per_target_and_kind() {
        let (episodes, ix) = group();
        let from = episodes[0].clone();
        let mut links = vec![
            link("Alice", None),
            link("people_alice", None),
            link("nope.md", None),
            link("Setup", None),
            link("index", None),
            link("img.png", None),
        ];
        links.push(RawLink {
            kind: LinkKind::Frontmatter,
            ..link("alice", None)
        });
        let r = resolve_links(&ix, &from, &links);
        assert_eq!(
            r.edges,
            [
                Edge {
                    target: "people_alice".into(),
                    kind: LinkKind::Frontmatter,
                    count: 1
                },
                Edge {
                    target: "people_alice".into(),
                    kind: LinkKind::Wikilink,
                    count: 2
                },
            ]
        );
        assert_eq!(r.assets, 1);
        assert_eq!(r.unresolved.len(), 2);
        assert_eq!(r.unresolved[0].link.target, "nope.md");
        assert!(r.unresolved[0].candidates.is_empty());
        assert_eq!(
            r.unresolved[1].candidates,
            ["archive_old_setup", "failure_modes_setup", "guides_setup"]
        );
    }

    #[test]
    fn aliases_come_from_aliases_or_alias() {
        let fields: Map<String, Value> =
            serde_json::from_str(r#"{"aliases":["A","", "B"],"alias":"C"}"#).unwrap();
        assert_eq!(Episode::aliases_from(&fields), ["A", "B", "C"]);
    }
}
