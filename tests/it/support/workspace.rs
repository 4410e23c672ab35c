//! A temporary workspace for CLI tests: a source tree, a `graphseed.toml`,
//! and a target (a fresh SQLite file, or a unique group on the real Neo4j).
//! Commands run the real `graphseed` binary; graph state is read back through
//! the library's own store over the same target.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use graphseed::metadata::EpisodeRecord;
use graphseed::stores::any::{self, AnyStore};
use graphseed::stores::prelude::*;
use graphseed::stores::{EpisodeFilter, RunRecord, Target};
use serde_json::Value;

use super::neo4j;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Neo4j,
}

pub struct Ws {
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    pub group: String,
    pub uri: String,
}

/// Run a future to completion on a private runtime (tests are sync).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

impl Ws {
    /// `None` only when Neo4j tests are explicitly skipped.
    pub fn new(backend: Backend, name: &str) -> Option<Ws> {
        let dir = tempfile::tempdir().expect("tempdir");
        let group = neo4j::unique_group(name);
        let uri = match backend {
            Backend::Sqlite => format!("sqlite:{}", dir.path().join("graph.db").display()),
            Backend::Neo4j => neo4j::neo4j_uri()?,
        };
        let ws = Ws {
            dir,
            backend,
            group,
            uri,
        };
        std::fs::create_dir_all(ws.root()).unwrap();
        ws.set_version("1.0.0");
        ws.ok(&["init"]);
        Some(ws)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The source root, `src/` in the workspace.
    pub fn root(&self) -> PathBuf {
        self.path().join("src")
    }

    /// Rewrite `graphseed.toml` with a seeding version.
    pub fn set_version(&self, version: &str) {
        let toml = format!(
            "group = \"{}\"\nversion = \"{version}\"\n\n[[sources]]\nroot = \"src\"\nsource = \"project_seeding\"\n",
            self.group
        );
        std::fs::write(self.path().join("graphseed.toml"), toml).unwrap();
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.root().join(rel)).unwrap();
    }

    /// Copy a folder of the repository (e.g. `seeds`) into the source root.
    pub fn copy_from_repo(&self, folder: &str) {
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(folder),
            &self.root(),
        );
    }

    /// The binary, in the workspace, aimed at this target; the environment
    /// is cleared of NEO4J_* so the developer's settings cannot leak in. A
    /// plain `std::process::Command`, for tests that spawn and kill it.
    pub fn process(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
        c.current_dir(self.path())
            .env_remove("NEO4J_URI")
            .env_remove("NEO4J_USERNAME")
            .env_remove("NEO4J_PASSWORD")
            .env_remove("NEO4J_DATABASE")
            .env_remove("GRAPHSEED_NOW")
            .arg("--uri")
            .arg(&self.uri);
        c
    }

    /// The same as an `assert_cmd` command (stdin, output helpers).
    pub fn cmd(&self) -> Command {
        Command::from_std(self.process())
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Run and insist on exit 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "graphseed {args:?} exited {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `seed --json` plus args: (exit code, parsed JSON, stderr).
    pub fn seed(&self, args: &[&str]) -> (i32, Value, String) {
        let mut all = vec!["seed", "--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "seed {args:?}: stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (
            out.status.code().unwrap_or(-1),
            json,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Seed and insist on success; returns the JSON.
    pub fn seed_ok(&self, args: &[&str]) -> Value {
        let (code, json, stderr) = self.seed(args);
        assert_eq!(code, 0, "seed {args:?} failed: {json:#}\n{stderr}");
        json
    }

    async fn store(&self) -> AnyStore {
        let target = Target::parse(&self.uri, None, None, None).unwrap();
        any::open(&target, std::time::Duration::from_secs(120))
            .await
            .unwrap()
    }

    /// Every stored episode of this workspace's group, by entity_id.
    pub fn episodes(&self) -> Vec<EpisodeRecord> {
        block_on(async {
            let filter = EpisodeFilter {
                group_id: Some(self.group.clone()),
                ..Default::default()
            };
            self.store().await.query_episodes(&filter).await.unwrap()
        })
    }

    pub fn runs(&self) -> Vec<RunRecord> {
        block_on(async {
            self.store()
                .await
                .list_runs(Some(&self.group))
                .await
                .unwrap()
        })
    }

    pub fn revision(&self) -> u64 {
        block_on(async {
            self.store()
                .await
                .group_revision(&self.group)
                .await
                .unwrap()
        })
    }

    pub fn episode(&self, entity_id: &str) -> EpisodeRecord {
        self.episodes()
            .into_iter()
            .find(|e| e.entity_id == entity_id)
            .unwrap_or_else(|| panic!("no episode {entity_id}"))
    }
}

/// Copy a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `sha256sum FILE`, the reference the spec names for `source_hash`.
pub fn sha256sum(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Run a scenario against both stores, as two tests.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::support::workspace::{Backend, Ws};
                #[test]
                fn sqlite() {
                    if let Some(ws) = Ws::new(Backend::Sqlite, stringify!($name)) {
                        super::$name(&ws);
                    }
                }
                #[test]
                fn neo4j() {
                    if let Some(ws) = Ws::new(Backend::Neo4j, stringify!($name)) {
                        super::$name(&ws);
                    }
                }
            }
        )*
    };
}
