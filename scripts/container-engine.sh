#!/usr/bin/env bash
# Sets up a container engine for the container tests on Debian 12 (what .ci/run uses): podman with runc and
# netavark (container names resolve on a network), the ulimits these machines allow, and podman's Docker-compatible
# API on a unix socket for Testcontainers. Prints the environment to use, e.g.
#   eval "$(scripts/container-engine.sh start)"   ...   scripts/container-engine.sh stop
# Only what it started is stopped, by pid: the service, and the aardvark-dns the tests' network started when none ran
# before and no container is left.
set -euo pipefail
socket=${PGHA_PODMAN_SOCKET:-/tmp/pgha-podman.sock}
pidfile=${socket%.sock}.pid
# netavark starts aardvark-dns (container names on a network) for the tests' network and leaves it running after
# the network is gone; the one running before the tests (if any) is not this script's to stop.
aardvark_pidfile=/run/containers/networks/aardvark-dns/aardvark.pid
aardvark_before=${socket%.sock}.aardvark-before
aardvark_pid() { # the running aardvark-dns's pid, or nothing
  local pid
  pid=$(cat "$aardvark_pidfile" 2>/dev/null) || return 0
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = aardvark-dns ] && echo "$pid"
  return 0
}

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
      aardvark_pid >"$aardvark_before"
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
      started=$(aardvark_pid)
      if [ -n "$started" ] && [ "$started" != "$(cat "$aardvark_before" 2>/dev/null)" ] \
          && [ -z "$(podman ps -q 2>/dev/null)" ]; then
        kill "$started" 2>/dev/null || true
      fi
      rm -f "$aardvark_before"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
