#!/usr/bin/env bash
# Builds and checks the real container image, deploy/Dockerfile, unchanged, on a Docker daemon of its own.
#
#   bash deploy/container-test.sh            # stand-in base images (cached), the image, the image checks
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

say() { printf '== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

ensure_tools() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
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
say "built in $(( $(date +%s) - started )) s; size $($DOCKER image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"

# ---- image checks ----------------------------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

oragdll=$(ls "$REPO"/client/orag/bin/*/net10.0/orag.dll 2>/dev/null | head -1)
[ -n "$oragdll" ] || { dotnet build -v q client/orag >/dev/null; oragdll=$(ls "$REPO"/client/orag/bin/*/net10.0/orag.dll | head -1); }
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
say "ready in $(( $(date +%s) - started )) s"
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

say "image: $IMAGE, $($DOCKER image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}') (on stand-in base images)"
say "all image checks passed"

# ---- the compose cluster (work in progress: up, and a killed silo; the rolling restart under load is not written yet) --
for standin in postgres:15 redis:7; do
  if ! image_exists "$standin"; then
    say "stand-in $standin from deploy/standins/${standin%%:*}"
    $DOCKER build -q -t "$standin" "deploy/standins/${standin%%:*}" >/dev/null
  fi
done

command -v docker-compose >/dev/null || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null; }
# Debian's docker-compose (1.29) refuses the top-level "name:" of compose.yaml; the project name is given with -p.
COMPOSE_FILE="$WORK/compose.yaml"
sed '/^name: orleans-rag$/d' deploy/compose.yaml > "$COMPOSE_FILE"
cp -r deploy/sql "$WORK/" 2>/dev/null || true
compose() {
  ORAG_ADMIN_KEY_ID="$KEY_ID" ORAG_ADMIN_KEY_HASH="$KEY_HASH" ORAG_CLUSTER_SECRET="$CLUSTER_SECRET" POSTGRES_PASSWORD="pw-$$" \
    docker-compose -p orleansrag-test --project-directory "$REPO/deploy" -f "$COMPOSE_FILE" "$@"
}
compose_down() { compose down -v --remove-orphans >/dev/null 2>&1 || true; }
trap 'compose_down; stop_dockerd' EXIT
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
killed=$(date +%s%N)
$DOCKER kill orleansrag-test_silo2_1 >/dev/null
answered=
while [ $(( ($(date +%s%N) - killed) / 1000000 )) -lt 10000 ]; do
  if curl -fsS -o "$WORK/ask.json" -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
      -d '{"question":"What is the magic number of item 13?"}' "http://127.0.0.1:8080/v1/collections/kill/ask" 2>/dev/null \
      && grep -q '"documentId":"d13"' "$WORK/ask.json"; then
    answered=$(( ($(date +%s%N) - killed) / 1000000 ))
    break
  fi
  sleep 0.2
done
[ -n "$answered" ] || fail "no answer citing d13 within 10 s of the kill"
count=$(curl -fsS -H "Authorization: Bearer $KEY" "http://127.0.0.1:8083/v1/collections/kill/documents" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
[ "$count" = 30 ] || fail "after the kill the collection lists $count of 30 documents"
say "answered $answered ms after the kill; all 30 documents found"

wait_ready() { # port
  for _ in $(seq 1 180); do
    curl -fsS "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}
$DOCKER start orleansrag-test_silo2_1 >/dev/null # a killed container counts as stopped by hand: no restart policy brings it back
wait_ready 8082 || fail "the killed silo did not come back within 180 s"

say "check: a rolling restart of the 3 silos, one at a time, under load from an Orleans client and HTTP clients"
benchdll="$REPO/bench/OrleansRag.Bench/bin/Release/net10.0/OrleansRag.Bench.dll"
[ -f "$benchdll" ] || dotnet build -c Release -v q bench/OrleansRag.Bench >/dev/null
rm -f "$WORK/stop-load"
ORAG_API_KEY="$KEY" dotnet "$benchdll" cluster-load --cluster-id orleans-rag \
  --gateways 172.28.0.11:30000,172.28.0.12:30000,172.28.0.13:30000 \
  --http http://127.0.0.1:8080,http://127.0.0.1:8082,http://127.0.0.1:8083 \
  --stop-file "$WORK/stop-load" --seconds 900 >"$WORK/load.log" 2>&1 &
load=$!
sleep 15
for silo in 1 2 3; do
  port=$([ "$silo" = 1 ] && echo 8080 || echo $((8080 + silo)))
  restarted=$(date +%s)
  $DOCKER restart -t 60 "orleansrag-test_silo${silo}_1" >/dev/null
  wait_ready "$port" || { kill "$load" 2>/dev/null; fail "silo $silo was not ready within 180 s of its restart"; }
  say "silo $silo restarted and ready in $(( $(date +%s) - restarted )) s"
  sleep 10
done
touch "$WORK/stop-load"
set +e
wait "$load"
loaded=$?
set -e
cat "$WORK/load.log"
[ "$loaded" -eq 0 ] || fail "requests failed or documents were lost during the rolling restart"
say "compose checks passed"
