#!/usr/bin/env bash
# The test command: installs what is missing, then builds pgha and runs unit and integration tests (real
# postgres, real ZooKeeper, daemons as separate processes).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
"$root/scripts/setup.sh"
# Tests only: a real Prometheus (and promtool) parses the metrics the way users' servers do.
if ! command -v promtool >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "test: installing prometheus (for the metrics tests)"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
    || { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -qq --no-install-recommends prometheus; }
fi
# Tests only: the chaos suite builds its network namespaces with iproute2, partitions them with iptables and
# starves them of CPU with stress-ng.
if [ "$(id -u)" -eq 0 ] && { ! command -v ip >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1 \
    || ! command -v stress-ng >/dev/null 2>&1; }; then
  echo "test: installing iproute2, iptables and stress-ng (for the chaos suite)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 iptables stress-ng \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           iproute2 iptables stress-ng; }
fi
# Tests only: ClockSkewIT runs nodes with their wall clocks shifted by libfaketime.
if [ ! -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] && [ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "test: installing libfaketime (for the clock-skew test)"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libfaketime \
    || { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -qq --no-install-recommends libfaketime; }
fi
cd "$root"
exec mvn -B -ntp verify "$@"
