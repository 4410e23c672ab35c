//! graphseed: keep a Neo4j knowledge graph in step with a folder of
//! knowledge sources.
//!
//! The pipeline, one module each: [`sources`] walks and parses files into
//! episodes; [`metadata`] stamps the `_metadata` block; [`planning`] decides
//! create / update / replace / refresh / skip / prune per episode
//! ([`planning::decide`](mod@planning::decide)); [`applying`] commits changes in batches through a
//! run session that holds the lock; [`seeding`] runs one seed, from plan to
//! finished run; [`stores`] hides Neo4j and SQLite behind the store traits;
//! [`provenance`] records runs; [`ui`] is the one place that prints; [`cli`]
//! is the binary's edge (exit codes).

// Unit tests may print diagnostics; the library prints only through `ui`.
#![cfg_attr(test, allow(clippy::print_stdout, clippy::print_stderr))]

pub mod applying;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod communities;
pub mod config;
pub mod cypher;
pub mod detecting;
pub mod error;
pub mod graphiti;
pub mod hashing;
mod leb128;
pub mod limits;
pub mod links;
pub mod metadata;
pub mod parallel;
pub mod planning;
pub mod provenance;
pub mod redact;
pub mod seeding;
pub mod sources;
pub mod spill;
pub mod sql;
mod statement_files;
pub mod stores;
pub mod text_list;
pub mod ui;
pub mod version;
