#!/usr/bin/env bash
# Planned switchover on a 3-node cluster (separate pgha JVMs on 127.0.0.1, embedded ZooKeeper ensemble, default
# settings): CYCLES (default 10) runs of `pgha switchover` from a standby's node while a client writes through its
# proxy. Prints the median and p95 of the client-visible write gap (goal: under 1 s) and of the command's duration.
# Asserts nothing.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cycles=${CYCLES:-10}
"$root/pgha" --version >/dev/null   # builds the jar first if needed
jar=$(ls -t "$root"/image/target/run/pgha-*.jar | head -1)
work=$(mktemp -d /tmp/pgha-bench-switchover.XXXXXX)
chmod 711 "$work"
[ -n "${KEEP:-}" ] && echo "keeping $work" >&2 || trap 'rm -rf "$work"' EXIT
java -XX:+UseSerialGC -cp "$jar" "$root/bench/FailoverBench.java" "$jar" "$cycles" "$work" switchover \
  || { echo "switchover bench failed; node logs:"; tail -n 30 "$work"/*.log; exit 1; }
