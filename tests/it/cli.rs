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

/// The command line a sentence starts with: `graphseed`, the command, then
/// flags (with their values, asked of clap itself), `[--synopsis]` forms and
/// placeholders or ids, up to the first word of prose. A word right before
/// a placeholder is taken too, so `graphseed runs show RUN_ID` is checked
/// whole instead of stopping at `show`.
fn command_words(words: &[&str]) -> Vec<String> {
    use clap::CommandFactory;
    let cli = graphseed::cli::Cli::command();
    let Some(sub) = cli.find_subcommand(words[1]) else {
        return vec![];
    };
    let takes_value = |flag: &str| {
        let long = flag.trim_start_matches('-');
        cli.get_arguments()
            .chain(sub.get_arguments())
            .find(|a| a.get_long() == Some(long))
            .is_some_and(|a| a.get_action().takes_values())
    };
    let is_placeholder = |w: &str| {
        w.chars().any(|c| c.is_ascii_uppercase())
            && w.chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
    };
    let is_id =
        |w: &str| w.contains('-') && w.chars().any(|c| c.is_ascii_digit()) && !w.starts_with('-');
    let clean = |w: &str| {
        w.trim_matches(['[', ']'])
            .trim_end_matches([':', '.'])
            .to_string()
    };
    let mut out = vec![words[0].to_string(), words[1].to_string()];
    let mut i = 2;
    while i < words.len() {
        let w = clean(words[i]);
        if w.starts_with('-') {
            out.push(w.clone());
            if !w.contains('=') && w.starts_with("--") && takes_value(&w) && i + 1 < words.len() {
                i += 1;
                out.push(clean(words[i]));
            }
        } else if is_placeholder(&w)
            || is_id(&w)
            || words.get(i + 1).is_some_and(|n| is_placeholder(&clean(n)))
        {
            out.push(w);
        } else {
            break;
        }
        i += 1;
    }
    out
}

/// Every command line the sample knowledge base in `seeds/` shows (in text,
/// code blocks, YAML, JSON) parses with the real command line: no
/// `graphseed runs show RUN_ID` that does not exist.
#[test]
fn every_command_in_the_sample_knowledge_base_parses() {
    use clap::Parser;
    let commands = [
        "init",
        "plan",
        "seed",
        "status",
        "runs",
        "unlock",
        "provenance",
        "links",
        "validate",
        "verify",
    ];
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut checked = 0;
    let mut bad = Vec::new();
    for entry in walkdir::WalkDir::new(&seeds) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (n, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("graphseed ") {
                // The command line ends where its prose, quoting, comment or
                // shell redirection begins.
                let rest = &line[at..];
                let end = rest
                    .find(['`', '"', '#', '<', '>', '|', ')', ';', ','])
                    .unwrap_or(rest.len());
                let rest = rest[..end]
                    .split("  ")
                    .next()
                    .unwrap()
                    .trim_end_matches(['.', ':']);
                let words: Vec<&str> = rest.split_whitespace().collect();
                if !words.get(1).is_some_and(|w| commands.contains(w)) {
                    continue;
                }
                checked += 1;
                let words = command_words(&words);
                let rest = words.join(" ");
                if let Err(e) = graphseed::cli::Cli::try_parse_from(&words) {
                    bad.push(format!(
                        "{}:{}: `{rest}`: {}",
                        entry.path().strip_prefix(&seeds).unwrap().display(),
                        n + 1,
                        e.kind()
                    ));
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} command lines found");
    assert!(
        bad.is_empty(),
        "command lines that do not parse:\n{}",
        bad.join("\n")
    );
}

/// Markdown tables end at a blank line: text glued to a table's last row
/// (as the `--stdin` paragraph once was) renders as a broken row.
#[test]
fn readme_tables_end_before_their_next_paragraph() {
    let readme = include_str!("../../README.md");
    let lines: Vec<&str> = readme.lines().collect();
    for (i, pair) in lines.windows(2).enumerate() {
        let (row, next) = (pair[0].trim_start(), pair[1].trim_start());
        if row.starts_with('|') {
            assert!(
                next.is_empty() || next.starts_with('|'),
                "README.md:{}: text right after a table row: {next:?}",
                i + 2
            );
            assert!(
                row.trim_end().ends_with('|'),
                "README.md:{}: a table row runs on: {row:?}",
                i + 1
            );
        }
    }
}
