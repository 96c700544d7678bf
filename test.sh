#!/usr/bin/env bash
# Runs every test of the solution on this machine and prints "N passed, N failed".
# Installs what the tests need and says so: Debian's chromium for the browser tests
# (never Playwright's own browser download, which cannot work offline).
set -euo pipefail
cd "$(dirname "$0")"

need_install=()
command -v chromium >/dev/null 2>&1 || need_install+=(chromium)
command -v kcat >/dev/null 2>&1 || need_install+=(kcat)
[ -x /usr/bin/redis-server ] || need_install+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_install+=(postgresql)
if [ ${#need_install[@]} -gt 0 ]; then
    echo "test.sh: installing ${need_install[*]} from Debian's packages (browser tests use /usr/bin/chromium; kcat is for driving topics by hand; the durable-state tests start their own redis-server and PostgreSQL)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_install[@]}" >/dev/null
    # The package starts a system-wide server on 6379; the tests use their own on free ports.
    if [[ " ${need_install[*]} " == *" redis-server "* ]]; then $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || $SUDO service redis-server stop >/dev/null 2>&1 || true; fi
    if [[ " ${need_install[*]} " == *" postgresql "* ]]; then $SUDO systemctl disable --now postgresql >/dev/null 2>&1 || $SUDO service postgresql stop >/dev/null 2>&1 || true; fi
fi

# One switch for containers (Testcontainers: Apache Kafka, Redis, PostgreSQL) where a Docker engine is there.
if [ "${TESTCONTAINERS:-}" = "1" ] || [ "${TESTCONTAINERS:-}" = "true" ]; then
    if [ -n "${DOCKER_HOST:-}" ] || [ -S /var/run/docker.sock ]; then
        echo "test.sh: TESTCONTAINERS=$TESTCONTAINERS: Kafka, Redis and PostgreSQL run in containers"
    else
        echo "test.sh: TESTCONTAINERS=$TESTCONTAINERS, but no Docker engine here: the tests run on the embedded Kafka cluster and Debian's redis-server and PostgreSQL"
    fi
fi

echo "test.sh: building"
dotnet build Orleans.sln -c Release -nologo -v quiet -clp:ErrorsOnly

# A test host that crashes in native code prints no stack: the runtime's crash report (JSON beside the dump) has one.
export DOTNET_EnableCrashReport=1

results=$(mktemp -d)
status=0
crashed=0
for project in Grains.Tests Portal.Tests; do
    echo "test.sh: running $project"
    log="$results/$project.log"
    # --blame-crash: a test host that dies leaves a dump and the sequence of tests it ran, named in the log.
    # --blame-hang-timeout: above the longest test's own deadline (a kill drill's 9 minutes: its silos may wait 3 min
    # for a delivery to a killed silo's grain); at 5 min it killed a slow drill that was still draining.
    dotnet test "$project" -c Release --no-build -nologo \
        --logger "trx;LogFileName=$project.trx" --results-directory "$results" \
        --blame-hang-timeout 10m --blame-crash 2>&1 | tee "$log" || status=1
    if grep -q "Test host process crashed" "$log"; then
        crashed=$((crashed + 1)); status=1
        echo "test.sh: the $project test host crashed; the tests it had not run are not counted (sequence: $(find "$results" -name 'Sequence_*' | head -1))"
        for report in $(find "$results" -name '*.crashreport.json'); do
            echo "test.sh: the crashed thread, from $report:"
            # The crashed thread's frames (managed method, or native function and library), then any exception.
            sed -n '/"crashed": *"true"/,/"crashed": *"false"/p' "$report" \
                | grep -o '"method_name": *"[^"]*"\|"unmanaged_name": *"[^"]*"\|"native_module": *"[^"]*"\|"message": *"[^"]*"\|"type": *"[^"]*"' \
                | uniq | head -60 || true
        done
    fi
done

# Count outcomes from the TRX files (dotnet test's own summary is per project).
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
    f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
    e=$(sed -E 's/.* error="([0-9]+)".*/\1/' <<<"$counters")
    n=$(sed -E 's/.* notExecuted="([0-9]+)".*/\1/' <<<"$counters")
    passed=$((passed + p)); failed=$((failed + f + e)); skipped=$((skipped + n))
done
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "test.sh: no test results were found"; fi
failed=$((failed + crashed)) # a crashed test host counts as a failure, never as a pass
[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
