//! The seeding set's version: strict semver `MAJOR.MINOR.PATCH`, pre-release
//! allowed, build metadata refused (it has no order, so it cannot drive a
//! version-aware reseed).

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SeedVersion(semver::Version);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not a strict semver version MAJOR.MINOR.PATCH[-PRERELEASE]: {why}")]
pub struct VersionError {
    pub input: String,
    pub why: String,
}

impl SeedVersion {
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let err = |why: &str| VersionError {
            input: input.to_string(),
            why: why.to_string(),
        };
        // Stored as an index key: held to the same size on every store.
        crate::limits::check_key("version", input).map_err(|m| err(&m))?;
        let v = semver::Version::parse(input).map_err(|e| err(&e.to_string()))?;
        if !v.build.is_empty() {
            return Err(err("build metadata (`+...`) is not allowed"));
        }
        Ok(Self(v))
    }

    pub fn major(&self) -> i64 {
        self.0.major as i64
    }
    pub fn minor(&self) -> i64 {
        self.0.minor as i64
    }
    pub fn patch(&self) -> i64 {
        self.0.patch as i64
    }
    /// The pre-release part, empty for a release.
    pub fn pre(&self) -> &str {
        self.0.pre.as_str()
    }
}

impl Ord for SeedVersion {
    // semver precedence, never string order: 1.10.0 > 1.9.0, 1.0.0-rc.1 < 1.0.0.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

impl PartialOrd for SeedVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for SeedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<String> for SeedVersion {
    type Error = VersionError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<SeedVersion> for String {
    fn from(v: SeedVersion) -> String {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SeedVersion {
        SeedVersion::parse(s).unwrap()
    }

    #[test]
    fn compares_as_semver_not_strings() {
        assert!(v("1.10.0") > v("1.9.0"));
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
        assert!(v("2.0.0") > v("1.99.99"));
    }

    #[test]
    fn refuses_non_strict_versions() {
        for bad in ["1.0", "v1.0.0", "1.0.0+build.1", "01.0.0", "", "1.0.0.0"] {
            assert!(SeedVersion::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn exposes_parts() {
        let x = v("3.14.15-rc.2");
        assert_eq!(
            (x.major(), x.minor(), x.patch(), x.pre()),
            (3, 14, 15, "rc.2")
        );
    }
}
