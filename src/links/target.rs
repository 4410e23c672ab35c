//! What a link destination names: nothing (an anchor in the same document),
//! something outside the knowledge base (a URL), or a local target to
//! resolve, with its anchor split off.

/// A destination, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dest {
    /// Empty, or an anchor in the linking document itself (`#usage`).
    Ignore,
    /// `https://…`, `mailto:…`, `//host/…`: counted, never linked.
    External,
    Local {
        target: String,
        anchor: Option<String>,
    },
}

/// How the destination was written, which decides whether `%XX` escapes
/// are decoded: Markdown destinations are URLs (`Note%20Name.md`), wikilinks
/// and field values are literal names (`[[100% done]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Url,
    Literal,
}

/// A URI scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`)
/// before a colon. Two characters at least, so a Windows drive (`C:\notes`)
/// is not mistaken for one.
fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    scheme.len() >= 2
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

pub(crate) fn classify(dest: &str, syntax: Syntax) -> Dest {
    let dest = dest.trim();
    if dest.is_empty() || dest.starts_with('#') {
        return Dest::Ignore;
    }
    if has_scheme(dest) || dest.starts_with("//") {
        return Dest::External;
    }
    let (rest, anchor) = match dest.split_once('#') {
        Some((t, a)) => (t, Some(a)),
        None => (dest, None),
    };
    // A query means nothing to a file on disk (`note.md?plain=1`).
    let rest = match syntax {
        Syntax::Url => rest.split_once('?').map_or(rest, |(p, _)| p),
        Syntax::Literal => rest,
    };
    let (target, anchor) = match syntax {
        Syntax::Url => (percent_decode(rest), anchor.map(percent_decode)),
        Syntax::Literal => (rest.to_string(), anchor.map(str::to_string)),
    };
    let target = target.trim().to_string();
    if target.is_empty() {
        return Dest::Ignore;
    }
    let anchor = anchor
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    Dest::Local { target, anchor }
}

/// Decode `%XX` escapes. A sequence that does not decode to UTF-8 leaves the
/// text as written: better a dangling link that shows what the file says
/// than a target made up by a lossy decoding.
pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(target: &str, anchor: Option<&str>) -> Dest {
        Dest::Local {
            target: target.into(),
            anchor: anchor.map(str::to_string),
        }
    }

    #[test]
    fn destinations_classify() {
        use Syntax::*;
        let table: &[(&str, Syntax, Dest)] = &[
            (
                "../projects/atlas.md",
                Url,
                local("../projects/atlas.md", None),
            ),
            ("Note%20Name.md", Url, local("Note Name.md", None)),
            (
                "caf%C3%A9.md#Menu%20du%20jour",
                Url,
                local("café.md", Some("Menu du jour")),
            ),
            ("note.md?plain=1#top", Url, local("note.md", Some("top"))),
            ("a.md#", Url, local("a.md", None)),
            ("100%25.md", Url, local("100%.md", None)),
            // Not an escape: kept as written.
            ("50%.md", Url, local("50%.md", None)),
            ("bad%FF.md", Url, local("bad%FF.md", None)),
            ("100% done", Literal, local("100% done", None)),
            ("Note#^block-1", Literal, local("Note", Some("^block-1"))),
            ("Note#Heading", Literal, local("Note", Some("Heading"))),
            ("  spaced  ", Literal, local("spaced", None)),
            ("#usage", Url, Dest::Ignore),
            ("#Heading", Literal, Dest::Ignore),
            ("", Url, Dest::Ignore),
            ("https://example.org/a.md", Url, Dest::External),
            ("mailto:a@example.org", Url, Dest::External),
            ("obsidian://open?vault=x", Literal, Dest::External),
            ("//cdn.example.org/x", Url, Dest::External),
            ("C:\\notes\\a.md", Literal, local("C:\\notes\\a.md", None)),
        ];
        for (dest, syntax, want) in table {
            assert_eq!(&classify(dest, *syntax), want, "{dest:?}");
        }
    }
}
