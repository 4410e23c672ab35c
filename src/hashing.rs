//! Hashing rules. `source_hash` is SHA-256 over a file's raw bytes (so it
//! equals `sha256sum`); `content_hash` is SHA-256 over the canonical JSON of an
//! episode body without `_metadata`, so volatile fields (timestamps, run ids)
//! never make an unchanged episode look changed.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// A digest as lowercase hex on the stack, to compare with stored hex
/// without allocating.
pub struct Hex([u8; 64]);

impl Hex {
    pub fn of(digest: &[u8; 32]) -> Self {
        let mut out = [0u8; 64];
        hex::encode_to_slice(digest, &mut out).expect("64 bytes hold 32 in hex");
        Hex(out)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex is ASCII")
    }
}

/// Canonical JSON: object keys sorted by their UTF-8 bytes at every depth, no
/// insignificant whitespace. Written by hand rather than relying on
/// serde_json's map order, which flips to insertion order if any crate in the
/// build enables its `preserve_order` feature. Strings and scalars are
/// written by serde_json itself, so escaping is serde_json's.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, None, &mut out).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Streams bytes into a SHA-256: hashes are computed over canonical JSON
/// without building the text first (a 100k-episode signature or a 16 KB
/// body would otherwise be copied into a String just to be hashed).
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl HashWriter {
    fn new() -> Self {
        HashWriter(Sha256::new())
    }
    fn hex(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// `skip`: a key left out of this object only (not of nested ones).
fn write_canonical<W: std::io::Write>(
    value: &Value,
    skip: Option<&str>,
    out: &mut W,
) -> std::io::Result<()> {
    match value {
        Value::Object(map) => write_object(map, skip, out),
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_canonical(item, None, out)?;
            }
            out.write_all(b"]")
        }
        scalar => serde_json::to_writer(out, scalar).map_err(std::io::Error::other),
    }
}

fn write_object<W: std::io::Write>(
    map: &serde_json::Map<String, Value>,
    skip: Option<&str>,
    out: &mut W,
) -> std::io::Result<()> {
    let mut keys: Vec<&String> = map.keys().filter(|k| Some(k.as_str()) != skip).collect();
    keys.sort();
    out.write_all(b"{")?;
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, k).map_err(std::io::Error::other)?;
        out.write_all(b":")?;
        write_canonical(&map[k], None, out)?;
    }
    out.write_all(b"}")
}

/// SHA-256 of the canonical JSON of `body`, ignoring a top-level `_metadata`.
pub fn content_hash(body: &serde_json::Map<String, Value>) -> String {
    let mut h = HashWriter::new();
    write_object(body, Some("_metadata"), &mut h).expect("hashing cannot fail");
    h.hex()
}

/// SHA-256 of the canonical JSON of any value (parameters, signatures).
pub fn canonical_hash(value: &Value) -> String {
    let mut h = HashWriter::new();
    write_canonical(value, None, &mut h).expect("hashing cannot fail");
    h.hex()
}

/// SHA-256 of the canonical JSON of a list of string triples, the same
/// bytes as [`canonical_hash`] of the equivalent JSON array, without
/// building it (a graph signature covers every episode of a group).
pub fn canonical_hash_of_triples<A: AsRef<str>, B: AsRef<str>, C: AsRef<str>>(
    triples: impl IntoIterator<Item = (A, B, C)>,
) -> String {
    let mut h = TriplesHasher::default();
    for (a, b, c) in triples {
        h.push(a.as_ref(), b.as_ref(), c.as_ref());
    }
    h.finish()
}

/// [`canonical_hash_of_triples`] fed one triple at a time, for triples that
/// arrive in their order (pages of a group) and are never collected.
pub struct TriplesHasher {
    h: HashWriter,
    any: bool,
}

impl Default for TriplesHasher {
    fn default() -> Self {
        TriplesHasher {
            h: HashWriter::new(),
            any: false,
        }
    }
}

