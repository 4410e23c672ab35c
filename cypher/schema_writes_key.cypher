// Schema (init): one SeedWrites ledger node per (run_id, batch), so a replayed batch MERGEs the same node.
// Parameters: none.
CREATE CONSTRAINT graphseed_writes_key IF NOT EXISTS
FOR (b:SeedWrites) REQUIRE (b.run_id, b.batch) IS UNIQUE
