//! The run records of the embedded store.

use rusqlite::{Connection, params};

use super::SqliteStore;
use super::decode::{opt_time, read_run_row};
use super::errors::{Fail, R};
use super::immediate;
use super::locks::release_lock_in;
use crate::metadata::format_time;
use crate::sql;
use crate::stores::{RunRecord, Runs, StoreError};

pub(super) fn upsert_run(conn: &Connection, run: &RunRecord) -> R<()> {
    let counts = serde_json::to_string(&run.counts).map_err(|e| {
        Fail::Refused(format!(
            "cannot encode the counts of run `{}`: {e}",
            run.run_id
        ))
    })?;
    conn.prepare_cached(sql::RUN_UPSERT)?.execute(params![
        run.run_id,
        run.group_id,
        run.status.as_str(),
        format_time(&run.started_at),
        opt_time(&run.finished_at),
        run.tool_version,
        run.seed_version,
        run.params_hash,
        run.params_json,
        run.graph_signature,
        run.git_commit,
        run.git_branch,
        run.git_dirty,
        run.hostname,
        run.os,
        counts,
        run.kind.as_str(),
        run.sources_signature,
    ])?;
    Ok(())
}

impl Runs for SqliteStore {
    async fn save_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        // A single statement is its own transaction.
        self.with(|conn| upsert_run(conn, run))
    }

    async fn list_runs(&self, group_id: Option<&str>) -> Result<Vec<RunRecord>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::RUN_LIST)?;
            let mut rows = stmt.query(params![group_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(read_run_row(row)?);
            }
            Ok(out)
        })
    }

    async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::RUN_GET)?;
            let mut rows = stmt.query(params![run_id])?;
            match rows.next()? {
                Some(row) => Ok(Some(read_run_row(row)?)),
                None => Ok(None),
            }
        })
    }

    async fn run_action_counts(
        &self,
        run_id: &str,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql::RUN_ACTION_COUNTS)?;
            let rows = stmt.query_map(params![run_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        self.with(|conn| {
            let tx = immediate(conn)?;
            upsert_run(&tx, run)?;
            release_lock_in(&tx, &run.group_id, &run.run_id)?;
            tx.commit()?;
            Ok(())
        })
    }
}
