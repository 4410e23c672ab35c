//! The Neo4j password never leaves the process (issue "Reliability: hostile
//! input, secrets, TLS", part 2): not on stdout or stderr at any verbosity,
//! not in run records (`runs --json`, the `SeedRun` node and every other
//! property of the group read back with Cypher), not in the audit files under
//! `.graphseed/`, not in argv. A password given the wrong way (`--password`,
//! inside the URI) is refused without being echoed, and an unreachable target
//! does not print it either.
//!
//! The test Neo4j runs with auth disabled, so it accepts any password: the
//! runs below really connect and write with it.
//!
//! Panics: every process runs with `RUST_BACKTRACE=1` and must not panic;
//! what a panic would print is covered by `Secret`'s redacting `Debug` /
//! `Display` (unit tests in `src/stores/target.rs`), since no input can
//! provoke one on purpose.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::hostile::{Outcome, run_timed};
use crate::support::neo4j;
use crate::support::workspace::{Backend, Ws, block_on};

/// Distinctive enough that no other output contains it by chance.
const PW: &str = "Gs-pw-7f3a9c-SECRET";
const DEADLINE: Duration = Duration::from_secs(90);

fn assert_no_password(what: &str, text: &str) {
    assert!(!text.contains(PW), "{what} shows the password:\n{text}");
}

fn check(out: &Outcome, what: &str) {
    assert_no_password(&format!("{what}: stdout"), &out.stdout);
    assert_no_password(&format!("{what}: stderr"), &out.stderr);
    assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
}

/// Run graphseed in the workspace with the password in the environment.
fn with_env_password(ws: &Ws, args: &[&str]) -> Outcome {
    let mut cmd = ws.process();
    cmd.env("NEO4J_PASSWORD", PW).args(args);
    let out = run_timed(cmd, DEADLINE);
    check(&out, &format!("NEO4J_PASSWORD graphseed {args:?}"));
    out
}

/// Every file under `dir` (the audit trail, the state dir, a SQLite file),
/// read as bytes: none may hold the password.
fn assert_no_file_holds_the_password(dir: &Path, except: Option<&Path>) {
    let mut seen = 0;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() || Some(entry.path()) == except {
            continue;
        }
        seen += 1;
        let bytes = std::fs::read(entry.path()).unwrap();
        assert!(
            !bytes.windows(PW.len()).any(|w| w == PW.as_bytes()),
            "{} holds the password",
            entry.path().display()
        );
    }
    assert!(seen > 0, "no files under {}", dir.display());
}

/// Every property of the group's runs, episodes and provenance links, as the
/// database holds them.
fn graph_properties(ws: &Ws) -> String {
    block_on(async {
        let graph = neo4j::graph(&ws.uri).await;
        let mut text = String::new();
        for q in [
            "MATCH (r:SeedRun {group_id: $g}) RETURN properties(r) AS p",
            "MATCH (e:Episode {group_id: $g}) RETURN properties(e) AS p",
            "MATCH (:Episode {group_id: $g})-[w:WRITTEN_BY]->() RETURN properties(w) AS p",
        ] {
            let mut rows = graph
                .execute(neo4rs::query(q).param("g", ws.group.as_str()))
                .await
                .unwrap();
            let mut n = 0;
            while let Some(row) = rows.next().await.unwrap() {
                let p: neo4rs::BoltType = row.get("p").unwrap();
                text.push_str(&format!("{p:?}\n"));
                n += 1;
            }
            assert!(n > 0, "nothing matched {q}");
        }
        text
    })
}

