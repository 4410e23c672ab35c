//! Hostile input through the real binary, on both stores (issue "Reliability:
//! hostile input, secrets, TLS", part 1).
//!
//! Every case ends in a clear error naming the file (exit 4) or in a
//! documented skip. Never a hang: every process runs against a deadline and
//! is killed (and the test failed) past it. Never a crash: a panic exits 101
//! and a stack overflow dies by a signal (no exit code), so each run must
//! exit with exactly the expected code. And a failed run leaves the stored
//! graph as it was: each case first seeds a baseline, then makes the hostile
//! change and runs `seed --prune`, and the group's episodes, runs and
//! revision must be unchanged afterwards (a file that fails is never pruned).
//!
//! Inputs are in `tests/fixtures/hostile/`; what git cannot hold (a FIFO,
//! symlink loops, unreadable files, 50 MB, a name that is not UTF-8) is made
//! here.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use graphseed::metadata::EpisodeRecord;
use graphseed::stores::RunRecord;
use serde_json::Value;

use crate::on_both_stores;
use crate::support::workspace::{Ws, sha256sum};

on_both_stores!(
    malformed_files_are_located_by_line_and_column,
    invalid_utf8_is_located_by_line_and_column,
    bom_and_crlf_do_not_change_the_content_hash,
    empty_files_are_errors_that_keep_their_episodes,
    files_over_the_size_limit_are_refused_unread,
    deep_nesting_and_alias_bombs_are_refused_without_a_crash,
    fifos_are_skipped_and_never_block,
    symlink_loops_are_skipped_or_reported_never_followed_forever,
    unreadable_files_and_folders_are_errors_that_keep_their_episodes,
    unicode_and_spaces_in_names_derive_readable_ids,
    cypher_punctuation_is_refused_as_an_id_and_inert_as_a_value,
);

/// Far above any honest run of these tests; a run still going then is hung.
const DEADLINE: Duration = Duration::from_secs(90);

pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Exactly `code`; never a panic (101) or a death by signal (`None`).
    pub fn expect(&self, code: i32, what: &str) {
        assert_eq!(
            self.code,
            Some(code),
            "{what}: wrong exit\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "{what}: panicked:\n{}",
            self.stderr
        );
    }
}

/// Run `cmd` to completion with stdin closed, or kill it at the deadline and
/// fail: a hostile input must never make graphseed wait forever.
pub fn run_timed(mut cmd: Command, deadline: Duration) -> Outcome {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_BACKTRACE", "1");
    // A binary copied by this test (run as another user) is briefly held open
    // for writing by any child another test forks before the copy's
    // descriptor closes (close-on-exec closes it only at that child's exec):
    // exec then fails with ETXTBSY. That passes in moments, so try again.
    let mut tries = 0;
    let mut child = loop {
        match cmd.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => break other.expect("spawn graphseed"),
        }
    };
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "graphseed hung: still running after {} s (killed)\nstderr so far:\n{}",
                deadline.as_secs(),
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Outcome {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn graphseed(ws: &Ws, args: &[&str]) -> Outcome {
    let mut cmd = ws.process();
    cmd.args(args);
    run_timed(cmd, DEADLINE)
}

/// What "the stored graph is unchanged" compares.
#[derive(Debug, PartialEq)]
struct Snapshot {
    episodes: Vec<EpisodeRecord>,
    runs: Vec<(String, String)>,
    revision: u64,
}

fn snapshot(ws: &Ws) -> Snapshot {
    let runs: Vec<RunRecord> = ws.runs();
    Snapshot {
        episodes: ws.episodes(),
        runs: runs
            .iter()
            .map(|r| (r.run_id.clone(), format!("{:?}", r.status)))
            .collect(),
        revision: ws.revision(),
    }
}

/// A seeded group with `a/victim.json` (which the hostile change usually
/// replaces) and one bystander in another folder.
fn baseline(ws: &Ws) -> Snapshot {
    ws.write("a/victim.json", r#"{"name": "victim", "v": 1}"#);
    ws.write("keep/bystander.md", "---\ntitle: Bystander\n---\nstays\n");
    let json = ws.seed_ok(&[]);
    assert!(json["counts"]["create"].as_u64() >= Some(2), "{json:#}");
    snapshot(ws)
}

/// Copy `tests/fixtures/hostile/<case>` over the source root.
fn copy_fixture(ws: &Ws, case: &str) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hostile")
        .join(case);
    assert!(from.is_dir(), "no fixture {}", from.display());
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let to = ws.root().join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// `seed --json --prune` must fail with input errors and leave the graph as
/// `before`; returns the listed errors.
fn fails_and_changes_nothing(ws: &Ws, before: &Snapshot) -> Vec<Value> {
    let out = graphseed(ws, &["seed", "--json", "--prune"]);
    out.expect(4, "seed --prune over hostile input");
    let json = out.json();
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert_eq!(
        &snapshot(ws),
        before,
        "a failed run changed the stored graph"
    );
    json["errors"].as_array().unwrap().clone()
}

/// The one error about `path` (relative to the workspace).
fn error_for<'a>(errors: &'a [Value], path: &str) -> &'a Value {
    let found: Vec<&Value> = errors.iter().filter(|e| e["path"] == path).collect();
    assert_eq!(found.len(), 1, "one error for {path} in {errors:#?}");
    found[0]
}

