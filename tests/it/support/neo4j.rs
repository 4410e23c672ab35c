//! A real Neo4j for the integration tests.
//!
//! # Use
//!
//! ```ignore
//! use crate::support::neo4j;
//!
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn my_test() {
//!     let Some(uri) = neo4j::neo4j_uri() else { return }; // prints "skipped: ..."
//!     let group = neo4j::unique_group("my_test");         // isolate this test's data
//!     let graph = neo4j::graph(&uri).await;               // neo4rs, for direct checks
//!     // ... run the CLI with --neo4j-uri $uri --group $group, query `graph` ...
//! }
//! ```
//!
//! # Where the server comes from ([`neo4j_uri`])
//!
//! 1. `GRAPHSEED_SKIP_NEO4J=1`: no server; `neo4j_uri()` prints
//!    `skipped: GRAPHSEED_SKIP_NEO4J=1` and returns `None`, the test returns early.
//!    CI refuses this variable, so it only ever skips on a developer's machine.
//! 2. `NEO4J_TEST_URI=bolt://host:port`: that server is used as is (start one by hand
//!    with `tools/neo4j-test-server/start.sh`, see its header). Optional
//!    `NEO4J_TEST_USER` / `NEO4J_TEST_PASSWORD` if it has auth on.
//! 3. Otherwise `tools/neo4j-test-server/start.sh` is started once per test binary
//!    (the first run builds it with Maven, hence the 300 s timeout), and every test
//!    of the binary shares it. If that fails the test PANICS with what is missing and
//!    the launcher's stderr tail: a missing Neo4j is never a silent pass.
//!
//! # Lifetime of the launched server
//!
//! The launcher's stdin is a pipe whose write end lives in a `static` here and is
//! never written to nor closed by us. When this test process exits (normally, by a
//! panic, or by SIGKILL) the kernel closes it, the launcher reads EOF and shuts Neo4j
//! down, deleting its temp data dir. That is why no `Drop` or atexit hook is needed,
//! and why a crashed test run cannot leak a JVM.
//!
//! # Isolation
//!
//! Community edition has one user database and the tests of this binary run in
//! parallel threads against it, so each test keeps to its own data: every node it
//! writes carries a `group_id` from [`unique_group`], and it deletes only that group.
//!
//! The launcher's full output goes to `$CARGO_TARGET_TMPDIR/neo4j-test-server.log`.

// Shared by all test modules of this binary; not every helper is used by every module.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// First run compiles the launcher with Maven and downloads Neo4j; later runs take seconds.
const START_TIMEOUT: Duration = Duration::from_secs(300);
const READY_PREFIX: &str = "GRAPHSEED_NEO4J_READY ";
const STDERR_TAIL_LINES: usize = 40;

/// A launcher started by this process. Never dropped: statics live until exit.
struct Launched {
    uri: String,
    /// The write end of the launcher's stdin. Holding it is what keeps the server
    /// alive; the OS closing it at process exit is what stops it.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

static SERVER: OnceLock<Result<Launched, String>> = OnceLock::new();
static EXTERNAL_ANNOUNCED: OnceLock<()> = OnceLock::new();

/// The Bolt URI of a Neo4j 5 for this test, or `None` if the user asked to skip
/// Neo4j tests (`GRAPHSEED_SKIP_NEO4J=1`; a "skipped" line is printed).
///
/// Panics if no server is configured and the launcher cannot start one.
pub fn neo4j_uri() -> Option<String> {
    if matches!(
        std::env::var("GRAPHSEED_SKIP_NEO4J").as_deref(),
        Ok("1") | Ok("true")
    ) {
        eprintln!("skipped: GRAPHSEED_SKIP_NEO4J=1");
        return None;
    }
    if let Ok(uri) = std::env::var("NEO4J_TEST_URI")
        && !uri.trim().is_empty()
    {
        EXTERNAL_ANNOUNCED.get_or_init(|| {
            say(&format!("neo4j tests use NEO4J_TEST_URI={uri}"));
        });
        return Some(uri.trim().to_owned());
    }
    // get_or_init blocks concurrent callers until the one start attempt is done. A
    // failure is stored, not retried: every test then fails at once with the same
    // message instead of each waiting out its own 300 s timeout.
    match SERVER.get_or_init(launch) {
        Ok(server) => Some(server.uri.clone()),
        Err(message) => panic!("{message}"),
    }
}

/// A group id unique to one test in this run, in the snake case graphseed requires
/// (`^[a-z0-9]+(_[a-z0-9]+)*$`): the prefix (lowercased, other characters turned into
/// `_`), the process id, a per-process counter and a few digits from the clock (so
/// two runs against one `NEO4J_TEST_URI` server do not collide either).
pub fn unique_group(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut clean = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if c.is_ascii_alphanumeric() {
            clean.push(c.to_ascii_lowercase());
        } else if !clean.is_empty() && !clean.ends_with('_') {
            clean.push('_');
        }
    }
    let clean = clean.trim_end_matches('_');
    let clean = if clean.is_empty() { "t" } else { clean };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let clock = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_micros() % 100_000)
        .unwrap_or(0);
    format!("{clean}_{}_{n}_{clock}", std::process::id())
}

