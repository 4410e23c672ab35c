#!/usr/bin/env python3
"""S5's by_entity and list_run as PROFILE db hits, before and after the
history model (issue 17): load-independent, unlike S5's latencies on a shared
machine. One Neo4j; a binary from before (WRITTEN_BY) and one from after
(history lists, ledgers) each seed the same small corpus (S1, S3 with
--prune, S4) into their own group, then each query runs in its own model.

    bench/.venv/bin/python bench/s5_dbhits.py BEFORE_BIN AFTER_BIN CORPUS WORKDIR OUT.json

AFTER_BIN seeds first: a binary from after refuses to seed while WRITTEN_BY
links (the before group's) exist.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402

BEFORE, AFTER, C, WORK, OUT = sys.argv[1:6]
os.makedirs(WORK, exist_ok=True)
neo = bench.Neo4j(WORK)
try:
    uri = neo.uri
    def gs(binary, group, *args):
        r = subprocess.run([binary, "--uri", uri, "--group", group, *args], capture_output=True, text=True, cwd=WORK)
        if r.returncode != 0:
            raise SystemExit(r.stderr[-2000:])
        return r.stdout
    runs = {}
    for binary, group in ((AFTER, "after"), (BEFORE, "before")):
        gs(binary, group, "init")
        gs(binary, group, "seed", "--root", C + "/base", "--seed-version", "1.0.0", "--json")
        out = gs(binary, group, "seed", "--root", C + "/mutated", "--seed-version", "1.0.0", "--prune", "--json")
        runs[group] = json.loads(out)["run_id"]
        gs(binary, group, "seed", "--root", C + "/mutated", "--seed-version", "1.1.0", "--json")
    from neo4j import GraphDatabase
    d = GraphDatabase.driver(uri, auth=("neo4j", "bench"), notifications_min_severity="OFF")
    Q = {
     "before": {
      "by_entity": "MATCH (e:Episode {group_id: $g, entity_id: $id}) OPTIONAL MATCH (e)-[w:WRITTEN_BY]->(r:SeedRun) RETURN e.entity_id, e.version, e.source_hash, e.source_path, e.run_id, e.updated_at, collect({run: r.run_id, action: w.action, at: r.started_at}) AS history",
      "list_run": "MATCH (e:Episode)-[:WRITTEN_BY]->(r:SeedRun {run_id: $r}) RETURN e.entity_id"},
     "after": {
      "by_entity": "MATCH (e:Episode {group_id: $g, entity_id: $id}) CALL (e) { UNWIND coalesce(e.history, []) AS h WITH split(h, '|') AS w MATCH (r:SeedRun {run_id: w[0]}) RETURN collect({run: r.run_id, action: w[2], at: r.started_at}) AS history } RETURN e.entity_id, e.version, e.source_hash, e.source_path, e.run_id, e.updated_at, history",
      "list_run": "MATCH (b:SeedWrites {run_id: $r}) UNWIND range(0, size(b.entity_ids) - 1) AS i WITH b, i WHERE b.actions[i] <> 'prune' RETURN b.entity_ids[i]"},
    }
    def hits(p): return p.get("dbHits", 0) + sum(hits(c) for c in p.get("children", []))
    res = {}
    with d.session() as s:
        ids = [r["id"] for r in s.run("MATCH (e:Episode {group_id: 'after'}) WHERE size(e.history) = 3 RETURN e.entity_id AS id LIMIT 5")]
        for model in ("before", "after"):
            for name, q in Q[model].items():
                params = {"g": model, "id": ids[0], "r": runs[model]}
                s.run(q, **params).consume()
                summ = s.run("PROFILE " + q, **params).consume()
                rows = len(list(s.run(q, **params)))
                res[f"{model}/{name}"] = {"db_hits": hits(summ.profile), "rows": rows}
                print(model, name, res[f"{model}/{name}"], flush=True)
    json.dump({"neo4j": neo.version, "n": 10000, "results": res}, open(OUT, "w"), indent=1)
finally:
    neo.stop()