fn assert_located(e: &Value, line: u64, column: u64, message: &str) {
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(line), Some(column)),
        "{e:#}"
    );
    assert!(
        e["message"].as_str().unwrap().contains(message),
        "{message:?} not in {e:#}"
    );
    assert_eq!(e["kind"], "input");
}

/// `plan`'s human output: one `error: path:line:column: message` per error.
/// What `plan` tells a person about the errors: per-file errors go to
/// stderr, beside the summary.
fn plan_text(ws: &Ws) -> String {
    let out = graphseed(ws, &["plan"]);
    out.expect(4, "plan over hostile input");
    out.stderr
}

fn malformed_files_are_located_by_line_and_column(ws: &Ws) {
    let before = baseline(ws);
    copy_fixture(ws, "malformed");
    let errors = fails_and_changes_nothing(ws, &before);
    assert_eq!(errors.len(), 3, "every error is listed: {errors:#?}");
    // `  "v": [1, 2,, 3]`: the second comma is column 14.
    assert_located(
        error_for(&errors, "src/a/victim.json"),
        3,
        14,
        "invalid JSON: expected value",
    );
    // `{"id": "two", "v": tru}`: serde_json notices at the `}` after `tru`.
    assert_located(
        error_for(&errors, "src/a/list.jsonl"),
        2,
        23,
        "invalid JSON: expected ident",
    );
    let yaml = error_for(&errors, "src/a/conf.yaml");
    assert!(yaml["line"].as_u64().unwrap() >= 2, "{yaml:#}");
    assert!(yaml["column"].as_u64().is_some(), "{yaml:#}");
    assert!(
        yaml["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid YAML")
    );
    let text = plan_text(ws);
    assert!(
        text.contains("error: src/a/victim.json:3:14: invalid JSON: expected value"),
        "{text}"
    );
    assert!(text.contains("error: src/a/list.jsonl:2:23: "), "{text}");
}

fn invalid_utf8_is_located_by_line_and_column(ws: &Ws) {
    let before = baseline(ws);
    copy_fixture(ws, "bad_utf8");
    let errors = fails_and_changes_nothing(ws, &before);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    // `  "name": "caf\xE9"`: the bad byte is column 15 of line 2.
    assert_located(
        error_for(&errors, "src/a/victim.json"),
        2,
        15,
        "not valid UTF-8",
    );
    // Line 5 of the Markdown file, after its front matter.
    assert_located(error_for(&errors, "src/a/note.md"), 5, 8, "not valid UTF-8");
    assert!(plan_text(ws).contains("error: src/a/note.md:5:8: not valid UTF-8"));
}

