//! The binary's edge: parse the command line, start the runtime, run the
//! command, and turn its outcome into printed errors and an exit code. This
//! is the one place that does any of that; `commands` never looks back here.

pub mod exit_codes;

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::commands::{self, Command, GlobalArgs, Outcome};
use crate::error::Error;
use crate::redact;
use crate::ui::{self, Ui};

const ABOUT: &str = "Keep a Neo4j knowledge graph in step with a folder of knowledge sources.";

#[derive(Debug, Parser)]
#[command(name = "graphseed", version, about = ABOUT)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// `--help`'s closing text: the exit-code table, from its one definition.
pub fn after_help() -> String {
    format!(
        "{}\nPasswords come from NEO4J_PASSWORD or --password-file, never from a flag.",
        exit_codes::help_text()
    )
}

/// Parse, run, and map the outcome to an exit code (printing errors).
pub fn main_exit_code() -> i32 {
    let matches = Cli::command().after_help(after_help()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let ui = Ui {
        json: cli.global.json,
        verbose: cli.global.verbose,
        quiet: cli.global.quiet,
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ui::error_line(&format!("cannot start the async runtime: {e}"), None);
            return exit_codes::ERROR;
        }
    };
    match rt.block_on(commands::run(cli.global, cli.command, ui)) {
        Ok(Outcome::Done) => exit_codes::OK,
        Ok(Outcome::Changes) => exit_codes::CHANGES_PENDING,
        Ok(Outcome::Reported(e)) => {
            // The result on stdout already carries this failure.
            ui::error_line(&e.to_string(), e.hint().as_deref());
            exit_codes::of(&e)
        }
        Err(e) => {
            report(&e, &ui);
            exit_codes::of(&e)
        }
    }
}

fn report(e: &Error, ui: &Ui) {
    // Plan errors, violations and drift were already printed with the result
    // (as JSON under --json); a second JSON document would break that one.
    if ui.json && !e.already_reported() {
        ui::json(&serde_json::json!({
            "error": redact::text(&e.to_string()),
            "hint": e.hint().map(|h| redact::text(&h)),
            "exit_code": exit_codes::of(e),
        }));
    }
    ui::error_line(&e.to_string(), e.hint().as_deref());
}
