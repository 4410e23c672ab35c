//! A Neo4j server of a test's own, for tests that must not share the
//! database with the others (a restart; a graph state that would make every
//! other test's `seed` refuse).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::neo4j;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Neo4j of its own (the restart test, the WRITTEN_BY migration test), from the same launcher as the
/// shared one, on a fixed port and a kept data dir so that a restart finds
/// the same database at the same address. Its stdin pipe is held (not
/// `--ignore-stdin`): if this test process dies, the kernel closes the pipe
/// and the server stops, so a failed test cannot leak a JVM. Stopped with
/// SIGTERM (the launcher's clean shutdown).
pub struct DedicatedNeo4j {
    child: Child,
    _stdin: ChildStdin,
    pub uri: String,
}

impl DedicatedNeo4j {
    pub fn start(data: &Path, port: u16) -> DedicatedNeo4j {
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("neo4j-restart-{port}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut child = Command::new("bash")
            .arg(neo4j::launcher_script())
            .args(["--port", &port.to_string(), "--data-dir"])
            .arg(data)
            .args(["--pagecache-mb", "128"])
            .env("NEO4J_TEST_HEAP", "1g")
            // C1 only: starts in ~17 s instead of ~28 s on two cores, and
            // this server lives for a few thousand small transactions.
            .env("NEO4J_TEST_JAVA_OPTS", "-XX:TieredStopAtLevel=1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the Neo4j launcher");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("GRAPHSEED_NEO4J_READY ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
            }
        });
        let uri = rx
            .recv_timeout(Duration::from_secs(240))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("the dedicated Neo4j on port {port} did not start (see target/tmp/neo4j-restart-{port}.log)")
            });
        assert_eq!(uri, format!("bolt://127.0.0.1:{port}"));
        DedicatedNeo4j {
            child,
            _stdin: stdin,
            uri,
        }
    }

    /// SIGTERM and wait (SIGKILL after a minute).
    pub fn stop(&mut self) {
        if self.child.try_wait().unwrap().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if start.elapsed() > Duration::from_secs(60) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DedicatedNeo4j {
    fn drop(&mut self) {
        self.stop();
    }
}
