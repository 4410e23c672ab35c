// Provenance: every episode seeded from one source, newest change first.
// Parameters: $group_id, $source (e.g. "project_seeding").
// Paste into Neo4j Browser after `:param group_id => "graphseed_docs"` and
// `:param source => "project_seeding"`.
// The source label is `source_description` on graphiti-profile (:Episodic) nodes, whose `source` is Graphiti's.
MATCH (e:Episode {group_id: $group_id})
WHERE CASE WHEN e:Episodic THEN e.source_description ELSE e.source END = $source
RETURN e.entity_id AS entity_id, e.version AS version, e.updated_at AS updated_at,
       e.source_path AS source_path, e.run_id AS run_id
ORDER BY e.updated_at DESC, e.entity_id
