//! graphseed: keep a Neo4j knowledge graph in step with a folder of
//! knowledge sources.
//!
//! The pipeline, one module each: [`sources`] walks and parses files into
//! episodes; [`metadata`] stamps the `_metadata` block; [`planning`] decides
//! create / update / replace / refresh / skip / prune per episode
//! ([`planning::decide`]); [`applying`] commits changes in batches through a
//! run session that holds the lock; [`seeding`] runs one seed, from plan to
//! finished run; [`stores`] hides Neo4j and SQLite behind the store traits;
//! [`provenance`] records runs.

pub mod applying;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod communities;
pub mod config;
pub mod cypher;
pub mod error;
pub mod exit_codes;
pub mod hashing;
pub mod metadata;
pub mod parallel;
pub mod planning;
pub mod provenance;
pub mod seeding;
pub mod sources;
pub mod sql;
mod statement_files;
pub mod stores;
pub mod ui;
pub mod version;
