//! Byte offsets to `line:col` in a file, and finding where a value parsed
//! out of JSON or YAML was written, so a warning points at the link itself.

use super::Position;

pub(crate) struct Locator<'a> {
    text: &'a str,
    /// Byte offset where each line starts; `line_starts[0] == 0`.
    line_starts: Vec<usize>,
    /// Added to every line: a Markdown body is located on its own, then
    /// shifted below the front matter.
    line_offset: usize,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(text: &'a str, line_offset: usize) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Locator {
            text,
            line_starts,
            line_offset,
        }
    }

    /// Column in characters, not bytes: what an editor's cursor shows. A
    /// trailing `\r` before the newline is never counted because it comes
    /// after any offset on its line.
    pub(crate) fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line_ix = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line_ix];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Position {
            line: line_ix + 1 + self.line_offset,
            column,
        }
    }

    /// Byte offset where 1-based `line` (not counting `line_offset`) starts;
    /// the end of the text past the last line.
    pub(crate) fn line_start(&self, line: usize) -> usize {
        line.checked_sub(1)
            .and_then(|i| self.line_starts.get(i))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// First occurrence of `needle` in `[from, to)`.
    pub(crate) fn find(&self, needle: &str, from: usize, to: usize) -> Option<usize> {
        let to = to.min(self.text.len());
        if needle.is_empty() || from >= to {
            return None;
        }
        self.text.get(from..to)?.find(needle).map(|i| i + from)
    }

    /// Where a mapping key is written in `[from, to)`: `"key"` (JSON) or
    /// `key:` at the start of a line, indentation allowed (YAML).
    pub(crate) fn find_key(&self, key: &str, from: usize, to: usize) -> Option<usize> {
        let quoted = format!("\"{key}\"");
        let region = self.text.get(from..to.min(self.text.len()))?;
        // A quoted key is followed by `:`; the same text as a value is not.
        let json = region.match_indices(&quoted).find_map(|(i, _)| {
            region[i + quoted.len()..]
                .trim_start()
                .starts_with(':')
                .then_some(from + i)
        });
        let yaml = self.line_starts.iter().find_map(|&start| {
            if start < from || start >= to {
                return None;
            }
            let line = &self.text[start..];
            let trimmed = line.trim_start_matches([' ', '\t', '-']);
            let indent = line.len() - trimmed.len();
            let rest = trimmed
                .strip_prefix(key)
                .or_else(|| trimmed.strip_prefix(&format!("'{key}'")))?;
            rest.trim_start_matches([' ', '\t'])
                .starts_with(':')
                .then_some(start + indent)
        });
        match (json, yaml) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let l = Locator::new("ab\r\ncé [x]\n", 0);
        let p = |line, column| Position { line, column };
        assert_eq!(l.position(0), p(1, 1));
        assert_eq!(l.position(1), p(1, 2));
        assert_eq!(l.position(4), p(2, 1));
        // `é` is two bytes but one column.
        assert_eq!(l.position(8), p(2, 4));
        let shifted = Locator::new("x\n[y]", 5);
        assert_eq!(shifted.position(2), p(7, 1));
        assert_eq!(l.line_start(2), 4);
        assert_eq!(l.line_start(99), l.text.len());
    }

    #[test]
    fn keys_are_found_in_json_and_yaml() {
        let json = Locator::new("{\n  \"title\": \"links\",\n  \"links\": [\"a\"]\n}", 0);
        assert_eq!(
            json.find_key("links", 0, 99).map(|o| json.position(o)),
            Some(Position { line: 3, column: 3 })
        );
        let yaml = Locator::new("title: x\nrelated:\n  - a\n- related: b\n", 0);
        assert_eq!(
            yaml.find_key("related", 0, 99).map(|o| yaml.position(o)),
            Some(Position { line: 2, column: 1 })
        );
        assert_eq!(
            yaml.find_key("related", 10, 99).map(|o| yaml.position(o)),
            Some(Position { line: 4, column: 3 })
        );
        assert_eq!(yaml.find_key("nope", 0, 99), None);
        assert_eq!(yaml.find("a", 0, 3), None);
    }
}
