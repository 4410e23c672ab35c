-- Take a group's lock (the caller checked, under the write lock, that it may).
-- Parameters: ?1 group_id, ?2 owner, ?3 host, ?4 run_id, ?5 acquired_at,
-- ?6 expires_at.
INSERT INTO locks (group_id, owner, host, run_id, acquired_at, expires_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (group_id) DO UPDATE SET
    owner = excluded.owner, host = excluded.host, run_id = excluded.run_id,
    acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
