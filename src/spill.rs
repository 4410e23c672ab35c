//! Lists of fixed-size records that move to a temporary file once they
//! are large: the planner's per-episode digests. A plan holds a few of
//! them for every walked file and every stored episode until it is
//! finished (32 or 64 bytes each, most of a million-episode plan's memory
//! after its texts), and reads each a few times, mostly in order.
//!
//! A list stays in memory up to [`spill_after`] bytes. Past that, its
//! records are written to an unnamed temporary file (`O_TMPFILE`), in
//! blocks, and read back with positioned reads. The kernel's page cache
//! then holds them: memory the system can reclaim under pressure, unlike
//! the process's own, and gone with the file when the list is dropped or
//! the process dies.
//!
//! A file that cannot be made or written (no temporary directory, a full
//! disk) is not an error: the list keeps its records in memory from there
//! on, as it would have without spilling. A failed read of that file is a
//! panic, naming it: it is this process's own scratch data, like memory.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Records written to the file at a time once a list has spilled.
const WRITE_BLOCK: usize = 4096;

/// Records read from the file at a time for [`Spilled::get`], kept until
/// a record outside them is asked for. Lists are read mostly in order (the
/// walk's, or the stored state's, which follows it closely): a read per
/// record was a system call for each of several reads per episode.
const READ_BLOCK: usize = 256;

/// The default of [`spill_after`]: 4 MiB, about 130,000 digests. A plan of
/// up to about a hundred thousand episodes never touches the disk.
const SPILL_AFTER_BYTES: usize = 4 << 20;

/// The bytes a list holds in memory before it moves to a temporary file:
/// `GRAPHSEED_SPILL_AFTER` (bytes; 0 spills every list from its first
/// record) if set, else 4 MiB. Read once per process.
pub fn spill_after() -> usize {
    static AFTER: OnceLock<usize> = OnceLock::new();
    *AFTER.get_or_init(|| {
        std::env::var("GRAPHSEED_SPILL_AFTER")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(SPILL_AFTER_BYTES)
    })
}

/// The bytes the lists of this process hold in temporary files now.
static IN_FILES: AtomicU64 = AtomicU64::new(0);

/// The bytes every list of this process holds in temporary files now (for
/// `-vv`, beside the process's own memory).
pub fn bytes_in_files() -> u64 {
    IN_FILES.load(Ordering::Relaxed)
}

/// Count `bytes` written to a temporary file by another spill than a
/// [`Spilled`] list (the parsed names'), until [`files_given_back`].
pub(crate) fn written_to_file(bytes: u64) {
    IN_FILES.fetch_add(bytes, Ordering::Relaxed);
}

/// Those `bytes` are gone with their file.
pub(crate) fn files_given_back(bytes: u64) {
    IN_FILES.fetch_sub(bytes, Ordering::Relaxed);
}

/// A list of `N`-byte records (see the module).
pub struct Spilled<const N: usize> {
    /// The records not in the file: every record until the list spills,
    /// then the ones pushed since the last block was written (or, once a
    /// write has failed, every one since).
    mem: Chunks<N>,
    /// The records `0..in_file`, once the list has spilled.
    file: Option<File>,
    in_file: usize,
    /// In bytes (see [`spill_after`]).
    spill_after: usize,
    /// A file could not be made or written: stay in memory.
    failed: bool,
    /// The block of the file [`Spilled::get`] read last (see [`READ_BLOCK`]).
    /// Planning reads on several threads: one that finds it taken reads its
    /// record alone rather than wait.
    cache: Mutex<ReadCache<N>>,
}

/// Records in memory, in chunks of [`CHUNK`]: a list grown by doubling
/// held up to twice its records, and both sizes while it moved (a hundred
/// thousand files' three lists of digests and hashes were 6 MB more at the
/// peak of a cold seed than the exact lists they replaced).
#[derive(Default)]
struct Chunks<const N: usize> {
    chunks: Vec<Vec<[u8; N]>>,
    len: usize,
}

/// Records per chunk of a [`Chunks`].
const CHUNK: usize = 1024;

impl<const N: usize> Chunks<N> {
    fn push(&mut self, record: [u8; N]) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(record),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(record);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    fn get(&self, k: usize) -> [u8; N] {
        self.chunks[k / CHUNK][k % CHUNK]
    }

    /// Records `range` (of these), in slices.
    fn slices(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = &[[u8; N]]> + '_ {
        let (first, last) = (range.start / CHUNK, range.end.div_ceil(CHUNK));
        self.chunks[first..last]
            .iter()
            .enumerate()
            .map(move |(j, c)| {
                let at = (first + j) * CHUNK;
                &c[range.start.max(at) - at..range.end.min(at + c.len()) - at]
            })
    }

    /// Give back the room of the whole chunks before record `k`. The last
    /// chunk stays: records pushed later go after it.
    fn forget_before(&mut self, k: usize) {
        let whole = (k / CHUNK).min(self.chunks.len().saturating_sub(1));
        for c in &mut self.chunks[..whole] {
            *c = Vec::new();
        }
    }

