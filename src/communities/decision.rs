//! The dedupe decision per community, as for episodes: skip when nothing
//! about its members changed, update (HAS_MEMBER diffed, not rewritten),
//! create, or prune a dissolved one.

use serde_json::Value;

use crate::hashing::canonical_hash;

/// A community's members as `(entity_id, content_hash)`, sorted by id.
pub type Members<'a> = &'a [(String, String)];

/// content_hash of a community: over its members and their content hashes,
/// so an edited member makes the community stale too.
pub fn members_content_hash(members: Members) -> String {
    canonical_hash(&Value::Array(
        members
            .iter()
            .map(|(id, h)| Value::Array(vec![id.as_str().into(), h.as_str().into()]))
            .collect(),
    ))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommunityDecision {
    Skip,
    /// Member lists are the HAS_MEMBER edges to add and to remove; both are
    /// empty when only a member's content changed.
    Update {
        added: Vec<String>,
        removed: Vec<String>,
    },
    Create,
    Prune,
}

/// `stored`: the matched stored community; `new`: the detected one. Both
/// sorted by entity_id. `(None, None)` cannot happen and is a skip.
pub fn decide(stored: Option<Members>, new: Option<Members>) -> CommunityDecision {
    match (stored, new) {
        (None, Some(_)) => CommunityDecision::Create,
        (Some(_), None) => CommunityDecision::Prune,
        (None, None) => CommunityDecision::Skip,
        (Some(old), Some(new)) if old == new => CommunityDecision::Skip,
        (Some(old), Some(new)) => {
            let (mut added, mut removed) = (Vec::new(), Vec::new());
            let (mut i, mut j) = (0, 0);
            // Merge of two sorted lists: ids only, content changes are not
            // membership changes.
            while i < old.len() || j < new.len() {
                match (old.get(i), new.get(j)) {
                    (Some(o), Some(n)) if o.0 == n.0 => {
                        i += 1;
                        j += 1;
                    }
                    (Some(o), Some(n)) if o.0 < n.0 => {
                        removed.push(o.0.clone());
                        i += 1;
                    }
                    (Some(o), None) => {
                        removed.push(o.0.clone());
                        i += 1;
                    }
                    (_, Some(n)) => {
                        added.push(n.0.clone());
                        j += 1;
                    }
                    (None, None) => unreachable!("loop condition"),
                }
            }
            CommunityDecision::Update { added, removed }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommunityDecision::*;

    fn m(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }
    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn decision_table() {
        let ab = m(&[("a", "1"), ("b", "2")]);
        let ab_edited = m(&[("a", "1"), ("b", "3")]);
        let bc = m(&[("b", "2"), ("c", "4")]);
        let abc = m(&[("a", "1"), ("b", "2"), ("c", "4")]);
        let cases: [(&str, Option<Members>, Option<Members>, CommunityDecision); 7] = [
            ("same members, same content", Some(&ab), Some(&ab), Skip),
            (
                "member content changed",
                Some(&ab),
                Some(&ab_edited),
                Update {
                    added: vec![],
                    removed: vec![],
                },
            ),
            (
                "member added",
                Some(&ab),
                Some(&abc),
                Update {
                    added: ids(&["c"]),
                    removed: vec![],
                },
            ),
            (
                "member removed",
                Some(&abc),
                Some(&ab),
                Update {
                    added: vec![],
                    removed: ids(&["c"]),
                },
            ),
            (
                "one in, one out",
                Some(&ab),
                Some(&bc),
                Update {
                    added: ids(&["c"]),
                    removed: ids(&["a"]),
                },
            ),
            ("new community", None, Some(&ab), Create),
            ("dissolved community", Some(&ab), None, Prune),
        ];
        for (name, stored, new, want) in cases {
            assert_eq!(decide(stored, new), want, "{name}");
        }
    }

    #[test]
    fn content_hash_covers_members_and_their_content() {
        let ab = m(&[("a", "1"), ("b", "2")]);
        assert_eq!(members_content_hash(&ab), members_content_hash(&ab.clone()));
        assert_ne!(
            members_content_hash(&ab),
            members_content_hash(&m(&[("a", "1"), ("b", "3")]))
        );
        assert_ne!(
            members_content_hash(&ab),
            members_content_hash(&m(&[("a", "1")]))
        );
    }
}
