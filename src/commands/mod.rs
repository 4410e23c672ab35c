//! One function per command. Each builds what it needs from the flags and the
//! config, talks to the store through the `Store` trait, prints, and returns
//! an exit code (or an error the binary maps to one).

mod inspect;
mod provenance;
mod seed;
mod verify;

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{Cli, Command, Global, SourceSelect};
use crate::config::{self, Loaded, TargetFlags};
use crate::error::Error;
use crate::sources::RootSpec;
use crate::stores::Target;
use crate::stores::any::{self, AnyStore};
use crate::stores::target::aura_routing_advice;
use crate::ui::Ui;
use crate::version::SeedVersion;

pub const DEFAULT_SOURCE: &str = "project_seeding";
pub const DEFAULT_GENERATED_SOURCE: &str = "generated";
pub const DEFAULT_GROUP: &str = "default";

/// What every command shares: config, target, output settings.
pub struct Context {
    pub cfg: Loaded,
    pub target: Target,
    pub ui: Ui,
    pub global: Global,
}

impl Context {
    fn new(global: Global, ui: Ui) -> Result<Self, Error> {
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

    pub async fn store(&self) -> Result<AnyStore, Error> {
        let timeout = Duration::from_secs(self.global.connection_timeout.max(1));
        Ok(any::open(&self.target, timeout).await?)
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

pub fn print_json(v: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("JSON values serialize")
    );
}

pub async fn run(cli: Cli, ui: Ui) -> Result<i32, Error> {
    let ctx = Context::new(cli.global, ui)?;
    match cli.command {
        Command::Init => inspect::init(&ctx).await,
        Command::Plan(a) => seed::plan(&ctx, &a.sources).await,
        Command::Seed(a) => seed::seed(&ctx, &a).await,
        Command::Status => inspect::status(&ctx).await,
        Command::Runs(a) => inspect::runs(&ctx, a.run_id.as_deref()).await,
        Command::Unlock => inspect::unlock(&ctx).await,
        Command::Provenance(a) => provenance::provenance(&ctx, &a).await,
        Command::Validate => verify::validate(&ctx).await,
        Command::Verify(a) => verify::verify(&ctx, &a).await,
    }
}