    /// Empty, keeping one chunk's room for the records to come.
    fn clear(&mut self) {
        self.chunks.truncate(1);
        if let Some(c) = self.chunks.first_mut() {
            c.clear();
        }
        self.len = 0;
    }
}

struct ReadCache<const N: usize> {
    /// The index of `records[0]`.
    start: usize,
    records: Vec<[u8; N]>,
}

impl<const N: usize> Default for Spilled<N> {
    fn default() -> Self {
        Self::with_threshold(spill_after())
    }
}

impl<const N: usize> Spilled<N> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A list that spills once it holds more than `bytes` bytes.
    pub fn with_threshold(bytes: usize) -> Self {
        Spilled {
            mem: Chunks::default(),
            file: None,
            in_file: 0,
            spill_after: bytes,
            failed: false,
            cache: Mutex::new(ReadCache {
                start: 0,
                records: Vec::new(),
            }),
        }
    }

    pub fn len(&self) -> usize {
        self.in_file + self.mem.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether records are in a file (for tests and `-vv`).
    pub fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// Add a record at the end.
    pub fn push(&mut self, record: [u8; N]) {
        self.mem.push(record);
        self.write_if_due();
    }

    fn write_if_due(&mut self) {
        if self.failed {
            return;
        }
        let due = match self.file {
            Some(_) => self.mem.len >= self.block(),
            None => self.mem.len * N > self.spill_after,
        };
        if !due {
            return;
        }
        if self.file.is_none() {
            match unnamed_temp_file() {
                Ok(f) => self.file = Some(f),
                Err(_) => {
                    self.failed = true;
                    return;
                }
            }
        }
        let file = self.file.as_ref().expect("made above");
        let mut at = (self.in_file * N) as u64;
        for chunk in self.mem.slices(0..self.mem.len) {
            let bytes = chunk.as_flattened();
            if file.write_all_at(bytes, at).is_err() {
                // What the file holds so far stays readable (`in_file`
                // moves only past whole writes); the rest stays here.
                self.failed = true;
                return;
            }
            at += bytes.len() as u64;
        }
        written_to_file((self.mem.len * N) as u64);
        self.in_file += self.mem.len;
        self.mem.clear();
    }

    /// Records written at a time once spilled: [`WRITE_BLOCK`], or fewer
    /// under a threshold that small, so that a list never holds much more
    /// than its threshold in memory (at 0, every record goes to the file
    /// as it comes, which is how the tests read every record back from
    /// it).
    fn block(&self) -> usize {
        (self.spill_after / N).clamp(1, WRITE_BLOCK)
    }

    /// Give back the memory of the records before `i` (those in memory, in
    /// whole chunks): a list read once in order, the walk's digests, does
    /// not hold what was read until its end. Reading them again is a bug.
    pub fn forget_before(&mut self, i: usize) {
        if let Some(k) = i.checked_sub(self.in_file) {
            self.mem.forget_before(k.min(self.mem.len));
        }
    }

    /// Record `i`.
    pub fn get(&self, i: usize) -> [u8; N] {
        if i >= self.in_file {
            return self.mem.get(i - self.in_file);
        }
        if let Ok(mut c) = self.cache.try_lock() {
            let cached = i.checked_sub(c.start).filter(|&k| k < c.records.len());
            if let Some(k) = cached {
                return c.records[k];
            }
            // Records in the file never change: a block read once stays
            // right however the list grows.
            let start = i - i % READ_BLOCK;
            let end = (start + READ_BLOCK).min(self.in_file);
            c.records.clear();
            c.records.resize(end - start, [0u8; N]);
            self.read_file(start, c.records.as_flattened_mut());
            c.start = start;
            return c.records[i - start];
        }
        let mut out = [0u8; N];
        self.read_file(i, &mut out);
        out
    }

    /// Records `range`, appended to `out` (one read for those in the file).
    pub fn read_range(&self, range: std::ops::Range<usize>, out: &mut Vec<[u8; N]>) {
        assert!(
            range.end <= self.len(),
            "records {range:?} of {}",
            self.len()
        );
        let from_file = range.start..range.end.min(self.in_file);
        if !from_file.is_empty() {
            let at = out.len();
            out.resize(at + from_file.len(), [0u8; N]);
            self.read_file(from_file.start, out[at..].as_flattened_mut());
        }
        let from_mem = range.start.max(self.in_file)..range.end;
        if !from_mem.is_empty() {
            let k = from_mem.start - self.in_file..from_mem.end - self.in_file;
            self.mem.slices(k).for_each(|s| out.extend_from_slice(s));
        }
    }

    /// Every record, in order, a block at a time.
    pub fn iter(&self) -> impl Iterator<Item = [u8; N]> + '_ {
        let mut block = Vec::new();
        let mut next = 0;
        std::iter::from_fn(move || {
            if block.is_empty() {
                if next >= self.len() {
                    return None;
                }
                let end = self.len().min(next + WRITE_BLOCK);
                self.read_range(next..end, &mut block);
                block.reverse();
                next = end;
            }
            block.pop()
        })
    }

    fn read_file(&self, first: usize, out: &mut [u8]) {
        let file = self
            .file
            .as_ref()
            .expect("records below in_file are in the file");
        if let Err(e) = file.read_exact_at(out, (first * N) as u64) {
            panic!("reading graphseed's temporary planning file back failed: {e}");
        }
    }
}

