//! The run clock. Episode timestamps come from here; `GRAPHSEED_NOW` pins it
//! (RFC 3339) so tests and snapshots can be reproduced exactly. A pinned
//! clock stands still: durations reported to the user ([`elapsed`]) are then
//! zero. Lock leases never use the pinned clock: they must expire in real
//! time.

use chrono::{DateTime, Utc};

use crate::metadata::truncate_micros;

pub const PIN_ENV: &str = "GRAPHSEED_NOW";

/// Now, at the microsecond precision every store keeps.
pub fn now() -> DateTime<Utc> {
    if let Ok(pinned) = std::env::var(PIN_ENV)
        && let Ok(t) = DateTime::parse_from_rfc3339(&pinned)
    {
        return truncate_micros(t.with_timezone(&Utc));
    }
    wall()
}

/// Time since `start` as reported to the user: zero when the clock is
/// pinned, so pinned output is byte-identical from run to run.
pub fn elapsed(start: std::time::Instant) -> std::time::Duration {
    if pinned() {
        return std::time::Duration::ZERO;
    }
    start.elapsed()
}

fn pinned() -> bool {
    std::env::var(PIN_ENV)
        .ok()
        .is_some_and(|p| DateTime::parse_from_rfc3339(&p).is_ok())
}

/// Real time, never pinned (leases).
pub fn wall() -> DateTime<Utc> {
    truncate_micros(Utc::now())
}
