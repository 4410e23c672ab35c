//! A scripted Bolt server, for what one real Neo4j cannot stage: a cluster
//! follower that answers writes with `NotALeader`, a leader that moves
//! between connections, and a look at the HELLO the driver sends.
//!
//! It speaks just enough Bolt 4.4 (the newest version neo4rs 0.9 offers) for
//! graphseed's traffic: the handshake, chunked messages, PackStream values,
//! and HELLO / RUN / PULL / DISCARD / BEGIN / COMMIT / ROLLBACK / RESET /
//! GOODBYE, with the server's FAILED state (every request after a FAILURE is
//! IGNORED until RESET), which the driver relies on.
//!
//! Each test hands [`Stub::start`] a [`Script`] that answers every RUN, and
//! reads back what the stub saw through [`Stub::log`]: the HELLO of each
//! connection, every RUN, and the RUNs of committed transactions (so a test
//! can count the writes that really committed).
//!
//! The server runs on a thread of its own with its own runtime, so it serves
//! a library call in the test's runtime and the real binary alike. It listens
//! on 127.0.0.1 only and stops when the [`Stub`] is dropped.

#![allow(dead_code)]

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

// ---------------------------------------------------------------------------
// PackStream values
// ---------------------------------------------------------------------------

/// A PackStream value, as far as the stub needs one.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Bytes(Vec<u8>),
    String(String),
    List(Vec<Value>),
    /// In the order sent.
    Map(Vec<(String, Value)>),
    /// A structure (temporal values and the like): tag and fields.
    Struct(u8, Vec<Value>),
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