impl TriplesHasher {
    pub fn push(&mut self, a: &str, b: &str, c: &str) {
        use std::io::Write;
        let h = &mut self.h;
        let mut write = || -> std::io::Result<()> {
            h.write_all(if self.any { b",[" } else { b"[[" })?;
            for (j, s) in [a, b, c].into_iter().enumerate() {
                if j > 0 {
                    h.write_all(b",")?;
                }
                serde_json::to_writer(&mut *h, s).map_err(std::io::Error::other)?;
            }
            h.write_all(b"]")
        };
        write().expect("hashing cannot fail");
        self.any = true;
    }

    pub fn finish(mut self) -> String {
        use std::io::Write;
        let end: &[u8] = if self.any { b"]" } else { b"[]" };
        self.h.write_all(end).expect("hashing cannot fail");
        self.h.hex()
    }
}

/// A link as a graph signature covers it: `(source, target, kind, count)`.
pub type LinkTuple<'a> = (&'a str, &'a str, &'a str, u32);

/// SHA-256 of the canonical JSON of `{"episodes": episodes, "links": links}`
/// (links in the order given), the same bytes as [`canonical_hash`] of that
/// value, without building it: as a `serde_json::Value` a link cost about
/// 200 bytes, which at three links a note was most of a linked corpus's
/// planning peak.
pub fn canonical_hash_of_episodes_and_links<'a>(
    episodes: &str,
    links: impl IntoIterator<Item = LinkTuple<'a>>,
) -> String {
    use std::io::Write;
    let mut h = HashWriter::new();
    let write = || -> std::io::Result<()> {
        // Keys in canonical (sorted) order: "episodes" < "links".
        h.write_all(b"{\"episodes\":")?;
        serde_json::to_writer(&mut h, episodes).map_err(std::io::Error::other)?;
        h.write_all(b",\"links\":[")?;
        for (i, (source, target, kind, count)) in links.into_iter().enumerate() {
            h.write_all(if i > 0 { b",[" } else { b"[" })?;
            for (j, s) in [source, target, kind].into_iter().enumerate() {
                if j > 0 {
                    h.write_all(b",")?;
                }
                serde_json::to_writer(&mut h, s).map_err(std::io::Error::other)?;
            }
            write!(h, ",{count}]")?;
        }
        h.write_all(b"]}")
    };
    write().expect("hashing cannot fail");
    h.hex()
}

/// What an episode's seal covers: every tool-owned property the hand-edit
/// check compares, and the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealFields<'a> {
    pub entity_id: &'a str,
    pub source: &'a str,
    pub version: &'a str,
    pub content_hash: &'a str,
    pub source_hash: Option<&'a str>,
    pub source_path: Option<&'a str>,
    pub run_id: &'a str,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub body: &'a str,
}

/// The seal a store keeps beside an episode it wrote: SHA-256 over the
/// exact stored values of [`SealFields`], as lowercase hex.
///
/// Why: every reseed checks every stored episode for hand edits, which
/// without a seal means parsing each body as JSON and re-hashing its
/// canonical form. The seal is checked on the bytes as read, with no
/// parsing: if it matches, nothing it covers changed since graphseed wrote
/// it (a hand edit that keeps it matching would have to recompute SHA-256
/// over this encoding), so the full check has nothing to find. A mismatch,
/// or no seal, only sends the episode to the full check; it is never an
/// edit by itself. Each value is length-prefixed and absent ones tagged, so
/// no two field lists encode alike; times are hashed as instants (seconds
/// and nanoseconds), so a store that hands back another offset for the same
/// instant still matches.
pub fn episode_seal(f: &SealFields<'_>) -> String {
    hex::encode(seal_digest(f))
}

/// Whether `seal` (as stored) is the seal of `f`: the same answer as
/// comparing with [`episode_seal`], without rendering a hex string for
/// each of the million episodes a reseed checks.
pub fn seal_matches(f: &SealFields<'_>, seal: &str) -> bool {
    // `episode_seal` is lowercase hex, which is all `parse` accepts.
    Sha256Hash::parse(seal).is_some_and(|s| s.0 == seal_digest(f))
}

