#!/usr/bin/env bash
# Builds and checks the real container image, deploy/Dockerfile, unchanged, on a Docker daemon of its own, then runs
# deploy/compose.yaml as shipped: 3 silos on PostgreSQL and Redis, a killed silo, a rolling update under load.
# test.sh runs it after the .NET tests (so CI does); run it alone as root with
#
#   bash deploy/container-test.sh
#
# No registry is reachable on the build machines, so mcr.microsoft.com/dotnet/{sdk,aspnet}:10.0 are STAND-INS built
# here under those names: a Debian 12 root file system made by debootstrap plus this machine's .NET SDK (or only its
# runtimes, for aspnet) and its CA certificates, with the "app" user (UID 1654) the official images have. Real
# deployments pull the official images; nothing in deploy/Dockerfile knows the difference.
#
# The daemon is private: its own data root and socket under $ORAG_CONTAINER_WORK (default
# /var/tmp/orleansrag-containers, kept between runs so the stand-ins and layers are built once per machine), and it is
# stopped at exit. Containers publish ports on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
WORK=${ORAG_CONTAINER_WORK:-/var/tmp/orleansrag-containers}
SOCK="$WORK/docker.sock"
export DOCKER_HOST="unix://$SOCK"
DOCKER=/usr/bin/docker
STANDIN_BASE=orleansrag-standin/debian:bookworm
IMAGE=orleans-rag:latest
mkdir -p "$WORK"
script_started=$(date +%s)

say() { printf '== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "deploy/container-test.sh runs as root: it installs docker.io, debootstrap and docker-compose when missing and starts a dockerd of its own"

ensure_tools() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  { docker compose version || command -v docker-compose; } >/dev/null 2>&1 || missing+=(docker-compose)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -q "${missing[@]}" >/dev/null
  fi
}

DOCKERD_PID=
start_dockerd() {
  if [ -S "$SOCK" ] && $DOCKER info >/dev/null 2>&1; then
    say "a private dockerd already runs on $SOCK"
    return
  fi
  rm -f "$SOCK"
  dockerd --data-root "$WORK/root" --exec-root "$WORK/exec" -H "unix://$SOCK" --pidfile "$WORK/dockerd.pid" \
    >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 60); do
    $DOCKER info >/dev/null 2>&1 && { say "dockerd ready (data root $WORK/root)"; return; }
    sleep 1
  done
  tail -20 "$WORK/dockerd.log" >&2
  fail "dockerd did not start within 60 s"
}

stop_dockerd() {
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  fi
}

image_exists() { $DOCKER image inspect "$1" >/dev/null 2>&1; }

