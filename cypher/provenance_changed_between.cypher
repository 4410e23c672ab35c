// Provenance: episodes whose content last changed in a time window
// (updated_at >= $since AND updated_at < $until).
// Parameters: $group_id, $since, $until (e.g. datetime("2026-01-01T00:00:00Z")).
MATCH (e:Episode {group_id: $group_id})
WHERE e.updated_at >= $since AND e.updated_at < $until
RETURN e.entity_id AS entity_id, e.version AS version, e.updated_at AS updated_at,
       e.source_path AS source_path, e.run_id AS run_id
ORDER BY e.entity_id
