#!/usr/bin/env python3
"""What each part of graphseed's episode write costs Neo4j (issue 17).

Replays graphseed's write of a corpus (the same rows: 16 properties, the
canonical body with its _metadata block) through variants of the batch
statement, and measures wall time and the server JVM's own CPU time
(/proc/PID/stat) for each. Every batch runs in graphseed's envelope (fence
on the lock node, run record, the episode statement, revision bump) unless
the variant says otherwise. One server for the whole run (started here),
the group cleared between runs (not timed), variants interleaved per
repetition so that drift of the machine's load spreads over all of them.

    bench/.venv/bin/python bench/profile_writes.py --corpus /tmp/gs-scale/small-10000/base \
        --reps 3 --out bench/results/profile-10000.json [--only base,no_link,...]

The Cypher here is benchmark-only text (fixed labels, parameters for every
value); graphseed's own statements live in cypher/.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
import common  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GROUP = "profile"

INDEXES = {
    "path": "CREATE INDEX pf_path IF NOT EXISTS FOR (e:Episode) ON (e.source_path)",
    "run": "CREATE INDEX pf_run IF NOT EXISTS FOR (e:Episode) ON (e.run_id)",
    "source": "CREATE INDEX pf_source IF NOT EXISTS FOR (e:Episode) ON (e.source)",
    "updated": "CREATE INDEX pf_updated IF NOT EXISTS FOR (e:Episode) ON (e.updated_at)",
    "version": "CREATE INDEX pf_version IF NOT EXISTS FOR (e:Episode) ON (e.version)",
}
ALL_INDEXES = tuple(INDEXES)

SET_PROPS = """
SET e.name = w.name, e.source = w.source, e.version = w.version,
    e.version_major = w.version_major, e.version_minor = w.version_minor,
    e.version_patch = w.version_patch, e.version_pre = w.version_pre,
    e.created_at = w.created_at, e.updated_at = w.updated_at,
    e.source_hash = w.source_hash, e.content_hash = w.content_hash,
    e.source_path = w.source_path, e.run_id = w.run_id, e.body = w.body
"""
LINK_MERGE = """
MERGE (e)-[l:WRITTEN_BY]->(r)
ON CREATE SET l.at = $at
SET l.action = w.action, l.version = w.version, l.content_hash = w.content_hash,
    l.source_hash = w.source_hash
"""
LINK_CREATE = """
CREATE (e)-[l:WRITTEN_BY {at: $at, action: w.action, version: w.version,
                          content_hash: w.content_hash, source_hash: w.source_hash}]->(r)
"""

# graphseed's profile clauses: the first runs only in the graphiti profile; the
# second runs for every row of the default profile (it undoes the graphiti
# profile's label and properties when a group goes back to the default one).
GRAPHITI_SET = """
FOREACH (g IN w.graphiti |
  SET e:Episodic, e.uuid = g.uuid, e.source_description = g.source_description,
      e.content = w.body, e.valid_at = g.valid_at, e.entity_edges = [])
"""
GRAPHITI_UNDO = """
FOREACH (_ IN CASE WHEN size(w.graphiti) = 0 THEN [1] ELSE [] END |
  REMOVE e:Episodic, e.uuid, e.source_description, e.content, e.valid_at, e.entity_edges)
"""
# the same undo, only for a node that carries the graphiti profile's label
GRAPHITI_UNDO_GUARDED = """
FOREACH (_ IN CASE WHEN size(w.graphiti) = 0 AND e:Episodic THEN [1] ELSE [] END |
  REMOVE e:Episodic, e.uuid, e.source_description, e.content, e.valid_at, e.entity_edges)
