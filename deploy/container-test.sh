#!/usr/bin/env bash
# Builds and checks the real container image, deploy/Dockerfile, unchanged, on a Docker daemon of its own, then runs
# deploy/compose.yaml as shipped: 3 silos on PostgreSQL and Redis, a killed silo and a rolling update, both under load.
# test.sh runs it after the .NET tests (so CI does); run it alone as root with
#
#   bash deploy/container-test.sh
#
# No registry is reachable on the build machines, so mcr.microsoft.com/dotnet/{sdk,aspnet}:10.0, postgres:15 and
# redis:7 are STAND-INS built here under those names (deploy/README.md says how, and each is labelled as one): a
# Debian 12 root file system made by debootstrap plus this machine's .NET SDK (or only its runtimes, for aspnet) and
# its CA certificates, with the "app" user (UID 1654) the official images have; Debian's postgresql-15 and
# redis-server. Real deployments pull the official images; nothing in deploy/Dockerfile or compose.yaml knows the
# difference.
#
# The daemon is private: its own data root, socket and no default bridge (--bridge=none), under $ORAG_CONTAINER_WORK
# (default /var/tmp/orleansrag-containers, kept between runs so the stand-ins and layers are built once per machine
# and rebuilt when their inputs change). Containers run on networks this script makes and publish ports on 127.0.0.1
# only. At exit the cluster and its volumes are removed and the daemon is stopped.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
WORK=${ORAG_CONTAINER_WORK:-/var/tmp/orleansrag-containers}
SOCK="$WORK/docker.sock"
# The classic builder: BuildKit would fetch the Dockerfile's "# syntax=" image from Docker Hub, which is not reachable.
export DOCKER_HOST="unix://$SOCK" DOCKER_BUILDKIT=0
DOCKER=/usr/bin/docker
STANDIN_BASE=orleansrag-standin/debian:bookworm
INPUTS_LABEL=org.orleansrag.standin.inputs
IMAGE=orleans-rag:latest
PROJECT=orleansrag-test
SUBNET=172.28.0.0/24 # compose.yaml's network
CHECK_NETWORK=orleansrag-image-check
CURL=(curl -fsS --max-time 30)
script_started=$(date +%s)

say() { printf '== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
trap 'printf "FAILED: deploy/container-test.sh line %s: %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR
[ "$(id -u)" -eq 0 ] || fail "deploy/container-test.sh runs as root: it installs docker.io, debootstrap and docker-compose when missing and starts a dockerd of its own"
mkdir -p "$WORK"
# One run at a time per work folder (a lock file descriptor would be inherited, and held, by the daemon and build servers).
if [ -f "$WORK/running.pid" ] && kill -0 "$(cat "$WORK/running.pid")" 2>/dev/null \
  && grep -q container-test "/proc/$(cat "$WORK/running.pid")/cmdline" 2>/dev/null; then
  fail "another deploy/container-test.sh (PID $(cat "$WORK/running.pid")) is running on $WORK"
fi
echo $$ >"$WORK/running.pid"

ensure_tools() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  { $DOCKER compose version || command -v docker-compose; } >/dev/null 2>&1 || missing+=(docker-compose)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -q "${missing[@]}" >/dev/null
    # The package starts the system's Docker where systemd runs; this script uses its own daemon only.
    if [[ " ${missing[*]} " == *" docker.io "* ]] && [ -d /run/systemd/system ]; then
      systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || true
    fi
  fi
}

start_dockerd() {
  if [ -S "$SOCK" ] && $DOCKER info >/dev/null 2>&1; then
    say "reusing the private dockerd an earlier run left on $SOCK (stopped at exit)"
    return
  fi
  rm -f "$SOCK"
  our_dockerd >/dev/null || rm -f "$WORK/dockerd.pid"
  echo '{}' >"$WORK/daemon.json" # not /etc/docker/daemon.json, whose settings could conflict with these
  dockerd --config-file "$WORK/daemon.json" --data-root "$WORK/root" --exec-root "$WORK/exec" -H "unix://$SOCK" \
    --pidfile "$WORK/dockerd.pid" --bridge=none --containerd-namespace orleansrag --containerd-plugins-namespace orleansrag-plugins \
    >"$WORK/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    $DOCKER info >/dev/null 2>&1 && { say "dockerd ready (data root $WORK/root)"; return; }
    sleep 1
  done
  tail -20 "$WORK/dockerd.log" >&2
  fail "dockerd did not start within 60 s"
}

