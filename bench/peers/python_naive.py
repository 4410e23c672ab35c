#!/usr/bin/env python3
"""python-naive peer: the seeding script graphseed replaces. Official neo4j
driver, one auto-commit MERGE per file (one write transaction each), storing the
body and the file's sha256. No skip logic: every run rewrites every file.
With --prune it lists the stored ids and deletes the missing ones one by one."""

import argparse
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
    with drv.session() as s:
        for rel, path in common.walk(a.root):
            data = common.read(path)
            row = common.episode_row(rel, data, common.sha256(data), a.source, a.seed_version)
            seen.add(row["entity_id"])
            s.run(q, group=a.group, source=a.source, version=a.seed_version, row=row).consume()
            txns += 1
            written += 1
        if a.prune:
            stored = [r[0] for r in s.run(f"MATCH (e:{LABEL} {{group_id: $g}}) RETURN e.entity_id", g=a.group)]
            for eid in stored:
                if eid not in seen:
                    s.run(f"MATCH (e:{LABEL} {{group_id: $g, entity_id: $id}}) DETACH DELETE e",
                          g=a.group, id=eid).consume()
                    txns += 1
                    pruned += 1
    drv.close()
    common.emit(tool="python-naive", written=written, skipped=0, pruned=pruned,
                parsed=written, write_transactions=txns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
