//! Which sources a command reads: shared by `plan`, `seed` and `verify`.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use super::{Context, DEFAULT_GENERATED_SOURCE};
use crate::config::DEFAULT_MAX_FILE_MB;
use crate::error::Error;
use crate::links::LinkRules;
use crate::planning::{Generated, LinkOptions, PlanInput};

/// Which sources: shared by `plan`, `seed` and `verify`.
#[derive(Debug, Args, Clone, Default)]
pub struct SourceSelect {
    /// Source root to walk (replaces the config's `[[sources]]`)
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
    /// Links that name no episode (or several) are errors, not warnings [config: links.strict]
    #[arg(long)]
    pub strict_links: bool,
}

/// `[links]` from the config, `--strict-links` over it.
fn link_options(ctx: &Context, a: &SourceSelect) -> LinkOptions {
    let cfg = &ctx.cfg.file.links;
    let mut rules = LinkRules::default();
    if let Some(fields) = &cfg.fields {
        rules.fields = fields.clone();
    }
    LinkOptions {
        rules,
        strict: a.strict_links || cfg.strict.unwrap_or(false),
        reread: false,
    }
}

/// The plan input for a source selection, with no flags set.
pub(super) fn select_input(ctx: &Context, a: &SourceSelect) -> Result<PlanInput, Error> {
    let generated = if a.stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Io {
                path: "<stdin>".into(),
                message: e.to_string(),
            })?;
        Some(Generated {
            source: a
                .source
                .clone()
                .unwrap_or_else(|| DEFAULT_GENERATED_SOURCE.into()),
            bytes,
        })
    } else {
        None
    };
    let max_mb = ctx
        .cfg
        .file
        .limits
        .max_file_mb
        .unwrap_or(DEFAULT_MAX_FILE_MB);
    Ok(PlanInput {
        group_id: ctx.group()?,
        version: ctx.version(a.seed_version.as_deref())?,
        roots: ctx.roots(a)?,
        generated,
        force: false,
        allow_downgrade: false,
        prune: false,
        max_file_bytes: max_mb.saturating_mul(1024 * 1024),
        links: link_options(ctx, a),
    })
}
