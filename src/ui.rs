//! Talking to the user: results on stdout, progress, notes and warnings on
//! stderr, so `--json` output stays machine-readable. Nothing here ever
//! receives a secret (see `stores::target::Secret`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Clone, Copy, Default)]
pub struct Ui {
    pub json: bool,
    pub verbose: u8,
    pub quiet: bool,
}

impl Ui {
    pub fn warn(&self, msg: &str) {
        eprintln!("warning: {msg}");
    }

    /// Shown with `-v`.
    pub fn info(&self, msg: &str) {
        if self.verbose >= 1 && !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// Shown with `-vv`.
    /// `-vv` lines carry the process's current and peak resident memory
    /// (where the OS tells it), so a memory regression shows which stage
    /// it comes from.
    pub fn debug(&self, msg: &str) {
        if self.verbose >= 2 {
            match memory() {
                Some((rss, peak)) => {
                    eprintln!("debug: {msg} [rss {rss} MB, peak {peak} MB]")
                }
                None => eprintln!("debug: {msg}"),
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
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
                .expect("static template")
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
