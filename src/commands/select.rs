//! Which sources a command reads: shared by `plan`, `seed` and `verify`.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use super::{Context, DEFAULT_GENERATED_SOURCE};
use crate::config::setting;
use crate::error::Error;
use crate::limits;
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
    let file_limits = &ctx.cfg.file.limits;
    let max_mb = setting(&limits::MAX_FILE_MB, None, file_limits.max_file_mb)?;
    let generated = if a.stdin {
        let max_stdin_mb = setting(&limits::MAX_STDIN_MB, None, file_limits.max_stdin_mb)?;
        Some(Generated {
            source: a
                .source
                .clone()
                .unwrap_or_else(|| DEFAULT_GENERATED_SOURCE.into()),
            bytes: read_stdin(max_stdin_mb << 20)?,
        })
    } else {
        None
    };
    Ok(PlanInput {
        group_id: ctx.group()?,
        version: ctx.version(a.seed_version.as_deref())?,
        roots: ctx.roots(a)?,
        generated,
        force: false,
        allow_downgrade: false,
        prune: false,
        max_file_bytes: max_mb << 20,
        reconcile: None,
        transfer_ownership: false,
        links: link_options(ctx, a),
    })
}

/// All of standard input, refused past `max` bytes before more is read: an
/// endless producer (`yes ... | graphseed seed --stdin`) must end in an
/// error, not in memory exhaustion. One line is held to `max_file_mb` by the
/// planner.
fn read_stdin(max: u64) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io {
            path: "<stdin>".into(),
            message: e.to_string(),
        })?;
    if bytes.len() as u64 > max {
        return Err(Error::config(
            format!(
                "<stdin>: standard input is over the {} MB limit ([limits] max_stdin_mb); nothing was written",
                max >> 20
            ),
            Some(
                "raise [limits] max_stdin_mb in graphseed.toml, or split the input into several runs",
            ),
        ));
    }
    Ok(bytes)
}
