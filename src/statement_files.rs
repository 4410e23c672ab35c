//! The statement directories, `cypher/` and `sql/`: the macro that loads
//! every file of one at compile time, and (in test builds) the checks both
//! get: every file is listed and loaded, each starts with a comment naming
//! its parameters, and `src/` is walked for code that builds a statement at
//! run time.

/// Defines one `pub const NAME: &str` per file of directory `$dir` and `ALL`
/// listing them all as (file name, text), in the order listed, so a file
/// cannot be loaded without being listed (or listed without being loaded).
macro_rules! statement_files {
    ($dir:literal; $($(#[$meta:meta])* $name:ident => $file:literal;)*) => {
        $(
            $(#[$meta])*
            pub const $name: &str =
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/", $file));
        )*

        /// (file name, text) for every statement of the directory, in the
        /// order listed here.
        pub const ALL: &[(&str, &str)] = &[$(($file, $name)),*];
    };
}
pub(crate) use statement_files;

#[cfg(test)]
pub mod checks {
    use std::collections::BTreeSet;
    use std::fs;
    use std::path::{Path, PathBuf};

    /// How one statement language marks comments and parameters.
    pub struct Dialect {
        /// `cypher` or `sql`: the directory and the extension.
        pub dir: &'static str,
        /// `//` or `--`.
        pub comment: &'static str,
        /// The parameter tokens a text uses (`$name`, `?N`).
        pub params: fn(&str) -> BTreeSet<String>,
        /// How a header comment names a parameter token.
        pub mention: fn(&str) -> String,
    }

    pub fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// The files of the dialect's directory are exactly those `all` lists (a
    /// typo'd extension would never load), besides `extra` (a README).
    pub fn assert_dir_is_listed(d: &Dialect, all: &[(&str, &str)], extra: &[&str]) {
        let on_disk: BTreeSet<String> = fs::read_dir(root().join(d.dir))
            .unwrap_or_else(|e| panic!("read {}/: {e}", d.dir))
            .map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| !extra.contains(&name.as_str()))
            .collect();
        let listed: BTreeSet<String> = all.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(listed.len(), all.len(), "a file is listed twice in ALL");
        let missing: Vec<_> = on_disk.difference(&listed).collect();
        let stale: Vec<_> = listed.difference(&on_disk).collect();
        assert!(
            missing.is_empty(),
            "{}/ files not in ALL: {missing:?}",
            d.dir
        );
        assert!(
            stale.is_empty(),
            "ALL lists files not in {}/: {stale:?}",
            d.dir
        );
        let ext = format!(".{}", d.dir);
        for name in &on_disk {
            assert!(name.ends_with(&ext), "unexpected file {}/{name}", d.dir);
        }
    }

    /// The comment lines and the statement lines of a file.
    pub fn split<'t>(d: &Dialect, text: &'t str) -> (Vec<&'t str>, Vec<&'t str>) {
        let mut header = Vec::new();
        let mut body = Vec::new();
        for line in text.lines() {
            let t = line.trim_start();
            if t.starts_with(d.comment) {
                header.push(t);
            } else if !t.is_empty() {
                body.push(line);
            }
        }
        (header, body)
    }

    /// Every file starts with a comment saying what it is for, and its comments
    /// name every parameter it uses (or say `Parameters: none.`).
    pub fn assert_headers_name_parameters(d: &Dialect, all: &[(&str, &str)]) {
        for (file, text) in all {
            assert!(
                text.trim_start().starts_with(d.comment),
                "{file} must start with a `{}` comment saying what it is for",
                d.comment
            );
            let (header, body) = split(d, text);
            assert!(!body.is_empty(), "{file} holds no statement");
            let header = header.join("\n");
            let used = (d.params)(&body.join("\n"));
            for p in &used {
                assert!(
                    header.contains(&(d.mention)(p)),
                    "{file}: parameter {p} is not described in the header comment"
                );
            }
            if used.is_empty() {
                assert!(
                    header.to_lowercase().contains("parameters: none"),
                    "{file}: say `Parameters: none.` in the header"
                );
            }
        }
    }

    /// Every `.rs` file under `src/`.
    pub fn rust_files() -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in fs::read_dir(dir).expect("read src/") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&root().join("src"), &mut out);
        out
    }
}
