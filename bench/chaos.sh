#!/usr/bin/env bash
# Fault injection (Jepsen-style) against a real 3-node pgha cluster in network namespaces the suite creates (and
# removes): append and compare-and-set clients write through every node's proxy while a seeded nemesis kills,
# pauses, partitions and restarts leaders, standbys and ZooKeeper peers. Prints a summary table: faults by kind,
# operations ok/failed/unknown, acknowledged writes lost, moments with two leaders, longest unavailability, final
# health. Exit 0 when every check passed, 1 when one failed, 2 when the suite could not run. Needs root.
#   bench/chaos.sh --faults 50 --seed 42 [--only KIND,...] [--async [--max-lag BYTES]] [--synchronous-standbys N]
#                  [--report FILE.json]
#                  [--logs DIR] [--appenders 4] [--registers 2]
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
if [ "$(id -u)" -ne 0 ]; then
  echo "chaos: needs root (it creates network namespaces and iptables rules inside them); run it with sudo" >&2
  exit 2
fi
for tool in ip iptables stress-ng; do
  command -v "$tool" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 iptables stress-ng
done
# the clock-skew fault preloads Debian's libfaketime into the daemons
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfaketime
"$root/pgha" --version >/dev/null   # builds the jars first if needed (the reactor builds the suite too)
jar=$(ls -t "$root"/app/target/run/pgha-*.jar | head -1)
# Run a copy of the suite's jar: a rebuild during a long run must not change the classes it still loads.
suite=$(mktemp /tmp/pgha-chaos-suite.XXXXXX.jar)
trap 'rm -f "$suite"' EXIT
cp "$root/chaos/target/pgha-chaos.jar" "$suite"
java -XX:+UseSerialGC -Xmx256m -jar "$suite" --pgha-jar "$jar" "$@"
