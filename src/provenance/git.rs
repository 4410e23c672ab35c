//! The git state of a source tree, read with the `git` command (present
//! wherever users keep sources in git; absent means "not recorded").

use std::path::Path;
use std::process::Command;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GitState {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub dirty: Option<bool>,
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0") // a read must never block a concurrent git
        // git may run hooks or an fsmonitor from the source tree: it gets no secret.
        .env_remove("NEO4J_PASSWORD")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// Commit, branch and dirty flag of the repository holding `dir`, limited to
/// changes under `dir` (a dirty file elsewhere in the repo is not ours).
pub fn capture(dir: &Path) -> GitState {
    let Some(commit) = git(dir, &["rev-parse", "HEAD"]) else {
        return GitState::default();
    };
    let branch = git(dir, &["symbolic-ref", "--quiet", "--short", "HEAD"]);
    let dirty = git(
        dir,
        &[
            "status",
            "--porcelain",
            "--untracked-files=normal",
            "--",
            ".",
        ],
    )
    .map(|s| !s.is_empty());
    GitState {
        commit: Some(commit),
        branch,
        dirty,
    }
}
