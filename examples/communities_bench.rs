//! Runs the community engine on an edge-list file (`u v` per line, integer
//! node ids 0..n) and prints one JSON object: detection time, modularity,
//! a hash of the assignment, peak RSS, and stability after changing links.
//!
//!   communities_bench EDGES [--seed S] [--iterations I] [--perturb 10,1000] [--runs 3]
//!                     [--max-cluster-size 10]
//!
//! Driven by bench/run_communities.sh; not a test.

// A benchmark binary's result is its stdout (read by bench/communities.py);
// the library's printing boundary does not apply here.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use graphseed::communities::graph::Graph;
use graphseed::communities::hierarchy::{DetectParams, detect};
use graphseed::communities::identity::{DEFAULT_JACCARD_THRESHOLD, match_communities};
use graphseed::communities::leiden::LeidenParams;
use graphseed::communities::rng::Rng;
use graphseed::hashing::sha256_hex;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].clone())
    };
    let seed: u64 = opt("--seed").map_or(0xDEAD_BEEF, |s| s.parse().unwrap());
    let iterations: u32 = opt("--iterations").map_or(2, |s| s.parse().unwrap());
    let perturb: Vec<usize> = opt("--perturb").map_or(vec![], |s| {
        s.split(',').map(|x| x.parse().unwrap()).collect()
    });
    let runs: usize = opt("--runs").map_or(3, |s| s.parse().unwrap());
    let text = std::fs::read_to_string(path).expect("edge list");
    let mut edges: Vec<(u32, u32)> = text
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let a: u32 = it.next()?.parse().ok()?;
            let b: u32 = it.next()?.parse().ok()?;
            (a != b).then(|| (a.min(b), a.max(b)))
        })
        .collect();
    edges.sort_unstable();
    edges.dedup();
    let n = edges.iter().map(|e| e.1 as usize + 1).max().unwrap_or(0);
    let params = DetectParams {
        leiden: LeidenParams {
            seed,
            iterations,
            ..Default::default()
        },
        min_community_size: 1,
        // GraphRAG-style levels when given (it uses 10).
        max_cluster_size: opt("--max-cluster-size").map(|s| s.parse().unwrap()),
        ..Default::default()
    };
    let build = |edges: &[(u32, u32)]| {
        Graph::from_edges(
            n,
            edges.iter().map(|&(a, b)| (a, b, 1.0)).collect::<Vec<_>>(),
        )
    };
    let graph = build(&edges);
    let mut times = Vec::new();
    let mut hashes = Vec::new();
    let mut base = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let d = detect(&graph, &params, None);
        times.push(t.elapsed().as_secs_f64());
        let bytes: Vec<u8> = d.membership.iter().flat_map(|l| l.to_le_bytes()).collect();
        hashes.push(sha256_hex(&bytes));
        base = Some(d);
    }
    let base = base.unwrap();
    let names: Vec<String> = (0..n).map(|i| format!("{i:07}")).collect();
    let as_named = |d: &graphseed::communities::hierarchy::Detection| -> Vec<Vec<String>> {
        d.communities
            .iter()
            .map(|c| {
                c.members
                    .iter()
                    .map(|&m| names[m as usize].clone())
                    .collect()
            })
            .collect()
    };
    let base_named = as_named(&base);
    let mut stability = Vec::new();
    for &k in &perturb {
        // Change k links: remove k existing ones, add k new ones.
        let mut rng = Rng::new(seed ^ k as u64);
        let mut changed = edges.clone();
        for _ in 0..k.min(changed.len()) {
            let i = rng.below(changed.len());
            changed.swap_remove(i);
        }
        for _ in 0..k {
            let (a, b) = (rng.below(n) as u32, rng.below(n) as u32);
            if a != b {
                changed.push((a.min(b), a.max(b)));
            }
        }
        changed.sort_unstable();
        changed.dedup();
        let g2 = build(&changed);
        // Every stored level, as a store hands it back.
        let levels = base
            .communities
            .iter()
            .map(|c| c.level + 1)
            .max()
            .unwrap_or(1);
        let mut warm = vec![vec![None; n]; levels as usize];
        for (i, c) in base.communities.iter().enumerate() {
            for &m in &c.members {
                warm[c.level as usize][m as usize] = Some(i as u32);
            }
        }
        let mut row = serde_json::json!({"changed_links": k});
        for (mode, init) in [("warm", Some(warm)), ("cold", None)] {
            let t = Instant::now();
            let d = detect(&g2, &params, init.as_deref());
            let secs = t.elapsed().as_secs_f64();
            let named = as_named(&d);
            let st: Vec<(u32, &[String])> = base_named
                .iter()
                .zip(&base.communities)
                .map(|(m, c)| (c.level, m.as_slice()))
                .collect();
            let nw: Vec<(u32, &[String])> = named
                .iter()
                .zip(&d.communities)
                .map(|(m, c)| (c.level, m.as_slice()))
                .collect();
            let matched = match_communities(&st, &nw, DEFAULT_JACCARD_THRESHOLD);
            let kept = matched.iter().filter(|m| m.is_some()).count();
            let identical = matched
                .iter()
                .enumerate()
                .filter(|(j, m)| m.is_some_and(|i| base_named[i] == named[*j]))
                .count();
            let lost = why_lost(&base.communities, &d.communities, &matched, n);
            row[mode] = serde_json::json!({
                "seconds": secs,
                "modularity": d.modularity,
                "communities": d.communities.len(),
                "kept_uuid_share": kept as f64 / base_named.len() as f64,
                "identical_members_share": identical as f64 / base_named.len() as f64,
                "lost": lost,
                "moved_nodes": moved_nodes(&base.membership, &d.membership),
            });
        }
        stability.push(row);
    }
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let out = serde_json::json!({
        "nodes": n,
        "edges": edges.len(),
        "seconds": times,
        "modularity": base.modularity,
        "communities": base.communities.len(),
        "assignment_sha256": hashes,
        "identical_across_runs": hashes.windows(2).all(|w| w[0] == w[1]),
        "peak_rss_mb": usage.ru_maxrss as f64 / 1024.0,
        "stability": stability,
    });
    println!("{out}");
}

