//! Configuration: flags first, then `graphseed.toml`, then the environment
//! names Neo4j's own tools use (`NEO4J_URI`, `NEO4J_USERNAME`,
//! `NEO4J_PASSWORD`, `NEO4J_DATABASE`).
//!
//! A password is never a flag and never a config value: it comes from
//! `NEO4J_PASSWORD` or a password file only, so it cannot reach argv, shell
//! history or a committed file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;
use crate::graphiti::Profile;
use crate::stores::target::{DEFAULT_TARGET, Secret, Target};
use crate::version::SeedVersion;

pub const DEFAULT_CONFIG: &str = "graphseed.toml";
pub const DEFAULT_BATCH_SIZE: usize = crate::limits::BATCH_SIZE.default as usize;
pub const DEFAULT_LOCK_TTL_SECS: u64 = crate::limits::LOCK_TTL_SECS.default;
pub const DEFAULT_MAX_FILE_MB: u64 = crate::limits::MAX_FILE_MB.default;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub group: Option<String>,
    pub version: Option<toml::Spanned<String>>,
    /// Where run audit trails go (default `.graphseed`).
    pub state_dir: Option<String>,
    /// How many audit trails to keep, the newest (default 0: all).
    pub keep_trails: Option<u64>,
    #[serde(default)]
    pub target: TargetConfig,
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub apply: ApplyConfig,
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub links: LinksConfig,
    #[serde(default)]
    pub communities: crate::communities::settings::CommunitiesConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub uri: Option<String>,
    pub database: Option<String>,
    pub username: Option<String>,
    pub password_file: Option<String>,
    /// `default` or `graphiti` (see [`crate::graphiti::Profile`]).
    pub profile: Option<toml::Spanned<String>>,
    /// Present only to refuse it with a clear message.
    pub password: Option<toml::Spanned<toml::Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub root: String,
    pub source: String,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub follow_symlinks: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyConfig {
    pub batch_size: Option<usize>,
    pub lock_ttl_secs: Option<u64>,
    pub retry_budget_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub max_file_mb: Option<u64>,
    /// The whole of standard input (`--stdin`).
    pub max_stdin_mb: Option<u64>,
}

/// A numeric setting from its flag or the config file, range-checked (see
/// [`crate::limits::Setting`]); out of range is a config error naming the
/// allowed range.
pub fn setting(
    s: &crate::limits::Setting,
    flag: Option<u64>,
    config: Option<u64>,
) -> Result<u64, Error> {
    s.resolve(flag, config)
        .map_err(|m| Error::config(m, Some("see the configuration section of the README")))
}

/// `[links]`: which fields of structured items (and front matter) hold bare
/// link targets, and whether a link that names no episode is an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinksConfig {
    /// Default `["links", "related"]`.
    pub fields: Option<Vec<String>>,
    /// Default false: dangling and ambiguous links are warnings.
    pub strict: Option<bool>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// A loaded config file and the folder relative paths resolve against.
#[derive(Debug, Default)]
pub struct Loaded {
    pub file: FileConfig,
    pub path: Option<PathBuf>,
    pub text: String,
}

impl Loaded {
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_ref()
            .and_then(|p| p.parent())
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf()
    }

    pub fn display(&self) -> String {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| DEFAULT_CONFIG.into())
    }

    /// The `version` from the file, checked, with its line on error.
    pub fn version(&self) -> Result<Option<SeedVersion>, Error> {
        let Some(v) = &self.file.version else {
            return Ok(None);
        };
        SeedVersion::parse(v.get_ref()).map(Some).map_err(|e| {
            Error::config(
                format!(
                    "{}:{}: invalid `version`: {e}",
                    self.display(),
                    line_of(&self.text, v.span().start)
                ),
                Some("use strict semver such as 1.4.0 or 2.0.0-rc.1"),
            )
        })
    }
}

/// Load `path`, or `graphseed.toml` in the current folder if it exists.
/// An explicitly named file must exist.
pub fn load(path: Option<&Path>) -> Result<Loaded, Error> {
    let (path, explicit) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(DEFAULT_CONFIG), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Loaded::default());
        }
        Err(e) => {
            return Err(Error::config(
                format!("{}: cannot read the config file: {e}", path.display()),
                None,
            ));
        }
    };
    let file: FileConfig = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| format!(":{}", line_of(&text, s.start)))
            .unwrap_or_default();
        Error::config(
            format!("{}{at}: {}", path.display(), e.message()),
            Some("see the configuration section of the README"),
        )
    })?;
    if let Some(p) = &file.target.password {
        return Err(Error::config(
            format!(
                "{}:{}: a password in the config file is refused",
                path.display(),
                line_of(&text, p.span().start)
            ),
            Some("remove it; set NEO4J_PASSWORD or `password_file` instead"),
        ));
    }
    // Checked on load, before any command runs: a bad `[communities]` value
    // is a config error even for a command that does not detect.
    file.communities.detect_params().map_err(|m| {
        Error::config(
            format!("{}: {m}", path.display()),
            Some("see the Communities section of the README"),
        )
    })?;
    Ok(Loaded {
        file,
        path: Some(path),
        text,
    })
}

