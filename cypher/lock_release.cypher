// Release a group's lease if $run_id holds it (no-op otherwise). The node stays, emptied, so a later claimant's
// MERGE finds it instead of racing a delete. The lock_probe write takes the node's write lock before the holder
// is checked, so a takeover committed meanwhile is never released by mistake.
// Parameters: $group_id, $run_id.
MATCH (l:SeedLock {group_id: $group_id})
SET l.lock_probe = $run_id
REMOVE l.lock_probe
WITH l
WHERE l.run_id = $run_id
REMOVE l.owner, l.host, l.run_id, l.acquired_at, l.expires_at
RETURN count(l) AS released
