// The first page of the every-reseed hand-edit pass over a group, in entity_id order (the next pages:
// episode_sealed_page_after.cypher). Each row is the episode as planning needs it (the columns of
// episode_load_group.cypher: a reseed builds its stored state from these pages instead of reading the group twice)
// and `sealed`, the rest of what its seal covers with the seal first (src/hashing.rs, `episode_seal`): the client
// checks them with one SHA-256, without parsing the body, and reads in full (episode_raw_by_ids.cypher) only the
// episodes they do not vouch for. `sealed` is null where there is nothing to vouch with: no seal (written before
// seals), or a graphiti-profile (:Episodic) node, whose extra properties the seal does not cover.
// Ordered by both properties of the (group_id, entity_id) key, the order that key's index provides.
// Parameters: $group_id, $limit.
MATCH (e:Episode {group_id: $group_id})
WHERE e.entity_id IS NOT NULL
RETURN e.entity_id AS entity_id, CASE WHEN e:Episodic THEN e.source_description ELSE e.source END AS source,
       e.version AS version, e.created_at AS created_at, e.updated_at AS updated_at, e.source_hash AS source_hash,
       e.content_hash AS content_hash, e.source_path AS source_path,
       CASE WHEN e:Episodic OR e.seal IS NULL THEN null ELSE [e.seal, e.run_id, e.body] END AS sealed
ORDER BY e.group_id, e.entity_id
LIMIT $limit
