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
    kind            TEXT NOT NULL DEFAULT 'seed',
    -- A seed's fingerprint of its sources; added in layout version 6.
    sources_signature TEXT
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
    -- SHA-256 over the values the hand-edit check compares, body included
    -- (`hashing::episode_seal`); NULL on rows written before layout 5.
    seal          TEXT,
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

-- `(:Episode)-[:LINKS_TO {kind, count}]->(:Episode)`: one row per (source,
-- target, kind). Rows belong to the source episode: replaced when it is
-- written, removed with it (or with its target) on prune. Added in layout
-- version 3.
CREATE TABLE IF NOT EXISTS links (
    group_id  TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (group_id, source_id, target_id, kind)
);
CREATE INDEX IF NOT EXISTS links_group_target ON links (group_id, target_id);

-- What planning needs to resolve links without reading unchanged files, kept
-- with the episode whose links they are (replaced with its links, removed
-- with it on prune). Added in layout version 4.
-- The links of an episode that resolved to no episode, or to several, as
-- written in its file (in file order).
CREATE TABLE IF NOT EXISTS links_dangling (
    group_id  TEXT NOT NULL,
    source_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    line      INTEGER NOT NULL,
    col       INTEGER NOT NULL,
    target    TEXT NOT NULL,
    anchor    TEXT,
    PRIMARY KEY (group_id, source_id, seq)
);
-- The names links may give an episode besides its path and `name`: its
-- aliases (a JSON array of strings) and its item key. A row per episode
-- whose links were resolved; none for one written before layout 4.
CREATE TABLE IF NOT EXISTS link_names (
    group_id  TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    aliases   TEXT NOT NULL,
    item_key  TEXT,
    PRIMARY KEY (group_id, entity_id)
);

-- `(:Community)`: one row per community of a group, keyed as episodes are.
-- Carries the `_metadata` fields, the Graphiti names (uuid, name, summary)
-- and what decided it (run_id, params_hash, graph_signature). Added in
-- layout version 4.
CREATE TABLE IF NOT EXISTS communities (
    group_id        TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    uuid            TEXT NOT NULL,
    level           INTEGER NOT NULL,
    size            INTEGER NOT NULL,
    name            TEXT NOT NULL,
    summary         TEXT NOT NULL,
    source          TEXT NOT NULL,
    version         TEXT,
    content_hash    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    run_id          TEXT NOT NULL,
    params_hash     TEXT NOT NULL,
    graph_signature TEXT NOT NULL,
    PRIMARY KEY (group_id, entity_id)
);
CREATE INDEX IF NOT EXISTS communities_group_level ON communities (group_id, level);
CREATE INDEX IF NOT EXISTS communities_run ON communities (run_id);

-- `(:Community)-[:HAS_MEMBER {uuid, group_id, created_at}]->(member)`: one
-- row per member, an episode (`member_kind` 'episode', at every level) or a
-- community of the level below ('community'). Rows belong to the community:
-- diffed when it is updated, removed with it.
CREATE TABLE IF NOT EXISTS community_members (
    group_id     TEXT NOT NULL,
    community_id TEXT NOT NULL,
    member_kind  TEXT NOT NULL DEFAULT 'episode',
    member_id    TEXT NOT NULL,
    uuid         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (group_id, community_id, member_kind, member_id)
);
CREATE INDEX IF NOT EXISTS community_members_member ON community_members (group_id, member_id);
