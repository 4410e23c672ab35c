//! Walking a source root: recursive, sorted by file name at every level (the
//! same order on every machine), symlinks not followed unless asked, hidden
//! entries (`.git`, `.DS_Store`) left out, include / exclude globs applied to
//! the `/`-separated path relative to the root.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use super::formats::Format;
use crate::text_list::TextList;

/// One configured source root.
#[derive(Debug, Clone)]
pub struct RootSpec {
    /// Where to walk (already resolved against the config file's folder).
    pub path: PathBuf,
    /// The root as the user wrote it, for messages and run parameters.
    pub display: String,
    /// The `_metadata.source` label of everything under this root.
    pub source: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub follow_symlinks: bool,
}

impl RootSpec {
    /// A root at `path` labelled `src`, every file in it: the unit tests'
    /// sources.
    #[cfg(test)]
    pub(crate) fn for_tests(path: &Path) -> RootSpec {
        RootSpec {
            path: path.to_path_buf(),
            display: "src".into(),
            source: "src".into(),
            include: vec![],
            exclude: vec![],
            follow_symlinks: false,
        }
    }
}

/// A file the walk will hash (and maybe parse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The source root, one copy per walk: the full path is built when the
    /// file is opened rather than kept per file (a million of them). A
    /// thin pointer: 8 bytes a walked file, not 16.
    pub root: Arc<PathBuf>,
    /// Relative to the root, `/`-separated. The category and the stem are
    /// read from it rather than stored: a plan keeps every parsed file.
    pub rel: Box<str>,
    pub format: Format,
}

impl SourceFile {
    /// The file's full path.
    pub fn path(&self) -> PathBuf {
        self.root.join(&*self.rel)
    }

    /// The first directory under the root, if any.
    pub fn category(&self) -> Option<&str> {
        self.rel.split_once('/').map(|(c, _)| c)
    }

    /// The file name without its (last) extension.
    pub fn stem(&self) -> &str {
        let name = self.rel.rsplit_once('/').map_or(&*self.rel, |(_, n)| n);
        name.rsplit_once('.').map_or(name, |(s, _)| s)
    }
}

/// The files of one walk, in walk order, held as their paths' text in
/// chunks ([`TextList`]): a million walked paths are about 23 MB here, where
/// a [`SourceFile`] each (a pointer, a boxed path and its allocation) was
/// about 56 MB, held beside the stored state until planning consumed them.
/// Planning gives back the chunks it is done with ([`Self::drop_before`]).
#[derive(Debug, Default)]
pub struct WalkedFiles {
    root: Arc<PathBuf>,
    files: TextList<Format>,
}

/// A walked file, borrowed from its [`WalkedFiles`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walked<'w> {
    pub root: &'w Arc<PathBuf>,
    pub rel: &'w str,
    pub format: Format,
}

impl Walked<'_> {
    /// The file as a [`SourceFile`] of its own.
    pub fn to_source_file(self) -> SourceFile {
        SourceFile {
            root: self.root.clone(),
            rel: self.rel.into(),
            format: self.format,
        }
    }
}

impl WalkedFiles {
    fn new(root: Arc<PathBuf>) -> Self {
        WalkedFiles {
            root,
            files: TextList::default(),
        }
    }

    /// How many files the walk found (given-back ones included).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The root every file is under.
    pub fn root(&self) -> &Arc<PathBuf> {
        &self.root
    }

    /// The file at walk index `i`; panics for one given back.
    pub fn get(&self, i: usize) -> Walked<'_> {
        self.walked(self.files.get(i))
    }

    fn walked<'w>(&'w self, (rel, format): (&'w str, Format)) -> Walked<'w> {
        Walked {
            root: &self.root,
            rel,
            format,
        }
    }

    /// Every file held, in walk order.
    pub fn iter(&self) -> impl Iterator<Item = Walked<'_>> + '_ {
        self.files.iter().map(|f| self.walked(f))
    }

    /// Give back the chunks whose files all come before walk index `i`.
    pub fn drop_before(&mut self, i: usize) {
        self.files.drop_before(i);
    }
}

/// Something under the root that is not walked, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub rel: String,
    pub why: &'static str,
}

/// A path the walk could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError {
    pub rel: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct WalkReport {
    pub files: WalkedFiles,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<WalkError>,
}

fn glob_set(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| format!("invalid glob `{p}`: {e}"))?);
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

