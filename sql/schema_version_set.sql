-- Record the layout version after migrating an older file.
-- Parameters: ?1 version.
UPDATE schema_version SET version = ?1 WHERE id = 1
