//! The command line: argument types (clap) and the dispatch to commands.
//! `main.rs` only calls [`main_exit_code`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::error::Error;
use crate::exit_codes;
use crate::ui::Ui;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  unexpected error (I/O, internal)
  2  invalid command line
  3  plan / seed --dry-run: changes are pending
  4  input errors: parse error, duplicate entity_id, bad version or config
  5  a downgrade was refused (use --allow-downgrade)
  6  another seeder holds the group's lock
  7  validate: stored episodes break the metadata rules
  8  verify: drift between files, graph and run records
  9  target unreachable or schema missing (run init)

Passwords come from NEO4J_PASSWORD or --password-file, never from a flag.";

#[derive(Debug, Parser)]
#[command(name = "graphseed", version, about = "Keep a Neo4j knowledge graph in step with a folder of knowledge sources.", after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Config file [default: graphseed.toml if present]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Target: bolt://, bolt+s://, bolt+ssc://, neo4j://, neo4j+s://, neo4j+ssc:// or sqlite:PATH
    /// [env: NEO4J_URI; default: sqlite:.graphseed/graph.db]
    #[arg(long, global = true, value_name = "URI")]
    pub uri: Option<String>,
    /// Neo4j database [env: NEO4J_DATABASE]
    #[arg(long, global = true)]
    pub database: Option<String>,
    /// Neo4j user [env: NEO4J_USERNAME; default: neo4j]
    #[arg(long, global = true)]
    pub username: Option<String>,
    /// File holding the Neo4j password (else NEO4J_PASSWORD)
    #[arg(long, global = true, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// Refused: a password on the command line would show in `ps` and shell history.
    /// Held as a `Secret` so that no `Debug` of the arguments can print it.
    #[arg(long, global = true, hide = true, value_name = "PASSWORD")]
    pub password: Option<crate::stores::target::Secret>,
    /// The group (Graphiti's partition key) [config: group]
    #[arg(long, global = true)]
    pub group: Option<String>,
    /// Machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// More detail on stderr (-v, -vv)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No progress or notes; errors and results only
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Seconds a Neo4j read or write may take before the connection is
    /// considered lost (keep it above the slowest batch)
    #[arg(long, global = true, default_value_t = 300, value_name = "SECS")]
    pub connection_timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the constraints and indexes (Neo4j) or tables (SQLite)
    Init,
    /// Show what `seed` would do, per episode with the reason; writes nothing
    Plan(PlanArgs),
    /// Apply the plan: create, update, replace, refresh, prune
    Seed(SeedArgs),
    /// Episodes per group, source and version; the lock; the last run
    Status,
    /// List runs, or show one
    Runs(RunsArgs),
    /// Release a group's lock whoever holds it (after a crash)
    Unlock,
    /// Which episodes came from where: by source, version, entity, run, time
    Provenance(ProvenanceArgs),
    /// Check every stored episode against the metadata rules
    Validate,
    /// Recompute hashes from the files and the graph; report drift and hand edits
    Verify(SourceSelect),
}

#[derive(Debug, Args, Clone, Default)]
pub struct ProvenanceArgs {
    /// Episodes of this source label
    #[arg(long)]
    pub source: Option<String>,
    /// Episodes stored at this version
    #[arg(long = "version", value_name = "SEMVER")]
    pub version: Option<String>,
    /// One episode, with its whole history
    #[arg(long, value_name = "ENTITY_ID")]
    pub entity: Option<String>,
    /// Episodes last written by this run
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// updated_at at or after this time (RFC 3339 or YYYY-MM-DD)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// updated_at before this time (RFC 3339 or YYYY-MM-DD)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// At most this many episodes
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

/// Which sources: shared by `plan`, `seed` and `verify`.
#[derive(Debug, Args, Clone, Default)]
pub struct SourceSelect {
    /// Source root to walk (replaces the config's [[sources]])
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The `_metadata.source` label for --root or --stdin [default: project_seeding, or generated with --stdin]
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Glob of paths to include under --root (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Glob of paths to exclude under --root (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// The seeding set's version, strict semver [config: version]
    #[arg(long, value_name = "SEMVER")]
    pub seed_version: Option<String>,
    /// Read generated episodes as JSONL from standard input instead of walking roots
    #[arg(long)]
    pub stdin: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct SourceArgs {
    #[command(flatten)]
    pub select: SourceSelect,
    /// Rewrite everything in scope (keeps created_at)
    #[arg(long)]
    pub force: bool,
    /// Delete orphans (after every write succeeded)
    #[arg(long)]
    pub prune: bool,
    /// Replace episodes stored at a newer version
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Trust no file for its hash alone: parse every file and check every
    /// stored body, restoring and repairing what was edited by hand
    #[arg(long)]
    pub reconcile: bool,
    /// Let these sources take over episodes another source wrote (recorded
    /// as `transfer` in their history)
    #[arg(long)]
    pub transfer_ownership: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct PlanArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct SeedArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Print the plan and write nothing (same as `plan`)
    #[arg(long)]
    pub dry_run: bool,
    /// Apply the valid rest when the plan has errors (still exits non-zero)
    #[arg(long)]
    pub keep_going: bool,
    /// Episodes per transaction [config: apply.batch_size; default: 1000]
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Take the group's lock over even if its lease has not expired
    #[arg(long)]
    pub break_lock: bool,
    /// Lease length of the lock in seconds [config: apply.lock_ttl_secs; default: 60]
    #[arg(long, value_name = "SECS")]
    pub lock_ttl: Option<u64>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct RunsArgs {
    /// Show this run in full
    pub run_id: Option<String>,
}

/// Parse, run, and map the outcome to an exit code (printing errors).
pub fn main_exit_code() -> i32 {
    let cli = Cli::parse();
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
            eprintln!("error: cannot start the async runtime: {e}");
            return exit_codes::ERROR;
        }
    };
    match rt.block_on(commands::run(cli, ui)) {
        Ok(code) => code,
        Err(e) => {
            report(&e, &ui);
            e.exit_code()
        }
    }
}

fn report(e: &Error, ui: &Ui) {
    // Plan errors, violations and drift were already printed with the result
    // (as JSON under --json); a second JSON document would break that one.
    if ui.json && !e.already_reported() {
        let v = serde_json::json!({
            "error": e.to_string(),
            "hint": e.hint(),
            "exit_code": e.exit_code(),
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    eprintln!("error: {e}");
    if let Some(h) = e.hint() {
        eprintln!("  hint: {h}");
    }
}
