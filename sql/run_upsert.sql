-- Create or update a run record.
-- Parameters: ?1 run_id, ?2 group_id, ?3 status, ?4 started_at, ?5 finished_at,
-- ?6 tool_version, ?7 seed_version, ?8 params_hash, ?9 params_json,
-- ?10 graph_signature, ?11 git_commit, ?12 git_branch, ?13 git_dirty,
-- ?14 hostname, ?15 os, ?16 counts (JSON), ?17 kind, ?18 sources_signature.
INSERT INTO runs (run_id, group_id, status, started_at, finished_at, tool_version,
                  seed_version, params_hash, params_json, graph_signature, git_commit,
                  git_branch, git_dirty, hostname, os, counts, kind, sources_signature)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
ON CONFLICT (run_id) DO UPDATE SET
    group_id = excluded.group_id, status = excluded.status,
    started_at = excluded.started_at, finished_at = excluded.finished_at,
    tool_version = excluded.tool_version, seed_version = excluded.seed_version,
    params_hash = excluded.params_hash, params_json = excluded.params_json,
    graph_signature = excluded.graph_signature, git_commit = excluded.git_commit,
    git_branch = excluded.git_branch, git_dirty = excluded.git_dirty,
    hostname = excluded.hostname, os = excluded.os, counts = excluded.counts,
    kind = excluded.kind, sources_signature = excluded.sources_signature
