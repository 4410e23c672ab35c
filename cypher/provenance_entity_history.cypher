// Provenance: the whole history of one episode: every run that wrote it,
// with the action taken, oldest first.
// Parameters: $group_id, $entity_id.
MATCH (e:Episode {group_id: $group_id, entity_id: $entity_id})-[w:WRITTEN_BY]->(r:SeedRun)
RETURN e.entity_id AS entity_id, w.action AS action, w.at AS at, w.version AS version,
       w.content_hash AS content_hash, r.run_id AS run_id, r.status AS run_status,
       r.git_commit AS git_commit
ORDER BY w.at, r.run_id