/// A list of strings, e.g. a `labelsOrTypes` column.
pub fn strings(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

fn encode(v: &Value, out: &mut Vec<u8>) {
    fn size_header(out: &mut Vec<u8>, len: usize, tiny: u8, m8: u8, m16: u8, m32: u8) {
        if len < 16 && tiny != 0 {
            out.push(tiny | len as u8);
        } else if len <= u8::MAX as usize && m8 != 0 {
            out.extend_from_slice(&[m8, len as u8]);
        } else if len <= u16::MAX as usize {
            out.push(m16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(m32);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
    match v {
        Value::Null => out.push(0xC0),
        Value::Bool(false) => out.push(0xC2),
        Value::Bool(true) => out.push(0xC3),
        Value::Int(i) => {
            let i = *i;
            if (-16..=127).contains(&i) {
                out.push(i as i8 as u8);
            } else if i8::try_from(i).is_ok() {
                out.extend_from_slice(&[0xC8, i as i8 as u8]);
            } else if let Ok(i) = i16::try_from(i) {
                out.push(0xC9);
                out.extend_from_slice(&i.to_be_bytes());
            } else if let Ok(i) = i32::try_from(i) {
                out.push(0xCA);
                out.extend_from_slice(&i.to_be_bytes());
            } else {
                out.push(0xCB);
                out.extend_from_slice(&i.to_be_bytes());
            }
        }
        Value::Float(f) => {
            out.push(0xC1);
            out.extend_from_slice(&f.to_be_bytes());
        }
        Value::Bytes(b) => {
            size_header(out, b.len(), 0, 0xCC, 0xCD, 0xCE);
            out.extend_from_slice(b);
        }
        Value::String(s) => {
            size_header(out, s.len(), 0x80, 0xD0, 0xD1, 0xD2);
            out.extend_from_slice(s.as_bytes());
        }
        Value::List(items) => {
            size_header(out, items.len(), 0x90, 0xD4, 0xD5, 0xD6);
            items.iter().for_each(|i| encode(i, out));
        }
        Value::Map(entries) => {
            size_header(out, entries.len(), 0xA0, 0xD8, 0xD9, 0xDA);
            for (k, v) in entries {
                encode(&Value::String(k.clone()), out);
                encode(v, out);
            }
        }
        Value::Struct(tag, fields) => {
            assert!(fields.len() < 16, "the stub sends small structures only");
            out.push(0xB0 | fields.len() as u8);
            out.push(*tag);
            fields.iter().for_each(|f| encode(f, out));
        }
    }
}

/// Reads PackStream from a message's bytes; `Err` names what is malformed.
struct Decoder<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at + n;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| format!("message ends inside a value at byte {}", self.at))?;
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn len(&mut self, width: usize) -> Result<usize, String> {
        let b = self.take(width)?;
        Ok(b.iter().fold(0usize, |acc, &x| (acc << 8) | x as usize))
    }

    fn int(&mut self, width: usize) -> Result<i64, String> {
        let b = self.take(width)?;
        let mut buf = [0u8; 8];
        buf[8 - width..].copy_from_slice(b);
        // Sign-extend from `width` bytes.
        let shift = 64 - 8 * width as u32;
        Ok((i64::from_be_bytes(buf) << shift) >> shift)
    }

    fn string(&mut self, n: usize) -> Result<Value, String> {
        let b = self.take(n)?;
        String::from_utf8(b.to_vec())
            .map(Value::String)
            .map_err(|e| format!("string is not UTF-8: {e}"))
    }

    fn list(&mut self, n: usize) -> Result<Value, String> {
        (0..n)
            .map(|_| self.value())
            .collect::<Result<_, _>>()
            .map(Value::List)
    }

    fn map(&mut self, n: usize) -> Result<Value, String> {
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let key = match self.value()? {
                Value::String(s) => s,
                other => return Err(format!("map key is not a string: {other:?}")),
            };
            entries.push((key, self.value()?));
        }
        Ok(Value::Map(entries))
    }

    fn structure(&mut self, n: usize) -> Result<Value, String> {
        let tag = self.u8()?;
        let fields = (0..n).map(|_| self.value()).collect::<Result<_, _>>()?;
        Ok(Value::Struct(tag, fields))
    }

    fn value(&mut self) -> Result<Value, String> {
        let m = self.u8()?;
        Ok(match m {
            0x00..=0x7F => Value::Int(m as i64),
            0xF0..=0xFF => Value::Int(m as i8 as i64),
            0x80..=0x8F => self.string((m & 0x0F) as usize)?,
            0x90..=0x9F => self.list((m & 0x0F) as usize)?,
            0xA0..=0xAF => self.map((m & 0x0F) as usize)?,
            0xB0..=0xBF => self.structure((m & 0x0F) as usize)?,
            0xC0 => Value::Null,
            0xC1 => Value::Float(f64::from_be_bytes(self.take(8)?.try_into().unwrap())),
            0xC2 => Value::Bool(false),
            0xC3 => Value::Bool(true),
            0xC8 => Value::Int(self.int(1)?),
            0xC9 => Value::Int(self.int(2)?),
            0xCA => Value::Int(self.int(4)?),
            0xCB => Value::Int(self.int(8)?),
            0xCC..=0xCE => {
                let n = self.len(1 << (m - 0xCC))?;
                Value::Bytes(self.take(n)?.to_vec())
            }
            0xD0..=0xD2 => {
                let n = self.len(1 << (m - 0xD0))?;
                self.string(n)?
            }
            0xD4..=0xD6 => {
                let n = self.len(1 << (m - 0xD4))?;
                self.list(n)?
            }
            0xD8..=0xDA => {
                let n = self.len(1 << (m - 0xD8))?;
                self.map(n)?
            }
            other => return Err(format!("unknown PackStream marker {other:#04x}")),
        })
    }
}

// ---------------------------------------------------------------------------
// Scripts and the log
// ---------------------------------------------------------------------------

/// One RUN as the stub received it.
#[derive(Debug, Clone)]
pub struct Run {
    /// The connection it came on: 1 for the first accepted, and so on.
    pub connection: usize,
    /// Inside an explicit transaction (BEGIN ... COMMIT), else auto-commit.
    pub in_txn: bool,
    pub query: String,
    pub params: Value,
    pub extra: Value,
}

impl Run {
    pub fn param(&self, key: &str) -> Option<&Value> {
        self.params.get(key)
    }
}

/// The answer to a RUN.
#[derive(Debug, Clone)]
pub enum Reply {
    /// SUCCESS with these columns, then these records on PULL.
    Rows {
        fields: Vec<String>,
        rows: Vec<Vec<Value>>,
    },
    /// FAILURE with a Neo4j status code.
    Failure { code: String, message: String },
}

impl Reply {
    /// A statement that returns nothing (or whose rows graphseed ignores).
    pub fn empty() -> Reply {
        Reply::Rows {
            fields: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// One column, one row.
    pub fn single(field: &str, value: Value) -> Reply {
        Reply::Rows {
            fields: vec![field.to_owned()],
            rows: vec![vec![value]],
        }
    }

    /// What a Neo4j 5 cluster follower answers a write when it does not
    /// route (a `bolt://` connection, or server-side routing switched off).
    pub fn not_a_leader() -> Reply {
        Reply::Failure {
            code: "Neo.ClientError.Cluster.NotALeader".into(),
            message: "No write operations are allowed directly on this database. Writes must pass through the leader. The role of this server is: FOLLOWER".into(),
        }
    }
}

pub type Script = Arc<dyn Fn(&Run) -> Reply + Send + Sync>;

/// What the stub saw, in order.
#[derive(Debug, Default)]
pub struct Log {
    /// Connections accepted (those that completed the handshake or not).
    pub connections: usize,
    /// The `extra` map of every HELLO, by connection.
    pub hellos: Vec<Value>,
    /// Every RUN, answered or not.
    pub runs: Vec<Run>,
    /// RUNs of committed transactions (and successful auto-commit RUNs).
    pub committed: Vec<Run>,
    /// Protocol errors the stub met (a malformed message, an unknown request).
    pub errors: Vec<String>,
}

pub struct Stub {
    pub port: u16,
    log: Arc<Mutex<Log>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Stub {
    /// Listen on a free loopback port and answer every RUN with `script`.
    pub fn start(script: impl Fn(&Run) -> Reply + Send + Sync + 'static) -> Stub {
        let script: Script = Arc::new(script);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the Bolt stub");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("stub address").port();
        let log = Arc::new(Mutex::new(Log::default()));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = {
            let log = Arc::clone(&log);
            thread::Builder::new()
                .name(format!("bolt-stub-{port}"))
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("stub runtime");
                    rt.block_on(serve(listener, script, log, stopped));
                })
                .expect("spawn the Bolt stub")
        };
        Stub {
            port,
            log,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `bolt://127.0.0.1:<port>` (or another scheme: `uri("neo4j")`).
    pub fn uri(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    script: Script,
    log: Arc<Mutex<Log>>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = TcpListener::from_std(listener).expect("tokio listener");
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => {
                let Ok((socket, _)) = accepted else { continue };
                let connection = {
                    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                    log.connections += 1;
                    log.connections
                };
                let script = Arc::clone(&script);
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    if let Err(e) = Session::new(connection, script, Arc::clone(&log)).run(socket).await {
                        log.lock().unwrap_or_else(|p| p.into_inner()).errors.push(format!("connection {connection}: {e}"));
                    }
                });
            }
        }
    }
}

// ---------------------------------------------------------------------------
// One connection
// ---------------------------------------------------------------------------

const HELLO: u8 = 0x01;
const GOODBYE: u8 = 0x02;
const RESET: u8 = 0x0F;
const RUN: u8 = 0x10;
const BEGIN: u8 = 0x11;
const COMMIT: u8 = 0x12;
const ROLLBACK: u8 = 0x13;
const DISCARD: u8 = 0x2F;
const PULL: u8 = 0x3F;

const SUCCESS: u8 = 0x70;
const RECORD: u8 = 0x71;
const IGNORED: u8 = 0x7E;
const FAILURE: u8 = 0x7F;

struct Session {
    connection: usize,
    script: Script,
    log: Arc<Mutex<Log>>,
    /// After a FAILURE, until RESET: every request is IGNORED.
    failed: bool,
    in_txn: bool,
    txn_runs: Vec<Run>,
    /// Records of the last RUN not yet pulled.
    pending: Vec<Vec<Value>>,
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

impl Session {
    fn new(connection: usize, script: Script, log: Arc<Mutex<Log>>) -> Self {
        Session {
            connection,
            script,
            log,
            failed: false,
            in_txn: false,
            txn_runs: Vec::new(),
            pending: Vec::new(),
        }
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn run(mut self, socket: TcpStream) -> Result<(), String> {
        let mut io = BufStream::new(socket);
        // Handshake: the magic preamble, four version proposals; Bolt 4.4 is
        // the only one the stub speaks (and the newest neo4rs offers).
        let mut hello = [0u8; 20];
        io.read_exact(&mut hello)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        if hello[..4] != [0x60, 0x60, 0xB0, 0x17] {
            return Err(format!("bad magic {:02x?}", &hello[..4]));
        }
        // Each proposal is [0, range, minor, major]: 4.4 itself, or a range
        // of minors below `minor` that reaches it.
        let offers_44 = hello[4..].chunks(4).any(|v| {
            let (range, minor, major) = (v[1], v[2], v[3]);
            major == 4 && minor >= 4 && minor.saturating_sub(range) <= 4
        });
        let answer = if offers_44 { [0, 0, 4, 4] } else { [0; 4] };
        io.write_all(&answer).await.map_err(|e| e.to_string())?;
        io.flush().await.map_err(|e| e.to_string())?;
        if !offers_44 {
            return Err("the client offered no Bolt 4.4".into());
        }

        loop {
            let Some(message) = read_message(&mut io).await? else {
                return Ok(()); // the client closed the connection
            };
            let mut d = Decoder {
                bytes: &message,
                at: 0,
            };
            let marker = d.u8()?;
            if !(0xB0..=0xBF).contains(&marker) {
                return Err(format!("a request is not a structure: {marker:#04x}"));
            }
            let Value::Struct(tag, fields) = d.structure((marker & 0x0F) as usize)? else {
                unreachable!()
            };
            let replies = self.answer(tag, fields);
            let Some(replies) = replies else {
                return Ok(()); // GOODBYE
            };
            for reply in replies {
                write_message(&mut io, &reply).await?;
            }
            io.flush().await.map_err(|e| e.to_string())?;
        }
    }

    /// The responses to one request, `None` for GOODBYE.
    fn answer(&mut self, tag: u8, fields: Vec<Value>) -> Option<Vec<Vec<u8>>> {
        let success = |meta: Value| message(SUCCESS, vec![meta]);
        match tag {
            GOODBYE => return None,
            HELLO => {
                let extra = fields.into_iter().next().unwrap_or(Value::Null);
                self.log().hellos.push(extra);
                return Some(vec![success(map(vec![
                    ("server", "Neo4j/5.26.0".into()),
                    (
                        "connection_id",
                        format!("bolt-{}", self.connection).as_str().into(),
                    ),
                ]))]);
            }
            RESET => {
                self.failed = false;
                self.in_txn = false;
                self.txn_runs.clear();
                self.pending.clear();
                return Some(vec![success(map(vec![]))]);
            }
            _ => {}
        }
        if self.failed {
            return Some(vec![message(IGNORED, vec![])]);
        }
        Some(match tag {
            RUN => {
                let mut fields = fields.into_iter();
                let query = fields.next().and_then(|q| q.as_str().map(str::to_owned));
                let run = Run {
                    connection: self.connection,
                    in_txn: self.in_txn,
                    query: query.unwrap_or_default(),
                    params: fields.next().unwrap_or(Value::Null),
                    extra: fields.next().unwrap_or(Value::Null),
                };
                let reply = (self.script)(&run);
                self.log().runs.push(run.clone());
                match reply {
                    Reply::Rows { fields, rows } => {
                        self.pending = rows;
                        if self.in_txn {
                            self.txn_runs.push(run);
                        } else {
                            self.log().committed.push(run);
                        }
                        let fields =
                            Value::List(fields.iter().map(|f| f.as_str().into()).collect());
                        vec![success(map(vec![
                            ("fields", fields),
                            ("t_first", 0.into()),
                        ]))]
                    }
                    Reply::Failure {
                        code,
                        message: text,
                    } => self.fail(&code, &text),
                }
            }
            PULL => {
                let n = fields
                    .first()
                    .and_then(|extra| extra.get("n"))
                    .and_then(|n| match n {
                        Value::Int(n) if *n >= 0 => Some(*n as usize),
                        _ => None,
                    })
                    .unwrap_or(usize::MAX);
                let take = n.min(self.pending.len());
                let mut out: Vec<Vec<u8>> = self
                    .pending
                    .drain(..take)
                    .map(|row| message(RECORD, vec![Value::List(row)]))
                    .collect();
                let has_more = !self.pending.is_empty();
                out.push(success(map(vec![("has_more", Value::Bool(has_more))])));
                out
            }
            DISCARD => {
                self.pending.clear();
                vec![success(map(vec![("has_more", Value::Bool(false))]))]
            }
            BEGIN => {
                self.in_txn = true;
                self.txn_runs.clear();
                vec![success(map(vec![]))]
            }
            COMMIT if self.in_txn => {
                self.in_txn = false;
                let runs = std::mem::take(&mut self.txn_runs);
                self.log().committed.extend(runs);
                vec![success(map(vec![("bookmark", "stub:1".into())]))]
            }
            ROLLBACK if self.in_txn => {
                self.in_txn = false;
                self.txn_runs.clear();
                vec![success(map(vec![]))]
            }
            other => {
                let what = format!("request {other:#04x} not expected here");
                self.log()
                    .errors
                    .push(format!("connection {}: {what}", self.connection));
                self.fail("Neo.ClientError.Request.Invalid", &what)
            }
        })
    }

    fn fail(&mut self, code: &str, text: &str) -> Vec<Vec<u8>> {
        self.failed = true;
        self.pending.clear();
        // A failed transaction is over: nothing of it commits.
        self.in_txn = false;
        self.txn_runs.clear();
        vec![message(
            FAILURE,
            vec![map(vec![("code", code.into()), ("message", text.into())])],
        )]
    }
}

fn message(tag: u8, fields: Vec<Value>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(&Value::Struct(tag, fields), &mut out);
    out
}

/// One chunked message; `None` when the client closed the connection
/// between messages.
async fn read_message(io: &mut BufStream<TcpStream>) -> Result<Option<Vec<u8>>, String> {
    let mut message = Vec::new();
    loop {
        let size = match io.read_u16().await {
            Ok(size) => size as usize,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && message.is_empty() => {
                return Ok(None);
            }
            Err(e) => return Err(format!("reading a chunk size: {e}")),
        };
        if size == 0 {
            if message.is_empty() {
                continue; // a NOOP between messages
            }
            return Ok(Some(message));
        }
        let start = message.len();
        message.resize(start + size, 0);
        io.read_exact(&mut message[start..])
            .await
            .map_err(|e| format!("reading a chunk: {e}"))?;
    }
}

async fn write_message(io: &mut BufStream<TcpStream>, bytes: &[u8]) -> Result<(), String> {
    for chunk in bytes.chunks(u16::MAX as usize) {
        io.write_u16(chunk.len() as u16)
            .await
            .map_err(|e| e.to_string())?;
        io.write_all(chunk).await.map_err(|e| e.to_string())?;
    }
    io.write_u16(0).await.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_packstream() {
        let long = "x".repeat(300);
        for v in [
            Value::Null,
            Value::Bool(true),
            Value::Int(-16),
            Value::Int(-17),
            Value::Int(127),
            Value::Int(128),
            Value::Int(-129),
            Value::Int(40_000),
            Value::Int(i64::MIN),
            Value::Float(1.5),
            Value::String(long.clone()),
            Value::List((0..20).map(Value::Int).collect()),
            map(vec![("a", Value::Null), ("b", strings(&["x", "y"]))]),
            Value::Struct(0x49, vec![Value::Int(1), Value::Int(2), Value::Int(0)]),
        ] {
            let mut bytes = Vec::new();
            encode(&v, &mut bytes);
            let mut d = Decoder {
                bytes: &bytes,
                at: 0,
            };
            assert_eq!(d.value().unwrap(), v);
            assert_eq!(d.at, bytes.len(), "{v:?}");
        }
    }
}
