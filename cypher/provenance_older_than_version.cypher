// Provenance: episodes stored at a version older than MAJOR.MINOR.PATCH,
// compared as numbers (1.10.0 > 1.9.0), not as strings. Pre-releases of the
// same MAJOR.MINOR.PATCH also count as older.
// Parameters: $group_id, $major, $minor, $patch (integers).
MATCH (e:Episode {group_id: $group_id})
WHERE [e.version_major, e.version_minor, e.version_patch] < [$major, $minor, $patch]
   OR ([e.version_major, e.version_minor, e.version_patch] = [$major, $minor, $patch] AND e.version_pre <> "")
RETURN e.entity_id AS entity_id, e.version AS version, e.updated_at AS updated_at,
       e.source_path AS source_path, e.run_id AS run_id
ORDER BY e.entity_id
