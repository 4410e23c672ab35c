#!/usr/bin/env bash
# graphseed benchmarks against its peers, measured side by side in one run.
#
#   bench/run.sh [--sizes 1000,10000,100000] [--small-sizes 100000,1000000] [--quick]
#   bench/run.sh --links --sizes 10000,100000     (the corpus with links, Neo4j;
#                                                  writes results/links.json)
#
# Creates bench/.venv (pinned bench/requirements.txt), builds graphseed
# (release), generates the corpora (BENCH_WORKDIR, default /tmp/graphseed-bench),
# starts the Neo4j test server, runs every scenario for every tool, stops Neo4j,
# then the small-file corpus (about 500 B a file; `--small-sizes none` skips it,
# `--sizes none` runs only it and keeps the bench corpus's previous rows),
# and writes bench/results/latest.json + BENCHMARKS.md at the repository root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
sizes="1000,10000,100000"
small_sizes="100000,1000000"
quick=()
links=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) sizes="$2"; shift 2 ;;
        --sizes=*) sizes="${1#*=}"; shift ;;
        --small-sizes) small_sizes="$2"; shift 2 ;;
        --small-sizes=*) small_sizes="${1#*=}"; shift ;;
        --quick) quick=(--quick); shift ;;
        --links) links=(--links); shift ;;
        -h|--help) sed -n 2,13p "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

# --- Python venv -------------------------------------------------------------
venv="$here/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! cmp -s "$here/requirements.txt" "$venv/.requirements.installed"; then
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/.requirements.installed"
fi

# --- graphseed release build ---------------------------------------------------
# Others may be editing src/ concurrently: retry a failed build a few times, and
# run from a private copy of the binary so a rebuild mid-run cannot swap it.
work="${BENCH_WORKDIR:-/tmp/graphseed-bench}"
mkdir -p "$work"
built=0
for attempt in 1 2 3; do
    if (cd "$repo" && cargo build --release --quiet); then built=1; break; fi
    echo "run.sh: cargo build failed (attempt $attempt); retrying in 60s" >&2
    sleep 60
done
if [[ $built -eq 0 ]]; then
    if [[ -x "$repo/target/release/graphseed" ]]; then
        echo "run.sh: WARNING: build keeps failing; benchmarking the last built target/release/graphseed" >&2
    else
        echo "run.sh: no graphseed binary" >&2; exit 1
    fi
fi
cp "$repo/target/release/graphseed" "$work/graphseed"

# --- Neo4j launcher (built once, before timing anything) ------------------------
"$repo/tools/neo4j-test-server/start.sh" --build-only

# --- the rusage helper (wall time + the child's own peak RSS) -------------------
cc -O2 -o "$work/rusage" "$here/rusage.c"

export BENCH_WORKDIR="$work"
exec "$venv/bin/python" "$here/bench.py" --graphseed "$work/graphseed" --rusage "$work/rusage" \
    --sizes "$sizes" --small-sizes "$small_sizes" "${quick[@]}" "${links[@]}"
