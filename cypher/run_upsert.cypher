// Create or overwrite a run record (MERGE on run_id, then every field is set, so a replay leaves the same node).
// Parameters: $run_id, $group_id, $status, $started_at, $finished_at (or null), $tool_version, $seed_version,
// $params_hash, $params_json, $graph_signature (or null), $git_commit (or null), $git_branch (or null),
// $git_dirty (or null), $hostname, $os, $counts_json, $kind (`seed` or `communities`), $sources_signature (or null).
MERGE (r:SeedRun {run_id: $run_id})
SET r.group_id = $group_id,
    r.status = $status,
    r.started_at = $started_at,
    r.finished_at = $finished_at,
    r.tool_version = $tool_version,
    r.seed_version = $seed_version,
    r.params_hash = $params_hash,
    r.params_json = $params_json,
    r.graph_signature = $graph_signature,
    r.git_commit = $git_commit,
    r.git_branch = $git_branch,
    r.git_dirty = $git_dirty,
    r.hostname = $hostname,
    r.os = $os,
    r.counts_json = $counts_json,
    r.kind = $kind,
    r.sources_signature = $sources_signature