/// The schema profile: the flag, else `[target] profile`, else `default`.
/// An unknown name is a config error naming the file and line.
pub fn resolve_profile(flag: Option<&str>, cfg: &Loaded) -> Result<Profile, Error> {
    let hint = Some("use `default` or `graphiti`");
    if let Some(f) = flag {
        return f
            .parse()
            .map_err(|e: String| Error::config(format!("--profile: {e}"), hint));
    }
    match &cfg.file.target.profile {
        None => Ok(Profile::Default),
        Some(p) => p.get_ref().parse().map_err(|e: String| {
            Error::config(
                format!(
                    "{}:{}: [target] {e}",
                    cfg.display(),
                    line_of(&cfg.text, p.span().start)
                ),
                hint,
            )
        }),
    }
}

/// Connection settings as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct TargetFlags {
    pub uri: Option<String>,
    pub database: Option<String>,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn read_password_file(path: &Path) -> Result<Secret, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::config(
            format!("{}: cannot read the password file: {e}", path.display()),
            None,
        )
    })?;
    // One trailing newline is an editor's, not the password's.
    let pw = text.strip_suffix('\n').unwrap_or(&text);
    let pw = pw.strip_suffix('\r').unwrap_or(pw);
    Ok(Secret::new(pw))
}

/// Resolve the target: flags, then the file, then the environment.
pub fn resolve_target(flags: &TargetFlags, cfg: &Loaded) -> Result<Target, Error> {
    let t = &cfg.file.target;
    let uri = flags
        .uri
        .clone()
        .or_else(|| t.uri.clone())
        .or_else(|| env("NEO4J_URI"))
        .unwrap_or_else(|| DEFAULT_TARGET.to_string());
    let database = flags
        .database
        .clone()
        .or_else(|| t.database.clone())
        .or_else(|| env("NEO4J_DATABASE"));
    let username = flags
        .username
        .clone()
        .or_else(|| t.username.clone())
        .or_else(|| env("NEO4J_USERNAME"));
    let password = match (&flags.password_file, &t.password_file) {
        (Some(p), _) => Some(read_password_file(p)?),
        (None, Some(p)) => Some(read_password_file(&cfg.base_dir().join(p))?),
        (None, None) => env("NEO4J_PASSWORD").map(Secret::new),
    };
    let mut target = Target::parse(&uri, database, username, password)
        .map_err(|e| Error::config(e.to_string(), None))?;
    // A relative SQLite path in the config file is relative to that file.
    if let (Target::Sqlite { path }, None, Some(_)) = (&mut target, &flags.uri, &t.uri)
        && path.is_relative()
    {
        *path = cfg.base_dir().join(&*path);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(text: &str) -> Result<Loaded, Error> {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("graphseed.toml");
        std::fs::write(&p, text).unwrap();
        load(Some(&p))
    }

    #[test]
    fn invalid_version_names_file_and_line() {
        let l = loaded("group = \"g\"\n\nversion = \"1.0\"\n").unwrap();
        let msg = l.version().unwrap_err().to_string();
        assert!(msg.contains("graphseed.toml:3: invalid `version`"), "{msg}");
    }

    #[test]
    fn unknown_keys_and_passwords_are_refused() {
        let e = loaded("grup = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains(":1") && e.contains("grup"), "{e}");
        let e = loaded("[target]\nuri = \"bolt://x\"\npassword = \"hunter2\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":3: a password in the config file is refused"),
            "{e}"
        );
        assert!(!e.contains("hunter2"));
    }

    #[test]
    fn profile_from_flag_then_file_then_default() {
        let none = loaded("group = \"g\"\n").unwrap();
        assert_eq!(resolve_profile(None, &none).unwrap(), Profile::Default);
        let file = loaded("[target]\nprofile = \"graphiti\"\n").unwrap();
        assert_eq!(resolve_profile(None, &file).unwrap(), Profile::Graphiti);
        assert_eq!(
            resolve_profile(Some("default"), &file).unwrap(),
            Profile::Default
        );
        let bad = loaded("[target]\n\nprofile = \"grafiti\"\n").unwrap();
        let e = resolve_profile(None, &bad).unwrap_err().to_string();
        assert!(
            e.contains("graphseed.toml:3: [target] unknown profile `grafiti`"),
            "{e}"
        );
        let e = resolve_profile(Some("x"), &none).unwrap_err().to_string();
        assert!(e.contains("--profile: unknown profile `x`"), "{e}");
    }

    #[test]
    fn flags_win_over_file() {
        let l =
            loaded("[target]\nuri = \"bolt://from-file:7687\"\ndatabase = \"filedb\"\n").unwrap();
        let flags = TargetFlags {
            uri: Some("bolt://from-flag:7687".into()),
            ..Default::default()
        };
        match resolve_target(&flags, &l).unwrap() {
            Target::Neo4j { uri, database, .. } => {
                assert_eq!(uri, "bolt://from-flag:7687");
                assert_eq!(database.as_deref(), Some("filedb"));
            }
            t => panic!("{t:?}"),
        }
    }
}
