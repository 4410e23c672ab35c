//! Stable identity: a detected community inherits the uuid of the stored
//! community it overlaps most, so a small change to the graph does not
//! rename the communities it did not touch.

use std::collections::HashMap;

use serde_json::json;
use uuid::Uuid;

use crate::hashing::canonical_json;

/// Below this Jaccard similarity a community is new, not a continuation.
pub const DEFAULT_JACCARD_THRESHOLD: f64 = 0.5;

/// Namespace of graphseed's community uuids (itself UUIDv5 of the URL
/// namespace and "graphseed:community"), fixed forever.
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"graphseed:community")
}

/// The uuid of a community seen for the first time: a function of its
/// group, level and members only, so two runs (or two stores) agree.
pub fn new_uuid(group_id: &str, level: u32, members: &[String]) -> Uuid {
    let name = canonical_json(&json!([group_id, level, members]));
    Uuid::new_v5(&namespace(), name.as_bytes())
}

/// One-to-one matching of `new` communities to `stored` ones of the same
/// level. Pairs are taken best first: highest Jaccard similarity (compared
/// exactly, as fractions), ties by the smaller smallest member of the new
/// community, then of the stored one; a pair is kept when its similarity
/// is at least `threshold` and neither side is taken. Members are sorted
/// ascending. Returns, for each new community, the stored one it continues.
pub fn match_communities<S: AsRef<str>>(
    stored: &[(u32, &[S])],
    new: &[(u32, &[S])],
    threshold: f64,
) -> Vec<Option<usize>> {
    let mut owner: HashMap<(u32, &str), Vec<usize>> = HashMap::new();
    for (i, (level, members)) in stored.iter().enumerate() {
        for m in members.iter() {
            owner.entry((*level, m.as_ref())).or_default().push(i);
        }
    }
    // (new, stored, intersection, union)
    let mut pairs: Vec<(usize, usize, u64, u64)> = Vec::new();
    let mut overlap: HashMap<usize, u64> = HashMap::new();
    for (j, (level, members)) in new.iter().enumerate() {
        overlap.clear();
        for m in members.iter() {
            for &i in owner.get(&(*level, m.as_ref())).into_iter().flatten() {
                *overlap.entry(i).or_default() += 1;
            }
        }
        for (&i, &inter) in &overlap {
            let union = (members.len() + stored[i].1.len()) as u64 - inter;
            if inter as f64 >= threshold * union as f64 {
                pairs.push((j, i, inter, union));
            }
        }
    }
    let first = |ms: &[S]| ms.first().map(|m| m.as_ref().to_owned());
    pairs.sort_by(|a, b| {
        // a.inter / a.union > b.inter / b.union, exactly.
        (u128::from(b.2) * u128::from(a.3))
            .cmp(&(u128::from(a.2) * u128::from(b.3)))
            .then_with(|| first(new[a.0].1).cmp(&first(new[b.0].1)))
            .then_with(|| first(stored[a.1].1).cmp(&first(stored[b.1].1)))
            .then_with(|| (a.0, a.1).cmp(&(b.0, b.1)))
    });
    let mut taken = vec![false; stored.len()];
    let mut result = vec![None; new.len()];
    for (j, i, _, _) in pairs {
        if result[j].is_none() && !taken[i] {
            result[j] = Some(i);
            taken[i] = true;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn matching_table() {
        struct Case {
            name: &'static str,
            stored: Vec<(u32, Vec<String>)>,
            new: Vec<(u32, Vec<String>)>,
            want: Vec<Option<usize>>,
        }
        let cases = [
            Case {
                name: "identical",
                stored: vec![(0, s(&["a", "b"])), (0, s(&["c", "d"]))],
                new: vec![(0, s(&["c", "d"])), (0, s(&["a", "b"]))],
                want: vec![Some(1), Some(0)],
            },
            Case {
                name: "one member moved: both still match",
                stored: vec![(0, s(&["a", "b", "c"])), (0, s(&["d", "e", "f"]))],
                new: vec![(0, s(&["a", "b"])), (0, s(&["c", "d", "e", "f"]))],
                want: vec![Some(0), Some(1)],
            },
            Case {
                name: "below the threshold is new",
                stored: vec![(0, s(&["a", "b", "c", "d"]))],
                new: vec![(0, s(&["a", "x", "y", "z"]))],
                want: vec![None],
            },
            Case {
                name: "a split: the larger half keeps the identity",
                stored: vec![(0, s(&["a", "b", "c", "d", "e", "f"]))],
                new: vec![(0, s(&["a", "b"])), (0, s(&["c", "d", "e", "f"]))],
                want: vec![None, Some(0)],
            },
            Case {
                name: "equal halves: the smallest member wins the tie",
                stored: vec![(0, s(&["a", "b", "c", "d"]))],
                new: vec![(0, s(&["c", "d"])), (0, s(&["a", "b"]))],
                want: vec![None, Some(0)],
            },
            Case {
                name: "a merge: one continues, the other is dissolved",
                stored: vec![(0, s(&["a", "b", "c"])), (0, s(&["d", "e"]))],
                new: vec![(0, s(&["a", "b", "c", "d", "e"]))],
                want: vec![Some(0)],
            },
            Case {
                name: "levels never match across",
                stored: vec![(1, s(&["a", "b"]))],
                new: vec![(0, s(&["a", "b"]))],
                want: vec![None],
            },
        ];
        for c in cases {
            let st: Vec<(u32, &[String])> =
                c.stored.iter().map(|(l, m)| (*l, m.as_slice())).collect();
            let nw: Vec<(u32, &[String])> = c.new.iter().map(|(l, m)| (*l, m.as_slice())).collect();
            assert_eq!(
                match_communities(&st, &nw, DEFAULT_JACCARD_THRESHOLD),
                c.want,
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn new_uuids_are_v5_and_depend_on_group_level_and_members() {
        let m = s(&["a", "b"]);
        let u = new_uuid("g", 0, &m);
        assert_eq!(u.get_version_num(), 5);
        assert_eq!(u, new_uuid("g", 0, &m));
        assert_ne!(u, new_uuid("h", 0, &m));
        assert_ne!(u, new_uuid("g", 1, &m));
        assert_ne!(u, new_uuid("g", 0, &s(&["a", "c"])));
        // Pinned: a stored uuid must be reproducible by any later release.
        assert_eq!(u.to_string(), "7b7732ef-23a3-579a-9ee5-93ac9352a62e");
    }
}
