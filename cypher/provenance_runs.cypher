// Provenance: the runs of a group, newest first, with who ran them from
// which commit and what they did.
// Parameters: $group_id.
// The git fields are read as `r['git_commit']`: outside a git repository no
// run has them, and Neo4j warns about property keys it has never seen when
// they are named statically (`r.git_commit`).
MATCH (r:SeedRun {group_id: $group_id})
RETURN r.run_id AS run_id, r.status AS status, r.started_at AS started_at,
       r.finished_at AS finished_at, r.seed_version AS seed_version,
       r['git_commit'] AS git_commit, r['git_branch'] AS git_branch, r['git_dirty'] AS git_dirty,
       r.hostname AS hostname, r.counts_json AS counts, r['graph_signature'] AS graph_signature
ORDER BY r.started_at DESC, r.run_id DESC
