// Schema (init): index on a group's communities by level, for loading the stored partition one level at a time.
// Parameters: none.
CREATE INDEX graphseed_community_level IF NOT EXISTS
FOR (c:Community) ON (c.group_id, c.level)
