// Schema (init): index for provenance queries by time window (updated_at). Parameters: none.
CREATE INDEX graphseed_episode_updated IF NOT EXISTS
FOR (e:Episode) ON (e.updated_at)