/// Why each stored community that lost its uuid lost it, from where its
/// members went: `merged` when most of them are now in a community that
/// continues another stored one; `split` when no new community holds half
/// of them; `below_threshold` when one holds most of them but the Jaccard
/// match failed (it grew or shrank too much, or lost a tie).
fn why_lost(
    stored: &[graphseed::communities::hierarchy::DetectedCommunity],
    new: &[graphseed::communities::hierarchy::DetectedCommunity],
    matched: &[Option<usize>],
    n: usize,
) -> serde_json::Value {
    // Where each node went, level by level (a node is in one community
    // per level).
    let levels = stored
        .iter()
        .chain(new)
        .map(|c| c.level as usize + 1)
        .max()
        .unwrap_or(0);
    let mut new_of = vec![vec![u32::MAX; n]; levels];
    for (j, c) in new.iter().enumerate() {
        for &m in &c.members {
            new_of[c.level as usize][m as usize] = j as u32;
        }
    }
    let mut kept = vec![false; stored.len()];
    for i in matched.iter().flatten() {
        kept[*i] = true;
    }
    let (mut merged, mut split, mut below) = (0, 0, 0);
    let mut sizes = Vec::new();
    for (i, c) in stored.iter().enumerate() {
        if kept[i] {
            continue;
        }
        sizes.push(c.members.len());
        let mut counts: std::collections::BTreeMap<u32, usize> = Default::default();
        for &m in &c.members {
            *counts
                .entry(new_of[c.level as usize][m as usize])
                .or_default() += 1;
        }
        let (&j, &most) = counts
            .iter()
            .max_by_key(|(j, k)| (**k, std::cmp::Reverse(**j)))
            .unwrap();
        if 2 * most < c.members.len() {
            split += 1;
        } else if j != u32::MAX && matched[j as usize].is_some() {
            merged += 1;
        } else {
            below += 1;
        }
    }
    serde_json::json!({"merged": merged, "split": split, "below_threshold": below, "sizes": sizes})
}

/// Nodes whose community changed, counted on the canonical labels after
/// mapping each new community to the stored one most of its members came
/// from (so a pure relabelling counts as no move).
fn moved_nodes(before: &[u32], after: &[u32]) -> usize {
    let mut votes: std::collections::HashMap<(u32, u32), usize> = Default::default();
    for (&b, &a) in before.iter().zip(after) {
        *votes.entry((a, b)).or_default() += 1;
    }
    let mut best: std::collections::HashMap<u32, (usize, u32)> = Default::default();
    for (&(a, b), &k) in &votes {
        let e = best.entry(a).or_insert((0, u32::MAX));
        if (k, std::cmp::Reverse(b)) > (e.0, std::cmp::Reverse(e.1)) {
            *e = (k, b);
        }
    }
    before
        .iter()
        .zip(after)
        .filter(|&(&b, a)| best[a].1 != b)
        .count()
}