fn seal_digest(f: &SealFields<'_>) -> [u8; 32] {
    fn text(h: &mut Sha256, v: Option<&str>) {
        match v {
            None => h.update([0u8]),
            Some(v) => {
                h.update([1u8]);
                h.update((v.len() as u64).to_le_bytes());
                h.update(v.as_bytes());
            }
        }
    }
    fn time(h: &mut Sha256, t: &chrono::DateTime<chrono::Utc>) {
        h.update(t.timestamp().to_le_bytes());
        h.update(t.timestamp_subsec_nanos().to_le_bytes());
    }
    let mut h = Sha256::new();
    h.update(b"graphseed episode seal v1\0");
    for v in [f.entity_id, f.source, f.version, f.content_hash] {
        text(&mut h, Some(v));
    }
    text(&mut h, f.source_hash);
    text(&mut h, f.source_path);
    text(&mut h, Some(f.run_id));
    time(&mut h, &f.created_at);
    time(&mut h, &f.updated_at);
    text(&mut h, Some(f.body));
    h.finalize().into()
}

pub fn is_sha256_hex(s: &str) -> bool {
    // One rule for what a digest's text is: the parser's.
    Sha256Hash::parse(s).is_some()
}

/// A SHA-256 digest held as its 32 bytes; shown as lowercase hex. Why
/// binary: the planner holds every stored episode's two hashes while
/// planning, and as hex text each cost an 80-byte allocation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Hash(pub [u8; 32]);

impl Sha256Hash {
    /// Only the form graphseed writes (64 lowercase hex digits), so that
    /// showing a parsed value gives back exactly the stored text.
    ///
    /// One pass, two digits a byte: a reseed parses three of these for each
    /// stored episode (two hashes and the seal), and checking the text and
    /// then decoding it with `hex` was 5% of a million-episode no-op
    /// reseed's client time.
    pub fn parse(text: &str) -> Option<Self> {
        const fn digit(c: u8) -> Option<u8> {
            match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            }
        }
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
            *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
        }
        Some(Sha256Hash(out))
    }

    pub fn hex(&self) -> Hex {
        Hex::of(&self.0)
    }
}

impl std::fmt::Display for Sha256Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.hex().as_str())
    }
}

impl std::fmt::Debug for Sha256Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A hash as a store holds it: a digest, or, when the stored text is not a
/// digest graphseed wrote (a hand-edited graph), that text unchanged, so
/// that plans, drift reports and signatures show and hash exactly what is
/// stored, as they did when hashes were kept as text. An invalid value never
/// equals a digest computed from a file, as before.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum StoredHash {
    Digest(Sha256Hash),
    Other(Box<str>),
}

impl StoredHash {
    /// Parsed once, when a store reads it.
    pub fn parse(text: &str) -> Self {
        match Sha256Hash::parse(text) {
            Some(h) => StoredHash::Digest(h),
            None => StoredHash::Other(text.into()),
        }
    }

    /// Read as a [`StoredHashRef`], which holds the rules for either kind.
    pub fn as_ref(&self) -> StoredHashRef<'_> {
        match self {
            StoredHash::Digest(h) => StoredHashRef::Digest(*h),
            StoredHash::Other(t) => StoredHashRef::Other(t),
        }
    }

    /// The stored text, on the stack for a digest.
    pub fn text(&self) -> HashText<'_> {
        self.as_ref().text()
    }

    /// Whether this is the digest `d`.
    pub fn is(&self, d: &Sha256Hash) -> bool {
        self.as_ref().is(d)
    }
}

impl From<Sha256Hash> for StoredHash {
    fn from(h: Sha256Hash) -> Self {
        StoredHash::Digest(h)
    }
}

impl std::fmt::Display for StoredHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.as_ref(), f)
    }
}

impl std::fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.as_ref(), f)
    }
}

/// Written as its text, as when hashes were kept as text (plans, the
/// audit trail).
impl serde::Serialize for StoredHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

/// A [`StoredHash`] read from where it is kept (a stored episode, which
/// holds its digest inline and a text that is no digest in its own
/// allocation): a digest is copied (32 bytes), a text borrowed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum StoredHashRef<'a> {
    Digest(Sha256Hash),
    Other(&'a str),
}

