//! Every exit code the binary can return, in one place. The README's table is
//! generated from the same list by hand: change both together.

/// The command did what it was asked.
pub const OK: i32 = 0;
/// Something failed that has no code of its own (I/O, an internal error).
pub const ERROR: i32 = 1;
/// The command line could not be parsed (clap's own code).
pub const USAGE: i32 = 2;
/// `plan` (or `seed --dry-run`) found changes that a `seed` would apply.
pub const CHANGES_PENDING: i32 = 3;
/// The plan has input errors: a file that does not parse, a duplicate
/// `entity_id`, an invalid version, a bad configuration.
pub const INPUT_ERRORS: i32 = 4;
/// A stored episode has a newer version than the sources (a downgrade).
pub const DOWNGRADE_REFUSED: i32 = 5;
/// Another seeder holds the group's lock.
pub const LOCK_HELD: i32 = 6;
/// `validate` found stored episodes that break the metadata rules.
pub const VALIDATION_FAILED: i32 = 7;
/// `verify` found drift between the files, the graph and the run records.
pub const DRIFT_FOUND: i32 = 8;
/// The target cannot be reached, or its schema is missing (run `init`).
pub const TARGET_UNAVAILABLE: i32 = 9;

/// (code, meaning) pairs, for `graphseed --help` and the README.
pub const TABLE: &[(i32, &str)] = &[
    (OK, "success"),
    (ERROR, "unexpected error (I/O, internal)"),
    (USAGE, "invalid command line"),
    (
        CHANGES_PENDING,
        "plan / seed --dry-run: changes are pending",
    ),
    (
        INPUT_ERRORS,
        "input errors: parse error, duplicate entity_id, bad version or config",
    ),
    (
        DOWNGRADE_REFUSED,
        "a downgrade was refused (use --allow-downgrade)",
    ),
    (LOCK_HELD, "another seeder holds the group's lock"),
    (
        VALIDATION_FAILED,
        "validate: stored episodes break the metadata rules",
    ),
    (
        DRIFT_FOUND,
        "verify: drift between files, graph and run records",
    ),
    (
        TARGET_UNAVAILABLE,
        "target unreachable or schema missing (run init)",
    ),
];
