#!/usr/bin/env python3
"""Feed Graphiti's add_episode / remove_episode from graphseed's change feed.

graphseed decides what changed (create, update, replace, restore, transfer,
content-changing repair, prune); this script makes exactly those calls, so
Graphiti's LLM extraction runs only for episodes whose content changed:

    create / restore           -> add_episode
    update / replace / ...     -> remove_episode(the uuid Graphiti gave the old
                                  content), then add_episode
    prune                      -> remove_episode

Graphiti's add_episode ignores the body when given an existing uuid, so an
update is a remove and an add. Graphiti assigns its own episode uuids; the
state file maps each graphseed entity_id to the one Graphiti gave it, and
remembers the last run fed, so the next call reads `--since-run` that run.
Every call made is appended to the log (JSON Lines).

Usage (graphseed on PATH; arguments after `--` go to graphseed as they are):

    GRAPHITI_TELEMETRY_ENABLED=false OPENAI_API_KEY=... \\
    NEO4J_URI=bolt://localhost:7687 NEO4J_USERNAME=neo4j NEO4J_PASSWORD=... \\
    python examples/graphiti_ingest.py --state .graphseed/graphiti_state.json -- --group docs

Graphiti writes to the database graphseed reads (NEO4J_URI, NEO4J_USERNAME,
NEO4J_PASSWORD, graphseed's own variables) unless GRAPHITI_NEO4J_URI,
GRAPHITI_NEO4J_USER and GRAPHITI_NEO4J_PASSWORD name another one. If
graphseed writes the same group in the `graphiti` profile, Graphiti's own
episodes would sit beside graphseed's: give Graphiti another group
(`--graphiti-group`), or use graphseed's default profile.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime


def graphseed(cmd, args):
    """Run `graphseed ARGS --json` and parse its output."""
    out = subprocess.run(cmd + args + ["--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"graphseed {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
    return json.loads(out.stdout)


def read_feed(cmd, last_run):
    """The changes after `last_run`, or every change of the group when this
    consumer has fed nothing yet. Returns (run ids, changes) in run order."""
    if last_run:
        feed = graphseed(cmd, ["changes", "--since-run", last_run])
        return feed["runs"], feed["changes"]
    seeds = [r for r in graphseed(cmd, ["runs"]) if r["kind"] == "seed"]
    if not seeds:
        return [], []
    first = min(seeds, key=lambda r: (r["started_at"], r["run_id"]))["run_id"]
    head = graphseed(cmd, ["changes", "--run", first])
    rest = graphseed(cmd, ["changes", "--since-run", first])
    return head["runs"] + rest["runs"], head["changes"] + rest["changes"]


def canonical(body):
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def ingest(changes, graphiti, state, episode_type, log, group_id=None):
    """Apply the feed to Graphiti; update `state` and append every call to `log`."""
    known = state.setdefault("episodes", {})
    for c in changes:
        entity, had = c["entity_id"], known.get(c["entity_id"])
        if c["action"] == "prune":
            if had:
                await graphiti.remove_episode(had["graphiti_uuid"])
                log({"call": "remove_episode", "entity_id": entity, "uuid": had["graphiti_uuid"], "run_id": c["run_id"], "action": "prune"})
                del known[entity]
            continue
        if c["body"] is None:
            # Superseded: a later change in this feed carries the content (or the prune).
            continue
        if had and had["content_hash"] == c["content_hash"]:
            # Graphiti already holds this content (a restore or a transfer of the same text).
            had["run_id"] = c["run_id"]
            continue
        if had:
            await graphiti.remove_episode(had["graphiti_uuid"])
            log({"call": "remove_episode", "entity_id": entity, "uuid": had["graphiti_uuid"], "run_id": c["run_id"], "action": c["action"]})
        result = await graphiti.add_episode(
            name=c["name"] or entity,
            episode_body=canonical(c["body"]),
            source_description=c["source_description"],
            reference_time=datetime.fromisoformat(c["valid_at"]),
            source=episode_type(c["source_type"]),
            group_id=group_id or c["group_id"],
        )
        uuid = result.episode.uuid
        known[entity] = {"graphiti_uuid": uuid, "content_hash": c["content_hash"], "run_id": c["run_id"], "graphseed_uuid": c["uuid"]}
        log({"call": "add_episode", "entity_id": entity, "uuid": uuid, "run_id": c["run_id"], "action": c["action"], "content_hash": c["content_hash"]})


def save(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1, sort_keys=True)
    os.replace(tmp, path)  # never a half-written state


def run(argv, make_graphiti, episode_type):
    """Read the feed since the state's last run, feed the Graphiti that
    `make_graphiti()` builds (inside the event loop, which its driver binds
    to), save the state."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--state", required=True, help="JSON state file (created if missing)")
    p.add_argument("--log", help="JSON Lines log of every call (default: STATE.log.jsonl)")
    p.add_argument("--graphseed", default="graphseed", help="the graphseed binary")
    p.add_argument("--graphiti-group", help="Graphiti group_id (default: graphseed's)")
    p.add_argument("graphseed_args", nargs="*", help="after --: arguments for graphseed")
    a = p.parse_args(argv)
    state = json.load(open(a.state)) if os.path.exists(a.state) else {}
    cmd = [a.graphseed] + a.graphseed_args
    runs, changes = read_feed(cmd, state.get("last_run"))
    with open(a.log or a.state + ".log.jsonl", "a") as out:
        def log(entry):
            out.write(json.dumps(entry) + "\n")

        async def feed():
            graphiti = make_graphiti()
            try:
                await ingest(changes, graphiti, state, episode_type, log, a.graphiti_group)
            finally:
                if hasattr(graphiti, "close"):
                    await graphiti.close()

        try:
            asyncio.run(feed())
        except Exception as e:  # Graphiti's LLM or database call failed
            # The calls that succeeded are in the state, but the last run is
            # not advanced: a rerun reads the same feed and skips what
            # Graphiti already holds (same content_hash), so nothing is fed twice.
            save(a.state, state)
            sys.exit(f"graphiti_ingest: a Graphiti call failed ({type(e).__name__}: {e}); "
                     "what was fed is saved in the state file, run again to continue "
                     "(add_episode needs a working LLM: OPENAI_API_KEY)")
    if runs:
        state["last_run"] = runs[-1]
    save(a.state, state)
    print(f"fed {len(changes)} change(s) of {len(runs)} run(s); last run {state.get('last_run')}", file=sys.stderr)


def main():
    from graphiti_core import Graphiti
    from graphiti_core.nodes import EpisodeType

    def make_graphiti():
        env = os.environ.get
        return Graphiti(
            env("GRAPHITI_NEO4J_URI") or env("NEO4J_URI", "bolt://localhost:7687"),
            env("GRAPHITI_NEO4J_USER") or env("NEO4J_USERNAME", "neo4j"),
            env("GRAPHITI_NEO4J_PASSWORD") or env("NEO4J_PASSWORD", ""),
        )

    run(sys.argv[1:], make_graphiti, EpisodeType.from_str)


if __name__ == "__main__":
    main()
