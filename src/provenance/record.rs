//! Building a run record: identity, parameters and environment. The
//! parameters are hashed as canonical JSON; they never contain a secret
//! (the password is not a parameter, only whether one was given is not
//! recorded either).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::hashing;
use crate::provenance::git::GitState;
use crate::stores::{RunKind, RunRecord, RunStatus};

pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Pins the next run's id (a UUID), like `GRAPHSEED_NOW` pins the clock:
/// for reproducible output in tests and snapshots. Not documented for users:
/// two runs with one id would overwrite each other's record.
pub const RUN_ID_PIN_ENV: &str = "GRAPHSEED_RUN_ID";

/// A new run id: UUIDv7, so ids sort by start time.
pub fn new_run_id() -> String {
    if let Ok(pinned) = std::env::var(RUN_ID_PIN_ENV)
        && let Ok(id) = uuid::Uuid::parse_str(&pinned)
    {
        return id.to_string();
    }
    uuid::Uuid::now_v7().to_string()
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

pub fn os() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}

/// A fresh run record in state `running`.
pub fn new_run(
    group_id: &str,
    seed_version: &str,
    params: &Value,
    git: &GitState,
    started_at: DateTime<Utc>,
) -> RunRecord {
    RunRecord {
        run_id: new_run_id(),
        group_id: group_id.to_string(),
        kind: RunKind::Seed,
        status: RunStatus::Running,
        started_at,
        finished_at: None,
        tool_version: TOOL_VERSION.to_string(),
        seed_version: seed_version.to_string(),
        params_hash: hashing::canonical_hash(params),
        params_json: hashing::canonical_json(params),
        graph_signature: None,
        sources_signature: None,
        git_commit: git.commit.clone(),
        git_branch: git.branch.clone(),
        git_dirty: git.dirty,
        hostname: hostname(),
        os: os(),
        counts: BTreeMap::new(),
    }
}
