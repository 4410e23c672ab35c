// Extend a run's lease to $expires_at if the run still holds it (expired or not), or take it again if nobody
// holds it; leave it if another run holds it. Returns whether it was granted and the previous holder.
// Parameters: $group_id, $owner, $host, $run_id, $acquired_at, $expires_at.
// The lock_probe write comes first for the same reason as in lock_acquire: the holder is read under the node's
// write lock, so a concurrent takeover cannot slip in between the check and the update.
MERGE (l:SeedLock {group_id: $group_id})
SET l.lock_probe = $run_id
WITH l,
     l.owner AS owner, l.host AS host, l.run_id AS holder_run_id,
     l.acquired_at AS holder_acquired_at, l.expires_at AS holder_expires_at,
     coalesce(l.run_id IS NULL OR l.run_id = $run_id, false) AS granted
REMOVE l.lock_probe
FOREACH (_ IN CASE WHEN granted THEN [1] ELSE [] END |
  SET l.owner = $owner,
      l.host = $host,
      l.run_id = $run_id,
      l.acquired_at = CASE WHEN holder_run_id = $run_id THEN holder_acquired_at ELSE $acquired_at END,
      l.expires_at = $expires_at)
RETURN granted, owner, host, holder_run_id AS run_id,
       holder_acquired_at AS acquired_at, holder_expires_at AS expires_at
