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

/// The ASCII letters a Latin letter with a diacritic stands for (`é` → `e`,
/// `ß` → `ss`), so `Café Menü.md` derives `cafe_menu`, not `caf_men`.
/// Precomposed forms only; combining marks (a macOS file name is in NFD) are
/// dropped by [`snake_case`], which gives the same id for both spellings.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'À'..='Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'Æ' => "AE",
        'æ' => "ae",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'Ð' | 'Ď' | 'Đ' => "D",
        'ð' | 'ď' | 'đ' => "d",
        'È'..='Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'Ĥ' | 'Ħ' => "H",
        'ĥ' | 'ħ' => "h",
        'Ì'..='Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Ĵ' => "J",
        'ĵ' => "j",
        'Ķ' => "K",
        'ķ' => "k",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "N",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'Œ' => "OE",
        'œ' => "oe",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'Þ' => "TH",
        'þ' => "th",
        'Ù'..='Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ŵ' => "W",
        'ŵ' => "w",
        'Ý' | 'Ŷ' | 'Ÿ' => "Y",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// Snake-case any text: camelCase boundaries and every run of characters
/// outside `[a-z0-9]` become one `_`; leading and trailing `_` are dropped.
/// Latin letters with diacritics are folded to ASCII first and combining
/// marks are ignored; other scripts have no ASCII spelling and act as
/// separators. Returns an empty string when nothing usable is left (the
/// caller then asks for an explicit `entity_id`).
pub fn snake_case(s: &str) -> String {
    let mut folded = String::with_capacity(s.len());
    for c in s.chars() {
        match fold_latin(c) {
            Some(ascii) => folded.push_str(ascii),
            // Combining diacritical marks: `e` + U+0301 is `é` spelled in NFD.
            None if ('\u{300}'..='\u{36f}').contains(&c) => {}
            None => folded.push(c),
        }
    }
    let mut out = String::with_capacity(folded.len());
    let mut prev_lower_or_digit = false;
    let mut pending_sep = false;
    for c in folded.chars() {
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
    fn latin_diacritics_fold_and_nfd_equals_nfc() {
        assert_eq!(derive(Some("Notes"), "Café Menü"), "notes_cafe_menu");
        assert_eq!(derive(Some("x"), "Cafe\u{301} Menu\u{308}"), "x_cafe_menu");
        assert_eq!(
            derive(Some("x"), "Straße Œuvre Łódź"),
            "x_strasse_oeuvre_lodz"
        );
        // No Latin letters at all: nothing to derive, the caller asks for an id.
        assert_eq!(derive(Some("x"), "日本語"), "");
        assert_eq!(derive(Some("x"), "日本語 v2"), "x_v2");
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
