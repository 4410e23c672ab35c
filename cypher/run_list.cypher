// Run records, newest first; $group_id narrows to one group (null: all groups). Parameters: $group_id.
// The properties are read as one map, and a node without a status is passed over: Neo4j reads committed data,
// so a run node that another transaction deletes (`graphseed drop` of another group) while this query reads it
// can come back with its properties gone; it is no longer a record. A map also reads optional fields (no run
// outside a git repository has `git_commit`) without Neo4j's warning about a property key it has never seen.
MATCH (r:SeedRun)
WHERE $group_id IS NULL OR r.group_id = $group_id
WITH properties(r) AS p
WHERE p.status IS NOT NULL
RETURN p.run_id AS run_id, p.group_id AS group_id, p.status AS status,
       p.started_at AS started_at, p.finished_at AS finished_at,
       p.tool_version AS tool_version, p.seed_version AS seed_version,
       p.params_hash AS params_hash, p.params_json AS params_json,
       p.graph_signature AS graph_signature, p.git_commit AS git_commit,
       p.git_branch AS git_branch, p.git_dirty AS git_dirty,
       p.hostname AS hostname, p.os AS os, p.counts_json AS counts_json,
       coalesce(p.kind, 'seed') AS kind, p.sources_signature AS sources_signature
ORDER BY started_at DESC, run_id DESC
