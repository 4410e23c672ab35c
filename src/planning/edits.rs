//! Hand edits: stored episodes whose body no longer hashes to their
//! `content_hash`, or whose tool-owned properties disagree with the body's
//! `_metadata`. `verify` reports them; a reconciling `seed` repairs them.
//! Read from the raw stored properties, so a value planted by hand (of the
//! wrong type, say) is reported instead of failing the read.

use std::collections::HashMap;

use serde_json::Value;

use crate::hashing;
use crate::stores::{RawEpisode, RawValue};

/// The tool-owned properties that must equal the body's `_metadata`.
const OWNED: [&str; 7] = [
    "version",
    "source",
    "entity_id",
    "content_hash",
    "source_hash",
    "source_path",
    "run_id",
];

/// One stored episode edited outside graphseed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandEdit {
    pub entity_id: String,
    pub source_path: Option<String>,
    /// What disagrees, one message per problem.
    pub problems: Vec<String>,
    /// The content hash of the stored body as it is now (`None` when the
    /// body is not a JSON object): a repair keeps `updated_at` when the
    /// sources still produce this content.
    pub body_hash: Option<String>,
}

fn text(e: &RawEpisode, k: &str) -> Option<String> {
    match e.get(k) {
        Some(RawValue::Str(v)) => Some(v.clone()),
        _ => None,
    }
}

/// Every hand-edited episode of `raw`, in its order. Episodes without a
/// readable body are left to `validate`.
pub fn hand_edits(raw: &[RawEpisode]) -> Vec<HandEdit> {
    let mut out = Vec::new();
    for e in raw {
        let Some(id) = text(e, "entity_id") else {
            continue;
        };
        let Some(body) = text(e, "body").and_then(|b| serde_json::from_str::<Value>(&b).ok())
        else {
            continue;
        };
        let Some(obj) = body.as_object() else {
            continue;
        };
        let mut problems = Vec::new();
        let body_hash = hashing::content_hash(obj);
        let stored_hash = text(e, "content_hash").unwrap_or_default();
        if body_hash != stored_hash {
            problems.push(
                "the body no longer hashes to its content_hash: the episode was edited outside graphseed"
                    .to_string(),
            );
        }
        let meta = obj.get("_metadata").cloned().unwrap_or(Value::Null);
        for k in OWNED {
            let prop = text(e, k).map(Value::String).unwrap_or(Value::Null);
            let said = meta.get(k).cloned().unwrap_or(Value::Null);
            if said != prop {
                problems.push(format!(
                    "property `{k}` is {prop} but the body's _metadata says {said}"
                ));
            }
        }
        problems.extend(crate::graphiti::profile_problems(e));
        if !problems.is_empty() {
            out.push(HandEdit {
                entity_id: id,
                source_path: text(e, "source_path"),
                problems,
                body_hash: Some(body_hash),
            });
        }
    }
    out
}

/// The edits by entity_id, as the planner takes them.
pub fn by_entity(edits: Vec<HandEdit>) -> HashMap<String, HandEdit> {
    edits
        .into_iter()
        .map(|e| (e.entity_id.clone(), e))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn episode(body: &str, props: &[(&str, &str)]) -> RawEpisode {
        let mut e: RawEpisode = props
            .iter()
            .map(|(k, v)| (k.to_string(), RawValue::Str(v.to_string())))
            .collect();
        e.insert("body".into(), RawValue::Str(body.into()));
        e
    }

    #[test]
    fn edits_are_found_and_clean_episodes_pass() {
        let content = serde_json::json!({"k": 1});
        let h = hashing::content_hash(content.as_object().unwrap());
        let meta = |hash: &str, path: &str| {
            format!(
                r#"{{"k": 1, "_metadata": {{"version": "1.0.0", "source": "s", "entity_id": "a", "content_hash": "{hash}", "source_hash": null, "source_path": "{path}", "run_id": "r"}}}}"#
            )
        };
        let props = |hash: &str, path: &str| -> Vec<(&'static str, String)> {
            vec![
                ("entity_id", "a".into()),
                ("version", "1.0.0".into()),
                ("source", "s".into()),
                ("content_hash", hash.into()),
                ("source_path", path.into()),
                ("run_id", "r".into()),
            ]
        };
        let mk = |body: String, p: Vec<(&'static str, String)>| {
            let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            episode(&body, &p)
        };
        // (case, body, properties, problems expected)
        let table = [
            ("clean", mk(meta(&h, "x.json"), props(&h, "x.json")), 0),
            (
                "body edited",
                mk(
                    meta(&h, "x.json").replace("\"k\": 1", "\"k\": 2"),
                    props(&h, "x.json"),
                ),
                1,
            ),
            (
                "source_path property edited",
                mk(meta(&h, "x.json"), props(&h, "y.json")),
                1,
            ),
            (
                "content_hash property edited",
                mk(meta(&h, "x.json"), props(&"0".repeat(64), "x.json")),
                2,
            ),
        ];
        for (case, e, n) in table {
            let found = hand_edits(std::slice::from_ref(&e));
            let problems = found.first().map_or(0, |f| f.problems.len());
            assert_eq!(problems, n, "{case}: {found:?}");
            if n > 0 {
                assert_eq!(
                    found[0].body_hash.as_deref(),
                    Some(if case == "body edited" {
                        found[0].body_hash.as_deref().unwrap()
                    } else {
                        h.as_str()
                    })
                );
            }
        }
    }
}