"""

# The statement variants (all take $run_id, $at, $writes).
STMT = {
    # graphseed today (graphiti FOREACHes left out: empty in the default profile)
    "merge_link": "MERGE (r:SeedRun {run_id: $run_id}) WITH r UNWIND $writes AS w "
                  "MERGE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                  + SET_PROPS + LINK_MERGE + "RETURN count(e) AS written",
    # graphseed's statement as it is in cypher/episode_upsert_batch.cypher
    "merge_link_real": "MERGE (r:SeedRun {run_id: $run_id}) WITH r UNWIND $writes AS w "
                       "MERGE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                       + SET_PROPS + GRAPHITI_SET + GRAPHITI_UNDO + LINK_MERGE
                       + "RETURN count(e) AS written",
    "merge_link_guarded": "MERGE (r:SeedRun {run_id: $run_id}) WITH r UNWIND $writes AS w "
                          "MERGE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                          + SET_PROPS + GRAPHITI_SET + GRAPHITI_UNDO_GUARDED + LINK_MERGE
                          + "RETURN count(e) AS written",
    "merge_nolink": "UNWIND $writes AS w "
                    "MERGE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                    + SET_PROPS + "RETURN count(e) AS written",
    "merge_createlink": "MATCH (r:SeedRun {run_id: $run_id}) WITH r UNWIND $writes AS w "
                        "MERGE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                        + SET_PROPS + LINK_CREATE + "RETURN count(e) AS written",
    "create_createlink": "MATCH (r:SeedRun {run_id: $run_id}) WITH r UNWIND $writes AS w "
                         "CREATE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                         + SET_PROPS + LINK_CREATE + "RETURN count(e) AS written",
    "create_nolink": "UNWIND $writes AS w "
                     "CREATE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                     + SET_PROPS + "RETURN count(e) AS written",
    # per-write history as a list property on the node (run ids appended)
    "merge_runlist": "UNWIND $writes AS w "
                     "MERGE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                     + SET_PROPS + ", e.written_by = coalesce(e.written_by, []) + w.run_id "
                     "RETURN count(e) AS written",
    # per-write history as one node per batch with parallel lists
    "merge_batchnode": "UNWIND $writes AS w "
                       "MERGE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                       + SET_PROPS + "WITH count(e) AS written "
                       "CREATE (:SeedWrites {run_id: $run_id, at: $at, entity_ids: $ids, actions: $actions}) "
                       "RETURN written",
    # parallel lists instead of one map per row
    "merge_link_lists": "MERGE (r:SeedRun {run_id: $run_id}) WITH r "
                        "UNWIND range(0, size($entity_id) - 1) AS i "
                        "MERGE (e:Episode {group_id: $group_id, entity_id: $entity_id[i]}) "
                        "SET e.name = $name[i], e.source = $source, e.version = $version, "
                        "e.version_major = $vmaj, e.version_minor = $vmin, e.version_patch = $vpat, "
                        "e.version_pre = $vpre, e.created_at = $created_at[i], e.updated_at = $updated_at[i], "
                        "e.source_hash = $source_hash[i], e.content_hash = $content_hash[i], "
                        "e.source_path = $source_path[i], e.run_id = $run_id, e.body = $body[i] "
                        "MERGE (e)-[l:WRITTEN_BY]->(r) ON CREATE SET l.at = $at "
                        "SET l.action = $action[i], l.version = $version, l.content_hash = $content_hash[i], "
                        "l.source_hash = $source_hash[i] RETURN count(e) AS written",
    # graphseed's statement exactly as cypher/episode_upsert_batch.cypher has it now
    "now": open(os.path.join(REPO, "cypher/episode_upsert_batch.cypher")).read(),
    # the same, with the node's properties set from one map per row (one SET
    # operator instead of 15) and the link's from the same row
    "now_map": "MERGE (r:SeedRun {run_id: $run_id}) WITH r UNWIND $writes AS w "
               "MERGE (e:Episode {group_id: w.k.group_id, entity_id: w.k.entity_id}) "
               "SET e += w.p "
               "FOREACH (_ IN CASE WHEN e:Episodic THEN [1] ELSE [] END | "
               "REMOVE e:Episodic, e.uuid, e.source_description, e.content, e.valid_at, e.entity_edges) "
               "MERGE (e)-[l:WRITTEN_BY]->(r) ON CREATE SET l.at = $at "
               "SET l.action = w.action, l.version = w.p.version, l.content_hash = w.p.content_hash, "
               "l.source_hash = w.p.source_hash RETURN count(e) AS written",
    # values the whole batch shares (group, source, version and its parts,
    # run, updated_at) as statement parameters; per row only what differs
    "now_consts": "MERGE (r:SeedRun {run_id: $run_id}) WITH r UNWIND $writes AS w "
                  "MERGE (e:Episode {group_id: $group_id, entity_id: w.entity_id}) "
                  "SET e.name = w.name, e.source = $source, e.version = $version, "
                  "e.version_major = $vmaj, e.version_minor = $vmin, e.version_patch = $vpat, "
                  "e.version_pre = $vpre, e.created_at = w.created_at, e.updated_at = $updated_at, "
                  "e.source_hash = w.source_hash, e.content_hash = w.content_hash, "
                  "e.source_path = w.source_path, e.run_id = $run_id, e.body = w.body, e.seal = w.seal "
                  "FOREACH (_ IN CASE WHEN e:Episodic THEN [1] ELSE [] END | "
                  "REMOVE e:Episodic, e.uuid, e.source_description, e.content, e.valid_at, e.entity_edges) "
                  "MERGE (e)-[l:WRITTEN_BY]->(r) ON CREATE SET l.at = $at "
                  "SET l.action = w.action, l.version = $version, l.content_hash = w.content_hash, "
                  "l.source_hash = w.source_hash RETURN count(e) AS written",
    # the shared values as parameters and each row as a list, not a map:
    # [entity_id, name, created_at, source_hash, content_hash, source_path, body, seal, action]
    "now_tuples": "MERGE (r:SeedRun {run_id: $run_id}) WITH r UNWIND $writes AS w "
                  "MERGE (e:Episode {group_id: $group_id, entity_id: w[0]}) "
                  "SET e.name = w[1], e.source = $source, e.version = $version, "
                  "e.version_major = $vmaj, e.version_minor = $vmin, e.version_patch = $vpat, "
                  "e.version_pre = $vpre, e.created_at = w[2], e.updated_at = $updated_at, "
                  "e.source_hash = w[3], e.content_hash = w[4], "
                  "e.source_path = w[5], e.run_id = $run_id, e.body = w[6], e.seal = w[7] "
                  "FOREACH (_ IN CASE WHEN e:Episodic THEN [1] ELSE [] END | "
                  "REMOVE e:Episodic, e.uuid, e.source_description, e.content, e.valid_at, e.entity_edges) "
                  "MERGE (e)-[l:WRITTEN_BY]->(r) ON CREATE SET l.at = $at "
                  "SET l.action = w[8], l.version = $version, l.content_hash = w[4], "
                  "l.source_hash = w[3] RETURN count(e) AS written",
    # the link without its two hashes (what the node has now is on the node)
    "now_thinlink": "MERGE (r:SeedRun {run_id: $run_id}) WITH r UNWIND $writes AS w "
                    "MERGE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})"
                    + SET_PROPS + ", e.seal = w.seal "
                    "FOREACH (_ IN CASE WHEN e:Episodic THEN [1] ELSE [] END | "
                    "REMOVE e:Episodic, e.uuid, e.source_description, e.content, e.valid_at, e.entity_edges) "
                    "MERGE (e)-[l:WRITTEN_BY]->(r) ON CREATE SET l.at = $at "
                    "SET l.action = w.action, l.version = w.version RETURN count(e) AS written",
    # the python-unwind peer's statement (6 properties)
    "peer": "UNWIND $rows AS row "
            "MERGE (e:Episode {group_id: $group, entity_id: row.entity_id}) "
            "ON CREATE SET e.created_at = datetime() "
            "SET e.source = $source, e.version = $version, e.source_path = row.source_path, "
            "e.source_hash = row.source_hash, e.body = row.body, e.updated_at = datetime()",
}

FENCE = ("MATCH (l:SeedLock {group_id: $g}) SET l.last_batch_by = $run_id WITH l "
         "WHERE l.run_id IS NOT NULL AND l.run_id <> $run_id RETURN l.owner")
RUN = ("MERGE (r:SeedRun {run_id: $run_id}) SET r.group_id = $g, r.status = 'running', "
       "r.started_at = $at, r.counts_json = '{}', r.params_json = '{}', r.kind = 'seed'")
BUMP = ("MERGE (g:SeedGroup {group_id: $g}) "
        "SET g.revision = coalesce(g.revision, 0) + 1")

# name: (statement, indexes, batch size, writers, envelope)
VARIANTS = {
    "base": ("merge_link", ALL_INDEXES, 1000, 1, True),
    "real": ("merge_link_real", ALL_INDEXES, 1000, 1, True),
    "real_guarded": ("merge_link_guarded", ALL_INDEXES, 1000, 1, True),
    **{f"drop_{i}": ("merge_link", tuple(x for x in ALL_INDEXES if x != i), 1000, 1, True)
       for i in ALL_INDEXES},
    "key_only": ("merge_link", (), 1000, 1, True),
    "no_link": ("merge_nolink", ALL_INDEXES, 1000, 1, True),
    "create_link": ("merge_createlink", ALL_INDEXES, 1000, 1, True),
    "create_node_link": ("create_createlink", ALL_INDEXES, 1000, 1, True),
    "run_list": ("merge_runlist", ALL_INDEXES, 1000, 1, True),
    "batch_node": ("merge_batchnode", ALL_INDEXES, 1000, 1, True),
    "lists": ("merge_link_lists", ALL_INDEXES, 1000, 1, True),
    "batch_5000": ("merge_link", ALL_INDEXES, 5000, 1, True),
    "batch_10000": ("merge_link", ALL_INDEXES, 10000, 1, True),
    "create_node_link_10000": ("create_createlink", ALL_INDEXES, 10000, 1, True),
    # the cheapest combination with provenance links kept, and the floor
    "lean_link": ("create_createlink", (), 10000, 1, True),
    "lean_nolink": ("create_nolink", (), 10000, 1, True),
    # concurrency: the envelope's fence serialises batches, so both sides of
    # this pair write without it (episode statement only, no link)
    "one_writer_bare": ("merge_nolink", ALL_INDEXES, 1000, 1, False),
    "two_writers_bare": ("merge_nolink", ALL_INDEXES, 1000, 2, False),
    "now": ("now", ALL_INDEXES, 1000, 1, True),
    "now_map": ("now_map", ALL_INDEXES, 1000, 1, True),
    "now_consts": ("now_consts", ALL_INDEXES, 1000, 1, True),
    "now_thinlink": ("now_thinlink", ALL_INDEXES, 1000, 1, True),
    "now_tuples": ("now_tuples", ALL_INDEXES, 1000, 1, True),
    "peer_10000": ("peer", (), 10000, 1, False),
    "peer_1000": ("peer", (), 1000, 1, False),
}


def jvm_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(parts[11]) + int(parts[12])) / tick


def rows_of(root):
    """graphseed's write rows for every file (body = the JSON with _metadata)."""
    now = dt.datetime.now(dt.timezone.utc)
    out = []
    for rel, path in common.walk(root):
        data = common.read(path)
        digest = hashlib.sha256(data).hexdigest()
        eid = common.entity_id(rel)
        obj = json.loads(data)
        meta = {"entity_id": eid, "group_id": GROUP, "source": "project_seeding",
                "version": "1.0.0", "created_at": now.isoformat(), "updated_at": now.isoformat(),
                "source_hash": digest, "source_path": rel, "run_id": "run-x"}
        obj["_metadata"] = meta
        body = json.dumps(obj, separators=(",", ":"), sort_keys=True)
        out.append({
            "group_id": GROUP, "entity_id": eid, "name": obj.get("title", eid) if isinstance(obj.get("title"), str) else eid,
            "source": "project_seeding", "version": "1.0.0", "version_major": 1, "version_minor": 0,
            "version_patch": 0, "version_pre": "", "created_at": now, "updated_at": now,
            "source_hash": digest, "content_hash": hashlib.sha256(body.encode()).hexdigest(),
            "source_path": rel, "run_id": "", "body": body, "action": "create",
            "seal": hashlib.sha256(b"seal" + body.encode()).hexdigest(),
        })
    return out


