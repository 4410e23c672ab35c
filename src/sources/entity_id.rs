//! `entity_id` rules: taken from the item when it names one, else derived as
//! `{category}_{name}` in snake_case. The format is
//! `^[a-z0-9]+(_[a-z0-9]+)*$` so ids are safe in any query, path or log.

/// Whether `s` is a valid entity_id.
pub fn is_valid(s: &str) -> bool {
    !s.is_empty()
        && s.split('_').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Snake-case any text: camelCase boundaries and every run of characters
/// outside `[a-z0-9]` become one `_`; leading and trailing `_` are dropped.
/// Returns an empty string when nothing usable is left.
pub fn snake_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_lower_or_digit = false;
    let mut pending_sep = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower_or_digit {
                pending_sep = true;
            }
            if pending_sep && !out.is_empty() {
                out.push('_');
            }
            pending_sep = false;
            out.push(c.to_ascii_lowercase());
            prev_lower_or_digit = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            pending_sep = true;
            prev_lower_or_digit = false;
        }
    }
    out
}

/// `{category}_{name}` snake-cased; just `{name}` for files at the root.
pub fn derive(category: Option<&str>, name: &str) -> String {
    let name = snake_case(name);
    match category.map(snake_case).filter(|c| !c.is_empty()) {
        Some(cat) if !name.is_empty() => format!("{cat}_{name}"),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_snake_case_ids() {
        assert_eq!(derive(Some("commands"), "task-work"), "commands_task_work");
        assert_eq!(
            derive(Some("Failure Modes"), "LockHeld"),
            "failure_modes_lock_held"
        );
        assert_eq!(derive(None, "README"), "readme");
        assert_eq!(
            derive(Some("templates"), "fastapi-python v2"),
            "templates_fastapi_python_v2"
        );
        assert_eq!(derive(Some("x"), "!!!"), "");
    }

    #[test]
    fn validates_format() {
        for ok in ["a", "command_task_work", "a1_b2", "v2"] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in ["", "_a", "a_", "a__b", "A", "a-b", "a b", "a'})-[:X]", "é"] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn derived_ids_are_always_valid_or_empty() {
        for s in ["Hello, World!", "--x--", "ÄÖÜ", "a\u{0}b", "ABCDef", "x1Y2"] {
            let id = derive(Some("cat"), s);
            assert!(id.is_empty() || is_valid(&id), "{s} -> {id}");
        }
    }
}
