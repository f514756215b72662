#!/usr/bin/env bash
# A 3-silo OrleansRag cluster on this machine, without Docker: PostgreSQL (membership) and Redis (grain state,
# shard entries) from Debian's packages, and 3 silo processes, everything on loopback.
#
#   deploy/local-cluster.sh start    build the silo (Release), start the servers and 3 silos, wait until all are ready
#   deploy/local-cluster.sh status   /ready of each silo
#   deploy/local-cluster.sh stop     stop the silos (SIGTERM: grains hand over) and the servers; data is deleted
#
# Silo n (1..3) serves HTTP on 127.0.0.1:$((ORAG_LOCAL_HTTP_PORT + n - 1)) (default 5001..5003), silo-to-silo on
# 11111+n and its gateway on 30000+n. Silo 1 loads the sample documents into the collection "sample" and serves
# the dashboard at /dashboard. Logs and pids are in $ORAG_LOCAL_DIR (default /tmp/orleansrag-local).
# Environment: ORAG_LOCAL_HTTP_PORT, ORAG_LOCAL_SILO_PORT, ORAG_LOCAL_GATEWAY_PORT (first of three each),
# ORAG_PG_PORT, ORAG_REDIS_PORT (default 55433, 56380), ORAG_SILO_DLL (use this build instead of building).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${ORAG_LOCAL_DIR:-/tmp/orleansrag-local}"
HTTP_PORT="${ORAG_LOCAL_HTTP_PORT:-5001}"
SILO_PORT="${ORAG_LOCAL_SILO_PORT:-11112}"
GATEWAY_PORT="${ORAG_LOCAL_GATEWAY_PORT:-30001}"
export ORAG_PG_PORT="${ORAG_PG_PORT:-55433}" ORAG_REDIS_PORT="${ORAG_REDIS_PORT:-56380}"
export ORAG_BLOB_SERVERS=0 # originals are kept in a folder here ($DIR/originals): no Azurite or S3 server
SILOS=3
# shellcheck source=../tests/servers.sh
source "$ROOT/tests/servers.sh"

ready() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$1/ready"; }

start() {
  if [ -f "$DIR/servers-dir" ]; then
    echo "already started (state in $DIR); run: $0 stop" >&2
    exit 1
  fi
  local dll="${ORAG_SILO_DLL:-}"
  if [ -z "$dll" ]; then
    echo "building the silo (Release)..." >&2
    dotnet build "$ROOT/silo/OrleansRag.Silo.csproj" -c Release -v quiet -nologo >/dev/null
    dll="$ROOT/silo/bin/Release/net10.0/OrleansRag.Silo.dll"
  fi
  mkdir -p "$DIR"
  start_servers
  echo "$ORAG_SERVERS_DIR" >"$DIR/servers-dir"

  local n
  for n in $(seq 1 $SILOS); do
    local http=$((HTTP_PORT + n - 1)) samples=false
    [ "$n" -eq 1 ] && samples=true
    nohup dotnet "$dll" \
      --urls "http://127.0.0.1:$http" \
      --Cluster:Clustering AdoNet --Cluster:PostgresConnectionString "$ORLEANSRAG_TEST_POSTGRES" \
      --Cluster:Storage Redis --Cluster:RedisConnectionString "$ORLEANSRAG_TEST_REDIS" \
      --Cluster:ClusterId local --Cluster:ServiceId orleans-rag-local \
      --Cluster:SiloPort $((SILO_PORT + n - 1)) --Cluster:GatewayPort $((GATEWAY_PORT + n - 1)) \
      --Samples:Enabled "$samples" --BlobStore:Path "$DIR/originals" \
      >"$DIR/silo$n.log" 2>&1 &
    echo $! >"$DIR/silo$n.pid"
    echo "silo $n: pid $(cat "$DIR/silo$n.pid"), http://127.0.0.1:$http (log $DIR/silo$n.log)" >&2
  done

  local deadline=$((SECONDS + 180))
  for n in $(seq 1 $SILOS); do
    until ready $((HTTP_PORT + n - 1)); do
      if ! kill -0 "$(cat "$DIR/silo$n.pid")" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
        echo "silo $n did not become ready; its log:" >&2
        tail -n 20 "$DIR/silo$n.log" >&2
        stop
        exit 1
      fi
      sleep 1
    done
  done
  echo "3 silos ready. Try: curl -s http://127.0.0.1:$HTTP_PORT/v1/collections/sample/ask -H 'Content-Type: application/json' \\" >&2
  echo "  -d '{\"question\":\"How does photosynthesis turn light into chemical energy?\"}'" >&2
}

status() {
  local n
  for n in $(seq 1 $SILOS); do
    local http=$((HTTP_PORT + n - 1))
    if ready "$http"; then echo "silo $n (http://127.0.0.1:$http): ready"; else echo "silo $n (http://127.0.0.1:$http): not ready"; fi
  done
}

stop() {
  local n pid
  for n in $(seq 1 $SILOS); do
    [ -f "$DIR/silo$n.pid" ] || continue
    pid=$(cat "$DIR/silo$n.pid")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for n in $(seq 1 $SILOS); do
    [ -f "$DIR/silo$n.pid" ] || continue
    pid=$(cat "$DIR/silo$n.pid")
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$DIR/silo$n.pid"
  done
  if [ -f "$DIR/servers-dir" ]; then
    ORAG_SERVERS_DIR=$(cat "$DIR/servers-dir")
    stop_servers
    rm -f "$DIR/servers-dir"
  fi
  echo "stopped" >&2
}

case "${1:-}" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  *) echo "usage: $0 start|status|stop" >&2; exit 2 ;;
esac