fn bom_and_crlf_do_not_change_the_content_hash(ws: &Ws) {
    copy_fixture(ws, "bom_crlf");
    let json = ws.seed_ok(&[]);
    // 4 variants x (json + yaml + md + txt + 2 JSONL items).
    assert_eq!(json["counts"]["create"], 24, "{json:#}");
    let eps = ws.episodes();
    let variants = ["lf", "crlf", "bom", "bom_crlf"];
    for stem in [
        "note_json",
        "note_yaml",
        "note_md",
        "note_txt",
        "item_1",
        "item_2",
    ] {
        let mut content = Vec::new();
        let mut raw = Vec::new();
        for v in variants {
            let id = format!("{v}_{stem}");
            let e = eps
                .iter()
                .find(|e| e.entity_id == id)
                .unwrap_or_else(|| panic!("no episode {id}"));
            content.push(e.content_hash.clone());
            raw.push(e.source_hash.clone().unwrap());
            // source_hash stays the hash of the raw bytes, BOM and CR included.
            let path = e.source_path.as_deref().unwrap();
            assert_eq!(raw.last().unwrap(), &sha256sum(&ws.root().join(path)));
            let body: Value = serde_json::from_str(&e.body).unwrap();
            assert!(
                !e.body.contains('\r') && !e.body.contains('\u{feff}'),
                "{id}: CR or BOM leaked into the body: {body:#}"
            );
        }
        assert!(
            content.iter().all(|c| c == &content[0]),
            "{stem}: one content, one content_hash: {content:?}"
        );
        raw.sort();
        raw.dedup();
        assert_eq!(raw.len(), 4, "{stem}: the raw bytes differ");
    }
    // Converting a file from CRLF to LF is not an edit: a refresh, no update.
    let lf = std::fs::read(ws.root().join("lf/note_md.md")).unwrap();
    std::fs::write(ws.root().join("crlf/note_md.md"), lf).unwrap();
    let json = ws.seed_ok(&[]);
    assert_eq!(
        (
            json["counts"]["refresh"].as_u64(),
            json["counts"]["update"].as_u64()
        ),
        (Some(1), Some(0)),
        "{json:#}"
    );
}

fn empty_files_are_errors_that_keep_their_episodes(ws: &Ws) {
    let before = baseline(ws);
    copy_fixture(ws, "empty");
    assert_eq!(
        std::fs::metadata(ws.root().join("a/victim.json"))
            .unwrap()
            .len(),
        0
    );
    let errors = fails_and_changes_nothing(ws, &before);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert_located(
        error_for(&errors, "src/a/victim.json"),
        1,
        1,
        "file is empty",
    );
    assert_located(
        error_for(&errors, "src/a/blank.md"),
        1,
        1,
        "file holds only whitespace",
    );
    assert_located(
        error_for(&errors, "src/a/bom_only.txt"),
        1,
        1,
        "file holds only whitespace",
    );
    let hint = error_for(&errors, "src/a/victim.json")["hint"]
        .as_str()
        .unwrap();
    assert!(hint.contains("delete or exclude"), "{hint}");
    // Deleting the empty file is the way out: the orphan is then reported.
    for f in ["a/victim.json", "a/blank.md", "a/bom_only.txt"] {
        ws.remove(f);
    }
    let json = ws.seed_ok(&[]);
    assert_eq!(json["counts"]["orphan"], 1, "{json:#}");
}

fn files_over_the_size_limit_are_refused_unread(ws: &Ws) {
    let before = baseline(ws);
    // 50 MB of valid JSON: only the limit can refuse it.
    let path = ws.root().join("a/huge.json");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(b"{\"name\": \"huge\", \"content\": \"")
            .unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..50 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\"}\n").unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() > 50 << 20);
    let started = Instant::now();
    let errors = fails_and_changes_nothing(ws, &before);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = error_for(&errors, "src/a/huge.json");
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("over the 16 MB limit ([limits] max_file_mb)") && msg.contains("(50.0 MB)"),
        "{msg}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "refusing a big file should not read it"
    );
    std::fs::remove_file(&path).unwrap();

    // The limit is the config's: 1 MB refuses a 1.5 MB file.
    let toml = std::fs::read_to_string(ws.path().join("graphseed.toml")).unwrap();
    std::fs::write(
        ws.path().join("graphseed.toml"),
        format!("{toml}\n[limits]\nmax_file_mb = 1\n"),
    )
    .unwrap();
    ws.write(
        "a/medium.txt",
        vec![b'y'; 3 << 19], // 1.5 MiB
    );
    let errors = fails_and_changes_nothing(ws, &before);
    let msg = error_for(&errors, "src/a/medium.txt")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("(1.5 MB), over the 1 MB limit"), "{msg}");
}

