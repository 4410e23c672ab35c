//! What graphseed accepts, in one place: the size of every value that ends up
//! in an index key, and the range of every numeric setting. Each check is a
//! pure function with a table of tests below, and every refusal names the
//! limit, so a user can fix the input instead of guessing.

/// Neo4j 5.26's largest RANGE index entry, in bytes as Neo4j counts them
/// ("property size" in its `Property value is too large to index` error).
/// Measured on 5.26.30: a single string of n bytes counts n + 11, the
/// `(group_id, entity_id)` pair a + b + 14; 8175 is accepted, 8176 refused.
/// Neo4j documents the same order of limit (8167 bytes for the native btree
/// of 4.x). Kept here as the reason for the limits below, not checked
/// directly: the limits below keep every key well under it.
pub const NEO4J_RANGE_KEY_BYTES: usize = 8175;

/// The most bytes of `entity_id`, `source`, `version` and `source_path`.
/// Each is a key of an index on Neo4j; 4096 (Linux's PATH_MAX, so no real
/// relative path is refused) plus a group of at most [`GROUP_MAX_BYTES`]
/// keeps the composite `(group_id, entity_id)` key under
/// [`NEO4J_RANGE_KEY_BYTES`]. The embedded store could hold more; it is held
/// to the same limit so that both stores accept the same inputs.
pub const KEY_MAX_BYTES: usize = 4096;

/// The most bytes of a `group_id` (it shares a composite key with
/// `entity_id`).
pub const GROUP_MAX_BYTES: usize = 1024;

/// Errors listed per plan before the rest is only counted: a million bad
/// lines must not print (or hold) a million messages.
pub const MAX_LISTED_ERRORS: usize = 100;

/// File bytes held at once on a group's first seed so that a file is read
/// from disk once, not three times (hashed by the scan, parsed by the plan,
/// parsed again to be written): the scan keeps what it read while this
/// allowance lasts, and applying takes it. Beyond it files are read again,
/// as before, and a reseed keeps nothing: most of its files are unchanged,
/// and their bytes would only raise its peak memory. Measured on 100k files of
/// about 500 B (bench/results/profile.md, "client side"): every read pass
/// costs about 1.6 s of system time, and keeping bytes costs their size in
/// peak memory (64 MiB: +78 MB; 32 MiB: +40 MB), which the memory budget
/// of a run (200 MB at a million episodes) cannot spare more of.
pub const KEEP_READ_BYTES: u64 = 32 << 20;

/// `Err(message)` when `value` is too long for an index key. `field` names
/// the field as the user knows it.
pub fn check_key(field: &str, value: &str) -> Result<(), String> {
    let max = if field == "group" {
        GROUP_MAX_BYTES
    } else {
        KEY_MAX_BYTES
    };
    if value.len() > max {
        return Err(format!(
            "{field} is {} bytes, over the {max}-byte limit of an index key (Neo4j cannot index longer values)",
            value.len()
        ));
    }
    Ok(())
}

/// One numeric setting: its flag, its config key, and the values allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub flag: Option<&'static str>,
    pub key: Option<&'static str>,
    pub min: u64,
    pub max: u64,
    pub default: u64,
}

/// `--lock-ttl` / `[apply] lock_ttl_secs`: up to a day. A lease is renewed
/// between batches, so a long one only delays the takeover after a crash;
/// the cap also keeps the expiry a representable date.
pub const LOCK_TTL_SECS: Setting = Setting {
    flag: Some("--lock-ttl"),
    key: Some("[apply] lock_ttl_secs"),
    min: 1,
    max: 86_400,
    default: 60,
};

/// `--batch-size` / `[apply] batch_size`: a transaction of more than 100k
/// episodes holds too much in memory on either side.
pub const BATCH_SIZE: Setting = Setting {
    flag: Some("--batch-size"),
    key: Some("[apply] batch_size"),
    min: 1,
    max: 100_000,
    default: 1000,
};

/// `[apply] retry_budget_secs`: 0 turns retries off; a day at most.
pub const RETRY_BUDGET_SECS: Setting = Setting {
    flag: None,
    key: Some("[apply] retry_budget_secs"),
    min: 0,
    max: 86_400,
    default: 120,
};

/// `keep_trails`: how many run audit trails (`<state_dir>/runs/<run_id>/`)
/// are kept, the newest; 0 keeps every one. A trail has one line per
/// decision, about 550 bytes each: a run over a million episodes leaves
/// about 550 MB, so a large group reseeded often needs a bound.
pub const KEEP_TRAILS: Setting = Setting {
    flag: None,
    key: Some("keep_trails"),
    min: 0,
    max: 1_000_000,
    default: 0,
};

/// `--connection-timeout`: at least a second, a day at most.
pub const CONNECTION_TIMEOUT_SECS: Setting = Setting {
    flag: Some("--connection-timeout"),
    key: None,
    min: 1,
    max: 86_400,
    default: 300,
};

/// `[limits] max_file_mb`: also the limit of one line of standard input.
pub const MAX_FILE_MB: Setting = Setting {
    flag: None,
    key: Some("[limits] max_file_mb"),
    min: 1,
    max: 1024,
    default: 16,
};

/// `[limits] max_stdin_mb`: the whole of standard input. The default is
/// that of one file: standard input is planned like one JSONL file, with
/// every item in memory at once.
pub const MAX_STDIN_MB: Setting = Setting {
    flag: None,
    key: Some("[limits] max_stdin_mb"),
    min: 1,
    max: 4096,
    default: 16,
};

