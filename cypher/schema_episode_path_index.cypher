// Schema (init): index for provenance queries by source file. Parameters: none.
CREATE INDEX graphseed_episode_path IF NOT EXISTS
FOR (e:Episode) ON (e.source_path)
