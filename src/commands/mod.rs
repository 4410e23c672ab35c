//! One module per command (or family of commands), each with its clap
//! `Args` beside the function that runs it. This module owns the
//! [`Command`] enum, the global flags and the dispatch. Commands build what
//! they need from the flags and the config, talk to the store through the
//! `Store` trait, print through [`crate::ui`], and return an [`Outcome`] or
//! a typed error; the binary's edge (`crate::cli`) turns either into an exit
//! code. Nothing here imports `crate::cli`.

mod changes;
mod communities;
mod inspect;
mod links;
mod provenance;
mod seed;
mod select;
mod verify;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::config::{self, Loaded, TargetFlags};
use crate::error::Error;
use crate::sources::RootSpec;
use crate::stores::Target;
use crate::stores::any::{self, Access, AnyStore};
use crate::stores::target::aura_routing_advice;
use crate::ui::Ui;
use crate::version::SeedVersion;

pub use changes::ChangesArgs;
pub use communities::{CommunitiesArgs, DetectArgs};
pub use inspect::RunsArgs;
pub use links::LinksArgs;
pub use provenance::ProvenanceArgs;
pub use seed::{PlanArgs, SeedArgs, SourceArgs};
pub use select::SourceSelect;
pub use verify::VerifyArgs;

/// How a command ended when it did not fail. Failures are `Err(Error)`.
#[derive(Debug)]
pub enum Outcome {
    /// It did what it was asked.
    Done,
    /// `plan` / `seed --dry-run`: a `seed` would change the graph.
    Changes,
    /// It failed, and the result it printed (JSON) already carries the
    /// failure: the edge says it on stderr only, with the error's code.
    Reported(Error),
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
    Verify(VerifyArgs),
    /// An episode's links: what it links to, and what links to it
    Links(LinksArgs),
    /// The change feed: what a run created, updated, replaced, restored or pruned, with bodies
    Changes(ChangesArgs),
    /// Detect the group's communities (a `communities` run), or list and show them
    Communities(CommunitiesArgs),
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
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
    /// Schema profile: `default`, or `graphiti` (episodes graphiti-core reads)
    /// [config: target.profile; default: default]
    #[arg(long, global = true, value_name = "PROFILE")]
    pub profile: Option<String>,
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

pub const DEFAULT_SOURCE: &str = "project_seeding";
pub const DEFAULT_GENERATED_SOURCE: &str = "generated";
pub const DEFAULT_GROUP: &str = "default";

/// What every command shares: config, target, output settings.
pub struct Context {
    pub cfg: Loaded,
    pub target: Target,
    pub ui: Ui,
    pub global: GlobalArgs,
}

impl Context {
    fn new(global: GlobalArgs, ui: Ui) -> Result<Self, Error> {
        if global.password.is_some() {
            // The value is already in argv by now; say so, never echo it.
            return Err(Error::config(
                "--password is refused: a password on the command line is visible to every user of this machine",
                Some("set NEO4J_PASSWORD or use --password-file"),
            ));
        }
        let cfg = config::load(global.config.as_deref())?;
        let flags = TargetFlags {
            uri: global.uri.clone(),
            database: global.database.clone(),
            username: global.username.clone(),
            password_file: global.password_file.clone(),
        };
        let target = config::resolve_target(&flags, &cfg)?;
        if let Target::Neo4j { uri, .. } = &target
            && let Some(advice) = aura_routing_advice(uri)
        {
            ui.warn(&format!(
                "{} connects straight to one member of the Aura cluster, which refuses writes (NotALeader) unless it is the leader: use {advice}, which lets Aura route writes to the leader",
                target.describe()
            ));
        }
        if target.is_plaintext_remote() {
            ui.warn(&format!(
                "{} is not encrypted and not on this machine: credentials and data cross the network in clear (use bolt+s:// or neo4j+s://)",
                target.describe()
            ));
        }
        Ok(Self {
            cfg,
            target,
            ui,
            global,
        })
    }

    /// The store, for a command that writes (`init`, `seed`, `unlock`).
    pub async fn store(&self) -> Result<AnyStore, Error> {
        self.store_for(Access::ReadWrite).await
    }

    /// The store, opened for what the command will do with it.
    pub async fn store_for(&self, access: Access) -> Result<AnyStore, Error> {
        let timeout = Duration::from_secs(config::setting(
            &crate::limits::CONNECTION_TIMEOUT_SECS,
            Some(self.global.connection_timeout),
            None,
        )?);
        let profile = self.profile()?;
        Ok(any::open_for(&self.target, timeout, access)
            .await?
            .with_profile(profile))
    }

    /// The schema profile: `--profile`, else `[target] profile`.
    pub fn profile(&self) -> Result<crate::graphiti::Profile, Error> {
        config::resolve_profile(self.global.profile.as_deref(), &self.cfg)
    }

    pub fn group(&self) -> Result<String, Error> {
        let g = self
            .global
            .group
            .clone()
            .or_else(|| self.cfg.file.group.clone())
            .unwrap_or_else(|| DEFAULT_GROUP.to_string());
        if g.is_empty()
            || !g
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(Error::config(
                format!("invalid group `{g}`: use letters, digits, `_` and `-`"),
                None,
            ));
        }
        crate::limits::check_key("group", &g)
            .map_err(|m| Error::config(m, Some("use a shorter group")))?;
        Ok(g)
    }

