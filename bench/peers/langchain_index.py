#!/usr/bin/env python3
"""LangChain peer: langchain's indexing API, `index()` with a `SQLRecordManager`
(SQLite file) in front of an in-memory vector store with deterministic fake
embeddings (size 8). One Document per file (page_content = the file's text,
metadata.source = its relative path), cleanup="full" so deleted files are
removed too (the equivalent of graphseed's --prune), key_encoder="sha256".

Note: no graph database is written. The in-memory store lives only in this
process, so what is measured is LangChain's dedupe bookkeeping (hash every
document, look the hashes up in the record manager, update it) plus embedding
and adding the new/changed documents. Each SQLRecordManager update/delete call
is one SQLite transaction: those are counted as write_transactions."""

import argparse
import json
import sys

import common


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--db", required=True, help="SQLite file of the record manager")
    ap.add_argument("--namespace", default="bench")
    ap.add_argument("--cleanup", default="full")
    a = ap.parse_args()

    from langchain.indexes import SQLRecordManager, index
    from langchain_core.documents import Document
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from langchain_core.vectorstores import InMemoryVectorStore

    rm = SQLRecordManager(a.namespace, db_url=f"sqlite:///{a.db}")
    rm.create_schema()
    txns = [0]
    for name in ("update", "delete_keys"):
        orig = getattr(rm, name)

        def counted(*args, _orig=orig, **kw):
            txns[0] += 1
            return _orig(*args, **kw)

        setattr(rm, name, counted)
    vs = InMemoryVectorStore(DeterministicFakeEmbedding(size=8))

    def docs():
        for rel, path in common.walk(a.root):
            yield Document(page_content=common.read(path).decode(), metadata={"source": rel})

    r = index(docs(), rm, vs, cleanup=a.cleanup, source_id_key="source", key_encoder="sha256")
    common.emit(tool="langchain-index", written=r["num_added"] + r["num_updated"],
                added=r["num_added"], updated=r["num_updated"], skipped=r["num_skipped"],
                pruned=r["num_deleted"], write_transactions=txns[0], cleanup=a.cleanup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
