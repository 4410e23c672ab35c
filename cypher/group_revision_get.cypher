// The group's revision counter (no row when the group has never been written). Parameters: $group_id.
MATCH (g:SeedGroup {group_id: $group_id})
RETURN g.revision AS revision
