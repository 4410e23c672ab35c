// Provenance: episodes whose content last changed in a time window
// (updated_at >= $since AND updated_at < $until).
// Parameters: $group_id, $since, $until: datetimes, or strings that
// `datetime()` reads ("2026-01-01", "2026-01-01T12:00:00Z"). A string
// compared with a datetime is null in Cypher, which would silently match
// nothing, so strings are converted first.
WITH CASE WHEN $since IS :: STRING THEN datetime($since) ELSE $since END AS since,
     CASE WHEN $until IS :: STRING THEN datetime($until) ELSE $until END AS until
MATCH (e:Episode {group_id: $group_id})
WHERE e.updated_at >= since AND e.updated_at < until
RETURN e.entity_id AS entity_id, e.version AS version, e.updated_at AS updated_at,
       e.source_path AS source_path, e.run_id AS run_id
ORDER BY e.updated_at DESC, e.entity_id
