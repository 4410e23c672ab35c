// The first page of the every-reseed hand-edit pass over a group, in entity_id order (the next pages:
// episode_sealed_page_after.cypher). Per episode, `sealed` lists the values its seal covers, with the seal first
// (src/hashing.rs, `episode_seal`): the client checks them with one SHA-256, without parsing the body, and reads
// in full (episode_raw_by_ids.cypher) only the episodes they do not vouch for. `sealed` is null where there is
// nothing to vouch with: no seal (written before seals), or a graphiti-profile (:Episodic) node, whose extra
// properties the seal does not cover.
// Ordered by both properties of the (group_id, entity_id) key, the order that key's index provides.
// Parameters: $group_id, $limit.
MATCH (e:Episode {group_id: $group_id})
RETURN e.entity_id AS entity_id,
       CASE WHEN e:Episodic OR e.seal IS NULL THEN null
            ELSE [e.seal, e.entity_id, e.source, e.version, e.content_hash, e.source_hash, e.source_path, e.run_id,
                  e.created_at, e.updated_at, e.body] END AS sealed
ORDER BY e.group_id, e.entity_id
LIMIT $limit
