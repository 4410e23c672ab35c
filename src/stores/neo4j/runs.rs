//! The run records of the Neo4j store: `(:SeedRun)` nodes.

use neo4rs::{Txn, query};

use super::Neo4jStore;
use super::decode::run_from_row;
use super::params::{release_query, run_query};
use crate::cypher;
use crate::stores::{RunRecord, Runs, StoreError};

impl Runs for Neo4jStore {
    async fn save_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        self.write(
            &format!("saving run {}", run.run_id),
            run_query(run),
            |_| Ok(()),
        )
        .await
        .map(drop)
    }

    async fn list_runs(&self, group_id: Option<&str>) -> Result<Vec<RunRecord>, StoreError> {
        let q = query(cypher::RUN_LIST).param("group_id", group_id);
        self.read("listing runs", q, run_from_row).await
    }

    async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let q = query(cypher::RUN_GET).param("run_id", run_id);
        let runs = self
            .read(&format!("reading run {run_id}"), q, run_from_row)
            .await?;
        Ok(runs.into_iter().next())
    }

    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let doing = format!(
            "recording run {} and releasing the lock of group {}",
            run.run_id, run.group_id
        );
        self.in_txn(&doing, async |txn: &mut Txn| {
            let e = |e: neo4rs::Error| self.err(&doing, &e);
            txn.run(run_query(run)).await.map_err(e)?;
            txn.run(release_query(&run.group_id, &run.run_id))
                .await
                .map_err(e)
        })
        .await
    }
}
