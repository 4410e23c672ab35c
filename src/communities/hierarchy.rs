//! Levels: Leiden on the whole graph gives level 0; a community larger than
//! the maximum size is re-clustered on its own subgraph, giving its
//! children one level down, until every community fits or cannot split.

use super::graph::Graph;
use super::leiden::{LeidenParams, leiden};
use super::rng::derive_seed;

#[derive(Debug, Clone, PartialEq)]
pub struct DetectParams {
    pub leiden: LeidenParams,
    /// Communities above this size are re-clustered; `None`: one level.
    pub max_cluster_size: Option<usize>,
    /// Levels at most, counting level 0.
    pub max_levels: u32,
    /// Smaller communities are not reported (their members stay counted in
    /// the modularity of level 0).
    pub min_community_size: usize,
}

impl Default for DetectParams {
    fn default() -> Self {
        DetectParams {
            leiden: LeidenParams::default(),
            max_cluster_size: None,
            max_levels: 4,
            min_community_size: 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedCommunity {
    pub level: u32,
    /// Node indices, ascending.
    pub members: Vec<u32>,
    /// Index of the parent in [`Detection::communities`].
    pub parent: Option<usize>,
    pub children: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Ordered by level, then parent, then smallest member.
    pub communities: Vec<DetectedCommunity>,
    /// Level-0 community of every node.
    pub membership: Vec<u32>,
    pub modularity: f64,
}

/// `warm[level][node]`: the stored community of each node at each level
/// (any labels), to start from; `None` or a missing level starts cold.
pub fn detect(graph: &Graph, p: &DetectParams, warm: Option<&[Vec<Option<u32>>]>) -> Detection {
    let warm_at = |level: usize| warm.and_then(|w| w.get(level));
    let membership = leiden(graph, &p.leiden, warm_at(0).map(|w| w.as_slice()));
    let modularity = graph.modularity(&membership, p.leiden.resolution);
    let mut communities = Vec::new();
    for members in groups(&membership) {
        if members.len() >= p.min_community_size {
            communities.push(DetectedCommunity {
                level: 0,
                members,
                parent: None,
                children: Vec::new(),
            });
        }
    }
    let mut i = 0;
    while i < communities.len() {
        let level = communities[i].level;
        let too_big = p
            .max_cluster_size
            .is_some_and(|max| communities[i].members.len() > max);
        if too_big && level + 1 < p.max_levels {
            let members = communities[i].members.clone();
            let sub = graph.induced(&members);
            // Seeded by level and smallest member, so a community's split
            // does not depend on what happened to the others.
            let leiden_params = LeidenParams {
                seed: derive_seed(p.leiden.seed, u64::from(level) + 1, u64::from(members[0])),
                ..p.leiden.clone()
            };
            let init: Option<Vec<Option<u32>>> = warm_at(level as usize + 1)
                .map(|w| members.iter().map(|&m| w[m as usize]).collect());
            let sub_membership = leiden(&sub, &leiden_params, init.as_deref());
            let parts = groups(&sub_membership);
            if parts.len() > 1 {
                for part in parts {
                    if part.len() >= p.min_community_size {
                        let child = communities.len();
                        communities[i].children.push(child);
                        communities.push(DetectedCommunity {
                            level: level + 1,
                            members: part.iter().map(|&l| members[l as usize]).collect(),
                            parent: Some(i),
                            children: Vec::new(),
                        });
                    }
                }
            }
        }
        i += 1;
    }
    Detection {
        communities,
        membership,
        modularity,
    }
}

/// Members of each canonical label (labels 0.. by smallest member), each
/// list ascending.
fn groups(membership: &[u32]) -> Vec<Vec<u32>> {
    let k = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut out = vec![Vec::new(); k];
    for (v, &c) in membership.iter().enumerate() {
        out[c as usize].push(v as u32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::communities::leiden::tests::planted;

    #[test]
    fn one_level_without_a_maximum_and_small_ones_left_out() {
        let mut edges = vec![(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0)];
        edges.push((3, 4, 1.0));
        let g = Graph::from_edges(6, edges);
        let d = detect(
            &g,
            &DetectParams {
                min_community_size: 3,
                ..Default::default()
            },
            None,
        );
        assert_eq!(d.communities.len(), 1);
        assert_eq!(d.communities[0].members, [0, 1, 2]);
        assert_eq!(d.membership.len(), 6);
    }

    #[test]
    fn big_communities_are_split_with_parent_and_children() {
        // Four groups of 50, each a random graph inside: a maximum of 30
        // forces each to split one level down.
        let g = planted(4, 50, 12, 1, 9);
        let p = DetectParams {
            max_cluster_size: Some(30),
            ..Default::default()
        };
        let d = detect(&g, &p, None);
        let top: Vec<_> = d.communities.iter().filter(|c| c.level == 0).collect();
        assert!(top.iter().any(|c| c.members.len() > 30));
        for (i, c) in d.communities.iter().enumerate() {
            for &ch in &c.children {
                assert_eq!(d.communities[ch].parent, Some(i));
                assert_eq!(d.communities[ch].level, c.level + 1);
                assert!(
                    d.communities[ch]
                        .members
                        .iter()
                        .all(|m| c.members.contains(m))
                );
            }
            if c.level > 0 {
                assert!(d.communities[c.parent.unwrap()].members.len() > 30);
            }
        }
        assert!(d.communities.iter().any(|c| c.level == 1));
        assert_eq!(d, detect(&g, &p, None), "deterministic");
    }

    #[test]
    fn warm_levels_reproduce_the_stored_hierarchy() {
        let g = planted(4, 50, 12, 1, 10);
        let p = DetectParams {
            max_cluster_size: Some(30),
            ..Default::default()
        };
        let d = detect(&g, &p, None);
        let levels = d.communities.iter().map(|c| c.level).max().unwrap() as usize + 1;
        let mut warm = vec![vec![None; 200]; levels];
        for (i, c) in d.communities.iter().enumerate() {
            for &m in &c.members {
                warm[c.level as usize][m as usize] = Some(i as u32);
            }
        }
        assert!(levels > 1);
        let other_seed = DetectParams {
            leiden: LeidenParams {
                seed: 5,
                ..Default::default()
            },
            ..p
        };
        let again = detect(&g, &other_seed, Some(&warm));
        assert_eq!(again.communities, d.communities);
    }
}
