// Schema (init): one Community per (group_id, entity_id), as for episodes; the MERGE of a communities run relies on it.
// Parameters: none.
CREATE CONSTRAINT graphseed_community_key IF NOT EXISTS
FOR (c:Community) REQUIRE (c.group_id, c.entity_id) IS UNIQUE
