-- Roll the open transaction back.
-- Parameters: none.
ROLLBACK
