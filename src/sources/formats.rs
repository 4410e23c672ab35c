//! Parsing one source file into episode items. Each format maps onto the same
//! shape, a JSON object per episode, so hashing and storage never care where
//! an episode came from.
//!
//! | extension | episodes |
//! |---|---|
//! | `.json` | an object is one, an array of objects many |
//! | `.jsonl`, `.ndjson` | one object per non-blank line |
//! | `.yaml`, `.yml` | a mapping is one, a sequence of mappings many |
//! | `.md` | one: optional YAML front matter fields + `content` (the body) |
//! | `.txt` | one: `name` (the file stem) + `content` |

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    JsonLines,
    Yaml,
    Markdown,
    Text,
}

impl Format {
    /// The format for a file name, `None` for files graphseed skips.
    pub fn from_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::JsonLines,
            "yaml" | "yml" => Format::Yaml,
            "md" | "markdown" => Format::Markdown,
            "txt" => Format::Text,
            _ => return None,
        })
    }
}

/// One episode's fields as found in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub fields: Map<String, Value>,
    /// 1-based line where the item starts, where the format tells.
    pub line: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub items: Vec<Item>,
    /// True for formats and shapes that hold many episodes (arrays, JSONL,
    /// sequences): their items are named by `id` / `name`, not the stem.
    pub multi: bool,
}

/// What is wrong with a file, with the place when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl ParseError {
    fn at(line: Option<usize>, column: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            line,
            column,
            message: message.into(),
            hint: None,
        }
    }
    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// True for a file with nothing in it: no bytes, or only a UTF-8 byte-order
/// mark and ASCII whitespace.
pub fn is_blank(bytes: &[u8]) -> bool {
    bytes
        .strip_prefix(UTF8_BOM)
        .unwrap_or(bytes)
        .iter()
        .all(u8::is_ascii_whitespace)
}

/// Parse a file's bytes. `stem` names single-episode text files.
pub fn parse(format: Format, bytes: &[u8], stem: &str) -> Result<Parsed, ParseError> {
    // The hash is taken over the raw bytes elsewhere; only parsing ignores
    // the byte-order mark, which editors on Windows like to add.
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col(bytes, e.valid_up_to());
        ParseError::at(
            Some(line),
            Some(column),
            format!("not valid UTF-8 (byte {})", e.valid_up_to()),
        )
        .hint("re-save the file as UTF-8")
    })?;
    match format {
        Format::Json => parse_json(text),
        Format::JsonLines => parse_json_lines(text),
        Format::Yaml => parse_yaml(text, 0),
        Format::Markdown => parse_markdown(text, stem),
        Format::Text => Ok(single(text_item(stem, text), Some(1))),
    }
}

fn single(fields: Map<String, Value>, line: Option<usize>) -> Parsed {
    Parsed {
        items: vec![Item { fields, line }],
        multi: false,
    }
}

fn text_item(stem: &str, text: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), Value::String(stem.to_string()));
    m.insert("content".into(), Value::String(normalize_newlines(text)));
    m
}

/// CRLF and LF files with the same text are the same content.
fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n")
}

fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

/// `fix`: what to do about a syntax error there, as the hint's start.
fn json_error(e: &serde_json::Error, line_offset: usize, fix: &str) -> ParseError {
    // serde_json appends " at line L column C" itself; keep the bare message.
    let msg = e.to_string();
    let bare = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    // serde_json says column 0 for "before the first character of the line"
    // (an empty document, say); editors count from 1.
    let err = ParseError::at(
        Some(e.line() + line_offset),
        Some(e.column().max(1)),
        format!("invalid JSON: {bare}"),
    );
    if bare.contains("recursion limit") {
        // serde_json stops at 128 levels instead of overflowing the stack.
        err.hint("nesting deeper than 128 levels is refused; flatten the document")
    } else {
        err.hint(format!("{fix}, {LEAVE_OUT}"))
    }
}

/// The way out of a syntax error a user cannot fix at once; the episodes the
/// file produced before stay stored either way.
const LEAVE_OUT: &str = "or leave the file out with `exclude` (--exclude)";

fn parse_json(text: &str) -> Result<Parsed, ParseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        json_error(
            &e,
            0,
            "fix the JSON there (a missing quote, comma or bracket is the usual cause)",
        )
    })?;
    match value {
        Value::Object(m) => Ok(single(m, Some(1))),
        Value::Array(items) => Ok(Parsed {
            items: objects(items, "array")?,
            multi: true,
        }),
        other => Err(ParseError::at(
            Some(1),
            Some(1),
            format!(
                "top-level JSON {} is not an object or an array of objects",
                kind(&other)
            ),
        )
        .hint(format!(
            "a .json file holds one episode (an object) or several (an array of objects); {LEAVE_OUT}"
        ))),
    }
}

