//! The run clock. Episode timestamps come from here; `GRAPHSEED_NOW` pins it
//! (RFC 3339) so tests and snapshots can be reproduced exactly. Lock leases
//! never use the pinned clock: they must expire in real time.

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

/// Real time, never pinned (leases).
pub fn wall() -> DateTime<Utc> {
    truncate_micros(Utc::now())
}
