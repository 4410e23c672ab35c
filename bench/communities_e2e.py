"""End-to-end `graphseed communities` on a seeded group (issue 15): the first
run, two skipped runs, and a run after one body edit, each a whole process
under /usr/bin/time (wall time, peak RSS), with the run's own phase timings.
The skip target compares a skipped run's wall time with the projection
read inside it (`seconds.read`).

    python3 bench/communities_e2e.py [--n 100000] [--graphseed target/release/graphseed]

Writes bench/results/communities-e2e.json; `bench/communities.py
--render-only` puts its table into BENCHMARKS.md beside the engine tables.
"""

import argparse, json, os, re, subprocess, sys


def timed(cmd):
    p = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    wall, rss_kb = p.stderr.strip().splitlines()[-1].split()
    return p.stdout, float(wall), int(rss_kb) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--graphseed", default="target/release/graphseed")
    ap.add_argument("--workdir", default="/tmp/graphseed-communities-e2e")
    ap.add_argument("--out", default="bench/results/communities-e2e.json")
    a = ap.parse_args()
    gs = os.path.abspath(a.graphseed)
    os.makedirs(a.workdir, exist_ok=True)
    corpus = os.path.join(a.workdir, f"corpus-{a.n}")
    if not os.path.isdir(corpus):
        subprocess.run([sys.executable, "bench/gen_corpus.py", "--n", str(a.n), "--out", corpus, "--links"],
                       check=True, stdout=subprocess.DEVNULL)
    db = os.path.join(a.workdir, "graph.db")
    for suffix in ["", "-wal", "-shm"]:
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    base = [gs, "--uri", f"sqlite:{db}", "--group", "bench"]
    seed = base + ["seed", "--root", os.path.join(corpus, "base"), "--seed-version", "1.0.0", "--json"]
    out, wall, rss = timed(seed)
    s = json.loads(out)
    rows = [{"step": "seed (cold)", "seconds": wall, "peak_rss_mb": rss,
             "episodes": s["counts"]["create"], "edges": s["links"]["edges"]}]

    def communities(step):
        out, wall, rss = timed(base + ["communities", "--json"])
        d = json.loads(out)
        c = d["counts"]
        rows.append({"step": step, "status": d["status"], "seconds": wall, "peak_rss_mb": rss,
                     "phases": d["seconds"], "nodes": d["nodes"], "edges": d["edges"],
                     "counts": c})

    communities("communities: first run")
    communities("communities: skipped (nothing changed)")
    communities("communities: skipped again")
    # One body edit that changes no link: the graph is the same, one
    # community's content is not.
    path = os.path.join(corpus, "base", "d0005", "f000500.json")
    text = open(path).read()
    m = re.search(r'"revision": (\d+)', text)
    open(path, "w").write(text.replace(m.group(0), f'"revision": {int(m.group(1)) + 1}', 1))
    timed(seed)
    communities("communities: after one body edit")
    skips = [r for r in rows if r.get("status") == "skipped"]
    result = {
        "n": a.n, "store": "sqlite", "cpus": os.cpu_count(), "loadavg": os.getloadavg(),
        "rows": rows,
        "skip_over_read": [r["seconds"] / r["phases"]["read"] for r in skips],
    }
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result["skip_over_read"]))


if __name__ == "__main__":
    main()