def params_for(stmt, batch, run_id, at):
    if stmt == "peer":
        return {"rows": [{"entity_id": w["entity_id"], "source_path": w["source_path"],
                          "source_hash": w["source_hash"], "body": w["body"]} for w in batch],
                "group": GROUP, "source": "project_seeding", "version": "1.0.0"}
    if stmt == "merge_link_lists":
        cols = ("entity_id", "name", "created_at", "updated_at", "source_hash", "content_hash",
                "source_path", "body", "action")
        p = {c: [w[c] for w in batch] for c in cols}
        p.update(group_id=GROUP, source="project_seeding", version="1.0.0", vmaj=1, vmin=0, vpat=0,
                 vpre="", run_id=run_id, at=at)
        return p
    if stmt == "now_map":
        keys = ("group_id", "entity_id")
        return {"run_id": run_id, "at": at, "writes": [
            {"k": {k: w[k] for k in keys}, "action": w["action"],
             "p": {k: (run_id if k == "run_id" else v) for k, v in w.items() if k not in keys + ("action",)}}
            for w in batch]}
    if stmt == "now_tuples":
        cols = ("entity_id", "name", "created_at", "source_hash", "content_hash", "source_path", "body",
                "seal", "action")
        return {"run_id": run_id, "at": at, "writes": [[w[c] for c in cols] for w in batch],
                "group_id": GROUP, "source": "project_seeding", "version": "1.0.0", "vmaj": 1, "vmin": 0,
                "vpat": 0, "vpre": "", "updated_at": batch[0]["updated_at"]}
    if stmt == "now_consts":
        cols = ("entity_id", "name", "created_at", "source_hash", "content_hash", "source_path", "body",
                "seal", "action")
        return {"run_id": run_id, "at": at, "writes": [{c: w[c] for c in cols} for w in batch],
                "group_id": GROUP, "source": "project_seeding", "version": "1.0.0", "vmaj": 1, "vmin": 0,
                "vpat": 0, "vpre": "", "updated_at": batch[0]["updated_at"]}
    writes = [dict(w, run_id=run_id, graphiti=[]) for w in batch]
    p = {"run_id": run_id, "at": at, "writes": writes}
    if stmt == "merge_batchnode":
        p["ids"] = [w["entity_id"] for w in batch]
        p["actions"] = [w["action"] for w in batch]
    return p