fn deep_nesting_and_alias_bombs_are_refused_without_a_crash(ws: &Ws) {
    let before = baseline(ws);
    let deep = |open: &str, close: &str| format!("{}{}", open.repeat(10_000), close.repeat(10_000));
    // 10,000 levels in every format that nests: serde_json and serde_yaml_ng
    // stop at 128 levels, so this must be an error, not a stack overflow.
    ws.write("a/victim.json", deep("[", "]"));
    ws.write(
        "a/deep.jsonl",
        format!(
            "{{\"id\": \"ok\"}}\n{{\"id\": \"x\", \"d\": {}}}\n",
            deep("[", "]")
        ),
    );
    ws.write("a/deep_seq.yaml", format!("a: {}\n", deep("[", "]")));
    ws.write(
        "a/deep_map.yaml",
        format!("a: {}1{}\n", "{a: ".repeat(10_000), "}".repeat(10_000)),
    );
    ws.write(
        "a/deep_front.md",
        format!("---\nx: {}\n---\nbody\n", deep("[", "]")),
    );
    // A billion laughs: 9 levels of 9 aliases each.
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        bomb.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    ws.write("a/bomb.yaml", bomb);

    let errors = fails_and_changes_nothing(ws, &before);
    assert_eq!(errors.len(), 6, "{errors:#?}");
    for (path, line) in [
        ("src/a/victim.json", 1),
        ("src/a/deep.jsonl", 2),
        ("src/a/deep_seq.yaml", 1),
        ("src/a/deep_map.yaml", 1),
        ("src/a/deep_front.md", 2),
    ] {
        let e = error_for(&errors, path);
        assert_eq!(e["line"], line, "{e:#}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("recursion limit exceeded"),
            "{e:#}"
        );
        assert!(e["hint"].as_str().unwrap().contains("128 levels"), "{e:#}");
    }
    let bomb = error_for(&errors, "src/a/bomb.yaml");
    assert!(
        bomb["message"]
            .as_str()
            .unwrap()
            .contains("repetition limit exceeded"),
        "{bomb:#}"
    );
}

