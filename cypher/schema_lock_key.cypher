// Schema (init): one SeedLock per group_id, so two claimants MERGE the same lock node. Parameters: none.
CREATE CONSTRAINT graphseed_lock_key IF NOT EXISTS
FOR (l:SeedLock) REQUIRE l.group_id IS UNIQUE
