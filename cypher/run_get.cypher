// One run record by id. Parameters: $run_id.
MATCH (r:SeedRun {run_id: $run_id})
RETURN r.run_id AS run_id, r.group_id AS group_id, r.status AS status,
       r.started_at AS started_at, r.finished_at AS finished_at,
       r.tool_version AS tool_version, r.seed_version AS seed_version,
       r.params_hash AS params_hash, r.params_json AS params_json,
       r.graph_signature AS graph_signature, r.git_commit AS git_commit,
       r.git_branch AS git_branch, r.git_dirty AS git_dirty,
       r.hostname AS hostname, r.os AS os, r.counts_json AS counts_json,
       coalesce(r.kind, 'seed') AS kind
