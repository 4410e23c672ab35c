//! Deterministic names and summaries, from the members most linked inside
//! the community (ties by entity_id). No LLM: the same members always give
//! the same text; a pluggable summariser can replace this later.

/// `members`: `(entity_id, name, internal link weight)`.
pub fn name_and_summary(members: &[(&str, &str, u64)]) -> (String, String) {
    let mut ranked: Vec<&(&str, &str, u64)> = members.iter().collect();
    ranked.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(b.0)));
    let name = ranked
        .iter()
        .take(3)
        .map(|m| m.1)
        .collect::<Vec<_>>()
        .join(" / ");
    let top: Vec<String> = ranked
        .iter()
        .take(5)
        .map(|m| format!("{} ({} links)", m.1, m.2))
        .collect();
    let summary = format!(
        "{} members; most linked: {}.",
        members.len(),
        top.join(", ")
    );
    (name, summary)
}

/// Internal link weight of each member: the sum of weights of its edges to
/// other members, from the projection's edges `(u, v, w)` over node indices.
pub fn internal_weights(members: &[u32], edges: &[(u32, u32, u64)]) -> Vec<u64> {
    let mut out = vec![0u64; members.len()];
    for &(u, v, w) in edges {
        if let (Ok(i), Ok(j)) = (members.binary_search(&u), members.binary_search(&v)) {
            out[i] += w;
            out[j] += w;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_linked_first_ties_by_entity_id() {
        let members = [
            ("e3", "Gamma", 2),
            ("e1", "Alpha", 5),
            ("e2", "Beta", 2),
            ("e4", "Delta", 1),
        ];
        let (name, summary) = name_and_summary(&members);
        assert_eq!(name, "Alpha / Beta / Gamma");
        assert_eq!(
            summary,
            "4 members; most linked: Alpha (5 links), Beta (2 links), Gamma (2 links), Delta (1 links)."
        );
        let mut shuffled = members;
        shuffled.reverse();
        assert_eq!(name_and_summary(&shuffled).0, name);
    }

    #[test]
    fn internal_weights_ignore_edges_leaving_the_community() {
        let w = internal_weights(&[1, 2, 5], &[(1, 2, 3), (2, 5, 1), (0, 1, 9), (5, 7, 4)]);
        assert_eq!(w, [3, 4, 1]);
    }
}
