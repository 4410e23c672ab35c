#!/usr/bin/env bash
# A Python venv holding the pinned graphiti-core, for the interop test
# (tests/it/graphiti.rs) and .ci/run. Idempotent: an existing venv that
# imports the pinned version is kept. Installs from PyPI only.
#
#   bash tools/graphiti-venv.sh [DIR]    (default: target/graphiti-venv-$VERSION)
#
# Prints the venv's python on its last line.
set -euo pipefail
VERSION="0.31.2"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/target/graphiti-venv-$VERSION}"
PY="$DIR/bin/python"
export GRAPHITI_TELEMETRY_ENABLED=false PIP_DISABLE_PIP_VERSION_CHECK=1

installed() {
    [[ -x "$PY" ]] && "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('graphiti-core') != '$VERSION')" 2>/dev/null
}
if ! installed; then
    command -v python3 >/dev/null 2>&1 || { echo "graphiti-venv: python3 not found (apt-get install python3 python3-venv)" >&2; exit 1; }
    # Built beside, then moved into place: a venv cut short by a failure or a
    # kill is never mistaken for a complete one.
    rm -rf "$DIR.partial"
    python3 -m venv "$DIR.partial" ||
        { echo "graphiti-venv: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
    # httpx explicitly: the openai client graphiti-core pulls in needs it and
    # some resolver runs leave it out.
    "$DIR.partial/bin/pip" install -q "graphiti-core==$VERSION" httpx ||
        { echo "graphiti-venv: pip could not install graphiti-core==$VERSION from PyPI" >&2; exit 1; }
    rm -rf "$DIR"
    mv "$DIR.partial" "$DIR"
    # A venv's scripts name their own path; recreate them at the final place.
    python3 -m venv --upgrade "$DIR" >/dev/null
    installed || { echo "graphiti-venv: graphiti-core $VERSION does not import from $DIR" >&2; exit 1; }
fi
echo "$PY"