    pub fn version(&self, flag: Option<&str>) -> Result<SeedVersion, Error> {
        if let Some(v) = flag {
            return SeedVersion::parse(v).map_err(|e| {
                Error::config(
                    format!("--seed-version: {e}"),
                    Some("use strict semver such as 1.4.0"),
                )
            });
        }
        self.cfg.version()?.ok_or_else(|| {
            Error::config(
                format!(
                    "no seeding version: set `version` in {} or pass --seed-version",
                    self.cfg.display()
                ),
                Some("the version drives version-aware reseeding; start with 1.0.0"),
            )
        })
    }

    /// How many run audit trails to keep (`keep_trails`; 0: all).
    pub fn keep_trails(&self) -> Result<u64, Error> {
        crate::config::setting(&crate::limits::KEEP_TRAILS, None, self.cfg.file.keep_trails)
    }

    /// Where run audit trails go.
    pub fn state_dir(&self) -> PathBuf {
        match &self.cfg.file.state_dir {
            Some(d) => self.cfg.base_dir().join(d),
            None => PathBuf::from(".graphseed"),
        }
    }

    /// The source roots: `--root` replaces the config's `[[sources]]`.
    pub fn roots(&self, a: &SourceSelect) -> Result<Vec<RootSpec>, Error> {
        if a.stdin {
            return Ok(vec![]);
        }
        if let Some(root) = &a.root {
            return Ok(vec![RootSpec {
                path: root.clone(),
                display: root.display().to_string(),
                source: a.source.clone().unwrap_or_else(|| DEFAULT_SOURCE.into()),
                include: a.include.clone(),
                exclude: a.exclude.clone(),
                follow_symlinks: false,
            }]);
        }
        if self.cfg.file.sources.is_empty() {
            return Err(Error::config(
                format!(
                    "no sources: add [[sources]] to {} or pass --root DIR",
                    self.cfg.display()
                ),
                None,
            ));
        }
        let base = self.cfg.base_dir();
        Ok(self
            .cfg
            .file
            .sources
            .iter()
            .map(|s| RootSpec {
                path: base.join(&s.root),
                display: s.root.clone(),
                source: s.source.clone(),
                include: s.include.clone(),
                exclude: s.exclude.clone(),
                follow_symlinks: s.follow_symlinks,
            })
            .collect())
    }
}

/// A run's audit trail could not be written after the graph was (the disk
/// filled up after the check before the lock, say): the run record says the
/// trail is missing, and the run fails with this error.
pub(crate) async fn trail_failed(
    ctx: &Context,
    store: &AnyStore,
    run: &mut crate::stores::RunRecord,
    locked: bool,
    e: std::io::Error,
) -> Error {
    use crate::stores::prelude::*;
    let path = ctx.state_dir().join("runs").join(&run.run_id);
    let recorded = if locked {
        run.counts
            .insert(crate::provenance::audit::AUDIT_INCOMPLETE.into(), 1);
        match store.save_run(run).await {
            Ok(()) => "the run record says `audit_incomplete`".to_string(),
            Err(e) => format!("and the run record could not say so either: {e}"),
        }
    } else {
        "the run wrote nothing to the graph".to_string()
    };
    Error::Io {
        path: path.display().to_string(),
        message: format!("the audit trail could not be written ({e}); {recorded}"),
    }
}

/// Run one command.
pub async fn run(global: GlobalArgs, command: Command, ui: Ui) -> Result<Outcome, Error> {
    let ctx = Context::new(global, ui)?;
    match command {
        Command::Init => inspect::init(&ctx).await,
        Command::Plan(a) => seed::plan(&ctx, &a.sources).await,
        Command::Seed(a) => seed::seed(&ctx, &a).await,
        Command::Status => inspect::status(&ctx).await,
        Command::Runs(a) => inspect::runs(&ctx, &a).await,
        Command::Unlock => inspect::unlock(&ctx).await,
        Command::Provenance(a) => provenance::provenance(&ctx, &a).await,
        Command::Validate => verify::validate(&ctx).await,
        Command::Verify(a) => verify::verify(&ctx, &a.select).await,
        Command::Links(a) => links::links(&ctx, &a).await,
        Command::Changes(a) => changes::changes(&ctx, &a).await,
        Command::Communities(a) => communities::communities(&ctx, &a).await,
    }
}

/// After a run's trail is written: keep at most `keep` trails (`keep_trails`).
/// The run is done and recorded, so a trail that cannot be removed is a
/// warning, not a failure.
pub(crate) fn prune_trails(ctx: &Context, keep: u64, current: &str) {
    match crate::provenance::audit::prune_trails(&ctx.state_dir(), keep, current) {
        Ok(0) => {}
        Ok(n) => ctx.ui.debug(&format!(
            "removed the {n} oldest audit trail(s) (keep_trails = {keep})"
        )),
        Err(e) => ctx.ui.warn(&format!(
            "could not remove old audit trails under {} (keep_trails = {keep}): {e}",
            crate::ui::path(&ctx.state_dir().join("runs").display().to_string())
        )),
    }
}
