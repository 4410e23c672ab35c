// Take a group's lease for a run if it is free, expired (expires_at <= the claim's acquired_at), already held by
// this run, or $takeover is true; otherwise leave it. Returns whether it was granted and the previous holder.
// Parameters: $group_id, $owner, $host, $run_id, $acquired_at, $expires_at, $takeover.
//
// Race-free between two processes: MERGE on the (SeedLock.group_id) constraint yields one node; the SET of
// lock_probe takes that node's write lock, held until commit, BEFORE the holder is read. A concurrent claimant
// blocks on that lock and, once we commit, reads our holder; without the probe both could read "free" and both
// believe they won.
MERGE (l:SeedLock {group_id: $group_id})
SET l.lock_probe = $run_id
WITH l,
     l.owner AS owner, l.host AS host, l.run_id AS holder_run_id,
     l.acquired_at AS holder_acquired_at, l.expires_at AS holder_expires_at,
     coalesce(l.run_id IS NULL OR l.run_id = $run_id OR l.expires_at <= $acquired_at OR $takeover, false) AS granted
REMOVE l.lock_probe
FOREACH (_ IN CASE WHEN granted THEN [1] ELSE [] END |
  SET l.owner = $owner,
      l.host = $host,
      l.run_id = $run_id,
      l.acquired_at = $acquired_at,
      l.expires_at = $expires_at)
RETURN granted, owner, host, holder_run_id AS run_id,
       holder_acquired_at AS acquired_at, holder_expires_at AS expires_at
