// Schema (init): index for listing the runs of one group. Parameters: none.
CREATE INDEX graphseed_run_group IF NOT EXISTS
FOR (r:SeedRun) ON (r.group_id)