# The PID in the daemon's pidfile, when that process is still this folder's dockerd (a stale pidfile's PID may be reused).
our_dockerd() {
  local pid
  pid=$(cat "$WORK/dockerd.pid" 2>/dev/null) || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^dockerd .*$WORK" || return 1
  echo "$pid"
}

stop_dockerd() {
  local pid
  pid=$(our_dockerd) || { rm -f "$WORK/dockerd.pid"; return 0; }
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # The daemon leaves its network namespace mounted; unmounted, the work folder can be deleted.
  ! mountpoint -q "$WORK/exec/netns/default" || umount "$WORK/exec/netns/default" || true
}

# True when image $1 exists and was built from inputs hashing to $2 (its label); else it is (re)built.
current() { [ "$($DOCKER image inspect --format "{{index .Config.Labels \"$INPUTS_LABEL\"}}" "$1" 2>/dev/null)" = "$2" ]; }
hash_of() { sha256sum | cut -c1-16; }

# The Debian 12 root file system every stand-in starts from.
build_base() {
  local inputs
  inputs=$(echo "debootstrap minbase bookworm ca-certificates" | hash_of)
  current "$STANDIN_BASE" "$inputs" && return
  say "stand-in base: debootstrap bookworm (minbase + ca-certificates)"
  local rootfs="$WORK/rootfs"
  if [ ! -f "$rootfs/.complete" ]; then
    rm -rf "$rootfs"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
      || { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap failed"; }
    rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/archives/"*.deb
    touch "$rootfs/.complete"
  fi
  tar -C "$rootfs" --exclude ./.complete -c . | $DOCKER import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL $INPUTS_LABEL=$inputs" - "$STANDIN_BASE" >/dev/null
}

# mcr.microsoft.com/dotnet/sdk:10.0 and aspnet:10.0 from this machine's .NET (the SDK, or its runtimes only).
build_dotnet_standins() {
  local dotnet_root inputs ctx="$WORK/dotnet-context"
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  local common='
RUN apt-get update && apt-get install -y --no-install-recommends libicu72 libssl3 zlib1g tzdata && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1654 app && useradd --uid 1654 --gid 1654 --create-home --shell /bin/false app
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV DOTNET_ROOT=/usr/share/dotnet PATH=/usr/share/dotnet:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DOTNET_RUNNING_IN_CONTAINER=true DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 APP_UID=1654
LABEL org.opencontainers.image.description="STAND-IN built by deploy/container-test.sh, not the official image"'
  inputs=$({ dotnet --version; ls "$dotnet_root/sdk" "$dotnet_root/shared/"*; echo "$common"; $DOCKER image inspect --format '{{.Id}}' "$STANDIN_BASE"; } | hash_of)
  current mcr.microsoft.com/dotnet/sdk:10.0 "$inputs" && current mcr.microsoft.com/dotnet/aspnet:10.0 "$inputs" && return
  rm -rf "$ctx" && mkdir -p "$ctx/runtime"
  say "stand-in .NET images from $dotnet_root ($(dotnet --version))"
  cp -a "$dotnet_root" "$ctx/dotnet"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/shared" "$ctx/runtime/"
  cp -aL /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  say "stand-in mcr.microsoft.com/dotnet/sdk:10.0"
  printf 'FROM %s%s\nCOPY dotnet /usr/share/dotnet\n' "$STANDIN_BASE" "$common" \
    | $DOCKER build --network host -q --label "$INPUTS_LABEL=$inputs" -t mcr.microsoft.com/dotnet/sdk:10.0 -f - "$ctx" >/dev/null
  say "stand-in mcr.microsoft.com/dotnet/aspnet:10.0"
  printf 'FROM %s%s\nENV ASPNETCORE_HTTP_PORTS=8080\nCOPY runtime /usr/share/dotnet\n' "$STANDIN_BASE" "$common" \
    | $DOCKER build --network host -q --label "$INPUTS_LABEL=$inputs" -t mcr.microsoft.com/dotnet/aspnet:10.0 -f - "$ctx" >/dev/null
  rm -rf "$ctx"
}

# postgres:15 and redis:7 from deploy/standins/.
build_server_standins() {
  local standin folder inputs
  for standin in postgres:15 redis:7; do
    folder="deploy/standins/${standin%%:*}"
    inputs=$({ cat "$folder"/*; $DOCKER image inspect --format '{{.Id}}' "$STANDIN_BASE"; } | hash_of)
    current "$standin" "$inputs" && continue
    say "stand-in $standin from $folder"
    $DOCKER build --network host -q --label "$INPUTS_LABEL=$inputs" -t "$standin" "$folder" >/dev/null
  done
}

# The daemon is this script's own: whatever an interrupted run left (a restarting cluster, networks, volumes) goes.
remove_leftovers() {
  local containers
  containers=$($DOCKER ps -aq)
  [ -z "$containers" ] || { say "removing the containers an earlier run left"; $DOCKER rm -f $containers >/dev/null; }
  $DOCKER network prune -f >/dev/null
  $DOCKER volume ls -q | xargs -r $DOCKER volume rm >/dev/null
}

LOAD=
stop_load() { # asks the load to stop, waits for it (at most 240 s: a call in flight may wait out a timeout twice) and returns its exit code
  [ -n "$LOAD" ] || return 0
  touch "$WORK/stop-load"
  for _ in $(seq 1 240); do kill -0 "$LOAD" 2>/dev/null || break; sleep 1; done
  kill -0 "$LOAD" 2>/dev/null && { echo "the load did not stop within 240 s of being asked: killed" >&2; kill -9 "$LOAD" 2>/dev/null || true; }
  local code=0
  wait "$LOAD" || code=$?
  LOAD=
  return "$code"
}

COMPOSE_STARTED=
# On a failure the cluster's logs are kept in $WORK/cluster.log and their warnings and errors shown; then all is removed.
on_exit() {
  local code=$?
  [ -z "$LOAD" ] || kill -9 "$LOAD" 2>/dev/null || true
  rm -f "$WORK/running.pid"
  if [ -n "$COMPOSE_STARTED" ]; then
    if [ "$code" -ne 0 ]; then
      compose logs --no-color --timestamps >"$WORK/cluster.log" 2>&1 || true
      echo "--- warnings and errors of the cluster (all of its logs: $WORK/cluster.log) ---"
      grep -E '"LogLevel":"(Warning|Error|Critical)"' "$WORK/cluster.log" | tail -40 | cut -c1-600 || true
    fi
    compose down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  $DOCKER rm -f orleansrag-image-check orleansrag-refusal >/dev/null 2>&1 || true
  $DOCKER network rm "$CHECK_NETWORK" >/dev/null 2>&1 || true
  $DOCKER image prune -f >/dev/null 2>&1 || true # earlier builds' layers, no longer tagged
  stop_dockerd
}

ensure_tools
trap on_exit EXIT
start_dockerd
remove_leftovers
build_base
build_dotnet_standins
build_server_standins
say "stand-ins (not the official images): $($DOCKER images --format '{{.Repository}}:{{.Tag}}' | grep -E 'standin|mcr|postgres|redis' | sort | tr '\n' ' ')"

say "building deploy/Dockerfile as $IMAGE"
started=$(date +%s)
# The build stage is tagged too, so that pruning untagged images at exit keeps its layers: the next run's cache.
$DOCKER build --network host -f deploy/Dockerfile --target build -t orleans-rag-build:cache . >"$WORK/build.log" 2>&1 \
  && $DOCKER build --network host -f deploy/Dockerfile -t "$IMAGE" . >>"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "the image did not build"; }
build_s=$(( $(date +%s) - started ))
image_size=$($DOCKER image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')
say "built in $build_s s; size $image_size"

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
AUTH=(-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json')

# ---- image checks ----------------------------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_ready() { # port: true once /ready answers, within 180 s
  for _ in $(seq 1 180); do
    curl -fsS --max-time 5 "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}

say "check: without API keys the container refuses to start and names the setting"
refused=0
refusal=$(timeout 120 $DOCKER run --name orleansrag-refusal --network none "$IMAGE" 2>&1) || refused=$?
$DOCKER rm -f orleansrag-refusal >/dev/null 2>&1 || true
[ "$refused" -ne 124 ] || fail "the container without keys neither started nor stopped within 120 s"
[ "$refused" -ne 0 ] || fail "the container started without keys"
grep -q "Security:ApiKeys" <<<"$refusal" || { echo "$refusal" | tail -20; fail "the refusal does not name Security:ApiKeys"; }

say "check: with a key, read-only with a tmpfs for /tmp, it becomes ready, runs as app and answers"
port=$(free_port)
name=orleansrag-image-check
$DOCKER network create "$CHECK_NETWORK" >/dev/null
started=$(date +%s)
$DOCKER run -d --name "$name" --network "$CHECK_NETWORK" --read-only --tmpfs /tmp -p "127.0.0.1:$port:8080" \
  -e Security__ApiKeys__0__Id="$KEY_ID" -e Security__ApiKeys__0__Tenant=default -e Security__ApiKeys__0__Role=admin \
  -e Security__ApiKeys__0__Hash="$KEY_HASH" -e Security__ClusterSecret="$CLUSTER_SECRET" -e Samples__Enabled=false \
  -e BlobStore__Path=/tmp/originals "$IMAGE" >/dev/null
wait_ready "$port" || { $DOCKER logs "$name" 2>&1 | tail -30; fail "not ready within 180 s"; }
ready_s=$(( $(date +%s) - started ))
say "ready in $ready_s s"
uid=$($DOCKER exec "$name" sh -c 'grep "^Uid:" /proc/1/status' | awk '{print $2}')
user=$($DOCKER exec "$name" id -un)
[ "$uid" = 1654 ] && [ "$user" = app ] || fail "the silo (PID 1) runs as UID '$uid' and exec as '$user', not app (1654)"
"${CURL[@]}" -o /dev/null -X PUT "${AUTH[@]}" \
  -d '{"text":"Containers run the silo as the app user. The image unpacks the embedding model when it is built."}' \
  "http://127.0.0.1:$port/v1/collections/image-check/documents/facts" || fail "ingest failed"
answer=$("${CURL[@]}" -X POST "${AUTH[@]}" -d '{"question":"When is the embedding model unpacked?"}' \
  "http://127.0.0.1:$port/v1/collections/image-check/ask") || fail "ask failed"
grep -q '"documentId":"facts"' <<<"$answer" || fail "the answer cites nothing: $answer"
[ "$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/collections")" = 401 ] || fail "a request without a key was not refused"

say "check: the HEALTHCHECK reports healthy"
health=
for _ in $(seq 1 60); do
  health=$($DOCKER inspect --format '{{.State.Health.Status}}' "$name")
  [ "$health" = healthy ] && break
  sleep 2
done
[ "$health" = healthy ] || fail "health is '$health'"

say "check: SIGTERM shuts the silo down gracefully, within Cluster:ShutdownTimeout (30 s by default)"
stop_started=$(date +%s%N)
$DOCKER stop -t 60 "$name" >/dev/null
stop_ms=$(( ($(date +%s%N) - stop_started) / 1000000 ))
code=$($DOCKER inspect --format '{{.State.ExitCode}}' "$name")
$DOCKER logs "$name" >"$WORK/image-check.log" 2>&1
$DOCKER rm "$name" >/dev/null
$DOCKER network rm "$CHECK_NETWORK" >/dev/null
[ "$code" = 0 ] || { tail -20 "$WORK/image-check.log"; fail "exit code $code after SIGTERM (137 would mean it was killed)"; }
[ "$stop_ms" -lt 30000 ] || fail "the silo took $stop_ms ms to stop: its shutdown ran out of time"
say "stopped in $stop_ms ms, exit code 0"
say "image: $IMAGE, $image_size (on stand-in base images); all image checks passed"

# ---- the compose cluster: up, a killed silo, a rolling update, both under load -----------------------------------------
# deploy/compose.yaml as shipped, with the compose plugin where the machine has one, else Debian's docker-compose.
if $DOCKER compose version >/dev/null 2>&1; then COMPOSE=($DOCKER compose); else COMPOSE=(docker-compose); fi
compose() {
  ORAG_ADMIN_KEY_ID="$KEY_ID" ORAG_ADMIN_KEY_HASH="$KEY_HASH" ORAG_CLUSTER_SECRET="$CLUSTER_SECRET" POSTGRES_PASSWORD="pw-$$" \
    "${COMPOSE[@]}" -p "$PROJECT" -f "$REPO/deploy/compose.yaml" "$@"
}
for port in 8080 8081 8082 8083; do
  python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $port))" 2>/dev/null \
    || fail "port $port on 127.0.0.1 is taken: compose.yaml publishes the silos on 8080-8083"
done
! ip route | grep -q "^${SUBNET%/*}" || fail "this machine already routes $SUBNET, which compose.yaml's network uses"

say "compose: PostgreSQL, Redis and 3 silos"
COMPOSE_STARTED=1
compose up -d --no-build >"$WORK/compose-up.log" 2>&1 || { cat "$WORK/compose-up.log"; fail "compose up failed"; }
for port in 8080 8082 8083; do
  wait_ready "$port" || fail "the silo on port $port was not ready within 180 s"
done
say "all 3 silos ready"

# Load from outside: an Orleans client (the SDK, static gateways on the compose network) and 3 HTTP clients.
start_load() { # collection [more cluster-load arguments]
  rm -f "$WORK/stop-load" "$WORK/load-progress"
  ORAG_API_KEY="$KEY" dotnet "$benchdll" cluster-load --cluster-id orleans-rag --collection "$1" \
    --gateways 172.28.0.11:30000,172.28.0.12:30000,172.28.0.13:30000 \
    --http http://127.0.0.1:8080,http://127.0.0.1:8082,http://127.0.0.1:8083 \
    --stop-file "$WORK/stop-load" --progress-file "$WORK/load-progress" --seconds 900 "${@:2}" >"$WORK/load-$1.log" 2>&1 &
  LOAD=$!
}
load_counts() { cat "$WORK/load-progress" 2>/dev/null || echo "acknowledged 0 answered 0"; }
# Waits until the load has added $1 acknowledged documents and $1 HTTP answers (at most 120 s): the load runs, not a sleep.
wait_load() {
  local _w a0 h0 a h
  read -r _w a0 _w h0 <<<"$(load_counts)"
  for _ in $(seq 1 240); do
    read -r _w a _w h <<<"$(load_counts)"
    [ "$a" -ge $((a0 + $1)) ] && [ "$h" -ge $((h0 + $1)) ] && return 0
    kill -0 "$LOAD" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
finish_load() { # collection: stops the load, prints its report, fails when it failed
  local code=0
  stop_load || code=$?
  cat "$WORK/load-$1.log"
  [ "$code" -eq 0 ] || fail "$2"
}

say "check: a killed silo, under load, loses no acknowledged document and answers come back within 10 s"
start_load kill-load --lost-only
wait_load 20 || { cat "$WORK/load-kill-load.log"; fail "the load did not get going within 120 s"; }
for i in $(seq 1 30); do
  "${CURL[@]}" -o /dev/null -X PUT "${AUTH[@]}" -d "{\"text\":\"Document $i says the magic number of item $i is $((i * 7)).\"}" \
    "http://127.0.0.1:8082/v1/collections/kill/documents/d$i" || fail "ingest of d$i was not acknowledged"
done
since_kill() { echo $(( ($(date +%s%N) - killed) / 1000000 )); }
declared_dead() { # silo 2's row in the membership table says Dead (6)
  [ "$(compose exec -T postgres psql -U orleans -d orleans -tAc \
    "select count(*) from orleansmembershiptable where address = '172.28.0.12' and status = 6" 2>/dev/null | tr -d '[:space:]')" = 1 ]
}
silo2=$(compose ps -q silo2) # kept: the plugin's "ps" does not list a stopped container
killed=$(date +%s%N)
$DOCKER kill "$silo2" >/dev/null
answered=
while [ "$(since_kill)" -lt 10000 ]; do
  if curl -fsS --max-time 10 -o "$WORK/ask.json" -X POST "${AUTH[@]}" -d '{"question":"What is the magic number of item 13?"}' \
      "http://127.0.0.1:8080/v1/collections/kill/ask" 2>/dev/null && grep -q '"documentId":"d13"' "$WORK/ask.json"; then
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
count=$("${CURL[@]}" "${AUTH[@]}" "http://127.0.0.1:8083/v1/collections/kill/documents" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])') \
  || fail "silo 3 did not list the collection after the kill"
[ "$count" = 30 ] || fail "after the kill the collection lists $count of 30 documents"
wait_load 20 || { stop_load || true; cat "$WORK/load-kill-load.log"; fail "the load stalled after the kill"; }
finish_load kill-load "the load during the kill failed (its report is above): documents lost, or it did not finish"
say "answered $answered ms after the kill (silo 2 declared dead in the membership table by ${dead:-more than 60000} ms); all 30 documents found"
$DOCKER start "$silo2" >/dev/null # a killed container counts as stopped by hand: no restart policy brings it back
wait_ready 8082 || fail "the killed silo did not come back within 180 s"

say "check: a rolling update (each silo recreated in turn), under load from an Orleans client and HTTP clients"
start_load rolling
wait_load 20 || { cat "$WORK/load-rolling.log"; fail "the load did not get going within 120 s"; }
restarts=()
for silo in 1 2 3; do
  port=$([ "$silo" = 1 ] && echo 8080 || echo $((8080 + silo)))
  restarted=$(date +%s%N)
  # A rolling update: the container is stopped (SIGTERM, compose's stop grace period) and a new one started.
  compose up -d --no-deps --force-recreate "silo$silo" >>"$WORK/compose-up.log" 2>&1 || fail "compose could not recreate silo $silo"
  stopped_ms=$(( ($(date +%s%N) - restarted) / 1000000 ))
  wait_ready "$port" || fail "silo $silo was not ready within 180 s of its restart"
  ready_ms=$(( ($(date +%s%N) - restarted) / 1000000 ))
  restarts+=("silo $silo: stopped and recreated in $stopped_ms ms, ready after $ready_ms ms")
  say "${restarts[-1]}"
  wait_load 20 || { stop_load || true; cat "$WORK/load-rolling.log"; fail "the load stalled after silo $silo restarted"; }
done
finish_load rolling "the load during the rolling update failed (its report is above): requests failed, documents lost, or it did not finish"

say "figures"
printf '  %s\n' "image: built in $build_s s, $image_size (stand-in bases); ready in $ready_s s; SIGTERM to exit 0 in $stop_ms ms" \
  "kill: an answer citing the document $answered ms after docker kill (declared dead by ${dead:-?} ms); 30 of 30 documents found" \
  "load during the kill: $(grep -m1 '^load for' "$WORK/load-kill-load.log")" "${restarts[@]}" \
  "load during the rolling update: $(grep -m1 '^load for' "$WORK/load-rolling.log")" \
  "whole script: $(( $(date +%s) - script_started )) s"
say "all container checks passed"
