#!/usr/bin/env bash
# The test command: installs what is missing, then builds pgha and runs unit and integration tests (real
# postgres, real ZooKeeper, daemons as separate processes).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
"$root/scripts/setup.sh"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# apt_install WHY PACKAGE...: installs Debian packages the tests need (the package lists are refreshed only when the
# first attempt fails).
apt_install() {
  local why=$1
  shift
  echo "test: installing $* ($why)"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    || { "${sudo_cmd[@]}" apt-get update -qq \
           && "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; }
}

# A real Prometheus (and promtool) parses the metrics the way users' servers do.
command -v promtool >/dev/null 2>&1 || apt_install "for the metrics tests" prometheus
# The chaos suite builds its network namespaces with iproute2, partitions them with iptables and starves them of CPU
# with stress-ng (it needs root, and skips without).
if [ "$(id -u)" -eq 0 ] && { ! command -v ip >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1 \
    || ! command -v stress-ng >/dev/null 2>&1; }; then
  apt_install "for the chaos suite" iproute2 iptables stress-ng
fi
# ClockSkewIT runs nodes with their wall clocks shifted by libfaketime.
if ! compgen -G "/usr/lib/*/faketime/libfaketime.so.1" >/dev/null; then
  apt_install "for the clock-skew test" libfaketime
fi
cd "$root"
exec mvn -B -ntp verify "$@"