def setup(drv, indexes):
    with drv.session() as s:
        for name in [r["name"] for r in s.run(
                "SHOW INDEXES YIELD name, owningConstraint WHERE owningConstraint IS NULL RETURN name")]:
            if name.startswith("pf_"):
                s.run(f"DROP INDEX {name}").consume()
        s.run("CREATE CONSTRAINT pf_key IF NOT EXISTS FOR (e:Episode) "
              "REQUIRE (e.group_id, e.entity_id) IS UNIQUE").consume()
        s.run("CREATE CONSTRAINT pf_run_key IF NOT EXISTS FOR (r:SeedRun) REQUIRE r.run_id IS UNIQUE").consume()
        s.run("CREATE CONSTRAINT pf_group_key IF NOT EXISTS FOR (g:SeedGroup) REQUIRE g.group_id IS UNIQUE").consume()
        s.run("CREATE CONSTRAINT pf_lock_key IF NOT EXISTS FOR (l:SeedLock) REQUIRE l.group_id IS UNIQUE").consume()
        for i in indexes:
            s.run(INDEXES[i]).consume()
        s.run("CALL db.awaitIndexes(300)").consume()
        s.run("MERGE (:SeedLock {group_id: $g})", g=GROUP).consume()


def clear(drv):
    with drv.session() as s:
        for label in ("Episode", "SeedWrites", "SeedRun"):
            s.run(f"MATCH (n:{label}) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF 10000 ROWS").consume()


