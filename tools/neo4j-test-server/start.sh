#!/usr/bin/env bash
# Start graphseed's Neo4j test server (Neo4j Community embedded, Bolt on 127.0.0.1).
#
#   tools/neo4j-test-server/start.sh [--port N] [--data-dir DIR] [--pagecache-mb N] [--ignore-stdin] [--tls]
#   tools/neo4j-test-server/start.sh --build-only
#
# stdout carries exactly one line once the server is up:
#   GRAPHSEED_NEO4J_READY bolt://127.0.0.1:<port> <neo4j-version>
# With --tls, Bolt requires TLS (server.bolt.tls_level=REQUIRED, dbms.ssl.policy.bolt.*)
# with a self-signed certificate made at start by the JDK's keytool (CN=localhost, SAN
# localhost and 127.0.0.1, in <data dir>/certificates/bolt/), and the line reads
#   GRAPHSEED_NEO4J_READY bolt+ssc://127.0.0.1:<port> <neo4j-version>
# Everything else (the Maven build, Neo4j, this script) goes to stderr.
#
# The server stops when its stdin reaches EOF (the parent that holds the pipe went
# away) or on SIGTERM/SIGINT. To run one by hand in the background for
# NEO4J_TEST_URI, keep stdin open, e.g. `sleep infinity | start.sh > ready.txt &`,
# or pass --ignore-stdin and stop it with kill (SIGTERM).
#
# Environment:
#   JAVA_HOME             JDK to use (17+); default: java on PATH
#   NEO4J_VERSION         overrides the pom's pinned neo4j.version (rebuilds)
#   NEO4J_TEST_HEAP       max heap, default 2g (a 2-core 24 GiB machine runs the
#                         tests, the Rust build and this server side by side)
#   NEO4J_TEST_JAVA_OPTS  extra JVM options, appended last
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/neo4j-test-server.jar"
stamp="$here/target/.build-stamp"

die() {
    echo "neo4j-test-server: $*" >&2
    exit 1
}

# --- Java 17+ -------------------------------------------------------------
if [[ -n "${JAVA_HOME:-}" ]]; then
    java="$JAVA_HOME/bin/java"
    [[ -x "$java" ]] || die "JAVA_HOME=$JAVA_HOME has no bin/java. Install a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless) or fix JAVA_HOME, or run the tests against an existing server with NEO4J_TEST_URI=bolt://host:port."
else
    java="$(command -v java || true)"
    [[ -n "$java" ]] || die "java not found on PATH. Install a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME, or run the tests against an existing server with NEO4J_TEST_URI=bolt://host:port."
fi
# `java -version` prints e.g. 'openjdk version "17.0.15" 2025-04-15' (or "1.8.0_x" for 8).
java_version_line="$("$java" -version 2>&1 | head -n 1)"
java_major="$(sed -E -n 's/.*version "([0-9]+)(\.([0-9]+))?.*/\1 \3/p' <<<"$java_version_line")"
read -r major minor <<<"$java_major"
[[ "${major:-}" == "1" ]] && major="${minor:-0}"
if [[ -z "${major:-}" || "$major" -lt 17 ]]; then
    die "need Java 17 or newer for Neo4j 5.26, found: ${java_version_line:-nothing} ($java). Install openjdk-17-jdk-headless or set JAVA_HOME."
fi

# --- build when needed ----------------------------------------------------
# Rebuild when the jar, its lib/ or the stamp is missing, when pom.xml, a source
# file or this script is newer than the stamp, or when NEO4J_VERSION differs from
# the version of the last build.
want_version="${NEO4J_VERSION:-}"
needs_build() {
    [[ -f "$jar" && -d "$here/target/lib" && -f "$stamp" ]] || return 0
    [[ "$(cat "$stamp")" == "version=${want_version}" ]] || return 0
    [[ -n "$(find "$here/pom.xml" "$here/src" "$here/start.sh" -newer "$stamp" -print -quit)" ]] && return 0
    return 1
}

