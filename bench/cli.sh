#!/usr/bin/env bash
# Wall time of short CLI commands against a running single node: `pgha --version` (JVM start alone), `pgha check role`
# (one HTTP call to the local daemon), `pgha status` (answered by the local daemon: the store, every member's health
# checks) and `pgha status --store` (the command reads the store and asks the members itself, its fallback). RUNS (default 7)
# runs each, median printed, for the launcher's previous flags (the JIT's two compilers, no class-data archive: "before"),
# with the quick compiler only (PGHA_CDS=0) and for ./pgha as it is (the quick compiler and a class-data archive of the
# jar written by the first command: "after").
# Prints the figures and after/before ratios, and what building the command line's model for one command instead of
# all of them saves (`pgha status --help` against `pgha help status`); asserts nothing.
#   NODES=3 runs them on the first node of an idle 3-node cluster (bench_start_cluster3) instead of a single node.
#   PORT_BASE (default 25600) chooses the single node's ports, as bench/startup.sh.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$root/bench/lib.sh"
bench_ports 25600
bench_workdir cli
runs=${RUNS:-7}
cluster_pids=()
trap 'bench_stop_pgha; bench_stop_cluster3; rm -rf "$work"' EXIT

"$root/pgha" --version >/dev/null # builds the jar first if needed
where="one node"
if [ "${NODES:-1}" = 3 ]; then
  bench_start_cluster3
  # the commands run "on" node-1: its settings, as an operator's shell there has them
  # shellcheck disable=SC2046
  export $(bench_node_env 1)
  export PGHA_ZK_PORT=$((cluster_base + 3))
  where="node-1 of an idle 3-node cluster"
else
  bench_start_pgha
fi
jar=$(ls -t "$root"/app/target/run/pgha-*.jar | head -1)
rm -f "${jar%.jar}.jsa"
"$root/pgha" status >/dev/null # the first command after a build writes the class-data archive
[ -f "${jar%.jar}.jsa" ] || { echo "no class-data archive was written next to $jar"; exit 1; }

# median_of CMD...: runs CMD $runs times (output discarded; a failure stops the bench) and prints the median seconds
median_of() {
  local times=() t0 t1 i
  for ((i = 0; i < runs; i++)); do
    t0=$(now)
    "$@" >/dev/null 2>"$work/cli-err" || { echo "failed: $*"; cat "$work/cli-err"; exit 1; }
    t1=$(now)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

before() { java -XX:+UseSerialGC -XX:MaxRAMPercentage=25 -XX:+ExitOnOutOfMemoryError -jar "$jar" "$@"; }
after() { "$root/pgha" "$@"; }
c1_only() { PGHA_CDS=0 "$root/pgha" "$@"; }

printf '%-40s %10s %12s %10s %8s\n' command "before s" "C1 only s" "after s" ratio
# status: answered by the local daemon; status --store: read from the store by the command itself (its fallback)
for cmd in "--version" "check role" "status" "status --store 127.0.0.1:$PGHA_ZK_PORT"; do
  # shellcheck disable=SC2086 # the command's words
  b=$(median_of before $cmd)
  # shellcheck disable=SC2086
  c=$(median_of c1_only $cmd)
  # shellcheck disable=SC2086
  a=$(median_of after $cmd)
  printf '%-40s %10s %12s %10s %8s\n' "$cmd" "$b" "$c" "$a" "$(ratio "$a" "$b")"
done
echo "(median of $runs runs each; $where on this machine, $(nproc) cores)"
# A command's model alone against every command's: the same usage text, built from the root with that command only
# (pgha status --help) or from the whole tree (pgha help status).
one=$(median_of after status --help)
whole=$(median_of after help status)
printf 'command line model: %s s for one command, %s s for the whole tree (ratio %s)\n' "$one" "$whole" \
  "$(ratio "$one" "$whole")"