def run_variant(drv, rows, name, pid, rep):
    stmt, indexes, size, writers, envelope = VARIANTS[name]
    setup(drv, indexes)
    clear(drv)
    run_id = f"run-{name}-{rep}"
    at = dt.datetime.now(dt.timezone.utc)
    q = STMT[stmt]
    batches = [rows[i:i + size] for i in range(0, len(rows), size)]

    def write(tx, batch):
        if envelope:
            tx.run(FENCE, g=GROUP, run_id=run_id).consume()
            tx.run(RUN, g=GROUP, run_id=run_id, at=at).consume()
        tx.run(q, **params_for(stmt, batch, run_id, at)).consume()
        if envelope:
            tx.run(BUMP, g=GROUP).consume()

    # Parameters are built inside the timed part for every variant alike.
    cpu0, t0 = jvm_cpu(pid), time.perf_counter()
    if writers == 1:
        with drv.session() as s:
            for b in batches:
                s.execute_write(write, b)
    else:
        def worker(k):
            with drv.session() as s:
                for b in batches[k::writers]:
                    s.execute_write(write, b)
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(writers)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    wall, cpu = time.perf_counter() - t0, jvm_cpu(pid) - cpu0
    with drv.session() as s:
        n = s.run("MATCH (e:Episode {group_id: $g}) RETURN count(e) AS n", g=GROUP).single()["n"]
    assert n == len(rows), (name, n)
    return {"variant": name, "rep": rep, "n": len(rows), "seconds": round(wall, 3),
            "server_cpu_s": round(cpu, 2), "loadavg_1m": round(os.getloadavg()[0], 2)}


def total_hits(plan):
    return plan.get("dbHits", 0) + sum(total_hits(c) for c in plan.get("children", []))