fn objects(items: Vec<Value>, container: &str) -> Result<Vec<Item>, ParseError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(fields) => Ok(Item { fields, line: None }),
            other => Err(ParseError::at(
                None,
                None,
                format!(
                    "{container} item #{} is {}, not an object",
                    i + 1,
                    kind(&other)
                ),
            )
            .hint(format!(
                "every item is one episode: make it an object (`content: ...`), {LEAVE_OUT}"
            ))),
        })
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_json_lines(text: &str) -> Result<Parsed, ParseError> {
    let mut items = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(fields)) => items.push(Item {
                fields,
                line: Some(line_no),
            }),
            Ok(other) => {
                return Err(ParseError::at(
                    Some(line_no),
                    Some(1),
                    format!("line holds {}, not a JSON object", kind(&other)),
                )
                .hint(format!(
                    "each line of a .jsonl file is one episode, a JSON object: wrap the value as {{\"content\": ...}}, {LEAVE_OUT}"
                )));
            }
            Err(e) => {
                let fix = format!("each line holds one whole JSON object: fix line {line_no}");
                let mut err = json_error(&e, line_no - 1, &fix);
                err.line = Some(line_no);
                return Err(err);
            }
        }
    }
    Ok(Parsed { items, multi: true })
}

fn yaml_to_json(v: serde_yaml_ng::Value) -> Result<Value, String> {
    serde_json::to_value(&v).map_err(|e| format!("YAML value has no JSON form: {e}"))
}

fn parse_yaml(text: &str, line_offset: usize) -> Result<Parsed, ParseError> {
    match yaml_value(text, line_offset)? {
        Value::Object(m) => Ok(single(m, Some(1 + line_offset))),
        Value::Array(items) => Ok(Parsed {
            items: objects(items, "sequence")?,
            multi: true,
        }),
        Value::Null => Err(ParseError::at(Some(1), Some(1), "empty YAML document")
            .hint("add a mapping, or remove the file")),
        other => Err(ParseError::at(
            Some(1 + line_offset),
            Some(1),
            format!(
                "top-level YAML {} is not a mapping or a sequence of mappings",
                kind(&other)
            ),
        )
        .hint(format!(
            "a YAML file holds one episode (a mapping) or several (a sequence of mappings); {LEAVE_OUT}"
        ))),
    }
}

/// A YAML document's JSON form; `line_offset`: lines before it in the file.
fn yaml_value(text: &str, line_offset: usize) -> Result<Value, ParseError> {
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let loc = e.location();
        let msg = e.to_string();
        let bare = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        let err = ParseError::at(
            loc.as_ref().map(|l| l.line() + line_offset),
            loc.as_ref().map(|l| l.column()),
            format!("invalid YAML: {bare}"),
        );
        // serde_yaml_ng stops at 128 levels of nesting and bounds alias
        // expansion, so neither a deep document nor an alias bomb can take
        // the stack or the memory down.
        if bare.contains("recursion limit") {
            err.hint("nesting deeper than 128 levels is refused; flatten the document")
        } else if bare.contains("repetition limit") {
            err.hint(
                "too many alias expansions (`*name`); write the values out or use fewer aliases",
            )
        } else {
            err.hint(format!(
                "fix the YAML there (indentation, or a value holding `: ` or `#` that needs quotes), {LEAVE_OUT}"
            ))
        }
    })?;
    yaml_to_json(value).map_err(|m| {
        ParseError::at(None, None, m).hint(format!(
            "give the value a JSON form (mapping keys as text, no binary or tagged values), {LEAVE_OUT}"
        ))
    })
}

