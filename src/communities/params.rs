//! `params_hash`: everything that decides a partition, as canonical JSON
//! hashed with the project's canonical hashing, so a run can tell that
//! re-detecting would give the same result and skip.

use serde_json::json;

use super::hierarchy::DetectParams;
use crate::hashing::canonical_hash;

/// Bumped whenever a change to the engine can move any node: stored
/// partitions detected by another version are then re-detected.
pub const IMPLEMENTATION_VERSION: &str = "2";

/// The projection and weighting the engine is fed (fixed in code today).
pub const PROJECTION: &str = "episodes+LINKS_TO,undirected";
pub const WEIGHTING: &str = "link_count";

/// SHA-256 of the canonical JSON of the detection parameters plus the link
/// extractor's version (new extraction rules mean a new graph, but also a
/// different meaning of the same one).
pub fn params_hash(p: &DetectParams, link_extractor_version: &str) -> String {
    canonical_hash(&params_json(p, link_extractor_version))
}

pub fn params_json(p: &DetectParams, link_extractor_version: &str) -> serde_json::Value {
    json!({
        "algorithm": "leiden",
        "implementation": "graphseed",
        "implementation_version": IMPLEMENTATION_VERSION,
        "objective": "modularity",
        "resolution": p.leiden.resolution,
        "randomness": p.leiden.randomness,
        // A string: JSON numbers above 2^53 do not round-trip everywhere.
        "seed": p.leiden.seed.to_string(),
        "iterations": p.leiden.iterations,
        "max_cluster_size": p.max_cluster_size,
        "max_levels": p.max_levels,
        "min_community_size": p.min_community_size,
        "weighting": WEIGHTING,
        "projection": PROJECTION,
        "link_extractor_version": link_extractor_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_changes_the_hash() {
        let base = DetectParams::default();
        let h = |p: &DetectParams| params_hash(p, "1");
        let mut variants = vec![h(&base), params_hash(&base, "2")];
        let mut p = base.clone();
        p.leiden.resolution = 1.5;
        variants.push(h(&p));
        let mut p = base.clone();
        p.leiden.randomness = 0.0;
        variants.push(h(&p));
        let mut p = base.clone();
        p.leiden.seed = 1;
        variants.push(h(&p));
        let mut p = base.clone();
        p.leiden.iterations = 3;
        variants.push(h(&p));
        let mut p = base.clone();
        p.max_cluster_size = Some(10);
        variants.push(h(&p));
        let mut p = base.clone();
        p.max_levels = 2;
        variants.push(h(&p));
        let mut p = base.clone();
        p.min_community_size = 1;
        variants.push(h(&p));
        let n = variants.len();
        variants.sort();
        variants.dedup();
        assert_eq!(variants.len(), n);
        assert_eq!(h(&base), h(&DetectParams::default()));
    }

    #[test]
    fn the_hash_of_the_defaults_is_pinned() {
        // Changing it re-detects every group: do it on purpose only.
        assert_eq!(
            params_hash(&DetectParams::default(), "1"),
            "2fedce30d09a630343232dc31c1bd4686e0b6aedaeefe8184f46adcad594d393"
        );
    }
}
