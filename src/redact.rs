//! Redaction: the one place that decides what of a connection URI may be
//! shown. Every URI is shown through [`uri`] before it is printed or
//! recorded (the target's description, parse errors, run records), and every
//! error or warning line passes through [`text`] on its way to stderr.
//!
//! The rule is deliberately blunt, because a URI that fails to parse is
//! exactly the one whose parts cannot be trusted: keep the scheme and the
//! host:port, drop userinfo (everything up to the last `@`), the path, the
//! query and the fragment, and show `…` where something was dropped. A
//! password hidden anywhere in a malformed URI is dropped with the rest.

/// A URI as it may be shown: `scheme://host:port`, `…` marking what was cut.
pub fn uri(s: &str) -> String {
    let (scheme, rest) = match s.find("://") {
        Some(i) => (&s[..i + 3], &s[i + 3..]),
        None => ("", s),
    };
    // Userinfo first, over the whole rest: a password may itself hold `/`,
    // `?` or `#`, and `@` before any of them would otherwise be missed.
    let (userinfo, rest) = match rest.rfind('@') {
        Some(i) => (true, &rest[i + 1..]),
        None => (false, rest),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let mut shown = String::with_capacity(s.len().min(128));
    // Without `://` and without userinfo, what looks like a scheme may be a
    // user name (`neo4j:secret@...` was handled above): keep it, it is the
    // whole input up to the first path, query or fragment.
    shown.push_str(scheme);
    if userinfo {
        shown.push_str("…@");
    }
    shown.push_str(authority);
    if !tail.is_empty() {
        shown.push('…');
    }
    shown
}

/// Whether a word of free text looks like a URI or carries userinfo
/// (`user:password@host`). `owner@host` (no colon before `@`) is left alone:
/// lock owners are written that way.
fn looks_like_uri(word: &str) -> bool {
    word.contains("://")
        || word
            .split('@')
            .next()
            .is_some_and(|before| before.len() < word.len() && before.contains(':'))
}

/// Free text (an error message, a driver's error) with every URI-like word
/// shown through [`uri`]. Quotes and backticks around a word are kept.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        let ws = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        out.push_str(&rest[..ws]);
        rest = &rest[ws..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        if !looks_like_uri(word) {
            out.push_str(word);
            continue;
        }
        let quotes: &[char] = &['`', '\'', '"', '(', ')', '<', '>', ',', ';'];
        let inner = word.trim_start_matches(quotes);
        let lead = &word[..word.len() - inner.len()];
        let inner_end = inner.trim_end_matches(quotes);
        let trail = &inner[inner_end.len()..];
        out.push_str(lead);
        out.push_str(&uri(inner_end));
        out.push_str(trail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PW: &str = "s3cr3tMARK";

    #[test]
    fn uri_table() {
        for (raw, shown) in [
            ("bolt://localhost:7687", "bolt://localhost:7687"),
            ("neo4j+s://db.example.com", "neo4j+s://db.example.com"),
            ("bolt://[::1]:7687", "bolt://[::1]:7687"),
            (
                "bolt://neo4j:s3cr3tMARK@localhost:7687",
                "bolt://…@localhost:7687",
            ),
            (
                "http://neo4j:s3cr3tMARK@localhost:7474",
                "http://…@localhost:7474",
            ),
            ("BOLT://neo4j:s3cr3tMARK@h", "BOLT://…@h"),
            ("bolt//neo4j:s3cr3tMARK@localhost", "…@localhost"),
            ("bolt:/neo4j:s3cr3tMARK@h:1", "…@h:1"),
            (
                "bolt://localhost:7687?password=s3cr3tMARK",
                "bolt://localhost:7687…",
            ),
            (
                "bolt://localhost:7687/?password=s3cr3tMARK",
                "bolt://localhost:7687…",
            ),
            ("bolt://localhost#s3cr3tMARK", "bolt://localhost…"),
            ("bolt://neo4j:s3/cr?3t@MARK@h", "bolt://…@h"),
            ("", ""),
        ] {
            assert_eq!(uri(raw), shown, "{raw}");
        }
    }

    #[test]
    fn text_redacts_uris_inside_messages() {
        let m = format!("unsupported target `http://neo4j:{PW}@h:7474`: use bolt://");
        assert_eq!(
            text(&m),
            "unsupported target `http://…@h:7474`: use bolt://"
        );
        let m = format!("cannot reach bolt://h:7687?password={PW}: refused");
        assert!(!text(&m).contains(PW), "{}", text(&m));
        // Lock owners and plain words stay as they are.
        let m = "locked by run 0192 (root@host pid 7) until 12:00:00";
        assert_eq!(text(m), m);
        assert_eq!(
            text("  two  spaces\nand a line "),
            "  two  spaces\nand a line "
        );
    }
}
