-- The embedded store's tables and indexes (`init`), all IF NOT EXISTS so a
-- rerun is a no-op. Several statements, run as one script in one transaction.
-- Parameters: none.

CREATE TABLE IF NOT EXISTS schema_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    run_id          TEXT PRIMARY KEY NOT NULL,
    group_id        TEXT NOT NULL,
    status          TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    tool_version    TEXT NOT NULL,
    seed_version    TEXT NOT NULL,
    params_hash     TEXT NOT NULL,
    params_json     TEXT NOT NULL,
    graph_signature TEXT,
    git_commit      TEXT,
    git_branch      TEXT,
    git_dirty       INTEGER,
    hostname        TEXT NOT NULL,
    os              TEXT NOT NULL,
    counts          TEXT NOT NULL,
    -- `seed` or `communities`; added in layout version 2.
    kind            TEXT NOT NULL DEFAULT 'seed'
);
CREATE INDEX IF NOT EXISTS runs_group_started ON runs (group_id, started_at);

CREATE TABLE IF NOT EXISTS episodes (
    group_id      TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    source        TEXT NOT NULL,
    version       TEXT NOT NULL,
    version_major INTEGER NOT NULL,
    version_minor INTEGER NOT NULL,
    version_patch INTEGER NOT NULL,
    version_pre   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    source_hash   TEXT,
    content_hash  TEXT NOT NULL,
    source_path   TEXT,
    run_id        TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (group_id, entity_id)
);
CREATE INDEX IF NOT EXISTS episodes_group_source  ON episodes (group_id, source);
CREATE INDEX IF NOT EXISTS episodes_group_run     ON episodes (group_id, run_id);
CREATE INDEX IF NOT EXISTS episodes_group_updated ON episodes (group_id, updated_at);
CREATE INDEX IF NOT EXISTS episodes_group_version ON episodes (group_id, version);

-- No foreign key to `episodes`, on purpose: a pruned episode's history must
-- outlive the episode so it can still be read. The link to `runs` is kept
-- honest: every link names a run record written in the same transaction.
CREATE TABLE IF NOT EXISTS episode_history (
    group_id     TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    run_id       TEXT NOT NULL REFERENCES runs (run_id),
    action       TEXT NOT NULL,
    at           TEXT NOT NULL,
    version      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    source_hash  TEXT,
    PRIMARY KEY (group_id, entity_id, run_id)
);
CREATE INDEX IF NOT EXISTS episode_history_run ON episode_history (run_id);

CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY NOT NULL,
    revision INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS locks (
    group_id    TEXT PRIMARY KEY NOT NULL,
    owner       TEXT NOT NULL,
    host        TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
