// Schema (init, graphiti profile): Graphiti's full-text index over episodes, with Graphiti's name and fields, so
// its episode search finds graphseed's episodes. Parameters: none.
CREATE FULLTEXT INDEX episode_content IF NOT EXISTS
FOR (e:Episodic) ON EACH [e.content, e.source, e.source_description, e.group_id]
