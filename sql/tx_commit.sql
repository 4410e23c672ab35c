-- Commit the open transaction.
-- Parameters: none.
COMMIT