/// A file in the temporary directory (`TMPDIR`) that has no name
/// (`O_TMPFILE`): nothing is left behind, however the run ends, and no
/// other process can open it. Where the file system cannot make one, the
/// caller keeps its data in memory.
pub(crate) fn unnamed_temp_file() -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE)
        .open(std::env::temp_dir())
}

impl<const N: usize> Drop for Spilled<N> {
    fn drop(&mut self) {
        files_given_back((self.in_file * N) as u64);
    }
}

/// A copy holds its own records (in memory or a file of its own, by the
/// same threshold).
impl<const N: usize> Clone for Spilled<N> {
    fn clone(&self) -> Self {
        let mut out = Self::with_threshold(self.spill_after);
        for r in self.iter() {
            out.push(r);
        }
        out
    }
}

impl<const N: usize> std::fmt::Debug for Spilled<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spilled")
            .field("len", &self.len())
            .field("in_file", &self.in_file)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: usize) -> [u8; 8] {
        (i as u64).to_le_bytes()
    }

    /// Every way in (push, extend) and out (get, read_range, iter, clone)
    /// gives the records back in order, in memory, across the spill and
    /// across write blocks.
    #[test]
    fn records_read_back_in_order_wherever_they_are() {
        for threshold in [0, 8 * 100, usize::MAX] {
            let mut s = Spilled::<8>::with_threshold(threshold);
            let n = WRITE_BLOCK * 2 + 123;
            for i in 0..n / 2 {
                s.push(rec(i));
            }
            (n / 2..n).for_each(|i| s.push(rec(i)));
            assert_eq!(s.len(), n);
            assert_eq!(s.spilled(), threshold != usize::MAX, "{threshold}");
            for i in [0, 1, 99, 100, 101, WRITE_BLOCK, n - 1] {
                assert_eq!(s.get(i), rec(i), "{threshold} {i}");
            }
            // In order, backwards and across read blocks, through the cache.
            assert!((0..n).all(|i| s.get(i) == rec(i)), "{threshold}");
            assert!((0..n).rev().all(|i| s.get(i) == rec(i)), "{threshold}");
            assert!((0..n).step_by(READ_BLOCK - 1).all(|i| s.get(i) == rec(i)));
            for range in [0..0, 0..n, 5..WRITE_BLOCK + 7, n - 3..n, 100..101] {
                let mut out = vec![rec(999_999)];
                s.read_range(range.clone(), &mut out);
                let want: Vec<_> = std::iter::once(rec(999_999))
                    .chain(range.map(rec))
                    .collect();
                assert_eq!(out, want, "{threshold}");
            }
            assert!(s.iter().eq((0..n).map(rec)), "{threshold}");
            let c = s.clone();
            assert!(c.iter().eq((0..n).map(rec)), "{threshold}");
            assert_eq!(c.spilled(), s.spilled());
            // Forgetting the records read keeps the rest.
            s.forget_before(n - 5);
            assert!((n - 5..n).all(|i| s.get(i) == rec(i)), "{threshold}");
        }
    }

    /// Records pushed after the ones before them were forgotten read back,
    /// also when the forgotten ones filled their chunks exactly.
    #[test]
    fn records_pushed_after_a_forget_read_back() {
        for n in [CHUNK * 2, CHUNK * 2 + 7] {
            let mut s = Spilled::<8>::with_threshold(usize::MAX);
            (0..n).for_each(|i| s.push(rec(i)));
            s.forget_before(n);
            (n..n + CHUNK + 3).for_each(|i| s.push(rec(i)));
            assert!((n..n + CHUNK + 3).all(|i| s.get(i) == rec(i)), "{n}");
            assert_eq!(s.len(), n + CHUNK + 3);
        }
    }

    #[test]
    fn a_list_under_the_threshold_stays_in_memory() {
        let mut s = Spilled::<32>::with_threshold(32 * 10);
        for i in 0..10 {
            s.push([i as u8; 32]);
        }
        assert!(!s.spilled());
        s.push([10; 32]);
        assert!(s.spilled());
        assert_eq!(s.get(10), [10; 32]);
        assert!(Spilled::<32>::with_threshold(0).is_empty());
    }

    #[test]
    #[should_panic(expected = "records 0..2 of 1")]
    fn reading_past_the_end_is_a_bug() {
        let mut s = Spilled::<4>::with_threshold(0);
        s.push([1; 4]);
        s.read_range(0..2, &mut Vec::new());
    }
}
