//! Community detection: a pure engine with no store in it. The projection
//! ([`graph`]) and its signature, deterministic Leiden ([`leiden`]) and its
//! hierarchy, the parameters' hash, stable identities, the per-community
//! dedupe decision and deterministic names.

pub mod decision;
pub mod graph;
pub mod hierarchy;
pub mod identity;
pub mod leiden;
pub mod naming;
pub mod params;
pub mod rng;
pub mod settings;
pub mod writing;
