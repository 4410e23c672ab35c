// Schema (init): one SeedRun per run_id. Parameters: none.
CREATE CONSTRAINT graphseed_run_key IF NOT EXISTS
FOR (r:SeedRun) REQUIRE r.run_id IS UNIQUE