/// A connected `neo4rs::Graph` for `uri`, checked with `RETURN 1`.
///
/// Credentials come from `NEO4J_TEST_USER` / `NEO4J_TEST_PASSWORD` (defaults
/// `neo4j` / `neo4j`; the launched server has auth off and accepts anything).
pub async fn graph(uri: &str) -> neo4rs::Graph {
    let user = std::env::var("NEO4J_TEST_USER").unwrap_or_else(|_| "neo4j".into());
    let password = std::env::var("NEO4J_TEST_PASSWORD").unwrap_or_else(|_| "neo4j".into());
    let config = neo4rs::ConfigBuilder::default()
        .uri(uri)
        .user(user)
        .password(password)
        .max_connections(8)
        .fetch_size(1000)
        .build()
        .expect("neo4rs config");
    let graph = neo4rs::Graph::connect(config)
        .unwrap_or_else(|e| panic!("cannot create a neo4rs Graph for {uri}: {e}"));
    let mut rows = graph
        .execute(neo4rs::query("RETURN 1 AS one"))
        .await
        .unwrap_or_else(|e| panic!("cannot reach Neo4j at {uri}: {e}"));
    let row = rows
        .next()
        .await
        .unwrap_or_else(|e| panic!("cannot query Neo4j at {uri}: {e}"))
        .expect("RETURN 1 gave no row");
    assert_eq!(row.get::<i64>("one").expect("column one"), 1);
    graph
}

/// Path of the launcher script in this checkout.
pub fn launcher_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/neo4j-test-server/start.sh")
}

/// Writes straight to fd 2, bypassing libtest's output capture, so timing and
/// launcher progress show up in CI logs even without `--nocapture`.
fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

fn log_path() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("neo4j-test-server.log")
}

enum StdoutEvent {
    Ready(String),
    Eof,
    Error(String),
}

fn launch() -> Result<Launched, String> {
    let script = launcher_script();
    let log_path = log_path();
    let started = Instant::now();
    say(&format!(
        "starting neo4j test server: {} (log: {})",
        script.display(),
        log_path.display()
    ));

    let log = Arc::new(Mutex::new(File::create(&log_path).ok()));
    let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();

    let mut child = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Own process group: on a start failure we can kill the whole group (bash,
        // Maven, the JVM) at once. A Ctrl-C on `cargo test` does not reach it; the
        // launcher still stops because this process dies and its stdin hits EOF.
        .process_group(0)
        .spawn()
        .map_err(|e| {
            failure_message(
                &format!("cannot run `bash {}`: {e}", script.display()),
                &tail,
                &log_path,
            )
        })?;
    let pid = child.id();
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");

    // stderr: drained for the whole life of the launcher (a full pipe would block
    // it), copied to the log, last lines kept for error messages, and the
    // launcher's own progress lines (Maven build, ready, shutdown) shown live.
    {
        let log = Arc::clone(&log);
        let tail = Arc::clone(&tail);
        thread::Builder::new()
            .name("neo4j-launcher-stderr".into())
            .spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if line.starts_with("neo4j-test-server:") {
                        say(&line);
                    }
                    write_log(&log, &line);
                    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                    if tail.len() == STDERR_TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            })
            .expect("spawn stderr reader");
    }

    // stdout: the ready line, then drained (to the log) until the launcher exits.
    let (tx, rx) = mpsc::channel();
    {
        let log = Arc::clone(&log);
        thread::Builder::new()
            .name("neo4j-launcher-stdout".into())
            .spawn(move || {
                let mut reader = BufReader::new(stdout);
                let mut sent = false;
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) => break,
                        Ok(_) => {
                            let line = line.trim_end().to_owned();
                            write_log(&log, &format!("[stdout] {line}"));
                            if !sent && let Some(rest) = line.strip_prefix(READY_PREFIX) {
                                sent = true;
                                let _ = tx.send(StdoutEvent::Ready(rest.to_owned()));
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(StdoutEvent::Error(e.to_string()));
                            return;
                        }
                    }
                }
                let _ = tx.send(StdoutEvent::Eof);
            })
            .expect("spawn stdout reader");
    }

    let outcome = match rx.recv_timeout(START_TIMEOUT) {
        Ok(StdoutEvent::Ready(rest)) => Ok(rest),
        Ok(StdoutEvent::Eof) => {
            // Give the stderr reader a moment to collect the launcher's last words.
            let status = wait_briefly(&mut child);
            thread::sleep(Duration::from_millis(200));
            Err(format!(
                "the launcher exited before it was ready ({status})"
            ))
        }
        Ok(StdoutEvent::Error(e)) => Err(format!("reading the launcher's stdout failed: {e}")),
        Err(_) => Err(format!(
            "the launcher printed no ready line within {} s",
            START_TIMEOUT.as_secs()
        )),
    };

    let rest = match outcome {
        Ok(rest) => rest,
        Err(why) => {
            kill_group(pid);
            let _ = child.wait();
            return Err(failure_message(&why, &tail, &log_path));
        }
    };
    // "<uri> <version>"
    let mut parts = rest.split_whitespace();
    let uri = parts.next().unwrap_or_default().to_owned();
    let version = parts.next().unwrap_or("unknown").to_owned();
    if !uri.starts_with("bolt://") {
        kill_group(pid);
        let _ = child.wait();
        return Err(failure_message(
            &format!("malformed ready line: {READY_PREFIX}{rest}"),
            &tail,
            &log_path,
        ));
    }
    say(&format!(
        "neo4j test server ready in {:.1}s at {uri} (Neo4j {version}, pid {pid})",
        started.elapsed().as_secs_f64()
    ));
    Ok(Launched {
        uri,
        _stdin: Mutex::new(stdin),
        _child: Mutex::new(child),
    })
}

