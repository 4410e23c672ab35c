//! The projection a detection runs on: a group's episodes as nodes, its
//! LINKS_TO as undirected edges weighted by link count, in canonical order
//! (nodes sorted by entity_id), and its compact adjacency form.

use serde_json::Value;

use crate::hashing::{canonical_hash, canonical_hash_of_triples};

/// Nodes sorted and unique; edges `(u, v, weight)` with `u < v` as node
/// indices, merged and sorted. Self-links carry no community information
/// and are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    pub nodes: Vec<String>,
    pub edges: Vec<(u32, u32, u64)>,
}

impl Projection {
    /// Canonicalises any input order: the same nodes and links always give
    /// the same projection, hence the same partition.
    pub fn new<'a>(
        nodes: impl IntoIterator<Item = String>,
        links: impl IntoIterator<Item = (&'a str, &'a str, u64)>,
    ) -> Self {
        let mut nodes: Vec<String> = nodes.into_iter().collect();
        nodes.sort_unstable();
        nodes.dedup();
        let index = |id: &str| nodes.binary_search_by(|n| n.as_str().cmp(id)).ok();
        let mut edges: Vec<(u32, u32, u64)> = links
            .into_iter()
            .filter_map(|(a, b, w)| {
                let (a, b) = (index(a)? as u32, index(b)? as u32);
                (a != b && w > 0).then(|| (a.min(b), a.max(b), w))
            })
            .collect();
        edges.sort_unstable();
        edges.dedup_by(|later, kept| {
            let same = later.0 == kept.0 && later.1 == kept.1;
            if same {
                kept.2 += later.2;
            }
            same
        });
        Projection { nodes, edges }
    }

    /// SHA-256 over the sorted node ids and the sorted `(u, v, weight)`
    /// triples (ids, not indices, so it reads as the data it covers).
    pub fn graph_signature(&self) -> String {
        let nodes = canonical_hash(&Value::Array(
            self.nodes.iter().map(|n| Value::from(n.as_str())).collect(),
        ));
        let weights: Vec<String> = self.edges.iter().map(|e| e.2.to_string()).collect();
        let edges = canonical_hash_of_triples(self.edges.iter().zip(&weights).map(|(e, w)| {
            (
                self.nodes[e.0 as usize].as_str(),
                self.nodes[e.1 as usize].as_str(),
                w.as_str(),
            )
        }));
        canonical_hash(&serde_json::json!({"nodes": nodes, "edges": edges}))
    }

    pub fn graph(&self) -> Graph {
        Graph::from_edges(
            self.nodes.len(),
            self.edges.iter().map(|&(u, v, w)| (u, v, w as f64)),
        )
    }
}

/// Undirected weighted graph in compressed rows; every edge is listed at
/// both ends, self-loops are not listed (they only add to a node's weight,
/// which is all modularity needs of them).
#[derive(Debug, Clone)]
pub struct Graph {
    pub(crate) offsets: Vec<usize>,
    pub(crate) targets: Vec<u32>,
    pub(crate) weights: Vec<f64>,
    /// Weighted degree, self-loops counted twice.
    pub(crate) node_weight: Vec<f64>,
    /// Weight of each node's self-loop (internal weight of an aggregate).
    pub(crate) self_weight: Vec<f64>,
    /// Sum of node weights: twice the total edge weight.
    pub(crate) total_weight: f64,
}

