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

/// Canonical JSON: object keys sorted by their UTF-8 bytes at every depth, no
/// insignificant whitespace. Written by hand rather than relying on
/// serde_json's map order, which flips to insertion order if any crate in the
/// build enables its `preserve_order` feature.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 of the canonical JSON of `body`, ignoring a top-level `_metadata`.
pub fn content_hash(body: &serde_json::Map<String, Value>) -> String {
    let mut hasher = Sha256::new();
    let mut stripped = body.clone();
    stripped.remove("_metadata");
    hasher.update(canonical_json(&Value::Object(stripped)).as_bytes());
    hex::encode(hasher.finalize())
}

/// SHA-256 of the canonical JSON of any value (parameters, signatures).
pub fn canonical_hash(value: &Value) -> String {
    sha256_hex(canonical_json(value).as_bytes())
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn content_hash_ignores_metadata_and_key_order() {
        let a = json!({"name": "x", "n": 1, "_metadata": {"run_id": "1"}});
        let b = json!({"n": 1, "name": "x", "_metadata": {"run_id": "2"}});
        let c = json!({"n": 2, "name": "x"});
        let h = |v: serde_json::Value| content_hash(v.as_object().unwrap());
        assert_eq!(h(a.clone()), h(b));
        assert_ne!(h(a), h(c));
    }
}
