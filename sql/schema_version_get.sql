-- The layout version of this file, if one was recorded.
-- Parameters: none.
SELECT version FROM schema_version WHERE id = 1
