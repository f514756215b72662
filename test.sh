#!/usr/bin/env bash
# Runs every test. Production-mode tests need PostgreSQL and Redis: this starts throwaway servers on
# 127.0.0.1 (installing them from Debian's packages when missing), runs `dotnet test`, and stops them.
# Deployment and browser tests need yamllint, chromium and the node tools in tests/tools: installed when missing.
set -euo pipefail
cd "$(dirname "$0")"
source tests/servers.sh
source tests/tools.sh
ensure_test_tools
trap stop_servers EXIT
start_servers
# Detailed console output shows what production tests print (failover time, failed requests).
dotnet test --logger "console;verbosity=detailed" "$@"