/// `plan --json`'s skipped files as `path -> why`.
fn skipped(ws: &Ws) -> Vec<(String, String)> {
    let out = graphseed(ws, &["plan", "--json"]);
    assert!(matches!(out.code, Some(0 | 3)), "{}", out.stderr);
    out.json()["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["why"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success(), "mkfifo {}", path.display());
}

fn set_follow_symlinks(ws: &Ws) {
    let toml = std::fs::read_to_string(ws.path().join("graphseed.toml")).unwrap();
    std::fs::write(
        ws.path().join("graphseed.toml"),
        format!("{toml}follow_symlinks = true\n"),
    )
    .unwrap();
}

fn fifos_are_skipped_and_never_block(ws: &Ws) {
    let before = baseline(ws);
    // Nobody ever writes to these: an open(2) or read(2) would block forever.
    mkfifo(&ws.root().join("a/pipe.json"));
    mkfifo(&ws.root().join("a/pipe.md"));
    std::os::unix::fs::symlink("pipe.json", ws.root().join("a/link_to_pipe.json")).unwrap();
    let json = graphseed(ws, &["seed", "--json"]);
    json.expect(0, "seed next to FIFOs");
    let skips = skipped(ws);
    for (path, why) in [
        ("src/a/pipe.json", "not a regular file"),
        ("src/a/pipe.md", "not a regular file"),
        ("src/a/link_to_pipe.json", "symlink (not followed)"),
    ] {
        assert!(
            skips.contains(&(path.to_string(), why.to_string())),
            "{path}: {why} not in {skips:?}"
        );
    }
    assert_eq!(snapshot(ws).episodes, before.episodes);
    // Following symlinks leads to the FIFO itself: still skipped, by type.
    set_follow_symlinks(ws);
    graphseed(ws, &["seed", "--json"]).expect(0, "seed following a link to a FIFO");
    assert!(skipped(ws).contains(&(
        "src/a/link_to_pipe.json".into(),
        "not a regular file".into()
    )));
    assert_eq!(snapshot(ws).episodes, before.episodes);
}

fn symlink_loops_are_skipped_or_reported_never_followed_forever(ws: &Ws) {
    let before = baseline(ws);
    let root = ws.root();
    std::os::unix::fs::symlink("loop_b.json", root.join("a/loop_a.json")).unwrap();
    std::os::unix::fs::symlink("loop_a.json", root.join("a/loop_b.json")).unwrap();
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::os::unix::fs::symlink("..", root.join("b/up")).unwrap();
    // Default: links are not followed, so loops are just skipped links.
    graphseed(ws, &["seed", "--json"]).expect(0, "seed next to symlink loops");
    let skips = skipped(ws);
    for path in ["src/a/loop_a.json", "src/a/loop_b.json", "src/b/up"] {
        assert!(
            skips.contains(&(path.to_string(), "symlink (not followed)".to_string())),
            "{path} not in {skips:?}"
        );
    }
    assert_eq!(snapshot(ws), before, "nothing to write, nothing written");

    // Following links: both loops are reported (by path), nothing is written.
    set_follow_symlinks(ws);
    let errors = fails_and_changes_nothing(ws, &before);
    let up = error_for(&errors, "src/b/up");
    assert!(
        up["message"].as_str().unwrap().contains("symlink loop"),
        "{up:#}"
    );
    for path in ["src/a/loop_a.json", "src/a/loop_b.json"] {
        let e = error_for(&errors, path);
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains("symbolic links"), "{e:#}");
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

/// `chown -R uid:gid` of the workspace.
fn chown_all(dir: &Path, uid: u32) {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        std::os::unix::fs::lchown(entry.path(), Some(uid), Some(uid)).unwrap();
    }
}

/// An unprivileged user for the child: the overflow uid, which exists on
/// every Linux whether or not /etc/passwd names it.
const NOBODY: u32 = 65534;

fn unreadable_files_and_folders_are_errors_that_keep_their_episodes(ws: &Ws) {
    ws.write("locked/inner.json", r#"{"name": "inner"}"#);
    let before = baseline(ws);
    let victim = ws.root().join("a/victim.json");
    let locked = ws.root().join("locked");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();

    let mut cmd = if is_root() {
        // Root reads a mode-000 file anyway (CAP_DAC_OVERRIDE) and CI runs as
        // root, so the permission case is shown as an unprivileged user: the
        // child drops to uid/gid 65534, the workspace is handed to that user,
        // and only the two chmod-000 entries stay closed. The binary is
        // copied into the workspace first: the checkout it was built in may
        // sit under a folder that user cannot enter (/root is 0700).
        use std::os::unix::process::CommandExt;
        let bin = ws.path().join("graphseed-copy");
        std::fs::copy(assert_cmd::cargo::cargo_bin!("graphseed"), &bin).unwrap();
        chown_all(ws.path(), NOBODY);
        let mut cmd = Command::new(&bin);
        cmd.current_dir(ws.path())
            .env_remove("NEO4J_URI")
            .env_remove("NEO4J_USERNAME")
            .env_remove("NEO4J_PASSWORD")
            .env_remove("NEO4J_DATABASE")
            .env_remove("GRAPHSEED_NOW")
            .args(["--uri", &ws.uri])
            .uid(NOBODY)
            .gid(NOBODY);
        cmd
    } else {
        ws.process()
    };
    cmd.args(["seed", "--json", "--prune"]);
    let out = run_timed(cmd, DEADLINE);
    out.expect(4, "seed over unreadable entries");
    let errors = out.json()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    for path in ["src/a/victim.json", "src/locked"] {
        let e = error_for(&errors, path);
        assert!(
            e["message"].as_str().unwrap().contains("Permission denied"),
            "{e:#}"
        );
    }
    assert_eq!(
        snapshot(ws),
        before,
        "unreadable entries keep their episodes, even with --prune"
    );

    if is_root() {
        // And what root itself sees: the permission bits do not bind it, so
        // the same files are read and the run is clean. graphseed does not
        // second-guess the OS.
        let out = graphseed(ws, &["seed", "--json"]);
        out.expect(0, "seed as root over mode-000 entries");
        assert_eq!(out.json()["counts"]["skip"], 3);
    }
    // Let the temp dir be removed.
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn unicode_and_spaces_in_names_derive_readable_ids(ws: &Ws) {
    copy_fixture(ws, "unicode");
    let json = ws.seed_ok(&[]);
    assert_eq!(json["counts"]["create"], 4, "{json:#}");
    let paths: Vec<(String, String)> = ws
        .episodes()
        .into_iter()
        .map(|e| (e.entity_id, e.source_path.unwrap()))
        .collect();
    for (id, path) in [
        ("notizen_cafe_menu", "Notizen/Café Menü.md"),
        // The same name in NFD (as macOS spells it) derives the same id part.
        ("nfd_cafe_menu", "nfd/Cafe\u{301} Menu\u{308}.md"),
        ("my_notes_some_file", "My Notes/some file.txt"),
        ("nihongo", "x/日本語.md"),
    ] {
        assert!(
            paths.contains(&(id.to_string(), path.to_string())),
            "({id}, {path}) not in {paths:?}"
        );
    }
    assert_eq!(ws.episode("notizen_cafe_menu").name, "Café");
    // An unchanged reseed parses nothing: the names hash and match as stored.
    assert_eq!(ws.seed_ok(&[])["files"]["parsed"], 0);

    // No Latin letter and no entity_id, or a name that is not UTF-8 at all:
    // errors naming the file, and nothing written.
    let before = snapshot(ws);
    copy_fixture(ws, "unicode_bad");
    let bad_name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(ws.root().join("x").join(bad_name), "latin-1 name\n").unwrap();
    let errors = fails_and_changes_nothing(ws, &before);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    let e = error_for(&errors, "src/x/中文.md");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("no entity_id can be derived"),
        "{e:#}"
    );
    assert!(e["hint"].as_str().unwrap().contains("entity_id"), "{e:#}");
    let e = errors
        .iter()
        .find(|e| e["message"].as_str().unwrap().contains("not UTF-8"))
        .unwrap_or_else(|| panic!("no error for the non-UTF-8 name: {errors:#?}"));
    assert!(
        e["path"].as_str().unwrap().starts_with("src/x/caf"),
        "{e:#}"
    );
}

fn cypher_punctuation_is_refused_as_an_id_and_inert_as_a_value(ws: &Ws) {
    let before = baseline(ws);
    copy_fixture(ws, "injection");
    let errors = fails_and_changes_nothing(ws, &before);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = error_for(&errors, "src/a/victim.json");
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("not snake_case") && msg.contains("DETACH DELETE"),
        "{msg}"
    );
    assert!(plan_text(ws).contains("error: src/a/victim.json:1: "));

    // The same punctuation as values and keys is just data: it travels as
    // $parameters and comes back byte for byte; nothing else is touched.
    ws.write("a/victim.json", r#"{"name": "victim", "v": 1}"#);
    let json = ws.seed_ok(&[]);
    assert_eq!(json["counts"]["create"], 1, "{json:#}");
    let e = ws.episode("b_punct");
    assert_eq!(e.name, "x'}) DETACH DELETE n //");
    let body: Value = serde_json::from_str(&e.body).unwrap();
    assert_eq!(
        body["content"],
        "MATCH (n) DETACH DELETE n; CALL dbms.shutdown()"
    );
    assert_eq!(
        body["key'}) SET n.pwned = true //"],
        "\"}]->(m) RETURN m //"
    );
    let after = ws.episodes();
    assert_eq!(after.len(), 3);
    for old in &before.episodes {
        assert!(after.contains(old), "{} changed", old.entity_id);
    }
    // A group name is checked before anything runs.
    let out = graphseed(ws, &["--group", "g'}) DETACH DELETE n //", "seed"]);
    out.expect(4, "a hostile --group");
    assert!(out.stderr.contains("invalid group"), "{}", out.stderr);
    assert_eq!(ws.episodes(), after);
}

/// An episode planted by hand with an entity_id that is not text, past the
/// first page of the hand-edit pass (1,000 episodes): keyset paging by text
/// cannot reach it, so the pages miss it and the count says so; the seed
/// then loads the group whole, which refuses the node by name. Nothing is
/// written, and the stored episodes are as before.
#[test]
fn a_non_text_entity_id_past_the_first_page_is_refused_not_skipped() {
    use crate::support::neo4j;
    use crate::support::workspace::{Backend, block_on};
    let Some(ws) = Ws::new(Backend::Neo4j, "planted_id") else {
        return;
    };
    for i in 0..1001 {
        ws.write(&format!("n/{i:04}.json"), format!(r#"{{"k": {i}}}"#));
    }
    ws.seed_ok(&[]);
    let before = ws.episodes();
    let by_hand = |cypher: &str| {
        block_on(async {
            let q = neo4rs::query(cypher).param("g", ws.group.as_str());
            neo4j::graph(&ws.uri).await.run(q).await.unwrap();
        })
    };
    by_hand("CREATE (:Episode {group_id: $g, entity_id: 5, content_hash: 'x'})");
    let out = ws.run(&["-vv", "seed"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("`entity_id`"), "{err}");
    assert!(err.contains("loading it whole"), "{err}");
    by_hand("MATCH (e:Episode {group_id: $g, entity_id: 5}) DELETE e");
    assert_eq!(ws.episodes(), before);
}
