//! The dedupe decision for one episode, as a pure function of what is stored
//! and what the sources produce now. No I/O, no store, no plan: every row of
//! the README's dedupe table is a test below.
//!
//! | stored | condition | decision |
//! |---|---|---|
//! | none | | create |
//! | same version | same content | skip (update with `--force`) |
//! | same version | same content, its file changed elsewhere or it moved | refresh |
//! | same version | content differs | update |
//! | older version | | replace |
//! | newer version | | refused: downgrade, unless `--allow-downgrade` (replace) |
//! | not in sources | same group and source | orphan; prune with `--prune` |
//!
//! The producers of planning (files, stdin, the stored state) gather the
//! facts and turn each [`Decision`] into a planned entry with its reason.
//! New decisions (restore, repair, rewrite, an ownership check) are new
//! variants here and new rows in the table.

use std::cmp::Ordering;

use crate::stores::Action;
use crate::version::SeedVersion;

/// The stored episode, as far as dedupe looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored<'a> {
    /// As stored: text, which a hand edit may have made invalid.
    pub version: &'a str,
    pub content_hash: &'a str,
    /// The source (label) that owns the episode.
    pub source: &'a str,
    pub source_path: Option<&'a str>,
    pub source_hash: Option<&'a str>,
}

/// The episode the sources produce now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incoming<'a> {
    pub version: &'a SeedVersion,
    pub content_hash: &'a str,
    pub source: &'a str,
    pub source_path: Option<&'a str>,
    /// `None` for generated content (stdin).
    pub source_hash: Option<&'a str>,
}

/// The flags that change a decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecideOptions {
    pub force: bool,
    pub allow_downgrade: bool,
    pub prune: bool,
}

