#!/usr/bin/env python3
"""Deterministic benchmark corpus for graphseed and its peers.

    gen_corpus.py --n N --out DIR [--seed 42] [--median-bytes 4096] [--links]

Writes two trees under DIR:

  base/     N JSON files, 100 per directory (d0000/f000000.json, ...). Sizes are
            log-normal around 4 KB (median ~4 KB, p99 ~16 KB). Each file is one
            object with an `id` and about ten top-level fields (strings, numbers,
            lists).
  mutated/  the S3 input: base with 1% of the files changed, 0.1% added and
            0.1% deleted. Unchanged files are hard links to base/ (no extra disk,
            same bytes); changed and added files are new inodes.

`--median-bytes 500` makes the small-file corpus (about 500 B a file, the
same fields with a short body): it shows the per-episode cost of a write,
which 4 KB files hide.

`--links` gives every file a `links` list (graphseed reads it as a declared
link field): about 3 links a file (0-6), targets drawn from a power law
(P(rank k) ~ 1/k, hubs spread over the directories), written three ways at
random: a Markdown link to the relative path (`[t](../d0001/f000123.json)`),
a wikilink to the stem (`[[f000123]]`) and a bare entity_id
(`d0001_f000123`). About 2% of links name files that do not exist, half of
them the files S3 adds (so S3 must resolve links stored dangling) and half
never. Links to the file itself are not drawn. Without `--links` the corpus is
byte-identical to before.

Plus DIR/manifest.json with the counts and the exact lists of changed / added /
deleted relative paths, so the benchmark can check every tool's counts.

Everything is derived from a seeded RNG: the same (n, seed) gives byte-identical
trees on every machine. A tree that already exists with a matching manifest is
kept (regenerating 100k files takes a while).
"""

import argparse
import json
import math
import os
import random
import shutil
import sys

PER_DIR = 100
MEDIAN_BYTES = 4096
SIGMA = 0.6  # ln(16 KB / 4 KB) / z(0.99) = 1.386 / 2.326 ~ 0.6 -> p99 ~ 16 KB

WORDS = (
    "graph node edge episode seed version source hash entity group run batch "
    "neo4j cypher merge unwind index constraint schema provenance audit "
    "knowledge memory agent retrieval context document chunk embedding vector "
    "query plan apply prune skip update replace create refresh orphan "
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
    "omicron pi rho sigma tau upsilon phi chi psi omega the of and to in is "
    "for on with as by at from that this it be are was were an or not"
).split()
CATEGORIES = ["concept", "procedure", "reference", "faq", "policy", "runbook", "glossary"]
AUTHORS = ["ada", "grace", "linus", "barbara", "ken", "dennis", "margaret", "edsger"]


def rel_path(i: int) -> str:
    return f"d{i // PER_DIR:04d}/f{i:06d}.json"


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


LINKS_MEAN = 3
DANGLING = 0.02


def entity_id(i: int) -> str:
    return f"d{i // PER_DIR:04d}_f{i:06d}"


def link_target(n: int, rng: random.Random) -> int:
    """A file index drawn from a power law: rank k (1..n) with P(k) ~ 1/k
    (log-uniform), the ranks spread over the corpus by a fixed stride so the
    hubs are not all in d0000."""
    k = int(n ** rng.random())  # 1..n
    return ((k - 1) * 7919 + 13) % n


def make_links(i: int, n: int, n_added: int, rng: random.Random) -> list:
    """The `links` list of file i: about LINKS_MEAN entries, three spellings."""
    out = []
    for _ in range(rng.randint(0, 2 * LINKS_MEAN)):
        if rng.random() < DANGLING:
            # Half name a file S3 adds (n .. n+n_added-1), half one never made.
            t = n + rng.randrange(n_added) if rng.random() < 0.5 else 10_000_000 + rng.randrange(1000)
        else:
            t = link_target(n, rng)
            if t == i:
                continue
        form = rng.random()
        if form < 0.4:
            out.append(f"[{words(rng, 2)}](../d{t // PER_DIR:04d}/f{t:06d}.json)")
        elif form < 0.8:
            out.append(f"[[f{t:06d}]]")
        else:
            out.append(entity_id(t))
    return out


