#!/usr/bin/env bash
# Community detection benchmark: graphseed's engine against leidenalg, igraph
# and graspologic-native on one 100k-node / ~1M-edge planted-partition graph.
#
#   bench/run_communities.sh [--nodes 100000]
#
# Creates bench/.venv-communities (pinned bench/requirements-communities.txt),
# builds the engine's bench example (release), runs bench/communities.py and
# writes bench/results/communities.json.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
venv="$here/.venv-communities"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! cmp -s "$here/requirements-communities.txt" "$venv/.requirements.installed"; then
    "$venv/bin/pip" install -q -r "$here/requirements-communities.txt"
    cp "$here/requirements-communities.txt" "$venv/.requirements.installed"
fi
cd "$repo"
cargo build --release --locked --example communities_bench
exec "$venv/bin/python" "$here/communities.py" "$@"
