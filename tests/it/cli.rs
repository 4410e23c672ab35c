//! The command line itself, through the real binary: `--help` prints the
//! exit-code table from its one definition (`graphseed::cli::exit_codes`);
//! the README's copy is checked beside the table (a unit test there).

use assert_cmd::Command;
use graphseed::cli::exit_codes;
use predicates::prelude::*;

fn graphseed() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("graphseed"))
}

#[test]
fn help_lists_every_exit_code() {
    let mut pred = predicate::str::contains("Exit codes:\n").boxed();
    for (code, meaning) in exit_codes::TABLE {
        pred = pred
            .and(predicate::str::contains(format!("\n  {code}  {meaning}\n")))
            .boxed();
    }
    graphseed().arg("--help").assert().success().stdout(pred);
}

#[test]
fn a_bad_command_line_exits_with_the_usage_code() {
    graphseed()
        .arg("no-such-command")
        .assert()
        .code(exit_codes::USAGE)
        .stderr(predicate::str::contains("no-such-command"));
}
