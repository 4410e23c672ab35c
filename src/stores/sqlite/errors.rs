//! SQLite failures as [`StoreError`]s: what is worth retrying (another
//! connection holds the write lock), what is corrupt, what is refused.

use rusqlite::ErrorCode;

use crate::stores::StoreError;

/// Internal failure, turned into a [`StoreError`] (which needs the target's
/// name) at the trait boundary.
#[derive(Debug)]
pub(super) enum Fail {
    Sql(rusqlite::Error),
    /// A stored value graphseed cannot read.
    Corrupt(String),
    /// A request the store refuses.
    Refused(String),
    /// The run's lease was released or removed while it ran.
    LockGone {
        group_id: String,
        run_id: String,
    },
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

pub(super) type R<T> = Result<T, Fail>;

/// SQLITE_BUSY/LOCKED is another connection holding the write lock past our
/// busy timeout: worth retrying. A damaged file is corrupt. The rest is a
/// refused statement.
pub(super) fn map_sqlite_error(target: String, e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    let message = e.to_string();
    match &e {
        E::SqliteFailure(err, msg) => match err.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                StoreError::Transient { target, message }
            }
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                StoreError::Corrupt { target, message }
            }
            ErrorCode::CannotOpen => StoreError::Unreachable { target, message },
            _ => match msg
                .as_deref()
                .and_then(|m| m.strip_prefix("no such table: "))
            {
                Some(table) => StoreError::SchemaMissing {
                    target,
                    missing: format!("table {table} (run `graphseed init`)"),
                },
                None => StoreError::Query { target, message },
            },
        },
        E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..)
        | E::Utf8Error(..)
        | E::InvalidColumnType(..) => StoreError::Corrupt { target, message },
        _ => StoreError::Query { target, message },
    }
}
