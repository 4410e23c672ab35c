#!/usr/bin/env python3
"""S1, S3, S4 and S5 for graphseed alone on Neo4j at one size of the
small-file corpus: the before/after of replacing WRITTEN_BY with per-episode
history lists and per-batch ledgers (issue 17). Same scenarios, queries and
helpers as bench.py (S5's query texts follow --s5-model); its own Neo4j, its
own results file, so bench/results/latest.json is left alone.

    bench/.venv/bin/python bench/history_s5.py --graphseed /tmp/main-graphseed --s5-model written_by \\
        --corpus /tmp/gs-scale/small-100000 --rusage /tmp/rusage --out bench/results/history-s5-before.json
    bench/.venv/bin/python bench/history_s5.py --graphseed target/release/graphseed --s5-model history \\
        --corpus /tmp/gs-scale/small-100000 --rusage /tmp/rusage --out bench/results/history-s5-after.json
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--graphseed", required=True)
    ap.add_argument("--s5-model", choices=("history", "written_by"), required=True)
    ap.add_argument("--corpus", required=True, help="a gen_corpus.py output (base/, mutated/, manifest.json)")
    ap.add_argument("--rusage", required=True, help="the compiled bench/rusage.c")
    ap.add_argument("--out", required=True)
    ap.add_argument("--workdir", default="/tmp/graphseed-history-s5")
    ap.add_argument("--s5-queries", type=int, default=200)
    ap.add_argument("--no-warmup", action="store_true",
                    help="skip the untimed seed of the whole corpus (halves the run and the disk it needs)")
    a = ap.parse_args()
    a.links, a.quick, a.sizes, a.small_sizes = False, False, [], []
    bench.RUSAGE = a.rusage
    os.makedirs(a.workdir, exist_ok=True)
    b = bench.Bench(a)
    b.results = b.meta_name = os.path.splitext(os.path.basename(a.out))[0] + ".tmp"
    with open(os.path.join(a.corpus, "manifest.json")) as f:
        c = json.load(f)
    c["base"], c["mutated"] = os.path.join(a.corpus, "base"), os.path.join(a.corpus, "mutated")
    n = c["files"]
    b.meta["provenance_cli"] = True
    b.corpus_tag = "small"
    neo = bench.Neo4j(a.workdir)
    try:
        uri = neo.uri
        b.meta.update(graphseed=a.graphseed, s5_model=a.s5_model, warmup=not a.no_warmup, neo4j=neo.version, n=n,
                      date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        bench.run([a.graphseed, "--uri", uri, "--group", "bench", "init"], b.tool_cwd("graphseed"))
        # the JIT warm-up: one untimed seed of the whole corpus, cleared
        g = f"bench_gs_{n}"
        if not a.no_warmup:
            b.gs_seed(uri, g + "_warm", c["base"])
            b.gs_clear(uri, g + "_warm")
        r, i = b.gs_seed(uri, g, c["base"])
        b.add("S1", n, "graphseed", r, **i)
        r, i = b.gs_seed(uri, g, c["mutated"], extra=["--prune"])
        b.add("S3", n, "graphseed", r, **i)
        s3_run = i["run_id"]
        r, i = b.gs_seed(uri, g, c["mutated"], version="1.1.0")
        b.add("S4", n, "graphseed", r, **i)
        b.s5(n, uri, g, c, s3_run)
    finally:
        neo.stop()
    with open(a.out, "w") as f:
        json.dump({"meta": b.meta, "rows": b.rows}, f, indent=1)
    for suffix in (".json",):
        for name in (b.results, b.meta_name):
            p = os.path.join(HERE, "results", name + suffix)
            if os.path.exists(p):
                os.remove(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
