// Migration run by `init`: runs recorded before runs had kinds were seeds.
// Idempotent (only runs without a kind are touched). Parameters: none.
MATCH (r:SeedRun)
WHERE r.kind IS NULL
SET r.kind = 'seed'
