#!/usr/bin/env python3
"""python-naive peer: the seeding script graphseed replaces. Official neo4j
driver, one auto-commit MERGE per file (one write transaction each), storing the
body and the file's sha256. No skip logic: every run rewrites every file.
With --prune it lists the stored ids and deletes the missing ones one by one.
--links: after every node, one more auto-commit per file replaces its
outgoing LINKS_TO edges (a link may name a file written after it)."""

import argparse
import json
import sys

import common

LABEL = "NaiveEpisode"


def main():
    a = common.base_args(argparse.ArgumentParser()).parse_args()
    drv = common.driver(a.uri)
    if a.init:
        common.init(drv, LABEL)
        return 0
    if a.clear:
        common.clear(drv, LABEL, a.group)
        return 0
    txns = written = pruned = 0
    q = common.UPSERT_ONE.format(label=LABEL)
    seen = set()
    files = common.walk(a.root)
    names = common.Names(files) if a.links else None
    link_rows = []
    dangling = linked = 0
    with drv.session() as s:
        for rel, path in files:
            data = common.read(path)
            obj = json.loads(data)
            row = common.episode_row(rel, data, common.sha256(data), a.source, a.seed_version, obj)
            seen.add(row["entity_id"])
            s.run(q, group=a.group, source=a.source, version=a.seed_version, row=row).consume()
            txns += 1
            written += 1
            if names:
                lrow, d = names.links_row(rel, obj)
                link_rows.append(lrow)
                dangling += d
        lq = common.RELINK_UNWIND.format(label=LABEL)
        for lrow in link_rows:
            s.run(lq, rows=[lrow], group=a.group).consume()
            txns += 1
            linked += len(lrow["links"])
        if a.prune:
            stored = [r[0] for r in s.run(f"MATCH (e:{LABEL} {{group_id: $g}}) RETURN e.entity_id", g=a.group)]
            for eid in stored:
                if eid not in seen:
                    s.run(f"MATCH (e:{LABEL} {{group_id: $g, entity_id: $id}}) DETACH DELETE e",
                          g=a.group, id=eid).consume()
                    txns += 1
                    pruned += 1
    drv.close()
    extra = {"links_written": linked, "links_dangling": dangling} if a.links else {}
    common.emit(tool="python-naive", written=written, skipped=0, pruned=pruned,
                parsed=written, write_transactions=txns, **extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
