#!/bin/sh
# Stand-in for the official redis image's entrypoint: a redis-server command listens on every interface of the
# container's network, in /data.
set -e
if [ "$1" = redis-server ]; then shift; cd /data; exec redis-server --protected-mode no --bind 0.0.0.0 --dir /data "$@"; fi
exec "$@"
