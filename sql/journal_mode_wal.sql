-- Switch the file to WAL (persistent; a no-op when already set). Returns the
-- mode SQLite chose.
-- Parameters: none.
PRAGMA journal_mode = WAL
