#!/usr/bin/env python3
"""python-unwind and python-unwind-skip peers.

python-unwind: read and parse every file, write UNWIND batches in explicit
transactions (session.execute_write, one write transaction per batch). Every
run rewrites everything; --prune deletes stored ids whose file is gone.

python-unwind-skip (--skip): the same, plus the strongest simple reseed logic:
read the stored (entity_id, source_hash) pairs first, sha256 every file, and
neither parse nor write a file whose hash is unchanged. --force (a version bump)
writes everything.

--links: each parsed file's `links` are resolved (common.Names) and its
outgoing LINKS_TO edges replaced, in batches of --link-batch files (1,000)
after every node is written.
python-unwind-skip re-reads every file for its links when the set of paths
changed (a file added or deleted may be what a stored link names), like
graphseed before it stored dangling links."""

import argparse
import json
import sys

import common


def main():
    ap = common.base_args(argparse.ArgumentParser())
    ap.add_argument("--skip", action="store_true")
    ap.add_argument("--batch-size", type=int, default=5000)
    # Link rows per transaction. Not --batch-size: a MERGE of thousands of
    # relationships onto the same hub nodes in one transaction slows down
    # far more than linearly (measured: 5,000 rows of ~3 links took minutes
    # where 1,000 took seconds), so links go in batches like graphseed's.
    ap.add_argument("--link-batch", type=int, default=1000)
    a = ap.parse_args()
    label = "SkipEpisode" if a.skip else "UnwindEpisode"
    tool = "python-unwind-skip" if a.skip else "python-unwind"
    drv = common.driver(a.uri)
    if a.init:
        common.init(drv, label)
        return 0
    if a.clear:
        common.clear(drv, label, a.group)
        return 0

    stored = None
    if a.skip or a.prune:
        with drv.session() as s:
            stored = {r[0]: r[1] for r in s.run(
                f"MATCH (e:{label} {{group_id: $g}}) RETURN e.entity_id, e.source_hash", g=a.group)}

    q = common.UPSERT_UNWIND.format(label=label)
    txns = [0]

    def write(tx, rows):
        txns[0] += 1
        tx.run(q, rows=rows, group=a.group, source=a.source, version=a.seed_version).consume()

    seen = set()
    written = skipped = parsed = 0
    batch = []
    files = common.walk(a.root)
    names = common.Names(files) if a.links else None
    # Only with --skip: whether unchanged files must be read for their links.
    relink_all = a.links and a.skip and stored is not None and set(stored) != names.ids
    link_rows = []
    dangling = 0
    with drv.session() as s:
        for rel, path in files:
            eid = common.entity_id(rel)
            seen.add(eid)
            data = common.read(path)
            digest = common.sha256(data)
            if a.skip and not a.force and stored.get(eid) == digest:
                skipped += 1
                if relink_all:
                    row, d = names.links_row(rel, json.loads(data))
                    link_rows.append(row)
                    dangling += d
                continue
            obj = json.loads(data)
            batch.append(common.episode_row(rel, data, digest, a.source, a.seed_version, obj))
            if names:
                row, d = names.links_row(rel, obj)
                link_rows.append(row)
                dangling += d
            parsed += 1
            if len(batch) >= a.batch_size:
                s.execute_write(write, batch)
                written += len(batch)
                batch = []
        if batch:
            s.execute_write(write, batch)
            written += len(batch)
        # Edges after every node: a link may name a file of a later batch.
        lq = common.RELINK_UNWIND.format(label=label)
        linked = 0
        for i in range(0, len(link_rows), a.link_batch):
            chunk = link_rows[i:i + a.link_batch]

            def relink(tx, rows=chunk):
                txns[0] += 1
                tx.run(lq, rows=rows, group=a.group).consume()

            s.execute_write(relink)
            linked += sum(len(r["links"]) for r in chunk)
        pruned = 0
        if a.prune:
            gone = [eid for eid in stored if eid not in seen]
            for i in range(0, len(gone), a.batch_size):
                chunk = gone[i:i + a.batch_size]

                def delete(tx, ids=chunk):
                    txns[0] += 1
                    tx.run(f"UNWIND $ids AS id MATCH (e:{label} {{group_id: $g, entity_id: id}}) "
                           "DETACH DELETE e", ids=ids, g=a.group).consume()

                s.execute_write(delete)
                pruned += len(chunk)
    drv.close()
    extra = {"links_written": linked, "links_dangling": dangling, "relinked_files": len(link_rows)} \
        if a.links else {}
    common.emit(tool=tool, written=written, skipped=skipped, pruned=pruned, parsed=parsed,
                write_transactions=txns[0], batch_size=a.batch_size, **extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