#[test]
fn env_password_never_shows_in_output_records_or_files() {
    let Some(ws) = Ws::new(Backend::Neo4j, "secrets_env") else {
        return;
    };
    ws.write("a/one.md", "one\n");
    // Every verbosity, human and JSON, and a real write each time.
    for (i, v) in ["", "-v", "-vv", "-vvv"].into_iter().enumerate() {
        ws.write(&format!("a/extra_{i}.md"), format!("extra {i}\n"));
        for json in [false, true] {
            let mut args = vec!["seed"];
            if !v.is_empty() {
                args.push(v);
            }
            if json {
                args.push("--json");
                ws.write(&format!("a/json_{i}.md"), format!("json {i}\n"));
            }
            with_env_password(&ws, &args).expect(0, "seed");
            let mut plan = args.clone();
            plan[0] = "plan";
            with_env_password(&ws, &plan).expect(0, "plan");
        }
    }
    let runs = with_env_password(&ws, &["runs", "--json", "-vvv"]);
    runs.expect(0, "runs");
    let run_id = runs.json()[0]["run_id"].as_str().unwrap().to_string();
    for args in [
        &["runs", &run_id, "--json", "-vvv"][..],
        &["runs", &run_id],
        &["status", "-vvv"],
        &["status", "--json"],
        &["provenance", "--json", "-vvv"],
        &["unlock", "-vvv"],
    ] {
        let out = with_env_password(&ws, args);
        assert!(
            matches!(out.code, Some(0)),
            "{args:?}: {}\n{}",
            out.stdout,
            out.stderr
        );
    }
    // Whatever they conclude (their exit codes are theirs to test), the
    // checking commands print no password either.
    for args in [&["validate", "-vvv"][..], &["verify", "-vvv", "--json"]] {
        with_env_password(&ws, args);
    }
    assert_no_password("the graph's properties", &graph_properties(&ws));
    assert_no_file_holds_the_password(&ws.path().join(".graphseed"), None);
    assert_no_file_holds_the_password(ws.path(), None);
}

#[test]
fn password_file_never_shows_in_output_records_or_files() {
    let Some(ws) = Ws::new(Backend::Neo4j, "secrets_file") else {
        return;
    };
    let pw_file = ws.path().join("neo4j-password");
    // With the trailing newline an editor adds: not part of the password.
    std::fs::write(&pw_file, format!("{PW}\n")).unwrap();
    ws.write("a/one.md", "one\n");
    for v in ["-v", "-vvv"] {
        ws.write(&format!("a/{}.md", v.len()), "more\n");
        let mut cmd = ws.process();
        cmd.args(["--password-file", pw_file.to_str().unwrap(), "seed", v]);
        let out = run_timed(cmd, DEADLINE);
        check(&out, "seed --password-file");
        out.expect(0, "seed --password-file");
    }
    let mut cmd = ws.process();
    cmd.args([
        "--password-file",
        pw_file.to_str().unwrap(),
        "runs",
        "--json",
    ]);
    let out = run_timed(cmd, DEADLINE);
    check(&out, "runs --password-file");
    out.expect(0, "runs");
    assert_no_password("the graph's properties", &graph_properties(&ws));
    assert_no_file_holds_the_password(ws.path(), Some(&pw_file));

    // A password file that cannot be read is named, its content never shown.
    let mut cmd = ws.process();
    cmd.args(["--password-file", "/nonexistent/neo4j-password", "status"]);
    let out = run_timed(cmd, DEADLINE);
    check(&out, "missing password file");
    out.expect(4, "missing password file");
    assert!(
        out.stderr.contains("/nonexistent/neo4j-password"),
        "{}",
        out.stderr
    );
}

#[test]
fn password_flag_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let joined = format!("--password={PW}");
    for args in [
        vec!["--password", PW, "status"],
        vec![joined.as_str(), "status"],
        vec!["--json", "--password", PW, "seed", "-vvv"],
    ] {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
        cmd.current_dir(dir.path())
            .env_remove("NEO4J_PASSWORD")
            .args(["--uri", "bolt://127.0.0.1:7687"])
            .args(&args);
        let out = run_timed(cmd, DEADLINE);
        check(&out, &format!("{args:?}"));
        out.expect(4, "--password");
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(all.contains("--password is refused"), "{all}");
        assert!(
            all.contains("NEO4J_PASSWORD"),
            "the hint names the way: {all}"
        );
    }
}

