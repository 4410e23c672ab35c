// Fencing, first statement of every batch transaction: the group's lease
// holder if it is another run whose lease has not expired (no row: go on).
// The SET takes the lock node's write lock, so no other run can take the
// lease over until this batch commits or rolls back.
// Parameters: $group_id, $run_id (the writing run), $now (the writer's clock).
MATCH (l:SeedLock {group_id: $group_id})
SET l.last_batch_by = $run_id
WITH l
WHERE l.run_id IS NOT NULL AND l.run_id <> $run_id AND l.expires_at > $now
RETURN l.owner AS owner, l.host AS host, l.run_id AS run_id,
       l.acquired_at AS acquired_at, l.expires_at AS expires_at
