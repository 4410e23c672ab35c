//! Every Cypher statement graphseed runs, loaded from `cypher/*.cypher` at
//! compile time. No query is ever built by formatting input into a string:
//! values travel as `$parameters`, labels and relationship types are fixed in
//! these files. A test checks that every file in `cypher/` is listed here.

/// (file name, text) for every statement, so the test can check coverage.
pub const ALL: &[(&str, &str)] = &[];