def hits_variant(drv, rows, name):
    """Neo4j's own count of storage accesses (PROFILE db hits) for one batch
    of 1,000 creates after 5,000 stored episodes, then for rewriting 1,000 of
    them: unlike CPU time on a shared machine, this does not move with load."""
    stmt, indexes, size, writers, envelope = VARIANTS[name]
    if stmt == "peer":
        return None
    setup(drv, indexes)
    clear(drv)
    run_id, at = f"run-hits-{name}", dt.datetime.now(dt.timezone.utc)
    q = STMT[stmt]
    with drv.session() as s:
        # the MATCH-on-run variants need the run node the envelope makes
        for rid in (run_id, run_id + "-2"):
            s.run("MERGE (:SeedRun {run_id: $r})", r=rid).consume()
        for i in range(0, 5000, 1000):
            s.run(q, **params_for(stmt, rows[i:i + 1000], run_id, at)).consume()
        out = {"variant": name}
        for what, batch, rid in (("create", rows[5000:6000], run_id), ("rewrite", rows[0:1000], run_id + "-2")):
            if stmt in ("create_createlink", "create_nolink") and what == "rewrite":
                continue  # CREATE is only for planned creates
            summary = s.run("PROFILE " + q, **params_for(stmt, batch, rid, at)).consume()
            out[what] = total_hits(summary.profile)
    return out


def report(paths):
    """A markdown table per results file: median (and range) of each variant."""
    import statistics

    for path in paths:
        with open(path) as f:
            d = json.load(f)
        by = {}
        for r in d["results"]:
            by.setdefault(r["variant"], []).append(r)
        n = d["results"][0]["n"]
        base = by.get("base")
        base_cpu = statistics.median(r["server_cpu_s"] for r in base) if base else None
        loads = [r["loadavg_1m"] for r in d["results"]]
        print(f"\n{n:,} episodes, Neo4j {d['neo4j']}, {len(base or [])} repetitions, "
              f"load average {min(loads)} to {max(loads)}\n")
        print("| variant | statement | indexes | batch | writers | server CPU s (median, range) "
              "| vs base | wall s (median) |")
        print("|---|---|---|---:|---:|---:|---:|---:|")
        for name, rs in by.items():
            stmt, idx, size, writers, env = VARIANTS[name]
            cpu = [r["server_cpu_s"] for r in rs]
            wall = [r["seconds"] for r in rs]
            m = statistics.median(cpu)
            rel = f"{m / base_cpu:.2f}" if base_cpu else ""
            idx_s = "all 5" if len(idx) == 5 else ("none" if not idx else "-" + ",".join(set(ALL_INDEXES) - set(idx)))
            print(f"| {name} | {stmt}{'' if env else ' (no envelope)'} | key + {idx_s} | {size} | {writers} "
                  f"| {m:.2f} ({min(cpu):.2f}-{max(cpu):.2f}) | {rel} | {statistics.median(wall):.2f} |")


def main():
    if sys.argv[1:2] == ["--report"]:
        report(sys.argv[2:])
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True, help="a gen_corpus.py base/ directory")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", help="comma-separated variant names")
    ap.add_argument("--out", required=True)
    ap.add_argument("--dbhits", action="store_true", help="PROFILE db hits per variant instead of timing")
    a = ap.parse_args()
    names = a.only.split(",") if a.only else list(VARIANTS)
    rows = rows_of(a.corpus)
    env = dict(os.environ)
    env.setdefault("NEO4J_TEST_HEAP", "4g")
    log = open(a.out + ".neo4j.log", "wb")
    p = subprocess.Popen([os.path.join(REPO, "tools/neo4j-test-server/start.sh"), "--pagecache-mb", "4096"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env)
    try:
        line = p.stdout.readline().decode().strip()
        _, uri, version = line.split()
        drv = common.driver(uri)
        if a.dbhits:
            hits = [h for h in (hits_variant(drv, rows, n) for n in names) if h]
            for h in hits:
                print(json.dumps(h), flush=True)
            with open(a.out, "w") as f:
                json.dump({"neo4j": version, "corpus": a.corpus, "dbhits": hits}, f, indent=1)
            drv.close()
            return 0
        # warm-up: every statement shape once on a slice, untimed
        warm = rows[:2000]
        for name in names:
            run_variant(drv, warm, name, p.pid, -1)
        results = []
        for rep in range(a.reps):
            for name in names:
                r = run_variant(drv, rows, name, p.pid, rep)
                print(json.dumps(r), flush=True)
                results.append(r)
        with open(a.out, "w") as f:
            json.dump({"neo4j": version, "corpus": a.corpus, "results": results}, f, indent=1)
        drv.close()
    finally:
        p.stdin.close()
        p.wait(timeout=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