/// `[communities] iterations`: passes of Leiden; each pass stops early when
/// nothing moves, so more than 100 only costs time.
pub const COMMUNITY_ITERATIONS: Setting = Setting {
    flag: None,
    key: Some("[communities] iterations"),
    min: 1,
    max: 100,
    default: 2,
};

/// `[communities] min_size`: smaller communities are not written. 1 writes
/// singletons too; above a million no community of a real group qualifies.
pub const COMMUNITY_MIN_SIZE: Setting = Setting {
    flag: None,
    key: Some("[communities] min_size"),
    min: 1,
    max: 1_000_000,
    default: 2,
};

/// `[communities] max_cluster_size`: communities above it are split into a
/// level below. Absent means one level; 1 would split every community into
/// singletons, so 2 is the least.
pub const COMMUNITY_MAX_CLUSTER_SIZE: Setting = Setting {
    flag: None,
    key: Some("[communities] max_cluster_size"),
    min: 2,
    max: 100_000_000,
    default: 0, // unused: absent means no splitting
};

impl Setting {
    /// The flag's value if given, else the config's, else the default;
    /// refused (naming where it came from and the allowed range) when out of
    /// range. Never clamped: a silently changed lease or batch size surprises.
    pub fn resolve(&self, flag: Option<u64>, config: Option<u64>) -> Result<u64, String> {
        let (value, from) = match (flag, config) {
            (Some(v), _) => (v, self.flag.or(self.key)),
            (None, Some(v)) => (v, self.key.or(self.flag)),
            (None, None) => return Ok(self.default),
        };
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(format!(
                "{} = {value} is out of range: allowed {}..={}",
                from.unwrap_or("setting"),
                self.min,
                self.max
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_sizes() {
        let at = |n| "a".repeat(n);
        let table: &[(&str, String, bool)] = &[
            ("entity_id", at(1), true),
            ("entity_id", at(KEY_MAX_BYTES), true),
            ("entity_id", at(KEY_MAX_BYTES + 1), false),
            ("source", at(10_000), false),
            ("source_path", at(KEY_MAX_BYTES), true),
            ("version", at(KEY_MAX_BYTES + 1), false),
            ("group", at(GROUP_MAX_BYTES), true),
            ("group", at(GROUP_MAX_BYTES + 1), false),
            // Bytes, not characters: é is two.
            ("entity_id", "é".repeat(KEY_MAX_BYTES / 2 + 1), false),
        ];
        for (field, value, ok) in table {
            assert_eq!(
                check_key(field, value).is_ok(),
                *ok,
                "{field} {}",
                value.len()
            );
        }
        assert_eq!(
            check_key("entity_id", &at(10_000)).unwrap_err(),
            "entity_id is 10000 bytes, over the 4096-byte limit of an index key (Neo4j cannot index longer values)"
        );
        // The limits fit Neo4j's key with its per-key overhead (measured).
        const { assert!(GROUP_MAX_BYTES + KEY_MAX_BYTES + 14 <= NEO4J_RANGE_KEY_BYTES) };
    }

    #[test]
    fn settings_are_range_checked_never_clamped() {
        type Row = (Setting, Option<u64>, Option<u64>, Result<u64, &'static str>);
        let table: &[Row] = &[
            (LOCK_TTL_SECS, None, None, Ok(60)),
            (LOCK_TTL_SECS, Some(30), Some(90), Ok(30)),
            (LOCK_TTL_SECS, None, Some(90), Ok(90)),
            (
                LOCK_TTL_SECS,
                Some(10_000_000_000_000),
                None,
                Err("--lock-ttl = 10000000000000 is out of range: allowed 1..=86400"),
            ),
            (
                LOCK_TTL_SECS,
                Some(u64::MAX),
                None,
                Err("--lock-ttl = 18446744073709551615 is out of range: allowed 1..=86400"),
            ),
            (
                LOCK_TTL_SECS,
                None,
                Some(0),
                Err("[apply] lock_ttl_secs = 0 is out of range: allowed 1..=86400"),
            ),
            (
                BATCH_SIZE,
                Some(0),
                None,
                Err("--batch-size = 0 is out of range: allowed 1..=100000"),
            ),
            (BATCH_SIZE, Some(100_000), None, Ok(100_000)),
            (RETRY_BUDGET_SECS, None, Some(0), Ok(0)),
            (
                RETRY_BUDGET_SECS,
                None,
                Some(86_401),
                Err("[apply] retry_budget_secs = 86401 is out of range: allowed 0..=86400"),
            ),
            (
                CONNECTION_TIMEOUT_SECS,
                Some(0),
                None,
                Err("--connection-timeout = 0 is out of range: allowed 1..=86400"),
            ),
            (
                MAX_FILE_MB,
                None,
                Some(0),
                Err("[limits] max_file_mb = 0 is out of range: allowed 1..=1024"),
            ),
            (MAX_FILE_MB, None, Some(1024), Ok(1024)),
            (MAX_STDIN_MB, None, None, Ok(16)),
            (
                MAX_STDIN_MB,
                None,
                Some(1 << 40),
                Err("[limits] max_stdin_mb = 1099511627776 is out of range: allowed 1..=4096"),
            ),
        ];
        for (s, flag, config, want) in table {
            let got = s.resolve(*flag, *config);
            assert_eq!(
                got.as_ref().map_err(String::as_str),
                want.as_ref().map_err(|e| *e),
                "{s:?} {flag:?} {config:?}"
            );
        }
    }
}