impl<'a> StoredHashRef<'a> {
    /// The stored text, on the stack for a digest.
    pub fn text(self) -> HashText<'a> {
        match self {
            StoredHashRef::Digest(h) => HashText::Hex(h.hex()),
            StoredHashRef::Other(t) => HashText::Other(t),
        }
    }

    /// Whether this is the digest `d`.
    pub fn is(self, d: &Sha256Hash) -> bool {
        matches!(self, StoredHashRef::Digest(h) if h == *d)
    }

    /// The digest, if the stored text is one.
    pub fn digest(self) -> Option<Sha256Hash> {
        match self {
            StoredHashRef::Digest(h) => Some(h),
            StoredHashRef::Other(_) => None,
        }
    }

    /// An owned copy (allocates only for a text that is no digest).
    pub fn to_stored(self) -> StoredHash {
        match self {
            StoredHashRef::Digest(h) => StoredHash::Digest(h),
            StoredHashRef::Other(t) => StoredHash::Other(t.into()),
        }
    }
}

impl std::fmt::Display for StoredHashRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl std::fmt::Debug for StoredHashRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", &*self.text())
    }
}

/// A [`StoredHash`] as text without allocating.
pub enum HashText<'a> {
    Hex(Hex),
    Other(&'a str),
}

impl AsRef<str> for HashText<'_> {
    fn as_ref(&self) -> &str {
        self
    }
}

/// Ordered as text, as the hashes were when kept as text.
impl PartialEq for HashText<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for HashText<'_> {}