fn write_log(log: &Mutex<Option<File>>, line: &str) {
    if let Some(file) = log.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
        let _ = writeln!(file, "{line}");
    }
}

fn wait_briefly(child: &mut Child) -> String {
    for _ in 0..50 {
        match child.try_wait() {
            Ok(Some(status)) => return status.to_string(),
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(e) => return format!("wait failed: {e}"),
        }
    }
    "still running".into()
}

/// Kills the launcher's process group (bash, a running Maven, the JVM).
fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

fn failure_message(why: &str, tail: &Mutex<VecDeque<String>>, log_path: &Path) -> String {
    let tail = tail.lock().unwrap_or_else(|p| p.into_inner());
    let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
    format!(
        "could not start the Neo4j test server: {why}\n\
         \n\
         The integration tests need a real Neo4j 5. Either:\n\
         - install Java 17+ and Maven 3 (e.g. `apt-get install openjdk-17-jdk-headless maven`) \
         so that {script} can build and start one (Maven Central must be reachable on the first run), or\n\
         - point the tests at a running server: NEO4J_TEST_URI=bolt://127.0.0.1:7687 \
         (plus NEO4J_TEST_USER / NEO4J_TEST_PASSWORD if it has auth), or\n\
         - skip them knowingly on a dev machine: GRAPHSEED_SKIP_NEO4J=1 (CI refuses this).\n\
         \n\
         full launcher log: {log}\n\
         launcher stderr (last {n} lines):\n{tail}",
        script = launcher_script().display(),
        log = log_path.display(),
        n = tail.len(),
        tail = if tail.is_empty() {
            "  (nothing)".to_owned()
        } else {
            tail.iter()
                .map(|l| format!("  | {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        },
    )
}

/// Run one statement (e.g. a documented `cypher/provenance_*.cypher`) for a
/// group over Bolt and collect its rows.
pub fn rows(
    uri: &str,
    group: &str,
    text: &'static str,
    params: Vec<(&'static str, neo4rs::BoltType)>,
) -> Vec<neo4rs::Row> {
    let (uri, group) = (uri.to_string(), group.to_string());
    super::workspace::block_on(async move {
        let g = graph(&uri).await;
        let mut q = neo4rs::query(text).param("group_id", group);
        for (k, v) in params {
            q = q.param(k, v);
        }
        let mut stream = g.execute(q).await.unwrap();
        let mut rows = Vec::new();
        while let Some(row) = stream.next().await.unwrap() {
            rows.push(row);
        }
        rows
    })
}

#[cfg(test)]
mod tests {
    use super::unique_group;

    fn is_snake(s: &str) -> bool {
        !s.is_empty()
            && s.split('_').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    }

    #[test]
    fn unique_group_is_snake_case_and_unique() {
        let a = unique_group("Smoke Test--Bulk");
        let b = unique_group("Smoke Test--Bulk");
        assert!(is_snake(&a), "{a}");
        assert!(a.starts_with("smoke_test_bulk_"), "{a}");
        assert_ne!(a, b);
        for p in ["", "__", "-x-", "ÄÖ", "a"] {
            let g = unique_group(p);
            assert!(is_snake(&g), "{p:?} -> {g}");
        }
    }
}
