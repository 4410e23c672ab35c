//! The files a plan parsed, with the hash each had then: kept until the
//! plan is applied (their bodies are read again then), one per parsed file,
//! so held compactly.

use std::sync::Arc;

use crate::hashing::Sha256Hash;
use crate::sources::{Format, RootSpec, SourceFile};
use crate::spill::Spilled;
use crate::text_list::TextList;

/// A file the plan read, with the hash it had then, as borrowed from its
/// [`PlannedFiles`].
#[derive(Debug, Clone, Copy)]
pub struct PlannedFile<'p> {
    /// Relative to the root, `/`-separated (its entries' source_path).
    pub rel: &'p str,
    pub format: Format,
    /// Its root: full paths are built only when a file is read again or
    /// named in a message.
    pub at: &'p Arc<PlannedRoot>,
    /// Its root's index in the plan's input.
    root: u32,
    /// Its index, for its hash (read only when asked for).
    at_index: usize,
    hashes: &'p Spilled<32>,
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
    /// The file's SHA-256 when the plan read it.
    pub fn source_hash(&self) -> Sha256Hash {
        Sha256Hash(self.hashes.get(self.at_index))
    }

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
/// seed keeps a million: each is a 4-byte row and its path's text in a
/// [`TextList`], and its hash in a [`Spilled`] list (in a temporary file
/// past a few megabytes), where a struct of its own (a boxed path and a
/// pointer to its root beside the hash) was 64 bytes and an allocation
/// rounded up, about 88 bytes a file.
#[derive(Debug, Clone, Default)]
pub struct PlannedFiles {
    files: TextList<Row>,
    /// File `i`'s hash.
    hashes: Spilled<32>,
    /// By root index; a root with no planned file has none.
    roots: Vec<Option<Arc<PlannedRoot>>>,
}

/// What a [`PlannedFiles`] keeps of a file beside its path.
#[derive(Debug, Clone, Copy)]
struct Row {
    root: u16,
    format: Format,
}

impl PlannedFiles {
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The file at `i`.
    pub fn get(&self, i: usize) -> PlannedFile<'_> {
        let (rel, r) = self.files.get(i);
        PlannedFile {
            rel,
            format: r.format,
            at: self.roots[usize::from(r.root)]
                .as_ref()
                .expect("a planned file's root is kept"),
            root: u32::from(r.root),
            at_index: i,
            hashes: &self.hashes,
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
        let root16 = u16::try_from(root).expect("fewer than 65,536 source roots");
        if self.roots.len() <= root {
            self.roots.resize(root + 1, None);
        }
        self.roots[root].get_or_insert_with(|| PlannedRoot::of(spec));
        let row = Row {
            root: root16,
            format,
        };
        self.hashes.push(source_hash.0);
        self.files.push(rel, row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row stays 4 bytes, and every file reads back as pushed, with a
    /// long path and roots out of order.
    #[test]
    fn planned_files_read_back_as_pushed() {
        assert!(std::mem::size_of::<Row>() <= 4);
        let d = std::path::Path::new("/r");
        let roots = [RootSpec::for_tests(d), RootSpec::for_tests(d)];
        let mut files = PlannedFiles::default();
        let long = "x/".repeat(1 << 20) + "y.md";
        let mut pushed = Vec::new();
        for i in 0..20_000usize {
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
        assert_eq!(files.len(), pushed.len());
        for (i, (rel, root, hash)) in pushed.iter().enumerate() {
            let f = files.get(i);
            assert_eq!(
                (f.rel, f.root(), f.source_hash()),
                (rel.as_str(), *root, *hash)
            );
            assert_eq!(f.display(), format!("src/{rel}"));
        }
        assert!(PlannedFiles::default().is_empty());
    }
}
