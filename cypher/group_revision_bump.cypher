// Bump the group's revision; runs inside every batch transaction. SET reads and writes the counter under the
// node's write lock, so concurrent bumps cannot lose an update. Parameters: $group_id.
MERGE (g:SeedGroup {group_id: $group_id})
SET g.revision = coalesce(g.revision, 0) + 1
RETURN g.revision AS revision
