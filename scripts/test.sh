#!/usr/bin/env bash
# Koe's whole test command (`make test`, and `.ci/run` through it):
# ruff, the migrations-complete check, the suite on SQLite, then the same suite on
# PostgreSQL + Redis when they answer (always when CI is set: there a missing service fails).
#
#   KOE_TEST_DATABASE_URL  PostgreSQL for the second run (default postgres://postgres@127.0.0.1:5432/test)
#   KOE_TEST_REDIS_URL     Redis for the second run (default redis://127.0.0.1:6379/0)
#   KOE_TEST_ONLY          "sqlite" or "postgres" to run one of the two suites only
#   extra arguments        passed to pytest (e.g. scripts/test.sh -k journey)
set -uo pipefail
cd "$(dirname "$0")/.."

VENV=${KOE_VENV:-.venv}
failures=()
timings=()
totals_passed=0
totals_failed=0
totals_skipped=0
ran_tests=0

phase() {  # phase NAME COMMAND...: runs a step, records its time and whether it failed
    local name=$1 start rc
    shift
    echo
    echo "==> $name"
    start=$(date +%s)
    "$@"
    rc=$?
    timings+=("$(printf '%-28s %4ss  %s' "$name" "$(($(date +%s) - start))" \
        "$([[ $rc == 0 ]] && echo ok || echo "FAILED (exit $rc)")")")
    [[ $rc == 0 ]] || failures+=("$name")
    return 0
}

count_results() {  # count_results JUNIT_XML: adds a run's counts to the totals
    local counts
    counts=$("$VENV/bin/python" - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print(0, 0, 0)
    raise SystemExit
suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
tests = failed = skipped = 0
for s in suites:
    tests += int(s.get("tests", 0))
    failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
    skipped += int(s.get("skipped", 0))
print(tests - failed - skipped, failed, skipped)
PY
)
    read -r p f s <<<"$counts"
    totals_passed=$((totals_passed + p))
    totals_failed=$((totals_failed + f))
    totals_skipped=$((totals_skipped + s))
    ran_tests=$((ran_tests + p + f))
}

run_pytest() {  # run_pytest LABEL [env assignments...]: the whole suite, in parallel
    local label=$1 xml rc
    shift
    xml=$(mktemp /tmp/koe-ci-junit-XXXXXX.xml)
    env "$@" "$VENV/bin/pytest" -n auto -p no:cacheprovider --junitxml="$xml" "${PYTEST_ARGS[@]}"
    rc=$?
    count_results "$xml"
    rm -f "$xml"
    if [[ $rc == 5 ]]; then
        echo "pytest ($label) collected no tests: that is a failure here." >&2
    fi
    return $rc
}

services_answer() {  # services_answer DB_URL REDIS_URL: both accept a connection within 3 s
    "$VENV/bin/python" - "$1" "$2" <<'PY'
import sys

import psycopg
import redis

db_url, redis_url = sys.argv[1], sys.argv[2]
try:
    # The server's own database: pytest-django creates test_<name> itself.
    psycopg.connect(db_url, dbname="postgres", connect_timeout=3).close()
except Exception as e:  # noqa: BLE001
    print(f"PostgreSQL at {db_url} does not answer: {e}", file=sys.stderr)
    raise SystemExit(1) from None
try:
    redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
except Exception as e:  # noqa: BLE001
    print(f"Redis at {redis_url} does not answer: {e}", file=sys.stderr)
    raise SystemExit(1) from None
PY
}

PYTEST_ARGS=("$@")
started=$(date +%s)

phase "install .[test]" scripts/venv.sh test || true
if [[ ! -x "$VENV/bin/pytest" ]]; then
    echo "The test dependencies did not install; stopping." >&2
    exit 1
fi

phase "ruff check" "$VENV/bin/ruff" check .

migrations_dir=$(mktemp -d /tmp/koe-ci-migrations-XXXXXX)
phase "migrations complete" env KOE_DATA_DIR="$migrations_dir" \
    "$VENV/bin/koe" makemigrations --check --dry-run
rm -rf "$migrations_dir"

only=${KOE_TEST_ONLY:-}
if [[ -z "$only" || "$only" == sqlite ]]; then
    # KOE_DATABASE_URL / KOE_REDIS_URL from the caller's shell must not leak into this run.
    phase "pytest on SQLite" run_pytest sqlite -u KOE_DATABASE_URL -u KOE_REDIS_URL
fi

if [[ -z "$only" || "$only" == postgres ]]; then
    db_url=${KOE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
    redis_url=${KOE_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
    asked=${KOE_TEST_DATABASE_URL:-}${KOE_TEST_REDIS_URL:-}${CI:-}
    if services_answer "$db_url" "$redis_url"; then
        phase "pytest on PostgreSQL+Redis" run_pytest postgres \
            KOE_DATABASE_URL="$db_url" KOE_REDIS_URL="$redis_url"
    elif [[ -n "$asked" || "$only" == postgres ]]; then
        echo "PostgreSQL and Redis are required here (CI, KOE_TEST_* or KOE_TEST_ONLY set)." >&2
        timings+=("$(printf '%-28s %4s   %s' "pytest on PostgreSQL+Redis" "-" "FAILED (no services)")")
        failures+=("PostgreSQL+Redis services")
    else
        echo
        echo "==> pytest on PostgreSQL+Redis: skipped, the services do not answer on 127.0.0.1"
        timings+=("$(printf '%-28s %4s   %s' "pytest on PostgreSQL+Redis" "-" "skipped (no services)")")
    fi
fi

echo
echo "==> Summary ($(($(date +%s) - started))s in all)"
printf '  %s\n' "${timings[@]}"
if [[ $ran_tests == 0 ]]; then
    failures+=("no test ran")
fi
if ((${#failures[@]})); then
    printf '  failed: %s\n' "${failures[@]}"
fi
echo "koe: $totals_passed passed, $totals_failed failed, $totals_skipped skipped"
((${#failures[@]} == 0))
