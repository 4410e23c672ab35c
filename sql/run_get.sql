-- One run record.
-- Parameters: ?1 run_id.
SELECT run_id, group_id, status, started_at, finished_at, tool_version, seed_version,
       params_hash, params_json, graph_signature, git_commit, git_branch, git_dirty,
       hostname, os, counts, kind, sources_signature
FROM runs WHERE run_id = ?1