/// What happens to one episode, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing stored: a new episode.
    Create,
    /// Same version, same content, same place.
    Skip,
    /// Same version and content; only where it comes from changed.
    Refresh(RefreshWhy),
    /// Same version, rewritten.
    Update(UpdateWhy),
    /// The stored episode is replaced by the sources' version.
    Replace(ReplaceWhy),
    /// Stored, produced by nothing in scope: reported and kept.
    Orphan,
    /// Stored, produced by nothing in scope: deleted (`--prune`).
    Prune,
    /// Not planned: an error the plan lists.
    Refuse(Refusal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshWhy {
    /// Another source or path produces it now.
    Moved,
    /// Its file's bytes changed elsewhere (another item of the file).
    Rehashed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateWhy {
    ContentChanged,
    Forced,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplaceWhy {
    /// The stored version is older.
    Older,
    /// The stored version is newer, and `--allow-downgrade` was given.
    DowngradeAllowed,
    /// The stored version is not semver, and `--force` was given.
    InvalidStoredVersion(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The stored version is newer than the sources'.
    Downgrade,
    /// The stored version is not semver (the parser's message).
    InvalidStoredVersion(String),
}

impl Decision {
    /// The action this decision takes; `None` when it is refused.
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            Decision::Create => Action::Create,
            Decision::Skip => Action::Skip,
            Decision::Refresh(_) => Action::Refresh,
            Decision::Update(_) => Action::Update,
            Decision::Replace(_) => Action::Replace,
            Decision::Orphan => Action::Orphan,
            Decision::Prune => Action::Prune,
            Decision::Refuse(_) => return None,
        })
    }
}

/// Decide one episode from what is stored and what the sources produce now.
/// (Neither side: nothing to do, a skip.)
pub fn decide(
    stored: Option<&Stored<'_>>,
    incoming: Option<&Incoming<'_>>,
    options: DecideOptions,
) -> Decision {
    let (s, i) = match (stored, incoming) {
        (None, Some(_)) => return Decision::Create,
        (Some(_), None) if options.prune => return Decision::Prune,
        (Some(_), None) => return Decision::Orphan,
        (None, None) => return Decision::Skip,
        (Some(s), Some(i)) => (s, i),
    };
    let stored_version = match SeedVersion::parse(s.version) {
        Ok(v) => v,
        Err(e) if options.force => {
            return Decision::Replace(ReplaceWhy::InvalidStoredVersion(e.to_string()));
        }
        Err(e) => return Decision::Refuse(Refusal::InvalidStoredVersion(e.to_string())),
    };
    // Semver order, never text order: 1.10.0 > 1.9.0, 1.0.0-rc.1 < 1.0.0.
    match stored_version.cmp(i.version) {
        Ordering::Less => Decision::Replace(ReplaceWhy::Older),
        Ordering::Greater if options.allow_downgrade => {
            Decision::Replace(ReplaceWhy::DowngradeAllowed)
        }
        Ordering::Greater => Decision::Refuse(Refusal::Downgrade),
        Ordering::Equal if options.force => Decision::Update(UpdateWhy::Forced),
        Ordering::Equal if s.content_hash != i.content_hash => {
            Decision::Update(UpdateWhy::ContentChanged)
        }
        Ordering::Equal if s.source != i.source || s.source_path != i.source_path => {
            Decision::Refresh(RefreshWhy::Moved)
        }
        Ordering::Equal if s.source_hash != i.source_hash => {
            Decision::Refresh(RefreshWhy::Rehashed)
        }
        Ordering::Equal => Decision::Skip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "1.0.0";
    const C: &str = "content-a";
    const H: &str = "file-hash-a";

    fn stored(version: &'static str) -> Stored<'static> {
        Stored {
            version,
            content_hash: C,
            source: "docs",
            source_path: Some("guides/a.md"),
            source_hash: Some(H),
        }
    }

    /// The sources produce the stored episode again, unchanged, at `version`.
    fn same(version: &SeedVersion) -> Incoming<'_> {
        Incoming {
            version,
            content_hash: C,
            source: "docs",
            source_path: Some("guides/a.md"),
            source_hash: Some(H),
        }
    }

    fn v(s: &str) -> SeedVersion {
        SeedVersion::parse(s).unwrap()
    }

    const PLAIN: DecideOptions = DecideOptions {
        force: false,
        allow_downgrade: false,
        prune: false,
    };
    const FORCE: DecideOptions = DecideOptions {
        force: true,
        ..PLAIN
    };
    const ALLOW_DOWNGRADE: DecideOptions = DecideOptions {
        allow_downgrade: true,
        ..PLAIN
    };
    const PRUNE: DecideOptions = DecideOptions {
        prune: true,
        ..PLAIN
    };

    #[test]
    fn row_none_is_create() {
        let v1 = v(V1);
        assert_eq!(decide(None, Some(&same(&v1)), PLAIN), Decision::Create);
        assert_eq!(decide(None, Some(&same(&v1)), FORCE), Decision::Create);
    }

    #[test]
    fn row_same_version_same_content_is_skip_and_update_with_force() {
        let v1 = v(V1);
        assert_eq!(
            decide(Some(&stored(V1)), Some(&same(&v1)), PLAIN),
            Decision::Skip
        );
        assert_eq!(
            decide(Some(&stored(V1)), Some(&same(&v1)), FORCE),
            Decision::Update(UpdateWhy::Forced)
        );
    }

    #[test]
    fn row_same_content_file_changed_elsewhere_or_moved_is_refresh() {
        let v1 = v(V1);
        let rehashed = Incoming {
            source_hash: Some("file-hash-b"),
            ..same(&v1)
        };
        assert_eq!(
            decide(Some(&stored(V1)), Some(&rehashed), PLAIN),
            Decision::Refresh(RefreshWhy::Rehashed)
        );
        let moved = Incoming {
            source_path: Some("guides/b.md"),
            ..same(&v1)
        };
        assert_eq!(
            decide(Some(&stored(V1)), Some(&moved), PLAIN),
            Decision::Refresh(RefreshWhy::Moved)
        );
        // Another source root now produces it: moved too.
        let other_source = Incoming {
            source: "notes",
            ..same(&v1)
        };
        assert_eq!(
            decide(Some(&stored(V1)), Some(&other_source), PLAIN),
            Decision::Refresh(RefreshWhy::Moved)
        );
        // Generated content (stdin) has no file at all.
        let generated = Incoming {
            source_path: None,
            source_hash: None,
            ..same(&v1)
        };
        assert_eq!(
            decide(Some(&stored(V1)), Some(&generated), PLAIN),
            Decision::Refresh(RefreshWhy::Moved)
        );
        let stored_generated = Stored {
            source_path: None,
            source_hash: None,
            ..stored(V1)
        };
        assert_eq!(
            decide(Some(&stored_generated), Some(&generated), PLAIN),
            Decision::Skip
        );
    }

    #[test]
    fn row_same_version_content_differs_is_update() {
        let v1 = v(V1);
        let changed = Incoming {
            content_hash: "content-b",
            source_hash: Some("file-hash-b"),
            ..same(&v1)
        };
        assert_eq!(
            decide(Some(&stored(V1)), Some(&changed), PLAIN),
            Decision::Update(UpdateWhy::ContentChanged)
        );
    }

    #[test]
    fn row_older_version_is_replace() {
        for (stored_version, now) in [
            ("1.0.0", "1.1.0"),
            ("1.9.0", "1.10.0"),
            ("1.0.0-rc.1", "1.0.0"),
            ("0.9.9", "1.0.0"),
        ] {
            let now = v(now);
            for options in [PLAIN, FORCE, ALLOW_DOWNGRADE] {
                assert_eq!(
                    decide(Some(&stored(stored_version)), Some(&same(&now)), options),
                    Decision::Replace(ReplaceWhy::Older),
                    "{stored_version} -> {now} with {options:?}"
                );
            }
        }
    }

    #[test]
    fn row_newer_version_is_refused_unless_allow_downgrade() {
        for (stored_version, now) in [
            ("1.1.0", "1.0.0"),
            ("1.10.0", "1.9.0"),
            ("1.0.0", "1.0.0-rc.1"),
        ] {
            let now = v(now);
            let s = stored(stored_version);
            assert_eq!(
                decide(Some(&s), Some(&same(&now)), PLAIN),
                Decision::Refuse(Refusal::Downgrade)
            );
            // --force does not allow a downgrade on its own.
            assert_eq!(
                decide(Some(&s), Some(&same(&now)), FORCE),
                Decision::Refuse(Refusal::Downgrade)
            );
            assert_eq!(
                decide(Some(&s), Some(&same(&now)), ALLOW_DOWNGRADE),
                Decision::Replace(ReplaceWhy::DowngradeAllowed)
            );
        }
    }

    #[test]
    fn row_gone_from_the_sources_is_orphan_and_prune_with_prune() {
        assert_eq!(decide(Some(&stored(V1)), None, PLAIN), Decision::Orphan);
        assert_eq!(decide(Some(&stored(V1)), None, FORCE), Decision::Orphan);
        assert_eq!(decide(Some(&stored(V1)), None, PRUNE), Decision::Prune);
    }

    #[test]
    fn an_invalid_stored_version_is_refused_unless_forced() {
        let v1 = v(V1);
        let bad = stored("one");
        assert!(matches!(
            decide(Some(&bad), Some(&same(&v1)), PLAIN),
            Decision::Refuse(Refusal::InvalidStoredVersion(_))
        ));
        assert!(matches!(
            decide(Some(&bad), Some(&same(&v1)), FORCE),
            Decision::Replace(ReplaceWhy::InvalidStoredVersion(_))
        ));
    }

    #[test]
    fn every_decision_names_its_action() {
        let rows = [
            (Decision::Create, Some(Action::Create)),
            (Decision::Skip, Some(Action::Skip)),
            (Decision::Refresh(RefreshWhy::Moved), Some(Action::Refresh)),
            (Decision::Update(UpdateWhy::Forced), Some(Action::Update)),
            (Decision::Replace(ReplaceWhy::Older), Some(Action::Replace)),
            (Decision::Orphan, Some(Action::Orphan)),
            (Decision::Prune, Some(Action::Prune)),
            (Decision::Refuse(Refusal::Downgrade), None),
        ];
        for (d, action) in rows {
            assert_eq!(d.action(), action, "{d:?}");
        }
    }
}
