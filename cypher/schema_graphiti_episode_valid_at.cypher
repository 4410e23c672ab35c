// Schema (init, graphiti profile): Graphiti's own index on valid_at (retrieve_episodes filters and orders by it),
// under Graphiti's name. Parameters: none.
CREATE INDEX valid_at_episodic_index IF NOT EXISTS
FOR (n:Episodic) ON (n.valid_at)
