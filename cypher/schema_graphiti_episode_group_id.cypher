// Schema (init, graphiti profile): Graphiti's own index on the episode group, under Graphiti's name.
// Parameters: none.
CREATE INDEX episode_group_id IF NOT EXISTS
FOR (n:Episodic) ON (n.group_id)
