#!/usr/bin/env python3
"""Side-by-side benchmark of graphseed against its peers, in one run.

Called by bench/run.sh (which prepares the venv and the release binary):

    bench.py --graphseed BIN --sizes 1000,10000,100000 [--small-sizes 100000,1000000] [--quick]

Writes bench/results/latest.json (one row per (scenario, n, tool)) and
BENCHMARKS.md at the repository root (bench/report.py renders it).

--small-sizes runs the small-file corpus (about 500 B a file) at those sizes:
S1-S5 for graphseed on both stores and python-unwind(-skip), whose per-episode
write cost the 4 KB corpus hides; its rows carry "corpus": "small". With
--sizes none only the small-file corpus runs, and the bench corpus's rows of
the previous latest.json are kept.

--links runs the corpus with links instead (gen_corpus.py --links, about 3
links a file) at --sizes: S1-S4 for graphseed on Neo4j against python-unwind,
python-unwind-skip and python-naive, each writing the same LINKS_TO edges in
the same run; the edges every tool leaves are counted after each scenario.
Writes bench/results/links.json and links-meta.json only (latest.json and
BENCHMARKS.md are left as they are; the "Links" section of BENCHMARKS.md is
rendered from links.json by `report.py --links`).
"""

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PY = sys.executable
PEERS = os.path.join(HERE, "peers")
NAIVE_MAX_N = 10_000  # python-naive above this is extrapolated linearly
SMALL_MEDIAN_BYTES = 500  # the small-file corpus


def log(msg):
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------
# Running a tool: wall time and the child's peak RSS (os.wait4 rusage).
# --------------------------------------------------------------------------
class ToolFailed(RuntimeError):
    pass


RUSAGE = None  # path of the compiled bench/rusage.c helper (set in main)


def run(cmd, cwd, check=True, env=None):
    """Run cmd in cwd through the rusage helper: wall seconds and the child's
    peak RSS (ru_maxrss of wait4, measured by a ~1 MB parent; see rusage.c)."""
    out_path = os.path.join(cwd, ".bench.stdout")
    err_path = os.path.join(cwd, ".bench.stderr")
    ru_path = os.path.join(cwd, ".bench.rusage")
    if os.path.exists(ru_path):
        os.remove(ru_path)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.run([RUSAGE, ru_path, *cmd], cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                           env=env)
    with open(out_path, "rb") as f:
        stdout = f.read().decode(errors="replace")
    with open(err_path, "rb") as f:
        stderr = f.read().decode(errors="replace")
    with open(ru_path) as f:
        fields = f.read().split()
    code, maxrss_kb, wall = fields[:3]
    rc = int(code)
    if check and rc != 0:
        raise ToolFailed(f"{cmd!r} exited {rc}\nstdout: {stdout[-2000:]}\nstderr: {stderr[-4000:]}")
    return {
        "seconds": round(float(wall), 4),
        "peak_rss_mb": round(int(maxrss_kb) / 1024, 1),  # ru_maxrss is KiB on Linux
        "rc": rc,
        "stdout": stdout,
        "stderr": stderr,
        # CPU seconds of the tool process itself (client side; Neo4j's CPU is not in here)
        "cpu_s": round(float(fields[3]) + float(fields[4]), 3) if len(fields) >= 5 else None,
    }


