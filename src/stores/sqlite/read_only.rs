//! Opening the file without writing to it, for commands that only look
//! (`status`, `runs`, `provenance`, `validate`, `verify`) and for `plan`,
//! which promises to write nothing. Unlike [`SqliteStore::open`], nothing is
//! created: a mistyped path is an error, not a new empty database, and a
//! database in a folder the user cannot write to can still be read.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use super::schema::init_in;
use super::{BUSY_TIMEOUT, STATEMENT_CACHE, SqliteStore, describe_path, open_error};
use crate::sql;
use crate::stores::StoreError;

impl SqliteStore {
    /// Open an existing database read-only. A missing file is
    /// `SchemaMissing` (nothing was ever initialised there).
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::SchemaMissing {
                target: describe_path(path),
                missing:
                    "the database file does not exist (check the path, or run `graphseed init`)"
                        .into(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .and_then(|c| probe(&c).map(|()| c))
            .or_else(|e| {
                // A WAL database needs its `-shm` file; in a folder we may
                // not write, SQLite cannot create it. Reading the file as
                // immutable needs none, and is sound here: whoever cannot
                // write the folder cannot be writing the database through
                // this path either, and a read-only command reads once.
                if !matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
                ) {
                    return Err(e);
                }
                let c = Connection::open_with_flags(
                    immutable_uri(path),
                    flags | OpenFlags::SQLITE_OPEN_URI,
                )?;
                probe(&c).map(|()| c)
            })
            .map_err(|e| open_error(path, e))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// An empty, initialised database in memory that describes itself as
    /// `path`: what `plan` reads when the file does not exist yet, so that
    /// planning a first seed creates nothing on disk.
    pub fn open_empty(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory().map_err(|e| open_error(path, e))?;
        let store = SqliteStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        };
        store.with(init_in)?;
        Ok(store)
    }
}

/// Reads the schema (preparing any statement does), so a file that is not a
/// database fails here, at open, not at the first query.
fn probe(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.prepare(sql::SCHEMA_OBJECT_EXISTS).map(drop)
}

/// `file:` URI for `path` with `immutable=1`; `%`, `?` and `#` in the path
/// are percent-encoded so they stay part of the name.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    uri
}