impl Graph {
    /// `edges` must not repeat a pair; `u == v` records a self-loop.
    pub fn from_edges(n: usize, edges: impl IntoIterator<Item = (u32, u32, f64)> + Clone) -> Self {
        let mut degree = vec![0usize; n + 1];
        let mut node_weight = vec![0.0; n];
        let mut self_weight = vec![0.0; n];
        for (u, v, w) in edges.clone() {
            if u == v {
                self_weight[u as usize] += w;
                node_weight[u as usize] += 2.0 * w;
            } else {
                degree[u as usize + 1] += 1;
                degree[v as usize + 1] += 1;
                node_weight[u as usize] += w;
                node_weight[v as usize] += w;
            }
        }
        for i in 0..n {
            degree[i + 1] += degree[i];
        }
        let offsets = degree;
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; offsets[n]];
        let mut weights = vec![0.0; offsets[n]];
        for (u, v, w) in edges {
            if u != v {
                for (a, b) in [(u, v), (v, u)] {
                    let slot = fill[a as usize];
                    targets[slot] = b;
                    weights[slot] = w;
                    fill[a as usize] += 1;
                }
            }
        }
        let total_weight = node_weight.iter().sum();
        Graph {
            offsets,
            targets,
            weights,
            node_weight,
            self_weight,
            total_weight,
        }
    }

    pub fn node_count(&self) -> usize {
        self.node_weight.len()
    }

    pub(crate) fn neighbours(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.offsets[v]..self.offsets[v + 1];
        self.targets[range.clone()]
            .iter()
            .zip(&self.weights[range])
            .map(|(&t, &w)| (t as usize, w))
    }

    /// The subgraph induced by `members` (sorted node indices), renumbered
    /// 0.. in the same order.
    pub fn induced(&self, members: &[u32]) -> Graph {
        let mut local = vec![u32::MAX; self.node_count()];
        for (i, &m) in members.iter().enumerate() {
            local[m as usize] = i as u32;
        }
        let mut edges = Vec::new();
        for (i, &m) in members.iter().enumerate() {
            let m = m as usize;
            if self.self_weight[m] > 0.0 {
                edges.push((i as u32, i as u32, self.self_weight[m]));
            }
            for (t, w) in self.neighbours(m) {
                let j = local[t];
                if j != u32::MAX && (i as u32) < j {
                    edges.push((i as u32, j, w));
                }
            }
        }
        Graph::from_edges(members.len(), edges.iter().copied())
    }

    /// Newman-Girvan modularity of `membership` with resolution `gamma`.
    pub fn modularity(&self, membership: &[u32], gamma: f64) -> f64 {
        if self.total_weight == 0.0 {
            return 0.0;
        }
        let k = membership
            .iter()
            .map(|&c| c as usize + 1)
            .max()
            .unwrap_or(0);
        let mut internal = vec![0.0; k];
        let mut total = vec![0.0; k];
        for v in 0..self.node_count() {
            let c = membership[v] as usize;
            total[c] += self.node_weight[v];
            internal[c] += 2.0 * self.self_weight[v];
            for (t, w) in self.neighbours(v) {
                if membership[t] as usize == c {
                    internal[c] += w;
                }
            }
        }
        let m2 = self.total_weight;
        (0..k)
            .map(|c| internal[c] / m2 - gamma * (total[c] / m2) * (total[c] / m2))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(nodes: &[&str], links: &[(&str, &str, u64)]) -> Projection {
        Projection::new(nodes.iter().map(|s| s.to_string()), links.iter().copied())
    }

    #[test]
    fn projection_is_canonical_whatever_the_input_order() {
        let a = p(
            &["c", "a", "b", "a"],
            &[("c", "a", 1), ("a", "b", 2), ("a", "c", 3), ("b", "b", 9)],
        );
        let b = p(&["b", "c", "a"], &[("a", "c", 4), ("b", "a", 2)]);
        assert_eq!(a, b);
        assert_eq!(a.nodes, ["a", "b", "c"]);
        assert_eq!(a.edges, [(0, 1, 2), (0, 2, 4)]);
        assert_eq!(a.graph_signature(), b.graph_signature());
    }

    #[test]
    fn links_to_unknown_episodes_are_left_out() {
        let a = p(&["a", "b"], &[("a", "b", 1), ("a", "gone", 1)]);
        assert_eq!(a.edges, [(0, 1, 1)]);
    }

    #[test]
    fn signature_changes_with_nodes_edges_and_weights() {
        let base = p(&["a", "b", "c"], &[("a", "b", 1)]);
        let sigs = [
            base.graph_signature(),
            p(&["a", "b", "c", "d"], &[("a", "b", 1)]).graph_signature(),
            p(&["a", "b", "c"], &[("a", "c", 1)]).graph_signature(),
            p(&["a", "b", "c"], &[("a", "b", 2)]).graph_signature(),
            p(&["a", "b", "c"], &[]).graph_signature(),
        ];
        for i in 0..sigs.len() {
            for j in i + 1..sigs.len() {
                assert_ne!(sigs[i], sigs[j], "{i} vs {j}");
            }
        }
        assert_eq!(base.graph_signature(), base.clone().graph_signature());
    }

    #[test]
    fn modularity_of_two_triangles_joined_by_one_edge() {
        // Two triangles and a bridge: m = 7. Known value 5/14 = 0.357142...
        let g = Graph::from_edges(
            6,
            [
                (0, 1, 1.0),
                (1, 2, 1.0),
                (0, 2, 1.0),
                (3, 4, 1.0),
                (4, 5, 1.0),
                (3, 5, 1.0),
                (2, 3, 1.0),
            ],
        );
        let q = g.modularity(&[0, 0, 0, 1, 1, 1], 1.0);
        assert!((q - 5.0 / 14.0).abs() < 1e-12, "{q}");
        assert!(g.modularity(&[0; 6], 1.0).abs() < 1e-12);
    }

    #[test]
    fn induced_subgraph_keeps_internal_edges_and_self_loops() {
        let g = Graph::from_edges(4, [(0, 1, 1.0), (1, 2, 2.0), (2, 3, 3.0), (1, 1, 5.0)]);
        let s = g.induced(&[1, 2]);
        assert_eq!(s.node_count(), 2);
        assert_eq!(s.node_weight, [12.0, 2.0]);
        assert_eq!(s.self_weight, [5.0, 0.0]);
    }
}