def last_json(text):
    """The JSON object a tool printed (graphseed pretty-prints one object;
    the peers print one line)."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        for line in reversed(text.splitlines()):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise ValueError(f"no JSON in output: {text[-500:]}")


def parse_debug(stderr):
    """graphseed -vv timings: 'loaded N stored episodes ... in X', 'planned ... in Y'."""
    import re

    out = {}
    m = re.search(r"loaded (\d+) stored episodes.* in ([\d.]+)(ms|s|µs)", stderr)
    # A no-op reseed that holds nothing reads the group without loading it
    # and makes no decision: its read is the load, and there is no plan time.
    m = m or re.search(r"checked (\d+) stored episodes for hand edits, none held.* in ([\d.]+)(ms|s|µs)", stderr)
    if m:
        out["load_s"] = _secs(m.group(2), m.group(3))
    m = re.search(r"planned (\d+) decisions.* in ([\d.]+)(ms|s|µs)", stderr)
    if m:
        out["plan_s"] = _secs(m.group(2), m.group(3))
    return out


def _secs(v, unit):
    v = float(v)
    return round(v / 1000 if unit == "ms" else v / 1e6 if unit == "µs" else v, 4)


# --------------------------------------------------------------------------
# Neo4j test server
# --------------------------------------------------------------------------
class Neo4j:
    def __init__(self, logdir):
        env = dict(os.environ)
        env.setdefault("NEO4J_TEST_HEAP", "4g")
        self.log = open(os.path.join(logdir, "neo4j.log"), "wb")
        self.p = subprocess.Popen(
            [os.path.join(REPO, "tools/neo4j-test-server/start.sh"), "--pagecache-mb", "4096"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env)
        line = self.p.stdout.readline().decode().strip()
        if not line.startswith("GRAPHSEED_NEO4J_READY"):
            self.stop()
            raise RuntimeError(f"Neo4j test server did not start (see {logdir}/neo4j.log): {line!r}")
        _, self.uri, self.version = line.split()

    def stop(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=60)
        except Exception:
            self.p.terminate()
            self.p.wait(timeout=30)
        self.log.close()


# --------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------
class Bench:
    def __init__(self, args):
        self.a = args
        self.gs = args.graphseed
        self.work = args.workdir
        self.rows = []
        self.meta = {}
        self.scratch = os.path.join(self.work, "cwd")
        os.makedirs(self.scratch, exist_ok=True)
        self.unwind_batch = 5000
        self.s2_repeats = 3
        # Rows of the small-file corpus carry "corpus": "small"; the bench
        # corpus's rows carry no tag (as before).
        self.corpus_tag = "links" if args.links else None
        self.results = "links" if args.links else "latest"
        self.meta_name = "links-meta" if args.links else "meta"
        # --links: the peers write edges too, and every S1-S4 row records the
        # edges its tool left (set to the server's URI once it is up).
        self.peer_extra = ["--links"] if args.links else []
        self.edges_uri = None

    # -- helpers ----------------------------------------------------------
    def add(self, scenario, n, tool, r, **extra):
        row = {"scenario": scenario, "n": n, "tool": tool,
               "seconds": r.get("seconds") if r else None,
               "peak_rss_mb": r.get("peak_rss_mb") if r else None,
               "write_transactions": None}
        if self.corpus_tag:
            row["corpus"] = self.corpus_tag
        # Other work on the machine skews every number: record the load with the row.
        row["loadavg_1m"] = round(os.getloadavg()[0], 2)
        if r and r.get("cpu_s") is not None:
            row["client_cpu_s"] = r["cpu_s"]
        row.update(extra)
        if self.edges_uri and scenario in ("S1", "S2", "S3", "S4") and not extra.get("extrapolated"):
            row["edges_after"] = self.edges(tool, n)
        self.rows.append(row)
        log(f"{scenario:<14} n={n:<7} {tool:<20} {row['seconds']}s rss={row['peak_rss_mb']}MB "
            f"wtx={row['write_transactions']} {json.dumps({k: v for k, v in extra.items() if k in ('written', 'skipped', 'pruned', 'parsed', 'counts', 'extrapolated')})}")
        self.save()
        return row

    def save(self):
        os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
        path = os.path.join(HERE, "results", f"{self.results}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(self.rows, f, indent=1)
        os.replace(path + ".tmp", path)
        meta = os.path.join(HERE, "results", f"{self.meta_name}.json")
        with open(meta + ".tmp", "w") as f:
            json.dump(self.meta, f, indent=1)
        os.replace(meta + ".tmp", meta)

    EDGE_LABELS = {"graphseed": ("Episode", "bench_gs_{n}"),
                   "python-unwind": ("UnwindEpisode", "bench_python-unwind_{n}"),
                   "python-unwind-skip": ("SkipEpisode", "bench_python-unwind-skip_{n}"),
                   "python-naive": ("NaiveEpisode", "bench_naive_{n}")}

    def edges(self, tool, n):
        """[edges, sum of their counts] a tool's group holds (--links), to
        check that every tool wrote the same graph."""
        from neo4j import GraphDatabase

        if tool not in self.EDGE_LABELS:
            return None
        label, group = self.EDGE_LABELS[tool]
        with GraphDatabase.driver(self.edges_uri, auth=("neo4j", "bench"),
                                  notifications_min_severity="OFF") as d, d.session() as s:
            rec = s.run(f"MATCH (a:{label} {{group_id: $g}})-[r:LINKS_TO]->() "
                        "RETURN count(r), coalesce(sum(r.count), 0)", g=group.format(n=n)).single()
        return [rec[0], rec[1]]

    def tool_cwd(self, tool):
        d = os.path.join(self.scratch, tool)
        os.makedirs(d, exist_ok=True)
        # graphseed leaves an audit trail per run in its working directory
        # (about 550 MB per million decisions): the bench reads none of them,
        # and kept across runs they filled the disk (15 GB, a run at 1M
        # failed with ENOSPC). Each run starts without the earlier ones.
        shutil.rmtree(os.path.join(d, ".graphseed", "runs"), ignore_errors=True)
        return d

    def corpus(self, n, small=False):
        links = self.a.links and not small
        out = os.path.join(self.work, f"corpus-small-{n}" if small else f"corpus-links-{n}" if links
                           else f"corpus-{n}")
        t0 = time.perf_counter()
        extra = ["--median-bytes", str(SMALL_MEDIAN_BYTES)] if small else ["--links"] if links else []
        r = subprocess.run([PY, os.path.join(HERE, "gen_corpus.py"), "--n", str(n), "--out", out, *extra],
                           check=True, capture_output=True, text=True)
        took = time.perf_counter() - t0
        log(f"corpus n={n} ready in {took:.1f}s: {r.stdout.strip()}")
        # A tree left by an earlier run (same manifest) is reused in well under
        # a second; the report says how much of the run went into generating.
        self.meta["corpus_minutes"] = round(self.meta.get("corpus_minutes", 0) + took / 60, 2)
        with open(os.path.join(out, "manifest.json")) as f:
            m = json.load(f)
        m["base"] = os.path.join(out, "base")
        m["mutated"] = os.path.join(out, "mutated")
        return m

    # -- graphseed -------------------------------------------------------
    def gs_seed(self, uri, group, root, version="1.0.0", extra=(), tool="graphseed"):
        cmd = [self.gs, "--uri", uri, "--group", group, "-vv", "seed", "--root", root,
               "--seed-version", version, "--json", *extra]
        r = run(cmd, self.tool_cwd(tool))
        j = last_json(r["stdout"])
        # An unchanged seed is not a run (README, "What a no-op seed means"):
        # it reports status "unchanged" and run_id null.
        if j.get("status") not in ("succeeded", "unchanged"):
            raise ToolFailed(f"graphseed run status {j.get('status')}: {r['stderr'][-2000:]}")
        info = {
            "write_transactions": j["apply"]["write_transactions"],
            "counts": {k: v for k, v in j["counts"].items() if v},
            "files_parsed": j["files"]["parsed"],
            "files_seen": j["files"]["seen"],
            "bytes_hashed": j["files"]["bytes_hashed"],
            "apply_s": j["apply"].get("seconds"),
            "batches": j["apply"].get("batches"),
            "run_id": j["run_id"],
        }
        if self.a.links:
            info["links"] = {k: v for k, v in j.get("links", {}).items() if k != "warnings"}
        info.update(parse_debug(r["stderr"]))
        return r, info

    def gs_clear(self, uri, group):
        from neo4j import GraphDatabase

        with GraphDatabase.driver(uri, auth=("neo4j", "bench"), notifications_min_severity="OFF") as d, d.session() as s:
            for label in ("Episode", "SeedRun", "PrunedEpisode", "SeedGroup", "SeedLock"):
                s.run(f"MATCH (x:{label} {{group_id: $g}}) "
                      "CALL (x) { DETACH DELETE x } IN TRANSACTIONS OF 10000 ROWS", g=group).consume()

    def graphseed_neo4j(self, n, c, uri):
        tool, g = "graphseed", f"bench_gs_{n}"
        self.gs_clear(uri, g)
        r, i = self.gs_seed(uri, g, c["base"])
        self.add("S1", n, tool, r, **i)
        self.median_s2(n, tool, lambda: self.gs_seed(uri, g, c["base"]))
        r, i = self.gs_seed(uri, g, c["mutated"], extra=["--prune"])
        self.add("S3", n, tool, r, **i)
        s3_run = i["run_id"]
        r, i = self.gs_seed(uri, g, c["mutated"], version="1.1.0")
        self.add("S4", n, tool, r, **i)
        if not self.a.links:
            self.s5(n, uri, g, c, s3_run)
        self.gs_clear(uri, g)

    def graphseed_sqlite(self, n, c):
        tool = "graphseed-sqlite"
        db = os.path.join(self.work, f"sqlite-{n}.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        uri, g = f"sqlite:{db}", f"bench_gs_{n}"
        r, i = self.gs_seed(uri, g, c["base"], tool=tool)
        self.add("S1", n, tool, r, **i)
        self.median_s2(n, tool, lambda: self.gs_seed(uri, g, c["base"], tool=tool))
        r, i = self.gs_seed(uri, g, c["mutated"], extra=["--prune"], tool=tool)
        self.add("S3", n, tool, r, **i)
        r, i = self.gs_seed(uri, g, c["mutated"], version="1.1.0", tool=tool)
        self.add("S4", n, tool, r, db_mb=round(os.path.getsize(db) / 2**20, 1), **i)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)

    def median_s2(self, n, tool, fn):
        res = [fn() for _ in range(self.s2_repeats)]
        res.sort(key=lambda x: x[0]["seconds"])
        r, i = res[len(res) // 2]
        i = dict(i)
        i["repeats"] = len(res)
        i["all_seconds"] = [x[0]["seconds"] for x in res]
        self.add("S2", n, tool, r, **i)

    # -- S5 provenance ---------------------------------------------------
    def s5(self, n, uri, group, c, s3_run):
        from neo4j import GraphDatabase

        q = self.a.s5_queries
        rng = random.Random(7)
        ids = [f"d{i // 100:04d}_f{i:06d}" for i in rng.sample(range(n), min(q, n))]
        while len(ids) < q:
            ids += ids[: q - len(ids)]
        queries = {
            "by_entity": ("MATCH (e:Episode {group_id: $g, entity_id: $id}) "
                          "OPTIONAL MATCH (e)-[w:WRITTEN_BY]->(r:SeedRun) "
                          "RETURN e.entity_id, e.version, e.source_hash, e.source_path, e.run_id, e.updated_at, "
                          "collect({run: r.run_id, action: w.action, at: r.started_at}) AS history",
                          lambda k: {"g": group, "id": ids[k]}),
            "by_source_count": ("MATCH (e:Episode {group_id: $g, source: $s}) RETURN count(e)",
                                lambda k: {"g": group, "s": "project_seeding"}),
            "by_source_ids100": ("MATCH (e:Episode {group_id: $g, source: $s}) RETURN e.entity_id LIMIT 100",
                                 lambda k: {"g": group, "s": "project_seeding"}),
            "list_run": ("MATCH (e:Episode)-[:WRITTEN_BY]->(r:SeedRun {run_id: $r}) RETURN e.entity_id",
                         lambda k: {"r": s3_run}),
        }
        with GraphDatabase.driver(uri, auth=("neo4j", "bench"), notifications_min_severity="OFF") as d, d.session() as s:
            for name, (cypher, params) in queries.items():
                s.run(cypher, **params(0)).consume()  # plan cache warm-up
                lat, rows = [], 0
                for k in range(q):
                    t0 = time.perf_counter()
                    res = list(s.run(cypher, **params(k)))
                    lat.append(time.perf_counter() - t0)
                    rows = len(res)
                self.add_latency(n, "graphseed-model/python-driver", name, lat, rows)
        # graphseed's own provenance command, if present (one process per query).
        if self.meta.get("provenance_cli"):
            k = max(5, q // 10)
            cli = {
                "cli_by_entity": lambda j: ["--entity", ids[j]],
                "cli_by_source_limit100": lambda j: ["--source", "project_seeding", "--limit", "100"],
                "cli_list_run": lambda j: ["--run", s3_run],
            }
            for name, argsf in cli.items():
                lat, ok = [], True
                for j in range(k):
                    r = run([self.gs, "--uri", uri, "--group", group, "provenance", "--json", *argsf(j)],
                            self.tool_cwd("graphseed"), check=False)
                    if r["rc"] != 0:
                        ok = False
                        log(f"provenance CLI {name} failed rc={r['rc']}: {r['stderr'][-300:]}")
                        break
                    lat.append(r["seconds"])
                if ok:
                    self.add_latency(n, "graphseed provenance (CLI)", name, lat, None)

    def add_latency(self, n, tool, name, lat, rows):
        lat = sorted(lat)

        def pct(p):
            return round(lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] * 1000, 2)

        self.add("S5", n, tool, {"seconds": round(sum(lat), 4), "peak_rss_mb": None},
                 query=name, queries=len(lat), p50_ms=pct(50), p95_ms=pct(95), p99_ms=pct(99),
                 result_rows=rows)

    # -- python peers ----------------------------------------------------
    def peer(self, script, uri, group, *extra, tool):
        r = run([PY, os.path.join(PEERS, script), "--uri", uri, "--group", group, *extra, *self.peer_extra],
                self.tool_cwd(tool))
        j = last_json(r["stdout"])
        info = {k: j[k] for k in ("write_transactions", "written", "skipped", "pruned", "parsed", "inner_seconds",
                                  "batch_size", "links_written", "links_dangling", "relinked_files") if k in j}
        return r, info

    def peer_admin(self, script, uri, group, *flags):
        subprocess.run([PY, os.path.join(PEERS, script), "--uri", uri, "--group", group, *flags], check=True)

    def unwind(self, n, c, uri, skip):
        tool = "python-unwind-skip" if skip else "python-unwind"
        s = ["python_unwind.py"]
        sk = ["--skip"] if skip else []
        bs = ["--batch-size", str(self.unwind_batch)]
        g = f"bench_{tool}_{n}"
        self.peer_admin(s[0], uri, g, "--init", *sk)
        self.peer_admin(s[0], uri, g, "--clear", *sk)
        r, i = self.peer(s[0], uri, g, "--root", c["base"], *sk, *bs, tool=tool)
        self.add("S1", n, tool, r, **i)
        if skip:
            self.median_s2(n, tool, lambda: self.peer(s[0], uri, g, "--root", c["base"], *sk, *bs, tool=tool))
        else:
            r, i = self.peer(s[0], uri, g, "--root", c["base"], *sk, *bs, tool=tool)
            self.add("S2", n, tool, r, **i)
        r, i = self.peer(s[0], uri, g, "--root", c["mutated"], "--prune", *sk, *bs, tool=tool)
        self.add("S3", n, tool, r, **i)
        r, i = self.peer(s[0], uri, g, "--root", c["mutated"], "--seed-version", "1.1.0", "--force", *sk, *bs,
                         tool=tool)
        self.add("S4", n, tool, r, **i)
        self.peer_admin(s[0], uri, g, "--clear", *sk)

    def naive(self, n, c, uri):
        tool, g = "python-naive", f"bench_naive_{n}"
        if n > NAIVE_MAX_N:
            ref_n = max((r["n"] for r in self.rows if r["tool"] == tool and not r.get("extrapolated")), default=None)
            if ref_n is None:
                log(f"python-naive: no measured size <= {NAIVE_MAX_N} to extrapolate from; skipped at n={n}")
                return
            f = n / ref_n
            for ref in [r for r in self.rows if r["tool"] == tool and r["n"] == ref_n]:
                self.add(ref["scenario"], n, tool,
                         {"seconds": round(ref["seconds"] * f, 2), "peak_rss_mb": None},
                         write_transactions=round(ref["write_transactions"] * f),
                         extrapolated=True, extrapolated_from_n=ref_n)
            return
        self.peer_admin("python_naive.py", uri, g, "--init")
        self.peer_admin("python_naive.py", uri, g, "--clear")
        r, i = self.peer("python_naive.py", uri, g, "--root", c["base"], tool=tool)
        self.add("S1", n, tool, r, **i)
        r, i = self.peer("python_naive.py", uri, g, "--root", c["base"], tool=tool)
        self.add("S2", n, tool, r, **i)
        r, i = self.peer("python_naive.py", uri, g, "--root", c["mutated"], "--prune", tool=tool)
        self.add("S3", n, tool, r, **i)
        r, i = self.peer("python_naive.py", uri, g, "--root", c["mutated"], "--seed-version", "1.1.0", tool=tool)
        self.add("S4", n, tool, r, **i)
        self.peer_admin("python_naive.py", uri, g, "--clear")

    def langchain(self, n, c):
        tool = "langchain-index"
        db = os.path.join(self.work, f"langchain-{n}.db")
        if os.path.exists(db):
            os.remove(db)

        def go(root):
            r = run([PY, os.path.join(PEERS, "langchain_index.py"), "--root", root, "--db", db, "--cleanup", "full"],
                    self.tool_cwd(tool))
            j = last_json(r["stdout"])
            return r, {k: j[k] for k in ("write_transactions", "written", "skipped", "pruned", "inner_seconds",
                                         "cleanup") if k in j}

        r, i = go(c["base"])
        self.add("S1", n, tool, r, note="in-memory vector store, fake embeddings: no graph written", **i)
        self.median_s2(n, tool, lambda: go(c["base"]))
        r, i = go(c["mutated"])
        self.add("S3", n, tool, r, **i)
        os.remove(db)

    # -- hashing throughput ----------------------------------------------
    def hashing(self, n, c):
        base = c["base"]
        mb = c["bytes"] / 1e6
        cmds = {
            "sha256sum (cat | sha256sum, one stream)":
                f"find {base} -type f -name '*.json' -print0 | xargs -0 cat | sha256sum >/dev/null",
            "sha256sum (per file, xargs -0 sha256sum)":
                f"find {base} -type f -name '*.json' -print0 | xargs -0 sha256sum >/dev/null",
        }
        for name, sh in cmds.items():
            best = None
            for _ in range(3):
                r = run(["bash", "-c", sh], self.scratch)
                if best is None or r["seconds"] < best["seconds"]:
                    best = r
            self.add("hash", n, name, best, mb=round(mb, 2), mb_per_s=round(mb / best["seconds"], 1),
                     note="best of 3, warm page cache")

    # -- batch-size sweep --------------------------------------------------
    def sweep(self, n, c, uri):
        best = None
        for bs in (1000, 5000, 10000):
            g = f"bench_sweep_{bs}"
            self.peer_admin("python_unwind.py", uri, g, "--init")
            self.peer_admin("python_unwind.py", uri, g, "--clear")
            r, i = self.peer("python_unwind.py", uri, g, "--root", c["base"], "--batch-size", str(bs),
                             tool="python-unwind")
            self.add("S1-batch-sweep", n, "python-unwind", r, **i)
            self.peer_admin("python_unwind.py", uri, g, "--clear")
            if best is None or r["seconds"] < best[1]:
                best = (bs, r["seconds"])
        self.unwind_batch = best[0]
        self.meta["unwind_batch"] = {"chosen": best[0], "measured_at_n": n}
        log(f"python-unwind batch size: {best[0]} (best S1 at n={n})")
        if not self.a.quick:
            for bs in (1000, 5000, 10000):
                g = f"bench_sweep_gs_{bs}"
                self.gs_clear(uri, g)
                r, i = self.gs_seed(uri, g, c["base"], extra=["--batch-size", str(bs)])
                self.add("S1-batch-sweep", n, "graphseed", r, batch_size=bs, **i)
                self.gs_clear(uri, g)

    def warmup(self, c, uri, rounds=2, prune=True):
        """Untimed: warm the JVM (JIT, plan cache) so the first tool isn't penalised. Run again (one round)
        at every size: seeding n episodes and deleting them grows Neo4j's store files and both tools'
        index trees to that size, so whichever tool runs first at a size does not pay for the growth
        that every later tool reuses."""
        # Every query shape each tool runs later (create, update, prune) is run here first, so no timed
        # scenario is the first to reach a code path the JIT has not compiled yet.
        self.gs_clear(uri, "bench_warmup")
        # prune=False (the small-file corpus, after the JIT was warmed): only
        # the growth, not the S3 shapes again, which at 1M cost minutes.
        for _ in range(rounds):
            self.gs_seed(uri, "bench_warmup", c["base"], extra=["--force"])
        if prune:
            self.gs_seed(uri, "bench_warmup", c["mutated"], extra=["--prune"])
        self.gs_clear(uri, "bench_warmup")
        for _ in range(rounds):
            self.peer_admin("python_unwind.py", uri, "bench_warmup", "--init")
            self.peer("python_unwind.py", uri, "bench_warmup", "--root", c["base"], tool="python-unwind")
        if prune:
            self.peer("python_unwind.py", uri, "bench_warmup", "--root", c["mutated"], "--prune",
                      tool="python-unwind")
        self.peer_admin("python_unwind.py", uri, "bench_warmup", "--clear")

    # -- main --------------------------------------------------------------
    def versions(self, neo):
        import importlib.metadata as md

        v = subprocess.run([self.gs, "--version"], capture_output=True, text=True).stdout.strip()
        cpu = "unknown"
        flags = ""
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu == "unknown":
                    cpu = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    flags = line
        mem_gb = None
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem_gb = round(int(line.split()[1]) / 2**20, 1)
        prov = subprocess.run([self.gs, "provenance", "--help"], capture_output=True, text=True).returncode == 0
        self.meta.update({
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "cpu": cpu, "sha_ni": " sha_ni" in flags, "cores": os.cpu_count(), "mem_gib": mem_gb,
            "kernel": platform.release(), "python": platform.python_version(),
            # Whether the binary may differ from the commit (bench/ and the
            # report itself excluded: the run rewrites them).
            "graphseed_dirty": bool(subprocess.run(
                ["git", "-C", REPO, "status", "--porcelain", "--", ".", ":!bench", ":!BENCHMARKS.md"],
                capture_output=True, text=True).stdout.strip()),
            "graphseed": v, "graphseed_commit": subprocess.run(
                ["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
            "neo4j": neo.version if neo else None,
            "neo4j_heap": os.environ.get("NEO4J_TEST_HEAP", "4g"), "neo4j_pagecache_mb": 4096,
            "neo4j_driver": md.version("neo4j"), "langchain": md.version("langchain"),
            "langchain_core": md.version("langchain-core"),
            "langchain_community": md.version("langchain-community"), "sqlalchemy": md.version("sqlalchemy"),
            "sizes": self.a.sizes or self.meta.get("sizes"), "small_sizes": self.a.small_sizes, "quick": self.a.quick, "s5_queries": self.a.s5_queries,
            "provenance_cli": prov, "naive_max_n": NAIVE_MAX_N,
        })

    def small(self, n, uri):
        """The small-file corpus at n: graphseed on both stores against
        python-unwind(-skip). python-naive and LangChain are left out: the
        bench corpus measures them, and at 1M they alone would take hours."""
        c = self.corpus(n, small=True)
        info = {k: c[k] for k in ("files", "bytes", "size_p50", "size_p99", "dirs", "mutated_files")}
        info["mutation"] = {k: len(v) for k, v in c["mutation"].items()}
        self.meta.setdefault("corpus_small", {})[str(n)] = info
        t_n = time.time()
        self.corpus_tag = "small"
        try:
            self.warmup(c, uri, rounds=1, prune=False)
            self.graphseed_neo4j(n, c, uri)
            self.graphseed_sqlite(n, c)
            self.unwind(n, c, uri, skip=False)
            self.unwind(n, c, uri, skip=True)
        finally:
            self.corpus_tag = None
        self.meta.setdefault("wall_minutes_small", {})[str(n)] = round((time.time() - t_n) / 60, 1)
        self.meta["completed_small_sizes"] = self.meta.get("completed_small_sizes", []) + [n]
        self.save()

    def keep_bench_rows(self):
        """--sizes none: keep the bench corpus's rows and run details of the
        previous latest.json, so one results file holds both corpora."""
        res = os.path.join(HERE, "results")
        try:
            with open(os.path.join(res, "latest.json")) as f:
                self.rows = [r for r in json.load(f) if r.get("corpus") != "small"]
            with open(os.path.join(res, "meta.json")) as f:
                old = json.load(f)
        except (OSError, ValueError):
            return
        for k, v in old.items():
            # resumed_note describes a small-file run: not carried to the next.
            if not k.endswith("_small") and k not in ("completed_small_sizes", "resumed_note"):
                self.meta.setdefault(k, v)
        self.meta["bench_rows_from"] = old.get("date")
        self.unwind_batch = old.get("unwind_batch", {}).get("chosen", self.unwind_batch)

    def links_main(self):
        """--links: the corpus with links at every size, on Neo4j only."""
        sizes = self.a.sizes
        t_start = time.time()
        neo = Neo4j(self.work)
        log(f"Neo4j {neo.version} at {neo.uri}")
        try:
            self.versions(neo)
            uri = neo.uri
            run([self.gs, "--uri", uri, "--group", "bench", "init"], self.tool_cwd("graphseed"))
            for script in ("python_naive.py", "python_unwind.py"):
                self.peer_admin(script, uri, "bench", "--init")
            self.peer_admin("python_unwind.py", uri, "bench", "--init", "--skip")
            self.edges_uri = uri
            for n in sizes:
                c = self.corpus(n)
                info = {k: c[k] for k in ("files", "bytes", "size_p50", "size_p99", "dirs", "mutated_files")}
                info["mutation"] = {k: len(v) for k, v in c["mutation"].items()}
                self.meta.setdefault("corpus_links", {})[str(n)] = info
                t_n = time.time()
                self.warmup(c, uri, rounds=2 if n == sizes[0] else 1)
                self.graphseed_neo4j(n, c, uri)
                self.unwind(n, c, uri, skip=False)
                self.unwind(n, c, uri, skip=True)
                self.naive(n, c, uri)
                self.meta.setdefault("wall_minutes_links", {})[str(n)] = round((time.time() - t_n) / 60, 1)
                self.meta["completed_links_sizes"] = self.meta.get("completed_links_sizes", []) + [n]
                self.save()
        finally:
            neo.stop()
            self.meta["total_minutes"] = round((time.time() - t_start) / 60, 1)
            self.save()
        return 0

    def main(self):
        if self.a.links:
            return self.links_main()
        sizes = self.a.sizes
        corpora = {}
        t_start = time.time()
        if not sizes:
            self.keep_bench_rows()
        neo = Neo4j(self.work)
        log(f"Neo4j {neo.version} at {neo.uri}")
        try:
            self.versions(neo)
            uri = neo.uri
            r = run([self.gs, "--uri", uri, "--group", "bench", "init"], self.tool_cwd("graphseed"))
            for script in ("python_naive.py", "python_unwind.py"):
                self.peer_admin(script, uri, "bench", "--init")
            self.peer_admin("python_unwind.py", uri, "bench", "--init", "--skip")
            if sizes:
                corpora[sizes[0]] = self.corpus(sizes[0])
                self.warmup(corpora[sizes[0]], uri)
                sweep_n = 10_000 if 10_000 in sizes else sizes[0]
                corpora.setdefault(sweep_n, self.corpus(sweep_n))
                self.sweep(sweep_n, corpora[sweep_n], uri)
            else:
                # The JIT warm-up on the smallest small-file corpus instead.
                self.warmup(self.corpus(min(self.a.small_sizes), small=True), uri)
            for n in sizes:
                c = corpora.get(n) or self.corpus(n)
                self.meta.setdefault("corpus", {})[str(n)] = {k: c[k] for k in (
                    "files", "bytes", "size_p50", "size_p99", "dirs", "mutated_files")}
                self.meta["corpus"][str(n)]["mutation"] = {k: len(v) for k, v in c["mutation"].items()}
                t_n = time.time()
                if n != sizes[0]:
                    self.warmup(c, uri, rounds=1)
                self.graphseed_neo4j(n, c, uri)
                self.graphseed_sqlite(n, c)
                self.unwind(n, c, uri, skip=False)
                self.unwind(n, c, uri, skip=True)
                self.naive(n, c, uri)
                self.langchain(n, c)
                self.hashing(n, c)
                self.meta.setdefault("wall_minutes", {})[str(n)] = round((time.time() - t_n) / 60, 1)
                self.meta["completed_sizes"] = self.meta.get("completed_sizes", []) + [n]
                self.save()
                corpora.pop(n, None)
            for n in self.a.small_sizes:
                self.small(n, uri)
        finally:
            neo.stop()
            self.meta["total_minutes"] = round((time.time() - t_start) / 60, 1)
            self.save()
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--graphseed", required=True)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--small-sizes", default="100000,1000000",
                    help="sizes of the small-file corpus (about 500 B a file); 'none' for none")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--links", action="store_true",
                    help="the corpus with links at --sizes, Neo4j only; writes results/links.json")
    ap.add_argument("--rusage", required=True, help="the compiled bench/rusage.c")
    ap.add_argument("--workdir", default=os.environ.get("BENCH_WORKDIR", "/tmp/graphseed-bench"))
    a = ap.parse_args()
    def sizes(text):
        return [] if text in ("", "none") else sorted(int(x) for x in text.split(","))

    a.sizes = sizes(a.sizes)
    a.small_sizes = sizes(a.small_sizes)
    if not a.sizes and not a.small_sizes:
        ap.error("nothing to run: --sizes and --small-sizes are both none")
    a.s5_queries = 50 if a.quick else 200
    os.makedirs(a.workdir, exist_ok=True)
    global RUSAGE
    RUSAGE = a.rusage
    b = Bench(a)
    if a.quick:
        b.s2_repeats = 1
    try:
        return b.main()
    finally:
        import report

        if a.links:
            report.write_links(os.path.join(REPO, "BENCHMARKS.md"))
        else:
            report.write(b.rows, b.meta, os.path.join(REPO, "BENCHMARKS.md"))
            report.write_links(os.path.join(REPO, "BENCHMARKS.md"))


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    sys.exit(main())