#[test]
fn credentials_in_the_uri_are_refused_without_echoing_them() {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin!("graphseed");
    let uris = [
        format!("bolt://neo4j:{PW}@127.0.0.1:7687"),
        format!("neo4j+s://neo4j:{PW}@db.example.com"),
        format!("bolt+ssc://{PW}@db.example.com:7687/neo4j"),
    ];
    for uri in &uris {
        // As a flag, from the environment, and from graphseed.toml.
        let mut flag = Command::new(bin);
        flag.current_dir(dir.path()).args(["--uri", uri, "status"]);
        let mut env = Command::new(bin);
        env.current_dir(dir.path())
            .env("NEO4J_URI", uri)
            .args(["status", "--json"]);
        let cfg_dir = tempfile::tempdir().unwrap();
        std::fs::write(
            cfg_dir.path().join("graphseed.toml"),
            format!("[target]\nuri = \"{uri}\"\n"),
        )
        .unwrap();
        let mut file = Command::new(bin);
        file.current_dir(cfg_dir.path()).args(["status", "-vvv"]);
        for (how, cmd) in [("flag", flag), ("env", env), ("config", file)] {
            let out = run_timed(cmd, DEADLINE);
            check(&out, &format!("{how} {uri}"));
            out.expect(4, how);
            let all = format!("{}{}", out.stdout, out.stderr);
            assert!(all.contains("carries credentials in the URI"), "{all}");
        }
    }
}

/// A TCP port that accepts connections and never answers: a Bolt handshake
/// there waits until graphseed's own timeout. The listener lives as long as
/// the returned value.
struct Silent {
    port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn silent_server() -> Silent {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(conn); // never read, never written, never closed
        }
    });
    Silent { port, accepted }
}

#[test]
fn an_unreachable_target_never_prints_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let silent = silent_server();
    let refused = {
        // Bound then dropped: nothing listens there any more.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for uri in [
        format!("bolt://127.0.0.1:{refused}"),
        format!("bolt://127.0.0.1:{}", silent.port),
        "bolt://neo4j.invalid:7687".to_string(),
        "neo4j+s://neo4j.invalid:7687".to_string(),
    ] {
        for extra in [&["-vvv"][..], &["--json"]] {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
            cmd.current_dir(dir.path())
                .env("NEO4J_PASSWORD", PW)
                .args(["--uri", &uri, "--connection-timeout", "2", "seed"])
                .args(["--root", ".", "--seed-version", "1.0.0"])
                .args(extra);
            let out = run_timed(cmd, DEADLINE);
            check(&out, &uri);
            out.expect(9, &uri);
            assert!(out.stderr.contains("cannot reach"), "{uri}: {}", out.stderr);
        }
    }
}

fn cmdline(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(String::from_utf8_lossy(&raw).replace('\0', " "))
}

/// `ps` shows every user every process's argv: the password must not be in
/// it, whichever way it was given. Checked on a seed held mid-connect by a
/// server that never answers (so it has read its password and is using it).
#[test]
fn argv_of_a_running_seed_never_holds_the_password() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src/a")).unwrap();
    std::fs::write(dir.path().join("src/a/x.md"), "x\n").unwrap();
    let pw_file = dir.path().join("pw");
    std::fs::write(&pw_file, PW).unwrap();
    let silent = silent_server();
    let uri = format!("bolt://127.0.0.1:{}", silent.port);
    for use_file in [false, true] {
        let before = silent.accepted.load(std::sync::atomic::Ordering::SeqCst);
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
        cmd.current_dir(dir.path())
            .args(["--uri", &uri, "--connection-timeout", "60"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if use_file {
            cmd.env_remove("NEO4J_PASSWORD")
                .args(["--password-file", pw_file.to_str().unwrap()]);
        } else {
            cmd.env("NEO4J_PASSWORD", PW);
        }
        cmd.args(["seed", "--root", "src", "--seed-version", "1.0.0", "-vvv"]);
        let mut child = cmd.spawn().unwrap();
        let pid = child.id();
        let started = Instant::now();
        // Wait until it is connecting, i.e. has resolved its password.
        while silent.accepted.load(std::sync::atomic::Ordering::SeqCst) == before {
            assert!(
                started.elapsed() < DEADLINE,
                "graphseed never connected to the silent server"
            );
            assert!(
                child.try_wait().unwrap().is_none(),
                "graphseed exited early"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let argv = cmdline(pid).expect("the process is running");
        assert!(argv.contains("seed"), "{argv}");
        assert_no_password(&format!("/proc/{pid}/cmdline"), &argv);
        // Done: stop our own child and read what it printed.
        child.kill().unwrap();
        child.wait().unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_no_password("stderr", &err);
    }
}