# The Debian 12 root file system every stand-in starts from.
build_base() {
  image_exists "$STANDIN_BASE" && return
  say "stand-in base: debootstrap bookworm (minbase + ca-certificates)"
  local rootfs="$WORK/rootfs"
  if [ ! -x "$rootfs/bin/sh" ]; then
    rm -rf "$rootfs"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
      || { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap failed"; }
  fi
  rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/archives/"*.deb
  tar -C "$rootfs" -c . | $DOCKER import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$STANDIN_BASE" >/dev/null
}

# mcr.microsoft.com/dotnet/sdk:10.0 and aspnet:10.0 from this machine's .NET (the SDK, or its runtimes only).
build_dotnet_standins() {
  local dotnet_root
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  local ctx="$WORK/dotnet-context"
  if ! image_exists mcr.microsoft.com/dotnet/sdk:10.0 || ! image_exists mcr.microsoft.com/dotnet/aspnet:10.0; then
    rm -rf "$ctx" && mkdir -p "$ctx"
    say "stand-in .NET images from $dotnet_root ($(dotnet --version))"
    cp -a "$dotnet_root" "$ctx/dotnet"
    mkdir -p "$ctx/runtime"
    cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/shared" "$ctx/runtime/"
    cp -aL /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  fi
  local common='
RUN apt-get update && apt-get install -y --no-install-recommends libicu72 libssl3 zlib1g tzdata && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1654 app && useradd --uid 1654 --gid 1654 --create-home --shell /bin/false app
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV DOTNET_ROOT=/usr/share/dotnet PATH=/usr/share/dotnet:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DOTNET_RUNNING_IN_CONTAINER=true DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 APP_UID=1654
LABEL org.opencontainers.image.description="STAND-IN built by deploy/container-test.sh, not the official image"'
  if ! image_exists mcr.microsoft.com/dotnet/sdk:10.0; then
    say "stand-in mcr.microsoft.com/dotnet/sdk:10.0"
    printf 'FROM %s%s\nCOPY dotnet /usr/share/dotnet\n' "$STANDIN_BASE" "$common" | $DOCKER build -q -t mcr.microsoft.com/dotnet/sdk:10.0 -f - "$ctx" >/dev/null
  fi
  if ! image_exists mcr.microsoft.com/dotnet/aspnet:10.0; then
    say "stand-in mcr.microsoft.com/dotnet/aspnet:10.0"
    printf 'FROM %s%s\nENV ASPNETCORE_HTTP_PORTS=8080\nCOPY runtime /usr/share/dotnet\n' "$STANDIN_BASE" "$common" \
      | $DOCKER build -q -t mcr.microsoft.com/dotnet/aspnet:10.0 -f - "$ctx" >/dev/null
  fi
  rm -rf "$ctx"
}

ensure_tools
trap stop_dockerd EXIT
start_dockerd
build_base
build_dotnet_standins
say "stand-ins: $($DOCKER images --format '{{.Repository}}:{{.Tag}}' | grep -E 'standin|mcr' | tr '\n' ' ')"

say "building deploy/Dockerfile as $IMAGE"
started=$(date +%s)
$DOCKER build -q -f deploy/Dockerfile -t "$IMAGE" . >/dev/null || fail "the image did not build"
build_s=$(( $(date +%s) - started ))
image_size=$($DOCKER image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')
say "built in $build_s s; size $image_size"

# ---- image checks ----------------------------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

say "building the orag CLI and the load tool (bench cluster-load) on this machine"
dotnet build -v q --nologo client/orag >"$WORK/build-tools.log" 2>&1 && dotnet build -v q --nologo bench/OrleansRag.Bench >>"$WORK/build-tools.log" 2>&1 \
  || { tail -20 "$WORK/build-tools.log"; fail "the CLI or the load tool did not build"; }
oragdll="$REPO/client/orag/bin/Debug/net10.0/orag.dll"
benchdll="$REPO/bench/OrleansRag.Bench/bin/Debug/net10.0/OrleansRag.Bench.dll"
keys=$(dotnet "$oragdll" keys create --tenant default --role admin)
KEY=$(sed -n 's/^key:  *\(orag_[^ ]*\).*/\1/p' <<<"$keys")
KEY_ID=$(sed -n 's/^ *Security__ApiKeys__0__Id=//p' <<<"$keys")
KEY_HASH=$(sed -n 's/^ *Security__ApiKeys__0__Hash=//p' <<<"$keys")
CLUSTER_SECRET=$(sed -n 's/^ *Security__ClusterSecret=//p' <<<"$keys")
[ -n "$KEY" ] && [ -n "$KEY_ID" ] && [ -n "$KEY_HASH" ] && [ -n "$CLUSTER_SECRET" ] || fail "orag keys create printed no key"

say "check: without API keys the container refuses to start and names the setting"
set +e
refusal=$(timeout 120 $DOCKER run --rm "$IMAGE" 2>&1)
refused=$?
set -e
[ "$refused" -ne 0 ] || fail "the container started without keys"
grep -q "Security:ApiKeys" <<<"$refusal" || { echo "$refusal" | tail -20; fail "the refusal does not name Security:ApiKeys"; }

say "check: with a key, read-only with a tmpfs for /tmp, it becomes ready, runs as app and answers"
port=$(free_port)
name=orleansrag-image-check
$DOCKER rm -f "$name" >/dev/null 2>&1 || true
started=$(date +%s)
$DOCKER run -d --name "$name" --read-only --tmpfs /tmp -p "127.0.0.1:$port:8080" \
  -e Security__ApiKeys__0__Id="$KEY_ID" -e Security__ApiKeys__0__Tenant=default -e Security__ApiKeys__0__Role=admin \
  -e Security__ApiKeys__0__Hash="$KEY_HASH" -e Security__ClusterSecret="$CLUSTER_SECRET" -e Samples__Enabled=false \
  -e BlobStore__Path=/tmp/originals "$IMAGE" >/dev/null
ready=
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then ready=1; break; fi
  sleep 1
done
[ -n "$ready" ] || { $DOCKER logs "$name" 2>&1 | tail -30; fail "not ready within 120 s"; }
ready_s=$(( $(date +%s) - started ))
say "ready in $ready_s s"
user=$($DOCKER exec "$name" id -un)
[ "$user" = app ] || fail "the silo runs as '$user', not app"
curl -fsS -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"text":"Containers run the silo as the app user. The image unpacks the embedding model when it is built."}' \
  "http://127.0.0.1:$port/v1/collections/image-check/documents/facts" >/dev/null || fail "ingest failed"
answer=$(curl -fsS -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"question":"When is the embedding model unpacked?"}' "http://127.0.0.1:$port/v1/collections/image-check/ask")
grep -q '"documentId":"facts"' <<<"$answer" || fail "the answer cites nothing: $answer"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/collections" | grep -q 401 || fail "a request without a key was not refused"

say "check: the HEALTHCHECK reports healthy"
health=
for _ in $(seq 1 60); do
  health=$($DOCKER inspect --format '{{.State.Health.Status}}' "$name")
  [ "$health" = healthy ] && break
  sleep 2
done
[ "$health" = healthy ] || fail "health is '$health'"

say "check: SIGTERM shuts the silo down gracefully within the stop grace period (60 s in compose)"
stop_started=$(date +%s%N)
$DOCKER stop -t 60 "$name" >/dev/null
stop_ms=$(( ($(date +%s%N) - stop_started) / 1000000 ))
code=$($DOCKER inspect --format '{{.State.ExitCode}}' "$name")
$DOCKER logs "$name" >"$WORK/image-check.log" 2>&1
$DOCKER rm "$name" >/dev/null
[ "$code" = 0 ] || { tail -20 "$WORK/image-check.log"; fail "exit code $code after SIGTERM (137 would mean it was killed)"; }
say "stopped in $stop_ms ms, exit code 0"

say "image: $IMAGE, $image_size (on stand-in base images)"
say "all image checks passed"

# ---- the compose cluster: up, a killed silo, a rolling update under load -------------------------------------------
for standin in postgres:15 redis:7; do
  if ! image_exists "$standin"; then
    say "stand-in $standin from deploy/standins/${standin%%:*}"
    $DOCKER build -q -t "$standin" "deploy/standins/${standin%%:*}" >/dev/null
  fi
done

# deploy/compose.yaml as shipped, with the compose plugin where the machine has one, else Debian's docker-compose.
if $DOCKER compose version >/dev/null 2>&1; then COMPOSE=($DOCKER compose); else COMPOSE=(docker-compose); fi
compose() {
  ORAG_ADMIN_KEY_ID="$KEY_ID" ORAG_ADMIN_KEY_HASH="$KEY_HASH" ORAG_CLUSTER_SECRET="$CLUSTER_SECRET" POSTGRES_PASSWORD="pw-$$" \
    "${COMPOSE[@]}" -p orleansrag-test -f "$REPO/deploy/compose.yaml" "$@"
}
compose_down() { compose down -v --remove-orphans >/dev/null 2>&1 || true; }
# On a failure the cluster's logs are kept in $WORK/cluster.log and their warnings and errors shown, then all is removed.
on_exit() {
  local code=$?
  touch "$WORK/stop-load"
  if [ "$code" -ne 0 ]; then
    compose logs --no-color --timestamps >"$WORK/cluster.log" 2>&1 || true
    echo "--- warnings and errors of the cluster (all of its logs: $WORK/cluster.log) ---"
    grep -E '"LogLevel":"(Warning|Error|Critical)"' "$WORK/cluster.log" | tail -40 | cut -c1-600 || true
  fi
  compose_down
  stop_dockerd
}
trap 'on_exit' EXIT
compose_down
$DOCKER network prune -f >/dev/null # the daemon is this script's own: a network left by an aborted run would overlap

say "compose: PostgreSQL, Redis and 3 silos"
compose up -d --no-build >"$WORK/compose-up.log" 2>&1 || { cat "$WORK/compose-up.log"; compose logs --tail 30; fail "compose up failed"; }
for port in 8080 8082 8083; do
  ok=
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && { ok=1; break; }
    sleep 1
  done
  [ -n "$ok" ] || { compose logs --tail 40; fail "the silo on port $port was not ready within 120 s"; }
done
say "all 3 silos ready"

say "check: a killed silo loses no acknowledged document and answers come back within 10 s"
for i in $(seq 1 30); do
  curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"text\":\"Document $i says the magic number of item $i is $((i * 7)).\"}" \
    "http://127.0.0.1:8082/v1/collections/kill/documents/d$i" || fail "ingest of d$i was not acknowledged"
done
since_kill() { echo $(( ($(date +%s%N) - killed) / 1000000 )); }
declared_dead() { # silo 2's row in the membership table says Dead (6)
  [ "$(compose exec -T postgres psql -U orleans -d orleans -tAc \
    "select count(*) from orleansmembershiptable where address = '172.28.0.12' and status = 6" 2>/dev/null | tr -d '[:space:]')" = 1 ]
}
killed=$(date +%s%N)
$DOCKER kill "$(compose ps -q silo2)" >/dev/null
answered=
while [ "$(since_kill)" -lt 10000 ]; do
  if curl -fsS --max-time 10 -o "$WORK/ask.json" -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
      -d '{"question":"What is the magic number of item 13?"}' "http://127.0.0.1:8080/v1/collections/kill/ask" 2>/dev/null \
      && grep -q '"documentId":"d13"' "$WORK/ask.json"; then
    answered=$(since_kill)
    break
  fi
  sleep 0.2
done
[ -n "$answered" ] && [ "$answered" -le 10000 ] || fail "no answer citing d13 within 10 s of the kill"
dead=
while [ "$(since_kill)" -lt 60000 ]; do
  declared_dead && { dead=$(since_kill); break; }
  sleep 0.2
done
count=$(curl -fsS -H "Authorization: Bearer $KEY" "http://127.0.0.1:8083/v1/collections/kill/documents" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
[ "$count" = 30 ] || fail "after the kill the collection lists $count of 30 documents"
say "answered $answered ms after the kill (silo 2 declared dead in the membership table by ${dead:-more than 60000} ms); all 30 documents found"

wait_ready() { # port
  for _ in $(seq 1 180); do
    curl -fsS "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}
$DOCKER start "$(compose ps -q silo2)" >/dev/null # a killed container counts as stopped by hand: no restart policy brings it back
wait_ready 8082 || fail "the killed silo did not come back within 180 s"

say "check: a rolling update (each silo recreated in turn), under load from an Orleans client and HTTP clients"
rm -f "$WORK/stop-load" "$WORK/load-progress"
ORAG_API_KEY="$KEY" dotnet "$benchdll" cluster-load --cluster-id orleans-rag \
  --gateways 172.28.0.11:30000,172.28.0.12:30000,172.28.0.13:30000 \
  --http http://127.0.0.1:8080,http://127.0.0.1:8082,http://127.0.0.1:8083 \
  --stop-file "$WORK/stop-load" --progress-file "$WORK/load-progress" --seconds 900 >"$WORK/load.log" 2>&1 &
load=$!
load_counts() { cat "$WORK/load-progress" 2>/dev/null || echo "acknowledged 0 answered 0"; }
# Waits until the load has added $1 acknowledged documents and $1 HTTP answers (at most 120 s): the load runs, not a sleep.
wait_load() {
  local _w a0 h0 a h
  read -r _w a0 _w h0 <<<"$(load_counts)"
  for _ in $(seq 1 240); do
    read -r _w a _w h <<<"$(load_counts)"
    [ "$a" -ge $((a0 + $1)) ] && [ "$h" -ge $((h0 + $1)) ] && return 0
    kill -0 "$load" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
stop_load() { touch "$WORK/stop-load"; }
trap 'on_exit' EXIT
wait_load 20 || { cat "$WORK/load.log"; fail "the load did not get going within 120 s"; }
restarts=()
for silo in 1 2 3; do
  port=$([ "$silo" = 1 ] && echo 8080 || echo $((8080 + silo)))
  restarted=$(date +%s%N)
  # A rolling update: the container is stopped (SIGTERM, compose's stop grace period) and a new one started.
  compose up -d --no-deps --force-recreate "silo$silo" >>"$WORK/compose-up.log" 2>&1 || fail "compose could not recreate silo $silo"
  stopped_ms=$(( ($(date +%s%N) - restarted) / 1000000 ))
  wait_ready "$port" || { stop_load; cat "$WORK/load.log"; fail "silo $silo was not ready within 180 s of its restart"; }
  ready_ms=$(( ($(date +%s%N) - restarted) / 1000000 ))
  restarts+=("silo $silo: stopped and started in $stopped_ms ms, ready after $ready_ms ms")
  say "${restarts[-1]}"
  wait_load 20 || { stop_load; cat "$WORK/load.log"; fail "the load stalled after silo $silo restarted"; }
done
stop_load
set +e
wait "$load"
loaded=$?
set -e
cat "$WORK/load.log"
[ "$loaded" -eq 0 ] || fail "requests failed or documents were lost during the rolling update"

say "figures"
printf '  %s\n' "image: built in $build_s s, $image_size (stand-in bases); ready in $ready_s s; SIGTERM to exit 0 in $stop_ms ms" \
  "kill: an answer citing the document $answered ms after docker kill (declared dead by ${dead:-?} ms); 30 of 30 acknowledged documents found" "${restarts[@]}" \
  "rolling update load: $(grep -m1 '^load for' "$WORK/load.log")" "whole script: $(( $(date +%s) - script_started )) s"
say "all container checks passed"
