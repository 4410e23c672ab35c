//! The library's error type. Every message names the file, the entity, the
//! group or the run it is about; `hint` adds what the user can do. The binary
//! maps each variant to one documented exit code.

use crate::exit_codes;
use crate::stores::{LockInfo, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad configuration or flags (file and line when known).
    #[error("{message}")]
    Config {
        message: String,
        hint: Option<String>,
    },

    #[error(transparent)]
    Store(#[from] StoreError),

    /// The plan listed errors; they were printed with the plan.
    #[error("the plan has {count} error(s); {}", if *.applied { "the rest was applied (--keep-going)" } else { "nothing was written" })]
    Plan {
        count: usize,
        downgrade_only: bool,
        applied: bool,
    },

    #[error(
        "group `{}` is locked by run {} ({} on {}) since {}, until {}",
        .0.group_id, .0.run_id, .0.owner, .0.host,
        crate::metadata::format_time(&.0.acquired_at), crate::metadata::format_time(&.0.expires_at)
    )]
    LockHeld(LockInfo),

    #[error("lost the lock of group `{}` to run {} ({} on {}) during the run", .0.group_id, .0.run_id, .0.owner, .0.host)]
    LockLost(LockInfo),

    #[error("{path}: {message}")]
    Io { path: String, message: String },

    /// Applying stopped part-way; committed batches stay committed.
    #[error("run {run_id} failed after {written} of {planned} writes: {cause}")]
    Apply {
        run_id: String,
        written: u64,
        planned: u64,
        #[source]
        cause: crate::applying::ApplyFailure,
    },

    #[error("{0} stored episode(s) break the metadata rules")]
    Validation(usize),

    #[error("{0} difference(s) between the sources, the graph and the run records")]
    Drift(usize),

    #[error("{0}")]
    NotFound(String),
}

impl Error {
    pub fn config(message: impl Into<String>, hint: Option<&str>) -> Self {
        Error::Config {
            message: message.into(),
            hint: hint.map(str::to_string),
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config { .. } => exit_codes::INPUT_ERRORS,
            Error::Store(StoreError::Unreachable { .. } | StoreError::SchemaMissing { .. }) => {
                exit_codes::TARGET_UNAVAILABLE
            }
            Error::Store(_) => exit_codes::ERROR,
            Error::Plan {
                downgrade_only: true,
                ..
            } => exit_codes::DOWNGRADE_REFUSED,
            Error::Plan { .. } => exit_codes::INPUT_ERRORS,
            Error::LockHeld(_) | Error::LockLost(_) => exit_codes::LOCK_HELD,
            Error::Io { .. } | Error::Apply { .. } | Error::NotFound(_) => exit_codes::ERROR,
            Error::Validation(_) => exit_codes::VALIDATION_FAILED,
            Error::Drift(_) => exit_codes::DRIFT_FOUND,
        }
    }

    /// Whether the command printed the details with its result already.
    pub fn already_reported(&self) -> bool {
        matches!(
            self,
            Error::Plan { .. } | Error::Validation(_) | Error::Drift(_)
        )
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Config { hint, .. } => hint.clone(),
            Error::Store(StoreError::SchemaMissing { .. }) => {
                Some("run `graphseed init` against this target first".into())
            }
            Error::Store(StoreError::Unreachable { .. }) => Some(
                "check --uri / NEO4J_URI, that the server is up, and the credentials".into(),
            ),
            Error::LockHeld(_) => Some(
                "wait for that run to finish; if it crashed, the lock frees itself at expiry, or run `graphseed unlock` / `seed --break-lock`".into(),
            ),
            Error::Apply { .. } => Some(
                "committed batches are kept; run `graphseed seed` again to converge".into(),
            ),
            Error::Plan {
                downgrade_only: true, ..
            } => Some("bump the version, or pass --allow-downgrade".into()),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
