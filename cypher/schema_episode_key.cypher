// Schema (init): one Episode per (group_id, entity_id); the MERGE of every write relies on it. Parameters: none.
CREATE CONSTRAINT graphseed_episode_key IF NOT EXISTS
FOR (e:Episode) REQUIRE (e.group_id, e.entity_id) IS UNIQUE
