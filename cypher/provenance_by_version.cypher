// Provenance: every episode stored at one seeding version.
// Parameters: $group_id, $version (e.g. "1.0.0").
MATCH (e:Episode {group_id: $group_id, version: $version})
RETURN e.entity_id AS entity_id, e.version AS version, e.updated_at AS updated_at,
       e.source_path AS source_path, e.run_id AS run_id
ORDER BY e.entity_id