build() {
    command -v mvn >/dev/null 2>&1 || die "mvn (Maven 3) not found on PATH; it builds the launcher. Install it (e.g. apt-get install maven), or run the tests against an existing server with NEO4J_TEST_URI=bolt://host:port."
    local mvn_args=(-B -q -f "$here/pom.xml" -DskipTests package)
    [[ -n "$want_version" ]] && mvn_args+=("-Dneo4j.version=$want_version")
    echo "neo4j-test-server: building launcher with Maven (Neo4j ${want_version:-as pinned in pom.xml}; a first build downloads ~130 MB from Maven Central)" >&2
    local t0=$SECONDS
    # lib/ is not wiped: a launcher already running from this target/ keeps its
    # jars open and loads classes lazily. Jars of another neo4j.version that stay
    # behind do no harm: the classpath is the jar manifest's exact file list.
    rm -f "$stamp"
    # Maven's own stdout (progress, warnings) must not reach our stdout: the
    # parent reads stdout for the ready line only. The sed drops the bare colour
    # resets Debian's Maven 3.8 prints even with -B -q; pipefail keeps mvn's status.
    if ! JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$java")")")}" \
        mvn "${mvn_args[@]}" 2>&1 | sed -u $'s/\x1b\\[[0-9;]*m//g' >&2; then
        die "Maven build of $here failed (see the output above). Check that Maven Central is reachable and that -Dneo4j.version=${want_version:-<pinned>} exists."
    fi
    [[ -f "$jar" ]] || die "Maven finished but $jar is missing"
    echo "version=${want_version}" >"$stamp"
    echo "neo4j-test-server: build done in $((SECONDS - t0))s" >&2
}

# Two test processes starting at once (two `cargo test` runs, or CI's prebuild
# racing a developer's run) must not run Maven into the same target/ together:
# build under an exclusive lock, and re-check once the lock is ours.
build_if_needed() {
    needs_build || return 0
    mkdir -p "$here/target"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$here/target/.build-lock"
        flock 9
    fi
    if needs_build; then
        build
    fi
    if command -v flock >/dev/null 2>&1; then
        exec 9>&- # the JVM must not inherit (and hold) the lock
    fi
}

if [[ "${1:-}" == "--build-only" ]]; then
    if needs_build; then
        build_if_needed
    else
        echo "neo4j-test-server: launcher is up to date ($jar)" >&2
    fi
    exit 0
fi

build_if_needed

# --- run --------------------------------------------------------------------
# The options mirror the server's own launcher (neo4j.conf defaults for 5.26):
# the add-opens let Neo4j use its off-heap/IO fast paths on 17+ without warnings.
jvm_opts=(
    "-Xms256m" "-Xmx${NEO4J_TEST_HEAP:-2g}"
    -XX:+UseG1GC
    -XX:-OmitStackTraceInFastThrow
    -XX:+UnlockExperimentalVMOptions -XX:+TrustFinalNonStaticFields
    -XX:+DisableExplicitGC
    -Djdk.nio.maxCachedBufferSize=1024
    -Dio.netty.tryReflectionSetAccessible=true
    -Dlog4j2.disable.jmx=true
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens=java.base/java.lang=ALL-UNNAMED
)
if [[ "$major" -ge 21 ]]; then
    jvm_opts+=(--enable-native-access=ALL-UNNAMED)
fi
if [[ "$major" -ge 23 ]]; then
    # Neo4j 5.26 uses sun.misc.Unsafe; newer JDKs warn about it on every start.
    jvm_opts+=(--sun-misc-unsafe-memory-access=allow)
fi
# shellcheck disable=SC2206 # word splitting of user-supplied options is intended
[[ -n "${NEO4J_TEST_JAVA_OPTS:-}" ]] && jvm_opts+=(${NEO4J_TEST_JAVA_OPTS})

# exec: the JVM replaces this shell, so it is the parent's direct child, receives
# the parent's signals and inherits the stdin pipe whose EOF stops it.
exec "$java" "${jvm_opts[@]}" -jar "$jar" "$@"
