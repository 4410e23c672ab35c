//! Hand edits: stored episodes whose body no longer hashes to their
//! `content_hash`, or whose tool-owned properties (timestamps included)
//! disagree with the body's `_metadata`. `verify` reports them; every
//! `seed` looks for them and repairs them.
//! Read from the raw stored properties, so a value planted by hand (of the
//! wrong type, say) is reported instead of failing the read.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
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

/// The tool-owned timestamps: compared as instants, since a store may hand
/// back a native date-time in another (equally valid) RFC 3339 spelling.
const OWNED_TIMES: [&str; 2] = ["created_at", "updated_at"];

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
    /// What the body's `_metadata` says `created_at` / `updated_at` are,
    /// where the stored property disagrees: a repair writes these back.
    /// When the two disagree nothing says which was edited; the property is
    /// the one a hand edit reaches (one Cypher `SET` or SQL `UPDATE`), the
    /// `_metadata` inside the body JSON string takes rewriting the JSON, and
    /// a body edit that keeps its `_metadata` is repaired either way.
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

fn text(e: &RawEpisode, k: &str) -> Option<String> {
    match e.get(k) {
        Some(RawValue::Str(v)) => Some(v.clone()),
        _ => None,
    }
}

/// A stored timestamp as an instant; `None` when absent or not a zoned
/// date-time (then it cannot equal what `_metadata` says).
fn instant(v: Option<&RawValue>) -> Option<DateTime<FixedOffset>> {
    match v {
        Some(RawValue::Str(t) | RawValue::DateTime(t)) => DateTime::parse_from_rfc3339(t).ok(),
        _ => None,
    }
}

fn shown(v: Option<&RawValue>) -> String {
    match v {
        Some(RawValue::Str(t) | RawValue::DateTime(t)) => format!("{t:?}"),
        Some(other) => format!("{other:?}"),
        None => "absent".to_string(),
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
        let mut recorded = [None, None];
        for (k, recorded) in OWNED_TIMES.into_iter().zip(&mut recorded) {
            let said = meta.get(k).and_then(Value::as_str);
            let said_at = said.and_then(|t| DateTime::parse_from_rfc3339(t).ok());
            let prop = e.get(k);
            if said_at.is_none() || instant(prop) != said_at {
                *recorded = said_at.map(|t| t.with_timezone(&Utc));
                problems.push(format!(
                    "property `{k}` is {} but the body's _metadata says {}",
                    shown(prop),
                    said.map_or("nothing".to_string(), |t| format!("{t:?}"))
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
                created_at: recorded[0],
                updated_at: recorded[1],
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

    const T0: &str = "2026-01-02T03:04:05.123456Z";

    #[test]
    fn edits_are_found_and_clean_episodes_pass() {
        let content = serde_json::json!({"k": 1});
        let h = hashing::content_hash(content.as_object().unwrap());
        let meta = |hash: &str, path: &str| {
            format!(
                r#"{{"k": 1, "_metadata": {{"version": "1.0.0", "source": "s", "entity_id": "a", "content_hash": "{hash}", "source_hash": null, "source_path": "{path}", "run_id": "r", "created_at": "{T0}", "updated_at": "{T0}"}}}}"#
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
                ("created_at", T0.into()),
                ("updated_at", T0.into()),
            ]
        };
        let mk = |body: String, p: Vec<(&'static str, String)>| {
            let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            episode(&body, &p)
        };
        // The same episode with one stored property replaced.
        let with = |k: &str, v: RawValue| {
            let mut e = mk(meta(&h, "x.json"), props(&h, "x.json"));
            e.insert(k.into(), v);
            e
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
            (
                // Neo4j hands back its native date-time spelled its own way.
                "timestamp in another spelling of the same instant",
                with(
                    "created_at",
                    RawValue::DateTime("2026-01-02T03:04:05.123456+00:00".into()),
                ),
                0,
            ),
            (
                "created_at edited",
                with("created_at", RawValue::Str("2011-01-01T00:00:00Z".into())),
                1,
            ),
            (
                "updated_at edited",
                with(
                    "updated_at",
                    RawValue::DateTime("2026-01-02T03:04:05.123457Z".into()),
                ),
                1,
            ),
            (
                "updated_at of the wrong type",
                with("updated_at", RawValue::Int(7)),
                1,
            ),
            (
                "source_hash property planted",
                with("source_hash", RawValue::Str("0".repeat(64))),
                1,
            ),
        ];
        let found = hand_edits(&[with(
            "created_at",
            RawValue::Str("2011-01-01T00:00:00Z".into()),
        )]);
        assert_eq!(
            found[0]
                .created_at
                .map(|t| crate::metadata::format_time(&t)),
            Some(T0.replace('Z', "+00:00")),
            "a repair puts back what _metadata recorded"
        );
        assert_eq!(found[0].updated_at, None);
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
