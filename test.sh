#!/usr/bin/env bash
# Runs every test. Production-mode tests need PostgreSQL and Redis: this starts throwaway servers on
# 127.0.0.1 (installing them from Debian's packages when missing), runs `dotnet test`, and stops them.
set -euo pipefail
cd "$(dirname "$0")"
source tests/servers.sh
trap stop_servers EXIT
start_servers
# Detailed console output shows what production tests print (failover time, failed requests).
dotnet test --logger "console;verbosity=detailed" "$@"
