// Remove a group's lease whoever holds it (`graphseed unlock`) and return the holder it had (null run_id: it
// was free). The lock_probe write takes the node's write lock first, so the holder returned is the one removed.
// Parameters: $group_id.
MATCH (l:SeedLock {group_id: $group_id})
SET l.lock_probe = true
WITH l, l.owner AS owner, l.host AS host, l.run_id AS run_id,
     l.acquired_at AS acquired_at, l.expires_at AS expires_at
REMOVE l.lock_probe, l.owner, l.host, l.run_id, l.acquired_at, l.expires_at
RETURN owner, host, run_id, acquired_at, expires_at
