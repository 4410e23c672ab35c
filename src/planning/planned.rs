//! The files a plan parsed, with the hash each had then: kept until the
//! plan is applied (their bodies are read again then), one per parsed file,
//! so held compactly.

use std::sync::Arc;

use crate::hashing::Sha256Hash;
use crate::sources::{Format, RootSpec, SourceFile};

/// A file the plan read, with the hash it had then, as borrowed from its
/// [`PlannedFiles`].
#[derive(Debug, Clone, Copy)]
pub struct PlannedFile<'p> {
    /// Relative to the root, `/`-separated (its entries' source_path).
    pub rel: &'p str,
    pub format: Format,
    pub source_hash: Sha256Hash,
    /// Its root: full paths are built only when a file is read again or
    /// named in a message.
    pub at: &'p Arc<PlannedRoot>,
    /// Its root's index in the plan's input.
    root: u32,
}

/// A source root as its planned files refer to it.
#[derive(Debug)]
pub struct PlannedRoot {
    pub path: Arc<std::path::PathBuf>,
    pub display: String,
    /// The root's source label, its files' entries' source.
    pub source: Arc<str>,
}

impl PlannedRoot {
    pub fn of(root: &RootSpec) -> Arc<Self> {
        Arc::new(PlannedRoot {
            path: Arc::new(root.path.clone()),
            display: root.display.clone(),
            source: root.source.as_str().into(),
        })
    }
}

impl PlannedFile<'_> {
    /// `root display/rel`, for messages.
    pub fn display(&self) -> String {
        format!("{}/{}", self.at.display, self.rel)
    }

    /// The file as walked.
    pub fn source_file(&self) -> SourceFile {
        SourceFile {
            root: self.at.path.clone(),
            rel: self.rel.into(),
            format: self.format,
        }
    }

    /// Its root's index in the plan's input.
    pub fn root(&self) -> usize {
        self.root as usize
    }
}

/// Every file a plan parsed, by index (an entry's `Origin::File`). A cold
/// seed keeps a million: each is a 48-byte row and its path's text in
/// chunks shared with the others, where a struct of its own (a boxed path
/// and a pointer to its root beside the hash) was 64 bytes and an
/// allocation rounded up, about 88 bytes a file.
#[derive(Debug, Clone, Default)]
pub struct PlannedFiles {
    rows: Vec<Row>,
    /// The paths, one after the other, in chunks of [`CHUNK_BYTES`] (a
    /// path never spans two): one growing text would hold its old and new
    /// copy at once each time it doubled.
    text: Vec<String>,
    /// By root index; a root with no planned file has none.
    roots: Vec<Option<Arc<PlannedRoot>>>,
}

/// Bytes of paths per chunk of [`PlannedFiles`] (a longer path gets a
/// chunk of its own).
const CHUNK_BYTES: usize = 1 << 20;

/// One planned file in [`PlannedFiles`].
#[derive(Debug, Clone, Copy)]
struct Row {
    source_hash: Sha256Hash,
    /// Its path's chunk, and where the path starts and ends in it.
    chunk: u32,
    start: u32,
    len: u32,
    root: u16,
    format: Format,
}

impl PlannedFiles {
    /// Room for `n` files up front: grown by doubling, a cold seed's
    /// million would hold the old and the new rows at once near its peak.
    pub(super) fn with_capacity(n: usize) -> Self {
        PlannedFiles {
            rows: Vec::with_capacity(n),
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The file at `i`.
    pub fn get(&self, i: usize) -> PlannedFile<'_> {
        let r = &self.rows[i];
        let start = r.start as usize;
        PlannedFile {
            rel: &self.text[r.chunk as usize][start..start + r.len as usize],
            format: r.format,
            source_hash: r.source_hash,
            at: self.roots[usize::from(r.root)]
                .as_ref()
                .expect("a planned file's root is kept"),
            root: u32::from(r.root),
        }
    }

    /// Add a file under `input.roots[root]` (`spec`); its index.
    pub(super) fn push(
        &mut self,
        (root, spec): (usize, &RootSpec),
        rel: &str,
        format: Format,
        source_hash: Sha256Hash,
    ) -> usize {
        let small = |n: usize| u32::try_from(n).expect("planned paths fit in u32 offsets");
        let root16 = u16::try_from(root).expect("fewer than 65,536 source roots");
        if self.roots.len() <= root {
            self.roots.resize(root + 1, None);
        }
        self.roots[root].get_or_insert_with(|| PlannedRoot::of(spec));
        let fits = self
            .text
            .last()
            .is_some_and(|t| t.len() + rel.len() <= t.capacity());
        if !fits {
            self.text
                .push(String::with_capacity(CHUNK_BYTES.max(rel.len())));
        }
        let chunk = self.text.len() - 1;
        let text = &mut self.text[chunk];
        let start = text.len();
        text.push_str(rel);
        self.rows.push(Row {
            source_hash,
            chunk: small(chunk),
            start: small(start),
            len: small(rel.len()),
            root: root16,
            format,
        });
        self.rows.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row stays 48 bytes, and every file reads back as pushed, across
    /// chunks, with a path longer than a chunk and roots out of order.
    #[test]
    fn planned_files_read_back_as_pushed() {
        assert!(std::mem::size_of::<Row>() <= 48);
        let d = std::path::Path::new("/r");
        let roots = [RootSpec::for_tests(d), RootSpec::for_tests(d)];
        let mut files = PlannedFiles::with_capacity(4);
        let long = "x/".repeat(CHUNK_BYTES) + "y.md";
        let mut pushed = Vec::new();
        for i in 0..200_000usize {
            let rel = match i {
                7 => long.clone(),
                _ => format!("d{}/f{i:06}.json", i % 13),
            };
            let root = usize::from(i % 3 == 0);
            let hash = Sha256Hash(crate::hashing::sha256(rel.as_bytes()));
            assert_eq!(
                files.push((root, &roots[root]), &rel, Format::Json, hash),
                i
            );
            pushed.push((rel, root, hash));
        }
        assert!(files.text.len() > 2, "several chunks");
        assert_eq!(files.len(), pushed.len());
        for (i, (rel, root, hash)) in pushed.iter().enumerate() {
            let f = files.get(i);
            assert_eq!(
                (f.rel, f.root(), f.source_hash),
                (rel.as_str(), *root, *hash)
            );
            assert_eq!(f.display(), format!("src/{rel}"));
        }
        assert!(PlannedFiles::default().is_empty());
    }
}
