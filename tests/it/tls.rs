//! TLS to Neo4j (issue "Reliability: hostile input, secrets, TLS", part 3),
//! against a second, TLS-only Neo4j: the launcher's `--tls` makes a
//! self-signed certificate at start and sets `server.bolt.tls_level=REQUIRED`.
//!
//! - `bolt+s://` verifies the certificate against the system roots: it is
//!   not trusted, so graphseed exits 9 and says so, naming `+ssc`.
//! - `bolt+ssc://` (and `neo4j+ssc://`) encrypt without verifying: seeding
//!   works end to end.
//! - plaintext `bolt://` to that server is refused by the server, and
//!   graphseed says TLS is required.
//! - plaintext `bolt://` to a host that is not this machine warns on stderr
//!   before connecting (the host here cannot resolve, so it fails fast).
//!
//! The server is started once for this module and stops with the test
//! process (its stdin pipe closes), like the main one in `support/neo4j.rs`.
//! `NEO4J_TEST_TLS_URI=bolt+ssc://host:port` uses a running one instead;
//! `GRAPHSEED_SKIP_NEO4J=1` skips these tests as it skips the others.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::Duration;

use crate::hostile::{Outcome, run_timed};
use crate::support::neo4j;
use crate::support::workspace::{Backend, Ws};

const DEADLINE: Duration = Duration::from_secs(120);
const START_TIMEOUT: Duration = Duration::from_secs(300);

struct TlsServer {
    /// `127.0.0.1:port`
    addr: String,
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

static SERVER: OnceLock<Result<TlsServer, String>> = OnceLock::new();

/// `host:port` of a Neo4j that requires TLS, or `None` when Neo4j tests are
/// skipped. Panics when it cannot be started.
fn tls_addr() -> Option<String> {
    if matches!(
        std::env::var("GRAPHSEED_SKIP_NEO4J").as_deref(),
        Ok("1") | Ok("true")
    ) {
        eprintln!("skipped: GRAPHSEED_SKIP_NEO4J=1");
        return None;
    }
    if let Ok(uri) = std::env::var("NEO4J_TEST_TLS_URI")
        && let Some((_, addr)) = uri.trim().split_once("://")
    {
        return Some(addr.trim_end_matches('/').to_string());
    }
    match SERVER.get_or_init(launch) {
        Ok(s) => Some(s.addr.clone()),
        Err(e) => panic!("{e}"),
    }
}

fn launch() -> Result<TlsServer, String> {
    let log_path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("neo4j-test-server-tls.log");
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let mut child = Command::new("bash")
        .arg(neo4j::launcher_script())
        .args(["--tls", "--pagecache-mb", "64"])
        // A second JVM next to the main test server: keep it small.
        .env("NEO4J_TEST_HEAP", "768m")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .map_err(|e| format!("cannot start the TLS test server: {e}"))?;
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(rest) = line.strip_prefix("GRAPHSEED_NEO4J_READY ") {
                sent = true;
                let _ = tx.send(rest.to_string());
            }
        }
    });
    let fail = |why: String| {
        format!(
            "could not start the TLS Neo4j test server: {why}\n(launcher log: {})\n\
             It needs what the main test server needs (Java 17+, Maven); see tests/it/support/neo4j.rs.",
            log_path.display()
        )
    };
    let rest = match rx.recv_timeout(START_TIMEOUT) {
        Ok(rest) => rest,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(fail("no ready line".into()));
        }
    };
    // "bolt+ssc://127.0.0.1:<port> <version>"
    let uri = rest.split_whitespace().next().unwrap_or_default();
    let Some(addr) = uri.strip_prefix("bolt+ssc://") else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(fail(format!("unexpected ready line: {rest}")));
    };
    let _ = writeln!(std::io::stderr(), "TLS neo4j test server ready at {uri}");
    Ok(TlsServer {
        addr: addr.to_string(),
        _stdin: Mutex::new(stdin),
        _child: Mutex::new(child),
    })
}

