// Schema (init): index to find the SeedWrites ledger nodes of one run (what it wrote) by run_id alone.
// Parameters: none.
CREATE INDEX graphseed_writes_run IF NOT EXISTS
FOR (b:SeedWrites) ON (b.run_id)
