// The current holder of a group's lease, expired or not (no row when free). Parameters: $group_id.
MATCH (l:SeedLock {group_id: $group_id})
WHERE l.run_id IS NOT NULL
RETURN l.owner AS owner, l.host AS host, l.run_id AS run_id,
       l.acquired_at AS acquired_at, l.expires_at AS expires_at
