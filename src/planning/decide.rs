//! The dedupe decision for one episode, as a pure function of what is stored
//! and what the sources produce now. No I/O, no store, no plan: every row of
//! the README's dedupe table is a test below.
//!
//! | stored | condition | decision |
//! |---|---|---|
//! | none | | create |
//! | none, its file unchanged | | restore (deleted by hand) |
//! | edited by hand (reconciling) | | repair |
//! | another source's | | refused: ownership, unless `--transfer-ownership` (transfer) |
//! | same version | same content | skip (rewrite with `--force`) |
//! | same version | same content, its file changed elsewhere or it moved | refresh |
//! | same version | content differs | update |
//! | older version | | replace |
//! | newer version | | refused: downgrade, unless `--allow-downgrade` (replace) |
//! | not in sources | same group and source | orphan; prune with `--prune` |
//!
//! The producers of planning (files, stdin, the stored state) gather the
//! facts and turn each [`Decision`] into a planned entry with its reason.

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
    /// Found edited by hand (its body or a tool-owned property) by a
    /// reconciling plan.
    pub edited: bool,
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
    /// Its file's bytes hash to the `source_hash` its stored episodes
    /// carry: the file is as it was when they were written.
    pub file_unchanged: bool,
}

/// The flags that change a decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecideOptions {
    pub force: bool,
    pub allow_downgrade: bool,
    pub prune: bool,
    pub transfer_ownership: bool,
}

/// What happens to one episode, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing stored: a new episode.
    Create,
    /// Nothing stored although the file is as it was when its episodes
    /// were written: deleted by hand, written again.
    Restore,
    /// Stored, but edited by hand: written again from the source.
    Repair,
    /// `--force`, content unchanged: written again, timestamps kept.
    Rewrite,
    /// Another source wrote it, and `--transfer-ownership` hands it over.
    Transfer,
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
    /// Another source wrote it (an episode belongs to its source).
    Ownership,
}

impl Decision {
    /// The action this decision takes; `None` when it is refused.
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            Decision::Create => Action::Create,
            Decision::Restore => Action::Restore,
            Decision::Repair => Action::Repair,
            Decision::Rewrite => Action::Rewrite,
            Decision::Transfer => Action::Transfer,
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
        (None, Some(i)) if i.file_unchanged => return Decision::Restore,
        (None, Some(_)) => return Decision::Create,
        (Some(_), None) if options.prune => return Decision::Prune,
        (Some(_), None) => return Decision::Orphan,
        (None, None) => return Decision::Skip,
        (Some(s), Some(i)) => (s, i),
    };
    // A hand edit may be in the version or the source themselves: the
    // source's episode is written again whatever they say now.
    if s.edited {
        return Decision::Repair;
    }
    // An episode belongs to its source, in any run.
    if s.source != i.source {
        return match options.transfer_ownership {
            true => Decision::Transfer,
            false => Decision::Refuse(Refusal::Ownership),
        };
    }
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
        Ordering::Equal if options.force && s.content_hash == i.content_hash => Decision::Rewrite,
        Ordering::Equal if options.force => Decision::Update(UpdateWhy::Forced),
        Ordering::Equal if s.content_hash != i.content_hash => {
            Decision::Update(UpdateWhy::ContentChanged)
        }
        Ordering::Equal if s.source_path != i.source_path => Decision::Refresh(RefreshWhy::Moved),
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
            edited: false,
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
            file_unchanged: false,
        }
    }

    fn v(s: &str) -> SeedVersion {
        SeedVersion::parse(s).unwrap()
    }

    const PLAIN: DecideOptions = DecideOptions {
        force: false,
        allow_downgrade: false,
        prune: false,
        transfer_ownership: false,
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
    const TRANSFER: DecideOptions = DecideOptions {
        transfer_ownership: true,
        ..PLAIN
    };

    #[test]
    fn row_none_is_create() {
        let v1 = v(V1);
        assert_eq!(decide(None, Some(&same(&v1)), PLAIN), Decision::Create);
        assert_eq!(decide(None, Some(&same(&v1)), FORCE), Decision::Create);
    }

    #[test]
    fn row_none_with_its_file_unchanged_is_restore() {
        let v1 = v(V1);
        let unchanged = Incoming {
            file_unchanged: true,
            ..same(&v1)
        };
        for options in [PLAIN, FORCE, PRUNE] {
            assert_eq!(decide(None, Some(&unchanged), options), Decision::Restore);
        }
    }

    #[test]
    fn row_edited_by_hand_is_repair_whatever_else_differs() {
        let v1 = v(V1);
        let edited = |version| Stored {
            edited: true,
            ..stored(version)
        };
        // Even a version or source the edit planted: no downgrade, no
        // ownership refusal.
        for (s, options) in [
            (edited(V1), PLAIN),
            (edited(V1), FORCE),
            (edited("9.9.9"), PLAIN),
            (edited("one"), PLAIN),
            (
                Stored {
                    source: "planted",
                    ..edited(V1)
                },
                PLAIN,
            ),
        ] {
            assert_eq!(
                decide(Some(&s), Some(&same(&v1)), options),
                Decision::Repair,
                "{s:?}"
            );
        }
    }

    #[test]
    fn row_another_sources_episode_is_refused_unless_transferred() {
        let v1 = v(V1);
        let other = Incoming {
            source: "notes",
            ..same(&v1)
        };
        for options in [PLAIN, FORCE, ALLOW_DOWNGRADE, PRUNE] {
            assert_eq!(
                decide(Some(&stored(V1)), Some(&other), options),
                Decision::Refuse(Refusal::Ownership)
            );
        }
        assert_eq!(
            decide(Some(&stored(V1)), Some(&other), TRANSFER),
            Decision::Transfer
        );
        // Its own source is never a transfer.
        assert_eq!(
            decide(Some(&stored(V1)), Some(&same(&v1)), TRANSFER),
            Decision::Skip
        );
    }

    #[test]
    fn row_same_version_same_content_is_skip_and_rewrite_with_force() {
        let v1 = v(V1);
        assert_eq!(
            decide(Some(&stored(V1)), Some(&same(&v1)), PLAIN),
            Decision::Skip
        );
        assert_eq!(
            decide(Some(&stored(V1)), Some(&same(&v1)), FORCE),
            Decision::Rewrite
        );
        // Content that differs is an update, forced or not.
        let changed = Incoming {
            content_hash: "content-b",
            ..same(&v1)
        };
        assert_eq!(
            decide(Some(&stored(V1)), Some(&changed), FORCE),
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
            (Decision::Restore, Some(Action::Restore)),
            (Decision::Repair, Some(Action::Repair)),
            (Decision::Rewrite, Some(Action::Rewrite)),
            (Decision::Transfer, Some(Action::Transfer)),
            (Decision::Skip, Some(Action::Skip)),
            (Decision::Refresh(RefreshWhy::Moved), Some(Action::Refresh)),
            (Decision::Update(UpdateWhy::Forced), Some(Action::Update)),
            (Decision::Replace(ReplaceWhy::Older), Some(Action::Replace)),
            (Decision::Orphan, Some(Action::Orphan)),
            (Decision::Prune, Some(Action::Prune)),
            (Decision::Refuse(Refusal::Downgrade), None),
            (Decision::Refuse(Refusal::Ownership), None),
        ];
        for (d, action) in rows {
            assert_eq!(d.action(), action, "{d:?}");
        }
    }
}
