// Extend a run's lease to $expires_at if the run still holds it (even if it lapsed, nobody took it over);
// acquired_at keeps the time it was first taken. Returns whether it was renewed and the current holder (none
// when the lock was released or removed: the lease is lost and is NOT silently taken again, since another
// writer may have held it in between). Parameters: $group_id, $run_id, $expires_at.
// The lock_probe write comes first for the same reason as in lock_acquire: the holder is read under the node's
// write lock, so a concurrent takeover cannot slip in between the check and the update.
MATCH (l:SeedLock {group_id: $group_id})
SET l.lock_probe = $run_id
WITH l,
     l.owner AS owner, l.host AS host, l.run_id AS holder_run_id,
     l.acquired_at AS holder_acquired_at, l.expires_at AS holder_expires_at,
     coalesce(l.run_id = $run_id, false) AS granted
REMOVE l.lock_probe
FOREACH (_ IN CASE WHEN granted THEN [1] ELSE [] END | SET l.expires_at = $expires_at)
RETURN granted, owner, host, holder_run_id AS run_id,
       holder_acquired_at AS acquired_at, holder_expires_at AS expires_at