def make_doc(i: int, rng: random.Random, revision: int = 0, median: int = MEDIAN_BYTES,
             links: tuple = None) -> bytes:
    target = int(rng.lognormvariate(math.log(median), SIGMA))
    # The floor is a little under the size of the fields without a body.
    target = max(min(600, median // 2), min(target, 64 * 1024))
    doc = {
        "id": f"f{i:06d}",
        "title": words(rng, rng.randint(3, 8)).title(),
        "summary": words(rng, rng.randint(12, 30)),
        "category": rng.choice(CATEGORIES),
        "author": rng.choice(AUTHORS),
        "priority": rng.randint(1, 5),
        "score": round(rng.random() * 100, 3),
        "revision": revision,
        "tags": [rng.choice(WORDS) for _ in range(rng.randint(2, 6))],
        "related": sorted(rng.sample(range(1_000_000), rng.randint(0, 5))),
        "body": "",
    }
    if links is not None:
        # Its own RNG: the other fields stay what they are without --links.
        n, n_added = links
        doc["links"] = make_links(i, n, n_added, random.Random(f"links:{rng.random()}"))
    base = len(json.dumps(doc, indent=2).encode())
    need = max(0, target - base)
    # ~6 bytes per word on average; trim to the exact size.
    text = words(rng, need // 6 + 4)[:need]
    doc["body"] = text
    return (json.dumps(doc, indent=2) + "\n").encode()


def write_atomic(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)  # a new inode: never writes through a hard link


def generate(n: int, out: str, seed: int, median: int = MEDIAN_BYTES, links: bool = False) -> dict:
    manifest_path = os.path.join(out, "manifest.json")
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            m = json.load(f)
        if (
            m.get("n") == n
            and m.get("seed") == seed
            and m.get("format") == 1
            and m.get("median_bytes", MEDIAN_BYTES) == median
            and m.get("links", False) == links
        ):
            return m
    if os.path.exists(out):
        shutil.rmtree(out)
    base = os.path.join(out, "base")
    mutated = os.path.join(out, "mutated")
    total_bytes = 0
    sizes = []
    n_added = max(1, n // 1000)
    with_links = (n, n_added) if links else None
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        data = make_doc(i, rng, median=median, links=with_links)
        sizes.append(len(data))
        total_bytes += len(data)
        write_atomic(os.path.join(base, rel_path(i)), data)

    # S3 mutation, deterministic: 1% changed, 0.1% added, 0.1% deleted.
    mrng = random.Random(f"{seed}:mutation:{n}")
    n_changed = max(1, n // 100)
    n_deleted = max(1, n // 1000)
    picks = mrng.sample(range(n), n_changed + n_deleted)
    changed = sorted(picks[:n_changed])
    deleted = sorted(picks[n_changed:])
    added = list(range(n, n + n_added))

    deleted_set = set(deleted)
    for i in range(n):
        if i in deleted_set:
            continue
        src = os.path.join(base, rel_path(i))
        dst = os.path.join(mutated, rel_path(i))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.link(src, dst)
    for i in changed:
        rng = random.Random(f"{seed}:{i}:rev1")
        write_atomic(os.path.join(mutated, rel_path(i)), make_doc(i, rng, revision=1, median=median, links=with_links))
    for i in added:
        rng = random.Random(f"{seed}:{i}")
        write_atomic(os.path.join(mutated, rel_path(i)), make_doc(i, rng, median=median, links=with_links))

    sizes.sort()
    m = {
        "format": 1,
        "n": n,
        "seed": seed,
        "median_bytes": median,
        "links": links,
        "files": n,
        "bytes": total_bytes,
        "size_p50": sizes[len(sizes) // 2],
        "size_p99": sizes[min(len(sizes) - 1, int(len(sizes) * 0.99))],
        "dirs": (n + PER_DIR - 1) // PER_DIR,
        "mutation": {
            "changed": [rel_path(i) for i in changed],
            "added": [rel_path(i) for i in added],
            "deleted": [rel_path(i) for i in deleted],
        },
        "mutated_files": n - len(deleted) + len(added),
    }
    with open(manifest_path + ".tmp", "w") as f:
        json.dump(m, f)
    os.replace(manifest_path + ".tmp", manifest_path)
    return m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--median-bytes", type=int, default=MEDIAN_BYTES)
    ap.add_argument("--links", action="store_true", help="give every file a `links` list (see above)")
    a = ap.parse_args()
    m = generate(a.n, a.out, a.seed, a.median_bytes, a.links)
    print(json.dumps({k: v for k, v in m.items() if k != "mutation"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
