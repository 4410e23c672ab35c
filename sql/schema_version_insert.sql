-- Record the layout version of a new file.
-- Parameters: ?1 version.
INSERT INTO schema_version (id, version) VALUES (1, ?1)
