//! The printing boundary: everything graphseed prints goes through here.
//! Results go to stdout; progress, notes, warnings and errors to stderr, so
//! `--json` output stays machine-readable. Three rules hold for every line:
//!
//! - A closed stdout (`graphseed runs | head -1`) is not an error: the reader
//!   went away, so the rest of the output is dropped quietly and the command
//!   finishes with its own exit code. Rust ignores SIGPIPE, so a write
//!   returns `BrokenPipe`; `println!` would turn that into a panic (exit 101).
//! - Paths are printed through [`path`], which escapes control characters,
//!   so a crafted file name cannot fake output lines.
//! - Error and warning text passes through [`crate::redact::text`], so a URI
//!   that carries a password never reaches the terminal whole.
//!
//! `clippy::print_stdout` / `print_stderr` are denied in the library (see
//! Cargo.toml's `[lints]`) so no other module can bypass these rules.

use std::borrow::Cow;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::redact;

/// Set once stdout refused a write; later writes are dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Write `s` to stdout as is. Errors are never fatal here: a broken pipe
/// means nobody reads any more; any other failure is said once on stderr.
pub fn out(s: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut o = std::io::stdout().lock();
    closed_rule(o.write_all(s.as_bytes()).and_then(|()| o.flush()));
}

/// Run `write` on stdout, unless it was closed, with [`out`]'s rule for
/// what it returns. Buffered: a document written piece by piece (see
/// [`json`]) is not a system call per piece.
pub fn out_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut o = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    closed_rule(write(&mut o).and_then(|()| o.flush()));
}

/// A failed write to stdout closes it for the rest of the run; only a
/// failure other than the reader going away is said (once, on stderr).
fn closed_rule(written: std::io::Result<()>) {
    if let Err(e) = written {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            err(&format!("error: cannot write to stdout: {e}\n"));
        }
    }
}

/// `println!` through [`out`].
macro_rules! outln {
    () => { $crate::ui::out("\n") };
    ($($arg:tt)*) => {{
        let mut s = format!($($arg)*);
        s.push('\n');
        $crate::ui::out(&s);
    }};
}
pub(crate) use outln;

/// Write to stderr; a closed stderr leaves nothing better to do than go on.
fn err(s: &str) {
    let _ = std::io::stderr().lock().write_all(s.as_bytes());
}

/// A JSON document on stdout.
/// Written as it is serialized, never held whole: a plan's JSON lists every
/// decision (see `render::PlanJson`).
pub fn json<T: serde::Serialize + ?Sized>(v: &T) {
    out_with(|o| {
        serde_json::to_writer_pretty(&mut *o, v).map_err(std::io::Error::from)?;
        o.write_all(b"\n")
    });
}

/// A JSON array made one element at a time while it is written: `f` is
/// called when the array is serialized and its items are serialized as
/// they come, so no element outlives its own line of output.
pub struct JsonSeq<F>(pub F);

impl<F, I> serde::Serialize for JsonSeq<F>
where
    F: Fn() -> I,
    I: IntoIterator,
    I::Item: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// A path for a human reader: control characters (newline, escape, ...) are
/// shown escaped (`\n`, `\u{1b}`), everything else as is. JSON output needs
/// no such care: serde escapes control characters itself.
pub fn path(p: &str) -> Cow<'_, str> {
    if !p.chars().any(char::is_control) {
        return Cow::Borrowed(p);
    }
    Cow::Owned(
        p.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Message text for stderr: redacted, and with control characters escaped
/// except line breaks, whose continuation lines are indented so that no
/// embedded text can pose as a line of its own (`error: ...`).
fn message(m: &str) -> String {
    let m = redact::text(m);
    m.split('\n')
        .map(|l| path(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n    ")
}

/// Text already rendered for stderr (its paths escaped by [`path`]), such as
/// a plan's per-file errors: they go beside the summary, not into stdout.
pub fn err_text(s: &str) {
    err(&redact::text(s));
}

/// `error: ...` and its hint on stderr.
pub fn error_line(msg: &str, hint: Option<&str>) {
    let mut s = format!("error: {}\n", message(msg));
    if let Some(h) = hint {
        s.push_str(&format!("  hint: {}\n", message(h)));
    }
    err(&s);
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Ui {
    pub json: bool,
    pub verbose: u8,
    pub quiet: bool,
}

impl Ui {
    pub fn warn(&self, msg: &str) {
        err(&format!("warning: {}\n", message(msg)));
    }

    /// Shown with `-v`.
    pub fn info(&self, msg: &str) {
        if self.verbose >= 1 && !self.quiet {
            err(&format!("{}\n", message(msg)));
        }
    }

    /// Shown with `-vv`.
    /// `-vv` lines carry the process's current and peak resident memory
    /// (where the OS tells it), so a memory regression shows which stage
    /// it comes from.
    pub fn debug(&self, msg: &str) {
        if self.verbose >= 2 {
            let msg = message(msg);
            // Planning lists moved to temporary files are memory the
            // process no longer holds: said beside what it does.
            let in_files = match crate::spill::bytes_in_files() {
                0 => String::new(),
                b => format!(", {:.1} MB in temporary files", b as f64 / (1 << 20) as f64),
            };
            match memory() {
                Some((rss, peak)) => err(&format!(
                    "debug: {msg} [rss {rss} MB, peak {peak} MB{in_files}]\n"
                )),
                None => err(&format!("debug: {msg}\n")),
            }
        }
    }

    /// A progress bar on stderr; indicatif hides it when stderr is not a
    /// terminal, and it is hidden outright for `--json` and `--quiet`.
    pub fn progress(&self, len: u64, what: &str) -> ProgressBar {
        if self.json || self.quiet {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} ({rate}, eta {eta})")
                .expect("static template")
                // Whole items per second: `1277/s`, not `1,277.0653/s`.
                .with_key(
                    "rate",
                    |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}/s", s.per_sec());
                    },
                )
                .progress_chars("=> "),
        );
        pb.set_message(what.to_string());
        pb
    }
}

/// (current, peak) resident set size in MB, from `/proc/self/status`.
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((kb("VmRSS:")? / 1024, kb("VmHWM:")? / 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_escapes_control_characters_only() {
        for (raw, shown) in [
            ("notes/plain.md", "notes/plain.md"),
            ("Notizen/Café Menü.md", "Notizen/Café Menü.md"),
            ("a\nerror: fake.md", "a\\nerror: fake.md"),
            ("tab\there", "tab\\there"),
            ("esc\u{1b}[31mred", "esc\\u{1b}[31mred"),
            ("cr\r.md", "cr\\r.md"),
            ("del\u{7f}", "del\\u{7f}"),
        ] {
            assert_eq!(path(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn message_lines_cannot_pose_as_lines_of_their_own() {
        assert_eq!(message("a\nerror: b"), "a\n    error: b");
        assert_eq!(message("bell\u{7}"), "bell\\u{7}");
    }
}
