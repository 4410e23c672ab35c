//! Every command's human and JSON output, as reviewed snapshots (insta):
//! any change of wording or shape is a visible diff in review. The clock is
//! pinned (`GRAPHSEED_NOW`; a pinned clock stands still, so durations are 0)
//! and so are run ids (`GRAPHSEED_RUN_ID`); the machine's name and platform
//! are the only values replaced after the fact. The embedded store makes the
//! output the same on every machine.
//!
//! To accept an intended change: `INSTA_UPDATE=always cargo test --test it
//! snapshots`, then review the `.snap` diff like code.

use std::path::Path;
use std::process::Command;

use crate::hostile::run_timed;

const RUN_1: &str = "01900000-0000-7000-8000-000000000001";
const RUN_2: &str = "01900000-0000-7000-8000-000000000002";

struct Snap {
    dir: tempfile::TempDir,
}

impl Snap {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let s = Snap { dir };
        s.write(
            "graphseed.toml",
            "group = \"snap\"\nversion = \"1.0.0\"\n\n[[sources]]\nroot = \"src\"\nsource = \"docs\"\n",
        );
        s.write(
            "src/guides/alpha.md",
            "---\ntitle: Alpha\n---\nHow alpha works.\n",
        );
        s.write(
            "src/items/list.jsonl",
            "{\"id\":\"one\",\"v\":1}\n{\"id\":\"two\",\"v\":2}\n",
        );
        s.write("src/notes.txt", "plain notes\n");
        s
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Run at a pinned time (and run id) and render what a user sees.
    fn run(&self, now: &str, run_id: &str, args: &[&str]) -> String {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
        cmd.current_dir(self.path())
            .env_remove("NEO4J_URI")
            .env_remove("NEO4J_PASSWORD")
            .env("GRAPHSEED_NOW", now)
            .env("GRAPHSEED_RUN_ID", run_id)
            .env("USER", "snapper")
            .args(["--uri", "sqlite:graph.db"])
            .args(args);
        let out = run_timed(cmd, std::time::Duration::from_secs(60));
        let text = format!(
            "$ graphseed {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            args.join(" "),
            out.code.map_or("signal".into(), |c| c.to_string()),
            out.stdout,
            out.stderr
        );
        normalize(&text)
    }
}

/// The machine's name and platform, the only values pins cannot fix.
fn normalize(text: &str) -> String {
    let host = graphseed::provenance::record::hostname();
    let os = graphseed::provenance::record::os();
    text.replace(&format!("\"{host}\""), "\"[host]\"")
        .replace(&format!(" {host} ("), " [host] (")
        .replace(&os, "[os]")
}

const T1: &str = "2026-01-02T03:04:05Z";
const T2: &str = "2026-01-03T04:05:06Z";

/// Two identical workspaces in lockstep: every command runs for people in
/// one and with `--json` in the other, so both see the same history (a
/// seed's JSON is a real seed's, not the no-op after it).
struct Twins {
    human: Snap,
    json: Snap,
    n: usize,
}

impl Twins {
    fn snap(&mut self, name: &str, now: &str, run_id: &str, args: &[&str]) {
        self.n += 1;
        let n = self.n;
        insta::assert_snapshot!(format!("{n:02}_{name}"), self.human.run(now, run_id, args));
        let json_args = [args, &["--json"]].concat();
        insta::assert_snapshot!(
            format!("{n:02}_{name}_json"),
            self.json.run(now, run_id, &json_args)
        );
    }

    fn write(&self, rel: &str, text: &str) {
        self.human.write(rel, text);
        self.json.write(rel, text);
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.human.path().join(rel)).unwrap();
        std::fs::remove_file(self.json.path().join(rel)).unwrap();
    }
}

#[test]
fn every_command_human_and_json() {
    let mut t = Twins {
        human: Snap::new(),
        json: Snap::new(),
        n: 0,
    };
    // Before anything exists: plan reads an empty graph and creates nothing.
    t.snap("plan_fresh", T1, RUN_1, &["plan"]);
    t.snap("status_before_init", T1, RUN_1, &["status"]);
    t.snap("init", T1, RUN_1, &["init"]);
    t.snap("seed", T1, RUN_1, &["seed"]);
    t.snap("seed_unchanged", T1, RUN_1, &["seed"]);
    t.snap("plan_unchanged", T1, RUN_1, &["plan"]);
    t.snap("status", T1, RUN_1, &["status"]);
    t.snap("runs", T1, RUN_1, &["runs"]);
    t.snap("runs_one", T1, RUN_1, &["runs", RUN_1]);
    t.snap("runs_unknown", T1, RUN_1, &["runs", "nonsense"]);
    t.snap("provenance", T1, RUN_1, &["provenance"]);
    t.snap(
        "provenance_entity",
        T1,
        RUN_1,
        &["provenance", "--entity", "guides_alpha"],
    );
    t.snap("validate", T1, RUN_1, &["validate"]);
    t.snap("verify", T1, RUN_1, &["verify"]);
    // A change, a removal and a broken file.
    t.write(
        "src/guides/alpha.md",
        "---\ntitle: Alpha\n---\nHow alpha works now.\n",
    );
    t.remove("src/notes.txt");
    t.write("src/broken.json", "{ \"id\": ");
    t.snap("plan_with_error", T2, RUN_2, &["plan", "--prune"]);
    t.remove("src/broken.json");
    t.snap("plan_changes", T2, RUN_2, &["plan", "--prune"]);
    t.snap("seed_prune", T2, RUN_2, &["seed", "--prune"]);
    t.snap("runs_after", T2, RUN_2, &["runs"]);
    t.snap(
        "provenance_history",
        T2,
        RUN_2,
        &["provenance", "--entity", "guides_alpha"],
    );
    t.snap("verify_after", T2, RUN_2, &["verify"]);
    // A downgrade: one summary line (the JSON lists each episode).
    t.snap(
        "plan_downgrade",
        T2,
        RUN_2,
        &["plan", "--seed-version", "0.9.0"],
    );
    t.snap("unlock", T2, RUN_2, &["unlock"]);
}
