-- Runs, newest first; every group when ?1 is NULL.
-- Parameters: ?1 group_id (or NULL).
SELECT run_id, group_id, status, started_at, finished_at, tool_version, seed_version,
       params_hash, params_json, graph_signature, git_commit, git_branch, git_dirty,
       hostname, os, counts, kind, sources_signature
FROM runs WHERE (?1 IS NULL OR group_id = ?1)
ORDER BY started_at DESC, run_id DESC
