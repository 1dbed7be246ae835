#!/usr/bin/env bash
# CPU-starvation soak on a 3-node cluster (separate pgha JVMs on 127.0.0.1, embedded ZooKeeper ensemble, default
# settings): DURATION seconds (default 600) of stress-ng saturating every core while a client writes through a standby's
# proxy, and no fault. Prints leader changes (the goal is 0), view generations, write errors, the longest write gap,
# and each node's store lease lapses and fencings. Asserts nothing.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
seconds=${DURATION:-600}
if ! command -v stress-ng >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "soak: installing stress-ng" >&2
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >&2 \
    || { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -qq --no-install-recommends stress-ng >&2; }
fi
"$root/pgha" --version >/dev/null   # builds the jar first if needed
jar=$(ls -t "$root"/app/target/run/pgha-*.jar | head -1)
work=$(mktemp -d /tmp/pgha-bench-soak.XXXXXX)
chmod 711 "$work"
[ -n "${KEEP:-}" ] && echo "keeping $work" >&2 || trap 'rm -rf "$work"' EXIT
java -XX:+UseSerialGC -Dpgha.root="$root" -cp "$jar" "$root/bench/FailoverBench.java" "$jar" "$seconds" "$work" soak \
  || { echo "soak bench failed; node logs:"; tail -n 30 "$work"/*.log; exit 1; }
