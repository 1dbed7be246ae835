#!/usr/bin/env bash
# Sets up a container engine for the container tests on Debian 12 (what .ci/run uses): podman with runc and
# netavark (container names resolve on a network), the ulimits these machines allow, and podman's Docker-compatible
# API on a unix socket for Testcontainers. Prints the environment to use, e.g.
#   eval "$(scripts/container-engine.sh start)"   ...   scripts/container-engine.sh stop
# Only the service it started is stopped (by the pid it recorded).
set -euo pipefail
socket=${PGHA_PODMAN_SOCKET:-/tmp/pgha-podman.sock}
pidfile=${socket%.sock}.pid

case "${1:-}" in
  start)
    missing=()
    for p in podman runc debootstrap netavark aardvark-dns; do
      dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      echo "container-engine: installing ${missing[*]}" >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
    mkdir -p /etc/containers
    if ! grep -q 'network_backend = "netavark"' /etc/containers/containers.conf 2>/dev/null; then
      # crun fails on this cgroup layout; the ulimits stay within `ulimit -H`
      cat >/etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"

[network]
network_backend = "netavark"
CONF
    fi
    if [ ! -S "$socket" ] || ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then
      rm -f "$socket"
      podman system service --time=0 "unix://$socket" >/dev/null 2>&1 &
      echo $! >"$pidfile"
      for _ in $(seq 1 100); do [ -S "$socket" ] && break; sleep 0.1; done
    fi
    echo "export DOCKER_HOST=unix://$socket TESTCONTAINERS_RYUK_DISABLED=true"
    ;;
  stop)
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile" "$socket"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
