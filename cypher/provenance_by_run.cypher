// Provenance: the episodes one run last wrote (their current run_id).
// Parameters: $group_id, $run_id.
MATCH (e:Episode {group_id: $group_id, run_id: $run_id})
RETURN e.entity_id AS entity_id, e.version AS version, e.updated_at AS updated_at,
       e.source_path AS source_path, e.run_id AS run_id
ORDER BY e.entity_id
