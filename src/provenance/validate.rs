//! `validate`: every stored episode against the metadata rules (SPEC §3).
//! Works on raw stored values so that anything planted by hand is reported
//! with what is wrong, never a crash on decoding.

use chrono::DateTime;

use crate::hashing::is_sha256_hex;
use crate::sources::entity_id;
use crate::stores::{RawEpisode, RawValue};
use crate::version::SeedVersion;

/// One broken rule on one episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub entity_id: String,
    pub field: String,
    pub problem: String,
}

fn text(e: &RawEpisode, k: &str) -> Option<String> {
    match e.get(k) {
        Some(RawValue::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

fn describe(v: &RawValue) -> String {
    match v {
        RawValue::Null => "null".into(),
        RawValue::Bool(b) => format!("boolean {b}"),
        RawValue::Int(i) => format!("integer {i}"),
        RawValue::Float(f) => format!("float {f}"),
        RawValue::Str(s) => format!("string {s:?}"),
        RawValue::DateTime(s) => format!("datetime {s}"),
        RawValue::LocalDateTime(s) => format!("local datetime {s}"),
        RawValue::Other(t) => format!("a {t}"),
    }
}

/// Check one episode; returns every violation found.
pub fn check(e: &RawEpisode) -> Vec<Violation> {
    let id = text(e, "entity_id").unwrap_or_else(|| "<no entity_id>".into());
    let mut out = Vec::new();
    let mut bad = |field: &str, problem: String| {
        out.push(Violation {
            entity_id: id.clone(),
            field: field.to_string(),
            problem,
        })
    };
    let required_text = [
        "group_id",
        "entity_id",
        "source",
        "version",
        "content_hash",
        "run_id",
        "body",
    ];
    for f in required_text {
        match e.get(f) {
            None | Some(RawValue::Null) => bad(f, "missing".into()),
            Some(RawValue::Str(s)) if s.is_empty() => bad(f, "empty".into()),
            Some(RawValue::Str(_)) => {}
            Some(other) => bad(f, format!("must be a string, found {}", describe(other))),
        }
    }
    if let Some(eid) = text(e, "entity_id")
        && !entity_id::is_valid(&eid)
    {
        bad(
            "entity_id",
            format!("{eid:?} does not match ^[a-z0-9]+(_[a-z0-9]+)*$"),
        );
    }
    if let Some(v) = text(e, "version") {
        match SeedVersion::parse(&v) {
            Err(err) => bad("version", err.to_string()),
            Ok(sv) => {
                for (f, want) in [
                    ("version_major", sv.major()),
                    ("version_minor", sv.minor()),
                    ("version_patch", sv.patch()),
                ] {
                    match e.get(f) {
                        Some(RawValue::Int(n)) if *n == want => {}
                        None | Some(RawValue::Null) => bad(f, "missing".into()),
                        Some(other) => bad(
                            f,
                            format!("is {}, but version {v} says {want}", describe(other)),
                        ),
                    }
                }
            }
        }
    }
    for f in ["created_at", "updated_at"] {
        match e.get(f) {
            Some(RawValue::DateTime(s)) => {
                if !DateTime::parse_from_rfc3339(s).is_ok_and(|t| t.offset().local_minus_utc() == 0)
                {
                    bad(f, format!("{s} is not UTC"));
                }
            }
            None | Some(RawValue::Null) => bad(f, "missing".into()),
            Some(RawValue::LocalDateTime(s)) => bad(f, format!("{s} has no timezone offset")),
            Some(RawValue::Str(s)) => match DateTime::parse_from_rfc3339(s) {
                Ok(t) if t.offset().local_minus_utc() == 0 => {}
                Ok(_) => bad(f, format!("{s} is not UTC")),
                Err(_) => bad(f, format!("{s:?} is not an RFC 3339 time with an offset")),
            },
            Some(other) => bad(f, format!("must be a date-time, found {}", describe(other))),
        }
    }
    if let (Some(RawValue::DateTime(c)), Some(RawValue::DateTime(u))) =
        (e.get("created_at"), e.get("updated_at"))
        && let (Ok(c), Ok(u)) = (
            DateTime::parse_from_rfc3339(c),
            DateTime::parse_from_rfc3339(u),
        )
        && u < c
    {
        bad("updated_at", "is before created_at".into());
    }
    match e.get("source_hash") {
        None | Some(RawValue::Null) => {}
        Some(RawValue::Str(h)) if is_sha256_hex(h) => {}
        Some(other) => bad(
            "source_hash",
            format!("{} is not 64 lowercase hex digits or null", describe(other)),
        ),
    }
    if let Some(h) = text(e, "content_hash")
        && !is_sha256_hex(&h)
    {
        bad(
            "content_hash",
            format!("{h:?} is not 64 lowercase hex digits"),
        );
    }
    if let Some(body) = text(e, "body") {
        match serde_json::from_str::<serde_json::Value>(&body) {
            Ok(serde_json::Value::Object(m))
                if m.get("_metadata").is_some_and(|v| v.is_object()) => {}
            Ok(_) => bad(
                "body",
                "is not a JSON object with a `_metadata` object".into(),
            ),
            Err(err) => bad("body", format!("is not valid JSON: {err}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> RawEpisode {
        let s = |v: &str| RawValue::Str(v.into());
        let h = "a".repeat(64);
        RawEpisode::from([
            ("group_id".into(), s("g")),
            ("entity_id".into(), s("cat_name")),
            ("source".into(), s("project_seeding")),
            ("version".into(), s("1.2.3")),
            ("version_major".into(), RawValue::Int(1)),
            ("version_minor".into(), RawValue::Int(2)),
            ("version_patch".into(), RawValue::Int(3)),
            (
                "created_at".into(),
                RawValue::DateTime("2024-01-30T12:00:00+00:00".into()),
            ),
            (
                "updated_at".into(),
                RawValue::DateTime("2024-01-30T12:00:00+00:00".into()),
            ),
            ("source_hash".into(), s(&h)),
            ("content_hash".into(), s(&h)),
            ("run_id".into(), s("r")),
            ("body".into(), s(r#"{"_metadata":{}}"#)),
        ])
    }

    #[test]
    fn a_good_episode_passes() {
        assert_eq!(check(&good()), vec![]);
    }

    #[test]
    fn each_class_of_violation_is_caught() {
        let cases: Vec<(&str, Option<RawValue>, &str)> = vec![
            ("source", None, "missing"),
            (
                "version",
                Some(RawValue::Str("1.0".into())),
                "strict semver",
            ),
            (
                "created_at",
                Some(RawValue::LocalDateTime("2024-01-30T12:00:00".into())),
                "no timezone",
            ),
            (
                "updated_at",
                Some(RawValue::Str("2024-01-30T12:00:00".into())),
                "with an offset",
            ),
            (
                "source_hash",
                Some(RawValue::Str("XYZ".into())),
                "64 lowercase hex",
            ),
            (
                "entity_id",
                Some(RawValue::Str("Bad-Id".into())),
                "does not match",
            ),
            ("version_minor", Some(RawValue::Int(9)), "says 2"),
            (
                "created_at",
                Some(RawValue::DateTime("2024-01-30T12:00:00+05:30".into())),
                "not UTC",
            ),
        ];
        for (field, value, needle) in cases {
            let mut e = good();
            match value {
                Some(v) => e.insert(field.into(), v),
                None => e.remove(field),
            };
            let v = check(&e);
            assert!(
                v.iter()
                    .any(|x| x.field == field && x.problem.contains(needle)),
                "{field}: {v:?}"
            );
        }
    }
}