fn parse_markdown(text: &str, stem: &str) -> Result<Parsed, ParseError> {
    let normalized = normalize_newlines(text);
    let Some(rest) = normalized.strip_prefix("---\n") else {
        return Ok(single(text_item(stem, &normalized), Some(1)));
    };
    // The front matter ends at the first line that is exactly `---`.
    let (front, body) = if let Some(body) = rest.strip_prefix("---\n") {
        ("", body)
    } else if let Some(end) = rest.find("\n---\n") {
        (&rest[..end + 1], &rest[end + 5..])
    } else if let Some(stripped) = rest.strip_suffix("\n---") {
        (stripped, "")
    } else {
        return Err(ParseError::at(
            Some(1),
            Some(1),
            "front matter opened with `---` is never closed",
        )
        .hint("end the front matter with a line holding only `---`"));
    };
    let mut fields = if front.trim().is_empty() {
        Map::new()
    } else {
        match yaml_value(front, 1)? {
            Value::Object(fields) => fields,
            // Only comments: as empty as no front matter at all.
            Value::Null => Map::new(),
            other => {
                return Err(ParseError::at(
                    Some(2),
                    Some(1),
                    format!(
                        "front matter is {}, not a mapping",
                        if other.is_array() {
                            "a sequence"
                        } else {
                            kind(&other)
                        }
                    ),
                )
                .hint("write the front matter as `key: value` lines"));
            }
        }
    };
    if !fields.contains_key("name") {
        let name = fields
            .get("title")
            .cloned()
            .unwrap_or_else(|| Value::String(stem.to_string()));
        fields.insert("name".into(), name);
    }
    fields.insert("content".into(), Value::String(body.to_string()));
    Ok(single(fields, Some(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(format: Format, s: &str) -> Result<Parsed, ParseError> {
        parse(format, s.as_bytes(), "stem")
    }

    #[test]
    fn json_object_and_array() {
        assert_eq!(p(Format::Json, r#"{"a":1}"#).unwrap().items.len(), 1);
        let arr = p(Format::Json, r#"[{"id":"x"},{"id":"y"}]"#).unwrap();
        assert!(arr.multi);
        assert_eq!(arr.items.len(), 2);
        let err = p(Format::Json, "[1]").unwrap_err();
        assert!(err.message.contains("item #1 is a number"), "{err:?}");
    }

    #[test]
    fn json_errors_carry_line_and_column() {
        let err = p(Format::Json, "{\n  \"a\": 1,\n  \"b\": }\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(8)), "{err:?}");
        assert!(err.message.starts_with("invalid JSON"));
    }

    /// Every way a file can fail to parse says what to do about it (the
    /// README promises a hint with each error).
    #[test]
    fn every_parse_error_carries_a_hint() {
        let cases: &[(Format, &str, &str)] = &[
            (Format::Json, "{\"a\": }", "fix the JSON"),
            (Format::Json, "42", "one episode (an object)"),
            (Format::Json, "[{\"a\":1}, 2]", "make it an object"),
            (Format::JsonLines, "{\"a\":1}\n{\"a\":", "fix line 2"),
            (Format::JsonLines, "[1]", "wrap the value"),
            (Format::Yaml, "a: [1\n", "fix the YAML"),
            (Format::Yaml, "just text", "one episode (a mapping)"),
            (Format::Yaml, "- 1\n", "make it an object"),
            (Format::Yaml, "", "add a mapping"),
            (Format::Markdown, "---\na: 1\n", "end the front matter"),
            (
                Format::Markdown,
                "---\n- a\n---\nbody\n",
                "`key: value` lines",
            ),
            (Format::Markdown, "---\na: [1\n---\nbody\n", "fix the YAML"),
            (
                Format::Json,
                "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                "flatten",
            ),
            (
                Format::JsonLines,
                "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                "flatten",
            ),
        ];
        for (format, text, want) in cases {
            let err = p(*format, text).unwrap_err();
            let hint = err.hint.as_deref().unwrap_or_default();
            assert!(hint.contains(want), "{format:?} {text:?}: {err:?}");
        }
    }

    #[test]
    fn jsonl_reports_the_failing_line() {
        let err = p(Format::JsonLines, "{\"id\":1}\n\n{\"id\":2,}\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        let ok = p(Format::JsonLines, "{\"id\":1}\r\n{\"id\":2}\r\n").unwrap();
        assert_eq!(
            ok.items.iter().map(|i| i.line).collect::<Vec<_>>(),
            [Some(1), Some(2)]
        );
    }

    #[test]
    fn yaml_mapping_sequence_and_errors() {
        assert!(!p(Format::Yaml, "a: 1\nb: [1, 2]\n").unwrap().multi);
        assert_eq!(
            p(Format::Yaml, "- id: a\n- id: b\n").unwrap().items.len(),
            2
        );
        let err = p(Format::Yaml, "a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
        assert!(p(Format::Yaml, "").is_err());
    }

    #[test]
    fn markdown_front_matter() {
        let md = p(
            Format::Markdown,
            "---\ntitle: Hello\ntags: [a]\n---\n# Body\n",
        )
        .unwrap();
        let f = &md.items[0].fields;
        assert_eq!(f["name"], "Hello");
        assert_eq!(f["content"], "# Body\n");
        let plain = p(Format::Markdown, "# Just text\r\n").unwrap();
        assert_eq!(plain.items[0].fields["name"], "stem");
        assert_eq!(plain.items[0].fields["content"], "# Just text\n");
        let err = p(Format::Markdown, "---\ntitle: x\n# never closed\n").unwrap_err();
        assert!(err.message.contains("never closed"));
        let bad = p(Format::Markdown, "---\ntitle: [x\n---\nbody\n").unwrap_err();
        assert!(bad.line.unwrap() >= 2, "{bad:?}");
    }

    #[test]
    fn bom_is_ignored_and_bad_utf8_is_located() {
        assert!(parse(Format::Json, b"\xEF\xBB\xBF{\"a\":1}", "s").is_ok());
        let err = parse(Format::Text, b"ok\nbad \xFF here", "s").unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(5)));
        assert!(err.message.contains("UTF-8"));
    }

    #[test]
    fn crlf_and_lf_texts_are_the_same_content() {
        assert_eq!(
            p(Format::Text, "a\r\nb\r\n").unwrap(),
            p(Format::Text, "a\nb\n").unwrap()
        );
    }
}
