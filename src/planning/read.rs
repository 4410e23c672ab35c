//! Reading a source file for planning and applying: bounded by
//! `[limits] max_file_mb` before a byte is read, and never blocked by a FIFO
//! swapped in after the walk.

use std::io::Read;

use super::PlannedFile;
use crate::sources::{self, Candidate, SourceFile};

/// `n` bytes as megabytes (or gigabytes) for messages; `max_file_mb` counts
/// MiB.
fn mb(n: u64) -> String {
    let (v, unit) = match n as f64 / (1024.0 * 1024.0) {
        m if m >= 1024.0 => (m / 1024.0, "GB"),
        m => (m, "MB"),
    };
    if v.fract() == 0.0 {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}

/// Why a source file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read: {0}")]
    Io(#[source] std::io::Error),
    /// A FIFO or a device swapped in after the walk.
    #[error("not a regular file (it changed after the walk)")]
    NotRegular,
    #[error("file is {len} bytes ({}), over the {} limit ([limits] max_file_mb)", mb(*.len), mb(*.max))]
    TooLarge { len: u64, max: u64 },
    #[error("file grew past the {} limit ([limits] max_file_mb) while being read", mb(*.max))]
    Grew { max: u64 },
}

/// Why a planned file could not be read again when applied.
#[derive(Debug, thiserror::Error)]
pub enum RereadError {
    #[error(transparent)]
    Read(#[from] ReadError),
    /// It no longer parses (it changed after planning): every message.
    #[error("{}", .0.join("; "))]
    Parse(Vec<String>),
}

pub(super) fn read_limited(file: &SourceFile, max: u64) -> Result<Vec<u8>, ReadError> {
    read_limited_in(None, (&file.root, &file.rel), max)
}

/// The directory of a walk's root, held open while its files are read, so
/// each is opened relative to it (`openat`): the kernel then looks up only
/// the path under the root, not every directory above it again, which at
/// a million files was the largest single cost of the walk (`perf`:
/// `__d_lookup_rcu`, 14% of a no-op reseed's client samples).
pub(super) struct RootDir {
    root: std::sync::Arc<std::path::PathBuf>,
    dir: std::fs::File,
}

impl RootDir {
    /// `None` if it cannot be opened: files are then opened by full path,
    /// which reports the error per file as before.
    pub(super) fn open(root: &std::sync::Arc<std::path::PathBuf>) -> Option<Self> {
        let dir = std::fs::File::open(&**root).ok()?;
        dir.metadata().ok()?.is_dir().then(|| RootDir {
            root: root.clone(),
            dir,
        })
    }
}

/// [`read_limited`], opening the file relative to `dir` when it is the
/// file's root.
/// `file`: its root and its path under it.
pub(super) fn read_limited_in(
    dir: Option<&RootDir>,
    (root, rel): (&std::sync::Arc<std::path::PathBuf>, &str),
    max: u64,
) -> Result<Vec<u8>, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: the walk skips FIFOs, but a file swapped for one after the
    // walk would block a plain open(2) until a writer shows up, i.e. forever.
    // For a regular file the flag changes nothing.
    let f = match dir {
        Some(d) if std::sync::Arc::ptr_eq(&d.root, root) => {
            open_at(&d.dir, rel).map_err(ReadError::Io)?
        }
        _ => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(root.join(rel))
            .map_err(ReadError::Io)?,
    };
    let meta = f.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    let len = meta.len();
    // Checked before reading a byte: a huge file costs neither time nor memory.
    if len > max {
        return Err(ReadError::TooLarge { len, max });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` guards against a file that grows while we read it.
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::Grew { max });
    }
    Ok(bytes)
}

/// `openat(dir, rel)` for reading, with the flags of [`read_limited_in`]'s
/// `open` (and close-on-exec, as std sets): `rel` is a walked path, relative
/// and free of `..`, so it names the same file as `root/rel`, symlinks
/// followed alike.
fn open_at(dir: &std::fs::File, rel: &str) -> std::io::Result<std::fs::File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    let rel = std::ffi::CString::new(rel)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a path"))?;
    // Safety: `rel` is NUL-terminated and outlives the call; `dir` is an open
    // descriptor borrowed for the call.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            rel.as_ptr(),
            libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // Safety: `fd` was just opened here and nothing else owns it.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

/// Bytes of files read once and kept for a later phase of the same run
/// (see [`crate::limits::KEEP_READ_BYTES`]), by index. Shared, so a plan
/// (cloned or not) hands them to the applier, which takes each file's once.
#[derive(Debug, Clone, Default)]
pub struct Kept(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<usize, Vec<u8>>>>);

impl Kept {
    pub(crate) fn put(&self, i: usize, bytes: Vec<u8>) {
        self.lock().insert(i, bytes);
    }

    /// The bytes kept for `i`, which are no longer kept.
    pub(crate) fn take(&self, i: usize) -> Option<Vec<u8>> {
        self.lock().remove(&i)
    }

    /// Forget every file's bytes (they are read again if needed).
    #[cfg(test)]
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<usize, Vec<u8>>> {
        // A panic while the lock is held leaves only whole entries behind.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A file's bytes, kept ones first: `kept` were read (and hashed) earlier in
/// this run; otherwise the file is read now.
pub(crate) fn kept_or_read(
    kept: Option<Vec<u8>>,
    file: &SourceFile,
    max: u64,
) -> Result<Vec<u8>, ReadError> {
    match kept {
        Some(bytes) => Ok(bytes),
        None => read_limited(file, max),
    }
}

/// The items of a planned file at apply time: from the bytes the plan kept
/// for it (the very bytes it parsed and hashed), else read again. The
/// caller checks that each episode it takes has the `content_hash` that was
/// planned (see `applying`): that is what keeps body and hash in agreement
/// when the file was read again, and it costs no second SHA-256 pass.
pub fn parse_planned(
    pf: &PlannedFile<'_>,
    kept: Option<Vec<u8>>,
    max: u64,
) -> Result<Vec<Candidate>, RereadError> {
    parse_source(&pf.source_file(), kept, max)
}

/// The items of `file`, from `kept` or read again: a planned file's, or
/// the file of a bumped episode (which the plan holds no file for).
pub fn parse_source(
    file: &SourceFile,
    kept: Option<Vec<u8>>,
    max: u64,
) -> Result<Vec<Candidate>, RereadError> {
    let bytes = kept_or_read(kept, file, max)?;
    sources::parse_file(file, &bytes)
        .map_err(|errs| RereadError::Parse(errs.into_iter().map(|e| e.message).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::Format;

    fn source(path: &std::path::Path) -> SourceFile {
        SourceFile {
            root: std::sync::Arc::new(path.parent().unwrap().to_path_buf()),
            rel: path.file_name().unwrap().to_str().unwrap().into(),
            format: Format::Json,
        }
    }

    #[test]
    fn a_fifo_swapped_in_after_the_walk_is_refused_not_waited_on() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("x.json");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        // Nobody writes to it: a blocking open(2) would never return.
        let err = read_limited(&source(&fifo), 1 << 20).unwrap_err();
        assert!(matches!(err, ReadError::NotRegular), "{err}");
    }

    #[test]
    fn the_size_limit_is_checked_before_reading() {
        let d = tempfile::tempdir().unwrap();
        let big = d.path().join("x.json");
        // Sparse: 3 GiB that cost no disk; reading it would take ages.
        std::fs::File::create(&big)
            .unwrap()
            .set_len(3 << 30)
            .unwrap();
        let err = read_limited(&source(&big), 16 << 20).unwrap_err();
        assert_eq!(
            err.to_string(),
            "file is 3221225472 bytes (3 GB), over the 16 MB limit ([limits] max_file_mb)"
        );
        std::fs::write(&big, b"{}").unwrap();
        assert_eq!(read_limited(&source(&big), 2).unwrap(), b"{}");
    }
}
