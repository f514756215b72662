#!/usr/bin/env bash
# Runs every test. Production-mode tests need PostgreSQL and Redis: this starts throwaway servers on
# 127.0.0.1 (installing them from Debian's packages when missing), runs `dotnet test`, and stops them.
# Deployment and browser tests need yamllint, chromium and the node tools in tests/tools: installed when missing.
# Then deploy/container-test.sh builds the real image and runs the compose cluster on a Docker daemon of its own.
set -euo pipefail
cd "$(dirname "$0")"
if [ $# -eq 0 ] && [ "${ORAG_CONTAINER_TEST:-1}" != 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the container tests (deploy/container-test.sh) run as root: run ./test.sh as root, or ORAG_CONTAINER_TEST=0 ./test.sh to leave them out" >&2
  exit 1
fi
source tests/servers.sh
source tests/tools.sh
ensure_test_tools
trap stop_servers EXIT
start_servers
# Detailed console output shows what production tests print (failover time, failed requests). The log
# is kept in TestResults/test.log; when a test fails, its name and message are repeated at the very end,
# so the last lines of a long run say what went wrong.
mkdir -p TestResults
status=0
dotnet test --logger "console;verbosity=detailed" "$@" 2>&1 | tee TestResults/test.log || status=$?
# The container image and a 3-silo compose cluster of it (deploy/container-test.sh, as root: about 8.5 minutes on a
# fresh machine, 1.5-3 once its images are cached), with the whole suite; not when arguments choose tests.
containers=0
if [ $# -eq 0 ]; then
  if [ "${ORAG_CONTAINER_TEST:-1}" = 0 ]; then
    echo "=== SKIPPED: the container tests (ORAG_CONTAINER_TEST=0) ==="
  else
    stop_servers # the test servers are done with: their memory and cores go to the containers
    bash deploy/container-test.sh 2>&1 | tee TestResults/container-test.log || containers=$?
  fi
fi
if [ "$status" -ne 0 ]; then
  echo
  echo "=== Failed tests (full log: TestResults/test.log) ==="
  awk '/^  Failed /{on=1; n=0} /^  (Passed|Skipped) /{on=0} on && n < 30 {print; n++}' TestResults/test.log
fi
if [ "$containers" -ne 0 ]; then
  echo
  echo "=== The container tests failed (full log: TestResults/container-test.log) ==="
  grep -E '^FAILED' TestResults/container-test.log || tail -5 TestResults/container-test.log
  status=$containers
fi
exit "$status"