fn rel_string(root: &Path, path: &Path) -> Result<String, String> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut parts = Vec::new();
    for c in rel.components() {
        match c.as_os_str().to_str() {
            Some(s) => parts.push(s),
            None => return Err("file name is not UTF-8".to_string()),
        }
    }
    Ok(parts.join("/"))
}

/// The relative path for a message when it is not UTF-8 (invalid bytes
/// shown as U+FFFD): the file must still be named, relative to its root.
fn rel_lossy(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Walk one root. Errors in globs come back as `Err`; unreadable entries are
/// collected in the report so every problem is listed, not just the first.
pub fn walk(spec: &RootSpec) -> Result<WalkReport, String> {
    let include = glob_set(&spec.include)?;
    let exclude = glob_set(&spec.exclude)?;
    if !spec.path.is_dir() {
        return Err(format!("source root `{}` is not a directory", spec.display));
    }
    let root: Arc<PathBuf> = Arc::new(spec.path.clone());
    let mut report = WalkReport {
        files: WalkedFiles::new(root.clone()),
        ..Default::default()
    };
    // Folders left out by `exclude`, reported as skipped after the walk (the
    // walker's filter cannot borrow the report it is filling).
    let pruned = std::cell::RefCell::new(Vec::new());
    let walker = WalkDir::new(&spec.path)
        .follow_links(spec.follow_symlinks)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            if e.file_name().to_string_lossy().starts_with('.') {
                return false;
            }
            // An excluded folder is never entered: an unreadable folder or
            // one with a non-UTF-8 name can then be excluded, as the error
            // for it suggests. Matched on its lossy path, and with a
            // trailing `/` so that `drafts/**` excludes the folder itself.
            let excluded = e.file_type().is_dir()
                && exclude.as_ref().is_some_and(|g| {
                    let rel = rel_lossy(&spec.path, e.path());
                    g.is_match(&rel) || g.is_match(format!("{rel}/"))
                });
            if excluded {
                pruned.borrow_mut().push(rel_lossy(&spec.path, e.path()));
            }
            !excluded
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e
                    .path()
                    .map(|p| rel_lossy(&spec.path, p))
                    .unwrap_or_default();
                let message = if e.loop_ancestor().is_some() {
                    "symlink loop".to_string()
                } else {
                    e.io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string())
                };
                report.errors.push(WalkError { rel, message });
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let rel = match rel_string(&spec.path, entry.path()) {
            Ok(r) => r,
            // A name that is not UTF-8 can still be excluded by its lossy form.
            Err(_)
                if exclude
                    .as_ref()
                    .is_some_and(|g| g.is_match(rel_lossy(&spec.path, entry.path()))) =>
            {
                report.skipped.push(Skipped {
                    rel: rel_lossy(&spec.path, entry.path()),
                    why: "excluded",
                });
                continue;
            }
            Err(message) => {
                report.errors.push(WalkError {
                    rel: rel_lossy(&spec.path, entry.path()),
                    message,
                });
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        let skip = |why| Skipped {
            rel: rel.clone(),
            why,
        };
        if ft.is_symlink() {
            // Not followed: a link can point outside the root or loop.
            report.skipped.push(skip("symlink (not followed)"));
            continue;
        }
        if !ft.is_file() {
            // FIFOs would block a read forever; sockets and devices are not
            // knowledge. Skipped, and said so.
            report.skipped.push(skip("not a regular file"));
            continue;
        }
        if include.as_ref().is_some_and(|g| !g.is_match(&rel)) {
            report.skipped.push(skip("not included"));
            continue;
        }
        if exclude.as_ref().is_some_and(|g| g.is_match(&rel)) {
            report.skipped.push(skip("excluded"));
            continue;
        }
        let Some(format) = Format::from_name(&entry.file_name().to_string_lossy()) else {
            report.skipped.push(skip("unsupported file type"));
            continue;
        };
        report.files.files.push(&rel, format);
    }
    for rel in pruned.into_inner() {
        report.skipped.push(Skipped {
            rel: format!("{rel}/"),
            why: "excluded",
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn spec(root: &Path) -> RootSpec {
        RootSpec {
            path: root.to_path_buf(),
            display: "root".into(),
            source: "s".into(),
            include: vec![],
            exclude: vec![],
            follow_symlinks: false,
        }
    }

    /// (path, why) of each skipped entry.
    fn skipped_of(rep: &WalkReport) -> Vec<(&str, &'static str)> {
        rep.skipped
            .iter()
            .map(|s| (s.rel.as_str(), s.why))
            .collect()
    }

    #[test]
    fn walks_sorted_with_categories_and_skips() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("b/sub")).unwrap();
        fs::create_dir_all(r.join("a")).unwrap();
        fs::create_dir_all(r.join(".git")).unwrap();
        fs::write(r.join("b/sub/z.md"), "x").unwrap();
        fs::write(r.join("b/y.json"), "{}").unwrap();
        fs::write(r.join("a/x.yaml"), "a: 1").unwrap();
        fs::write(r.join("top.txt"), "t").unwrap();
        fs::write(r.join("a/image.png"), "p").unwrap();
        fs::write(r.join(".git/config"), "c").unwrap();
        std::os::unix::fs::symlink(r.join("top.txt"), r.join("link.txt")).unwrap();
        let rep = walk(&spec(r)).unwrap();
        let rels: Vec<_> = rep.files.iter().map(|f| f.rel).collect();
        assert_eq!(rels, ["a/x.yaml", "b/sub/z.md", "b/y.json", "top.txt"]);
        let file = |i| rep.files.get(i).to_source_file();
        assert_eq!(file(1).category(), Some("b"));
        assert_eq!(file(3).category(), None);
        assert_eq!(file(1).stem(), "z");
        assert_eq!(file(3).stem(), "top");
        assert_eq!(file(0).format, Format::Yaml);
        assert_eq!(file(0).path(), r.join("a/x.yaml"));
        let skipped = skipped_of(&rep);
        assert_eq!(
            skipped,
            [
                ("a/image.png", "unsupported file type"),
                ("link.txt", "symlink (not followed)")
            ]
        );
    }

    #[test]
    fn include_and_exclude_globs() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("a/drafts")).unwrap();
        fs::write(d.path().join("a/one.md"), "x").unwrap();
        fs::write(d.path().join("a/drafts/two.md"), "x").unwrap();
        let mut s = spec(d.path());
        s.exclude = vec!["**/drafts/**".into()];
        let rep = walk(&s).unwrap();
        assert_eq!(rep.files.len(), 1);
        s.exclude.clear();
        s.include = vec!["a/drafts/*".into()];
        assert_eq!(walk(&s).unwrap().files.get(0).rel, "a/drafts/two.md");
    }

    #[test]
    fn a_name_that_is_not_utf8_is_an_error_naming_it_relative_to_the_root() {
        use std::os::unix::ffi::OsStrExt;
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("a")).unwrap();
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
        fs::write(d.path().join("a").join(name), "x").unwrap();
        let rep = walk(&spec(d.path())).unwrap();
        assert!(rep.files.is_empty());
        assert_eq!(
            rep.errors,
            [WalkError {
                rel: "a/caf\u{fffd}.md".into(),
                message: "file name is not UTF-8".into()
            }]
        );
    }

    #[test]
    fn an_excluded_folder_is_not_entered() {
        use std::os::unix::ffi::OsStrExt;
        let d = tempfile::tempdir().unwrap();
        // A folder whose name is not UTF-8 would be an error if entered.
        let bad = d.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
        fs::create_dir_all(&bad).unwrap();
        fs::write(bad.join("x.md"), "x").unwrap();
        fs::create_dir_all(d.path().join("drafts/deep")).unwrap();
        fs::write(d.path().join("drafts/deep/y.md"), "y").unwrap();
        fs::write(d.path().join("keep.md"), "k").unwrap();
        let mut s = spec(d.path());
        assert_eq!(
            walk(&s).unwrap().errors.len(),
            2,
            "entered: the folder and its file"
        );
        s.exclude = vec!["caf*".into(), "drafts/**".into()];
        let rep = walk(&s).unwrap();
        assert!(rep.errors.is_empty(), "{:?}", rep.errors);
        assert_eq!(rep.files.len(), 1);
        let skipped = skipped_of(&rep);
        assert_eq!(
            skipped,
            [("caf\u{fffd}/", "excluded"), ("drafts/", "excluded")]
        );
    }

    #[test]
    fn fifo_is_skipped_not_read() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("pipe.json");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(ok.success());
        let rep = walk(&spec(d.path())).unwrap();
        assert!(rep.files.is_empty());
        assert_eq!(rep.skipped[0].why, "not a regular file");
    }
}
