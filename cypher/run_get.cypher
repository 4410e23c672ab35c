// One run record by id. Parameters: $run_id.
// Read as one map, a node without a status passed over: as in run_list.cypher.
MATCH (r:SeedRun {run_id: $run_id})
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
