// Schema (init, graphiti profile): Graphiti's own index on the episode uuid, under Graphiti's name, so
// graphiti-core finds it already there. Parameters: none.
CREATE INDEX episode_uuid IF NOT EXISTS
FOR (n:Episodic) ON (n.uuid)
