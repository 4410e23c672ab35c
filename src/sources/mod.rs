//! Sources → episodes: walk the roots, parse each file into items, give each
//! item its `entity_id`, name and content hash.

/// The include glob a root has when it names none: every file.
pub const DEFAULT_INCLUDE: &str = "**/*";

pub mod entity_id;
pub mod formats;
pub mod walk;

use serde_json::{Map, Value};

pub use formats::{Format, ParseError};
pub use walk::{RootSpec, SourceFile, WalkReport, Walked, WalkedFiles, walk};

/// An episode as the sources describe it, before metadata is stamped.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub entity_id: String,
    pub name: String,
    /// The item's own fields, `_metadata` removed (tool-owned, never trusted).
    pub fields: Map<String, Value>,
    pub content_hash: String,
    /// 1-based line of the item, where known.
    pub line: Option<usize>,
}

fn as_id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Turn parsed items into candidates. `category` and `stem` drive derived
/// ids (`None` category for generated content and root-level files).
/// Every problem in the file is returned, not just the first.
pub fn candidates(
    parsed: formats::Parsed,
    category: Option<&str>,
    stem: &str,
) -> Result<Vec<Candidate>, Vec<ParseError>> {
    let mut out = Vec::with_capacity(parsed.items.len());
    let mut errors = Vec::new();
    for (i, item) in parsed.items.into_iter().enumerate() {
        let mut fields = item.fields;
        let where_ = match item.line {
            Some(l) if parsed.multi => format!("item on line {l}"),
            _ if parsed.multi => format!("item #{}", i + 1),
            _ => "the episode".to_string(),
        };
        let err = |message: String, hint: &str| ParseError {
            line: item.line,
            column: None,
            message,
            hint: Some(hint.to_string()),
        };
        let metadata = fields.remove("_metadata");
        let given = fields
            .get("entity_id")
            .or_else(|| metadata.as_ref().and_then(|m| m.get("entity_id")))
            .cloned();
        let entity_id = match given {
            Some(Value::String(id)) => {
                if !entity_id::is_valid(&id) {
                    errors.push(err(
                        format!("{where_}: entity_id {id:?} is not snake_case (^[a-z0-9]+(_[a-z0-9]+)*$)"),
                        "fix the entity_id, or remove it to derive one from the category and name",
                    ));
                    continue;
                }
                id
            }
            Some(other) => {
                errors.push(err(
                    format!("{where_}: entity_id must be a string, found {other}"),
                    "use a snake_case string",
                ));
                continue;
            }
            None if parsed.multi => {
                let Some(key) = fields
                    .get("id")
                    .or_else(|| fields.get("name"))
                    .and_then(as_id_text)
                else {
                    errors.push(err(
                        format!("{where_} has no `id`, `name` or `entity_id` to identify it"),
                        "give every item of a multi-episode file an `id`",
                    ));
                    continue;
                };
                entity_id::derive(category, &key)
            }
            None => entity_id::derive(category, stem),
        };
        // An index key on every store: too long is an error here, at plan
        // time, not a write that fails the same way on every rerun.
        if let Err(m) = crate::limits::check_key("entity_id", &entity_id) {
            errors.push(err(
                format!("{where_}: {m}"),
                "use a shorter entity_id (or a shorter `id` / `name` / file name it is derived from)",
            ));
            continue;
        }
        if entity_id.is_empty() {
            errors.push(err(
                format!(
                    "{where_}: no entity_id can be derived (the name has no Latin letters or digits)"
                ),
                "set `entity_id` in the item, or rename the file",
            ));
            continue;
        }
        let name = ["name", "title", "id"]
            .iter()
            .find_map(|k| fields.get(*k).and_then(as_id_text))
            .unwrap_or_else(|| stem.to_string());
        let content_hash = crate::hashing::content_hash(&fields);
        out.push(Candidate {
            entity_id,
            name,
            fields,
            content_hash,
            line: item.line,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Parse one file's bytes into candidates.
///
/// An empty file (no bytes, or only a byte-order mark and whitespace) is an
/// error in every format, never "zero episodes": a file truncated by a failed
/// write or a bad merge must not quietly turn its episodes into orphans that
/// `--prune` would delete. The error keeps them (see the planner).
pub fn parse_file(file: &SourceFile, bytes: &[u8]) -> Result<Vec<Candidate>, Vec<ParseError>> {
    if formats::is_blank(bytes) {
        return Err(vec![ParseError {
            line: Some(1),
            column: Some(1),
            message: if bytes.is_empty() {
                "file is empty".to_string()
            } else {
                "file holds only whitespace".to_string()
            },
            hint: Some(
                "add content, or delete or exclude the file (its stored episodes are kept until then)"
                    .to_string(),
            ),
        }]);
    }
    let parsed = formats::parse(file.format, bytes, file.stem()).map_err(|e| vec![e])?;
    candidates(parsed, file.category(), file.stem())
}

/// Generated episodes from standard input: JSONL, one episode per line,
/// identified by `entity_id`, `id` or `name`.
///
/// A line longer than `max_line` bytes (`max_file_mb`, the limit of one
/// file) is refused before anything is parsed.
pub fn parse_generated(bytes: &[u8], max_line: u64) -> Result<Vec<Candidate>, Vec<ParseError>> {
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.len() as u64 > max_line {
            return Err(vec![ParseError {
                line: Some(i + 1),
                column: None,
                message: format!(
                    "line is {} bytes, over the {} MB limit of one episode ([limits] max_file_mb)",
                    line.len(),
                    max_line >> 20
                ),
                hint: Some("raise [limits] max_file_mb, or shorten the line".to_string()),
            }]);
        }
    }
    let parsed = formats::parse(Format::JsonLines, bytes, "stdin").map_err(|e| vec![e])?;
    candidates(parsed, None, "stdin")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str, format: Format) -> SourceFile {
        SourceFile {
            root: Default::default(),
            rel: rel.into(),
            format,
        }
    }

    #[test]
    fn single_episode_ids_come_from_category_and_stem() {
        let c = parse_file(
            &file("commands/task-work.json", Format::Json),
            br#"{"name":"/task-work"}"#,
        )
        .unwrap();
        assert_eq!(c[0].entity_id, "commands_task_work");
        assert_eq!(c[0].name, "/task-work");
    }

    #[test]
    fn multi_episode_ids_come_from_item_id_or_name() {
        let c = parse_file(
            &file("templates/all.json", Format::Json),
            br#"[{"id":"fastapi-python"},{"name":"React App"},{"entity_id":"custom_one"}]"#,
        )
        .unwrap();
        let ids: Vec<_> = c.iter().map(|c| c.entity_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "templates_fastapi_python",
                "templates_react_app",
                "custom_one"
            ]
        );
    }

    #[test]
    fn metadata_in_input_is_dropped_but_its_entity_id_is_honoured() {
        let c = parse_file(
            &file("x/y.json", Format::Json),
            br#"{"a":1,"_metadata":{"entity_id":"given_id","version":"9.9.9"}}"#,
        )
        .unwrap();
        assert_eq!(c[0].entity_id, "given_id");
        assert!(!c[0].fields.contains_key("_metadata"));
    }

    #[test]
    fn every_bad_item_is_reported() {
        let errs = parse_file(
            &file("x/many.jsonl", Format::JsonLines),
            b"{\"id\":\"ok\"}\n{\"nothing\":1}\n{\"entity_id\":\"Bad Id'})\"}\n",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].line, Some(2));
        assert_eq!(errs[1].line, Some(3));
        assert!(errs[1].message.contains("not snake_case"));
    }

    #[test]
    fn generated_episodes_need_an_identity() {
        let c = parse_generated(b"{\"id\":\"Fact 1\",\"text\":\"x\"}\n", 1 << 20).unwrap();
        assert_eq!(c[0].entity_id, "fact_1");
    }
}
