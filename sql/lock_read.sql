-- The holder of a group's lock.
-- Parameters: ?1 group_id.
SELECT group_id, owner, host, run_id, acquired_at, expires_at FROM locks WHERE group_id = ?1
