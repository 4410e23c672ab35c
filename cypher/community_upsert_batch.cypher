// Write a batch of communities (MERGE on the (group_id, entity_id) constraint, then every property is set). uuid
// is what the communities run decided (kept from the community it continues); created_at is set once, when the
// node is made. A replay ends in the same node. Property names follow Graphiti's CommunityNode (uuid, name, group_id, summary, created_at) plus
// the _metadata fields and what decided the community.
// Parameters: $group_id, $run_id, $communities (list of maps with keys entity_id, uuid, level, size, name, summary,
// source, version, content_hash, created_at, updated_at, params_hash, graph_signature).
UNWIND $communities AS w
MERGE (c:Community {group_id: $group_id, entity_id: w.entity_id})
ON CREATE SET c.created_at = w.created_at
SET c.uuid = w.uuid,
    c.level = w.level,
    c.size = w.size,
    c.name = w.name,
    c.summary = w.summary,
    c.source = w.source,
    c.version = w.version,
    c.content_hash = w.content_hash,
    c.updated_at = w.updated_at,
    c.run_id = $run_id,
    c.params_hash = w.params_hash,
    c.graph_signature = w.graph_signature
RETURN count(c) AS written
