-- Bump a group's revision (every committed batch).
-- Parameters: ?1 group_id.
INSERT INTO groups (group_id, revision) VALUES (?1, 1)
ON CONFLICT (group_id) DO UPDATE SET revision = revision + 1
