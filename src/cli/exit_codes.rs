//! Every exit code the binary can return, written once: the constants, the
//! table `--help` prints (and the README copies, checked by a test), and the
//! mapping from the library's typed errors. The library never picks a code;
//! this module, at the binary's edge, does.

use crate::applying::ApplyFailure;
use crate::error::Error;
use crate::stores::StoreError;

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

/// (code, meaning): the one table `--help` prints and the README repeats.
/// Meanings are plain text; the README may add backticks around names.
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
        "input errors: parse error, duplicate entity_id, bad version or config, unknown run or entity",
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
        "target unreachable or schema missing (run graphseed init)",
    ),
];

/// The "Exit codes:" block of `graphseed --help`, made from [`TABLE`].
pub fn help_text() -> String {
    let mut s = String::from("Exit codes:\n");
    for (code, meaning) in TABLE {
        s.push_str(&format!("  {code}  {meaning}\n"));
    }
    s
}

/// The code an error ends the process with.
pub fn of(e: &Error) -> i32 {
    match e {
        Error::Config { .. } => INPUT_ERRORS,
        Error::Store(
            StoreError::Unreachable { .. }
            | StoreError::SchemaMissing { .. }
            | StoreError::NotALeader { .. },
        ) => TARGET_UNAVAILABLE,
        // A cluster member that kept refusing writes after the bounded
        // retries: the target as configured cannot take writes.
        Error::Apply {
            cause: ApplyFailure::Store(StoreError::NotALeader { .. }),
            ..
        } => TARGET_UNAVAILABLE,
        Error::Store(_) => ERROR,
        Error::Plan {
            downgrade_only: true,
            ..
        } => DOWNGRADE_REFUSED,
        Error::Plan { .. } => INPUT_ERRORS,
        Error::LockHeld(_) | Error::LockLost(_) => LOCK_HELD,
        // A run id or entity that is not in the store is the user's input,
        // not an internal failure.
        Error::NotFound(_) => INPUT_ERRORS,
        Error::Io { .. } | Error::Apply { .. } => ERROR,
        Error::Validation(_) => VALIDATION_FAILED,
        Error::Drift(_) => DRIFT_FOUND,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's table, read from the file: code and meaning per row,
    /// with the README's backticks dropped.
    fn readme_table() -> Vec<(i32, String)> {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("## Exit codes")
            .nth(1)
            .expect("the README has an `## Exit codes` section");
        section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                let code = cells.first()?.parse().ok()?;
                Some((code, cells.get(1)?.replace('`', "")))
            })
            .collect()
    }

    #[test]
    fn readme_table_is_the_table() {
        let expected: Vec<(i32, String)> = TABLE.iter().map(|(c, m)| (*c, m.to_string())).collect();
        assert_eq!(readme_table(), expected);
    }

    #[test]
    fn codes_are_distinct_and_in_order() {
        let codes: Vec<i32> = TABLE.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, (0..TABLE.len() as i32).collect::<Vec<_>>());
    }

    #[test]
    fn each_error_maps_to_its_code() {
        let store = |e| Error::Store(e);
        let plan = |downgrade_only| Error::Plan {
            count: 1,
            downgrade_only,
            applied: false,
        };
        for (e, code) in [
            (Error::config("bad", None), INPUT_ERRORS),
            (plan(false), INPUT_ERRORS),
            (plan(true), DOWNGRADE_REFUSED),
            (Error::Validation(1), VALIDATION_FAILED),
            (Error::Drift(1), DRIFT_FOUND),
            (Error::NotFound("no run".into()), INPUT_ERRORS),
            (
                Error::Io {
                    path: "a".into(),
                    message: "b".into(),
                },
                ERROR,
            ),
            (
                store(StoreError::Unreachable {
                    target: "t".into(),
                    message: "m".into(),
                }),
                TARGET_UNAVAILABLE,
            ),
            (
                store(StoreError::SchemaMissing {
                    target: "t".into(),
                    missing: "m".into(),
                }),
                TARGET_UNAVAILABLE,
            ),
            (
                store(StoreError::Transient {
                    target: "t".into(),
                    message: "m".into(),
                }),
                ERROR,
            ),
        ] {
            assert_eq!(of(&e), code, "{e}");
        }
    }

    #[test]
    fn help_text_lists_every_row() {
        let h = help_text();
        for (code, meaning) in TABLE {
            assert!(h.contains(&format!("  {code}  {meaning}\n")), "{h}");
        }
    }
}
