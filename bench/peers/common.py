"""Shared helpers of the Python peers: walk the corpus like graphseed does, derive
the same entity ids, talk to Neo4j with the official driver, print one JSON line."""

import hashlib
import json
import os
import re
import sys
import time

T0 = time.perf_counter()  # after interpreter start-up, before the driver import


def walk(root):
    """Sorted recursive walk of *.json files: [(rel_path, abs_path)]."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".json"):
                p = os.path.join(dirpath, name)
                out.append((os.path.relpath(p, root).replace(os.sep, "/"), p))
    out.sort()
    return out


_snake = re.compile(r"[^a-z0-9]+")


def entity_id(rel):
    """`{first dir under root}_{file stem}` in snake_case, as graphseed derives it."""
    parts = rel.split("/")
    cat = parts[0] if len(parts) > 1 else ""
    stem = os.path.splitext(parts[-1])[0]
    s = _snake.sub("_", f"{cat}_{stem}".lower()).strip("_")
    return s


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def episode_row(rel, data, digest, source, version, obj=None):
    """Parse the file (unless `obj` is it, parsed) and build the row one
    episode is written from: the body keeps a `_metadata` block like
    graphseed's, stored as a JSON string."""
    eid = entity_id(rel)
    obj = json.loads(data) if obj is None else obj
    obj["_metadata"] = {
        "source": source,
        "version": version,
        "source_hash": digest,
        "entity_id": eid,
    }
    return {
        "entity_id": eid,
        "source_path": rel,
        "source_hash": digest,
        "body": json.dumps(obj, separators=(",", ":"), sort_keys=True),
    }


# One statement for every peer: MERGE on the (group_id, entity_id) key, keep
# created_at, stamp the rest. LABEL is fixed per peer script (never from input).
UPSERT_ONE = """
MERGE (e:{label} {{group_id: $group, entity_id: $row.entity_id}})
ON CREATE SET e.created_at = datetime()
SET e.source = $source, e.version = $version, e.source_path = $row.source_path,
    e.source_hash = $row.source_hash, e.body = $row.body, e.updated_at = datetime()
"""

UPSERT_UNWIND = """
UNWIND $rows AS row
MERGE (e:{label} {{group_id: $group, entity_id: row.entity_id}})
ON CREATE SET e.created_at = datetime()
SET e.source = $source, e.version = $version, e.source_path = row.source_path,
    e.source_hash = row.source_hash, e.body = row.body, e.updated_at = datetime()
"""


# --links: every processed file's outgoing edges are replaced, after every
# node of the run exists (a link may name a file written in a later batch).
# One row per linking file: {src, links: [{dst, kind, count}]}.
RELINK_UNWIND = """
UNWIND $rows AS row
MATCH (a:{label} {{group_id: $group, entity_id: row.src}})
CALL (a) {{ MATCH (a)-[old:LINKS_TO]->() DELETE old }}
WITH a, row
UNWIND row.links AS l
MATCH (b:{label} {{group_id: $group, entity_id: l.dst}})
MERGE (a)-[r:LINKS_TO {{kind: l.kind}}]->(b)
SET r.count = l.count
"""

_wiki = re.compile(r"^\[\[([^\]|#]+)(?:[#|][^\]]*)?\]\]$")
_md = re.compile(r"^\[[^\]]*\]\(([^)#]+)(?:#[^)]*)?\)$")


class Names:
    """How the corpus's `links` entries name files, built from the walk (the
    group as the run leaves it): relative path, stem and entity_id, the
    three spellings gen_corpus.py --links writes. Matching is
    case-insensitive, as graphseed resolves."""

    def __init__(self, files):
        self.by_path = {}
        self.by_stem = {}
        self.ids = set()
        for rel, _ in files:
            eid = entity_id(rel)
            self.ids.add(eid)
            self.by_path[rel.lower()] = eid
            self.by_stem.setdefault(os.path.splitext(rel.rsplit("/", 1)[-1])[0].lower(), []).append(eid)

    def resolve(self, rel, text):
        """The entity_id one entry names, or None (dangling)."""
        m = _wiki.match(text)
        if m:
            hits = self.by_stem.get(m.group(1).strip().lower(), [])
            return hits[0] if len(hits) == 1 else None
        m = _md.match(text)
        if m:
            joined = os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1).strip()))
            return self.by_path.get(joined.replace(os.sep, "/").lower())
        return text if text in self.ids else None

    def links_row(self, rel, obj):
        """{src, links} for one file: edges counted per target (all of kind
        `field`: graphseed's kind for links in a declared field of JSON)."""
        src = entity_id(rel)
        counts = {}
        dangling = 0
        for text in obj.get("links") or []:
            dst = self.resolve(rel, text)
            if dst is None:
                dangling += 1
            elif dst != src:
                counts[dst] = counts.get(dst, 0) + 1
        links = [{"dst": d, "kind": "field", "count": c} for d, c in sorted(counts.items())]
        return {"src": src, "links": links}, dangling


def driver(uri):
    from neo4j import GraphDatabase

    return GraphDatabase.driver(uri, auth=("neo4j", "bench"), notifications_min_severity="OFF")


def init(drv, label):
    with drv.session() as s:
        s.run(
            f"CREATE CONSTRAINT bench_{label.lower()}_key IF NOT EXISTS "
            f"FOR (e:{label}) REQUIRE (e.group_id, e.entity_id) IS UNIQUE"
        ).consume()


def clear(drv, label, group):
    with drv.session() as s:
        s.run(
            f"MATCH (e:{label} {{group_id: $g}}) "
            "CALL (e) { DETACH DELETE e } IN TRANSACTIONS OF 10000 ROWS",
            g=group,
        ).consume()


def emit(**kw):
    kw["inner_seconds"] = round(time.perf_counter() - T0, 4)
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def base_args(ap):
    ap.add_argument("--uri", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--root")
    ap.add_argument("--source", default="project_seeding")
    ap.add_argument("--seed-version", default="1.0.0")
    ap.add_argument("--prune", action="store_true", help="delete nodes whose file is gone")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--init", action="store_true", help="create the constraint and exit")
    ap.add_argument("--clear", action="store_true", help="delete the group's nodes and exit")
    ap.add_argument("--links", action="store_true",
                    help="also write LINKS_TO edges from each file's `links` list (gen_corpus.py --links)")
    return ap
