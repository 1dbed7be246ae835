#!/usr/bin/env bash
# Failover time on a 3-node cluster (separate pgha JVMs on 127.0.0.1, embedded ZooKeeper ensemble, default
# settings): CYCLES (default 10) kills -9 of the leader node while a client writes through a surviving proxy.
# Prints median and p95 of kill -> first acknowledged write, and of the client-visible write gap, and where the time
# goes: each phase of the failover from the surviving nodes' logs (detection, fencing and candidate, promotion, NORMAL
# view, the proxy's new route, first write). Asserts nothing.
# MODE=switchover (bench/switchover.sh) runs `pgha switchover` instead of the kill (its phases: hold, clean shutdown,
# promotion, NORMAL view, route, first write). CALLBACK=hang gives every node callbacks (cluster.callbacks) that never
# end, to compare: a failover must not wait for them. PGHA_JAVA_OPTS adds JVM flags to every node (to compare).
# Each cycle says whether the killed node's ZooKeeper server led the ensemble (that failover waits for a ZooKeeper
# election and a whole session timeout more); ZK_LEADER=node-N first restarts nodes until node-N's server leads, so
# that the cycles begin from a known placement (a new ensemble's leader is node-3, which the first cycles never pick).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cycles=${CYCLES:-10}
"$root/pgha" --version >/dev/null   # builds the jar first if needed
jar=$(ls -t "$root"/app/target/run/pgha-*.jar | head -1)
mode=${MODE:-kill}
work=$(mktemp -d "/tmp/pgha-bench-$mode.XXXXXX")
chmod 711 "$work"
[ -n "${KEEP:-}" ] && echo "keeping $work" >&2 || trap 'rm -rf "$work"' EXIT
java -XX:+UseSerialGC -Dpgha.root="$root" -cp "$jar" "$root/bench/FailoverBench.java" "$jar" "$cycles" "$work" "$mode" \
  || { echo "$mode bench failed; node logs:"; tail -n 30 "$work"/*.log; exit 1; }