impl PartialOrd for HashText<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for HashText<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl std::ops::Deref for HashText<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            HashText::Hex(h) => h.as_str(),
            HashText::Other(t) => t,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_hashes_show_exactly_the_stored_text() {
        let hex = sha256_hex(b"abc");
        let h = StoredHash::parse(&hex);
        assert!(matches!(h, StoredHash::Digest(_)));
        assert_eq!(h.to_string(), hex);
        assert!(h.is(&Sha256Hash(sha256(b"abc"))));
        // Hand-edited values are kept as text, shown as stored, and equal
        // no digest: upper case hex too, which a lowercase parse would hide.
        let not_a_digit = format!("{}g{}", &hex[..31], &hex[32..]);
        for odd in [
            "",
            "abc",
            &hex.to_uppercase(),
            &format!("{hex}0"),
            &hex[1..],
            &not_a_digit,
            // 64 bytes, none of them a digit.
            &"é".repeat(32),
        ] {
            let h = StoredHash::parse(odd);
            assert_eq!(h, StoredHash::Other(odd.into()), "{odd}");
            assert_eq!(&*h.text(), odd);
            assert!(!h.is(&Sha256Hash(sha256(b"abc"))));
        }
    }

    use super::*;
    use serde_json::json;

    /// Every byte value reads back from its two digits, as `hex` decodes
    /// them.
    #[test]
    fn a_digest_parses_from_every_pair_of_digits() {
        for start in (0..=255u8).step_by(32) {
            let bytes: [u8; 32] = std::array::from_fn(|i| start.wrapping_add(i as u8));
            let text = hex::encode(bytes);
            assert_eq!(Sha256Hash::parse(&text), Some(Sha256Hash(bytes)), "{text}");
            assert_eq!(Sha256Hash::parse(&text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn sha256_matches_known_vector() {
        // `printf abc | sha256sum`
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"d": [3, {"z": 1, "y": 2}], "c": "x"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn streamed_hashes_equal_hashes_of_the_text() {
        let v = json!({"b": [1, 2.5, null, true, "é\"\n\u{1}"], "a": {"z": {}, "_metadata": 1}, "_metadata": {"x": 1}});
        assert_eq!(
            canonical_hash(&v),
            sha256_hex(canonical_json(&v).as_bytes())
        );
        let mut top = v.as_object().unwrap().clone();
        top.remove("_metadata");
        assert_eq!(
            content_hash(v.as_object().unwrap()),
            sha256_hex(canonical_json(&Value::Object(top)).as_bytes())
        );
        let triples = [("a\"b", "c", "1.0.0"), ("d", "e\u{7f}", "2.0.0-rc.1")];
        let arr = Value::Array(triples.iter().map(|(a, b, c)| json!([a, b, c])).collect());
        assert_eq!(canonical_hash_of_triples(triples), canonical_hash(&arr));
        assert_eq!(
            canonical_hash_of_triples::<&str, &str, &str>([]),
            canonical_hash(&json!([]))
        );
        // A signature with links: the value the planner used to build.
        let links = [
            ("a\"b", "c/d.md", "wikilink", 1u32),
            ("é", "\u{1}\n", "embed", 4_000_000_000),
        ];
        let doc = json!({"episodes": "e\"f", "links": links});
        assert_eq!(
            canonical_hash_of_episodes_and_links("e\"f", links),
            sha256_hex(canonical_json(&doc).as_bytes())
        );
        assert_eq!(
            canonical_hash_of_episodes_and_links("x", []),
            sha256_hex(canonical_json(&json!({"episodes": "x", "links": []})).as_bytes())
        );
    }

    #[test]
    fn content_hash_ignores_metadata_and_key_order() {
        let a = json!({"name": "x", "n": 1, "_metadata": {"run_id": "1"}});
        let b = json!({"n": 1, "name": "x", "_metadata": {"run_id": "2"}});
        let c = json!({"n": 2, "name": "x"});
        let h = |v: serde_json::Value| content_hash(v.as_object().unwrap());
        assert_eq!(h(a.clone()), h(b));
        assert_ne!(h(a), h(c));
    }

    /// Every field the seal covers changes it, a moved boundary between two
    /// fields changes it, and an absent value differs from an empty one.
    #[test]
    fn the_seal_covers_every_field_and_only_their_values() {
        use chrono::{DateTime, TimeZone, Utc};
        let t: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 12, 4, 19, 0, 0).unwrap();
        let base = SealFields {
            entity_id: "e1",
            source: "notes",
            version: "1.0.0",
            content_hash: "c",
            source_hash: Some("s"),
            source_path: Some("a.md"),
            run_id: "r",
            created_at: t,
            updated_at: t,
            body: "{}",
        };
        let seal = episode_seal(&base);
        let later = t + chrono::Duration::nanoseconds(1);
        let table: [(&str, SealFields<'_>); 13] = [
            (
                "entity_id",
                SealFields {
                    entity_id: "e2",
                    ..base
                },
            ),
            (
                "source",
                SealFields {
                    source: "other",
                    ..base
                },
            ),
            (
                "version",
                SealFields {
                    version: "1.0.1",
                    ..base
                },
            ),
            (
                "content_hash",
                SealFields {
                    content_hash: "d",
                    ..base
                },
            ),
            (
                "source_hash",
                SealFields {
                    source_hash: Some("t"),
                    ..base
                },
            ),
            (
                "source_hash absent",
                SealFields {
                    source_hash: None,
                    ..base
                },
            ),
            (
                "source_hash empty",
                SealFields {
                    source_hash: Some(""),
                    ..base
                },
            ),
            (
                "source_path",
                SealFields {
                    source_path: None,
                    ..base
                },
            ),
            (
                "run_id",
                SealFields {
                    run_id: "q",
                    ..base
                },
            ),
            (
                "created_at",
                SealFields {
                    created_at: later,
                    ..base
                },
            ),
            (
                "updated_at",
                SealFields {
                    updated_at: later,
                    ..base
                },
            ),
            (
                "body",
                SealFields {
                    body: "{ }",
                    ..base
                },
            ),
            // The same characters, split differently between two fields.
            (
                "boundary",
                SealFields {
                    entity_id: "e1n",
                    source: "otes",
                    ..base
                },
            ),
        ];
        let mut seen = std::collections::BTreeSet::from([seal.clone()]);
        for (what, fields) in table {
            assert!(
                seen.insert(episode_seal(&fields)),
                "{what} did not change the seal"
            );
            assert!(!seal_matches(&fields, &seal), "{what} still matches");
        }
        // The check without a hex string answers as comparing the text:
        // only the exact lowercase form matches.
        assert!(seal_matches(&base, &seal));
        for other in [
            seal.to_uppercase(),
            format!("{seal} "),
            seal[1..].to_string(),
            String::new(),
        ] {
            assert!(!seal_matches(&base, &other), "{other:?} matches");
        }
        assert_ne!(
            episode_seal(&SealFields {
                source_hash: None,
                ..base
            }),
            episode_seal(&SealFields {
                source_hash: Some(""),
                ..base
            })
        );
        assert!(is_sha256_hex(&seal));
    }
}