/// A workspace aimed at the TLS server through `scheme`, with a unique group
/// and one source file. `init` is not run here: it would connect.
fn workspace(scheme: &str, name: &str) -> Option<Ws> {
    let addr = tls_addr()?;
    let ws = Ws {
        dir: tempfile::tempdir().unwrap(),
        backend: Backend::Neo4j,
        group: neo4j::unique_group(name),
        uri: format!("{scheme}://{addr}"),
    };
    std::fs::create_dir_all(ws.root()).unwrap();
    ws.set_version("1.0.0");
    ws.write("notes/tls.md", "---\ntitle: Over TLS\n---\nencrypted\n");
    Some(ws)
}

fn graphseed(ws: &Ws, args: &[&str]) -> Outcome {
    let mut cmd = ws.process();
    cmd.args(["--connection-timeout", "30"]).args(args);
    run_timed(cmd, DEADLINE)
}

#[test]
fn bolt_ssc_seeds_over_tls_with_a_self_signed_certificate() {
    for scheme in ["bolt+ssc", "neo4j+ssc"] {
        let Some(ws) = workspace(scheme, scheme) else {
            return;
        };
        graphseed(&ws, &["init"]).expect(0, "init over +ssc");
        let out = graphseed(&ws, &["seed", "--json"]);
        out.expect(0, "seed over +ssc");
        assert_eq!(out.json()["counts"]["create"], 1);
        assert!(!out.stderr.contains("warning"), "{}", out.stderr);
        // Read back through the library over the same TLS URI.
        let eps = ws.episodes();
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].entity_id, "notes_tls");
        assert_eq!(
            graphseed(&ws, &["seed", "--json"]).json()["counts"]["skip"],
            1
        );
    }
}

#[test]
fn bolt_s_refuses_an_untrusted_certificate_with_a_clear_message() {
    let Some(ws) = workspace("bolt+s", "bolt_s") else {
        return;
    };
    for args in [&["init"][..], &["seed"], &["status", "--json"]] {
        let out = graphseed(&ws, args);
        out.expect(9, "bolt+s against a self-signed certificate");
        let err = &out.stderr;
        assert!(
            err.contains("TLS handshake failed") && err.contains("invalid peer certificate"),
            "{err}"
        );
        assert!(
            err.contains("UnknownIssuer"),
            "not trusted, said plainly: {err}"
        );
        assert!(err.contains("bolt+ssc://"), "names the way out: {err}");
    }
    // Nothing was written: the same group seen over +ssc is empty.
    let ssc = Ws {
        dir: tempfile::tempdir().unwrap(),
        backend: Backend::Neo4j,
        group: ws.group.clone(),
        uri: ws.uri.replace("bolt+s://", "bolt+ssc://"),
    };
    assert!(ssc.episodes().is_empty());
}

#[test]
fn plaintext_bolt_to_a_tls_only_server_says_tls_is_required() {
    let Some(ws) = workspace("bolt", "bolt_plain") else {
        return;
    };
    let out = graphseed(&ws, &["status"]);
    out.expect(9, "bolt:// against a TLS-only server");
    assert!(
        out.stderr
            .contains("if it requires TLS use bolt+s:// or neo4j+s://"),
        "{}",
        out.stderr
    );
    // Loopback: no plaintext warning.
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

/// No server needed: the host is not this machine, so the warning comes
/// first, and `.invalid` never resolves, so the run fails fast after it.
#[test]
fn plaintext_to_a_remote_host_warns_and_encrypted_or_local_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let run = |uri: &str| {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("graphseed"));
        cmd.current_dir(dir.path())
            .env("NEO4J_PASSWORD", "pw")
            .args(["--uri", uri, "--connection-timeout", "5", "status"]);
        run_timed(cmd, DEADLINE)
    };
    for uri in ["bolt://neo4j.invalid:7687", "neo4j://NEO4J.INVALID"] {
        let out = run(uri);
        out.expect(9, uri);
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("warning:")
                && first.contains("is not encrypted and not on this machine"),
            "{uri}: {}",
            out.stderr
        );
        assert!(first.contains("bolt+s://"), "{first}");
    }
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for uri in [
        "bolt+s://neo4j.invalid:7687".to_string(),
        "neo4j+ssc://neo4j.invalid".to_string(),
        format!("bolt://127.0.0.1:{refused}"),
        format!("bolt://localhost:{refused}"),
        format!("bolt://[::1]:{refused}"),
    ] {
        let out = run(&uri);
        out.expect(9, &uri);
        assert!(!out.stderr.contains("warning"), "{uri}: {}", out.stderr);
    }
}
