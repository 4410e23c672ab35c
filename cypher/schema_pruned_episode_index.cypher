// Schema (init): index to find the :PrunedEpisode tombstones of an entity, for its history. Parameters: none.
CREATE INDEX graphseed_pruned_episode IF NOT EXISTS
FOR (p:PrunedEpisode) ON (p.group_id, p.entity_id)
