#!/usr/bin/env bash
# Memory of an idle 3-node cluster (separate pgha JVMs on 127.0.0.1, embedded ZooKeeper ensemble), each started by
# `./pgha start`: the daemon's one JVM profile (ops/jvm-daemon.args, the container image's too) with its class-data
# archive (written first by a single-node run when this build has none, as the image's is trained at build time).
# Prints each daemon's RSS (goal: <= 128 MB for an idle member, all roles) next to its postgres's memory (PSS summed
# over the postmaster and its children, so shared buffers count once). Waits SETTLE seconds (default 30) after the
# cluster is healthy, then reads each daemon's and its postgres's CPU time over CPU_WINDOW more seconds (default 30:
# what an idle member costs, in CPU seconds per minute) and their memory. The daemon's CPU is printed whole and
# without its JIT compiler threads, which still compile minutes after the start (how much of that a window catches
# varies from run to run: compare the second figure); the last row sums the members. Asserts nothing.
#   PGHA_JAVA_OPTS adds flags (e.g. to compare); PGHA_CDS=0 measures without the archive; PGHA_PG_MEMORY (default
#   256MB) is what postgres is tuned for; NMT=1 adds each daemon's memory by JVM area (Native Memory Tracking, MB
#   committed) and what its RSS holds outside them (the JVM's code, the C library's free lists).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$root/bench/lib.sh"
settle=${SETTLE:-30}
"$root/pgha" --version >/dev/null   # builds the jar first if needed
jar=$(ls -t "$root"/app/target/run/pgha-*.jar | head -1)
work=$(mktemp -d /tmp/pgha-bench-rss.XXXXXX)
chmod 711 "$work"
cluster_pids=()
cleanup() {
  bench_stop_cluster3
  bench_stop_pgha
  rm -rf "$work"
}
trap cleanup EXIT

bench_ports 24400
bench_daemon_archive "$jar"
nmt=()
[ -n "${NMT:-}" ] && nmt=(-XX:NativeMemoryTracking=summary)

PGHA_JAVA_OPTS="${nmt[*]} ${PGHA_JAVA_OPTS:-}" bench_start_cluster3
sleep "$settle"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in clock ticks
jit_ticks() { # of daemon $1's JIT compiler threads: warming up, they still work minutes after the start
  local total=0 t
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      "C1 CompilerThre"* | "C2 CompilerThre"*) total=$((total + $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0))) ;;
    esac
  done
  echo "$total"
}
pg_procs() { # /proc entries of every process whose working directory is PGDATA $1 (postgres chdirs there)
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/cwd" 2>/dev/null)" = "$1" ] && echo "$p"
  done
  return 0
}
pg_ticks() { # of node $1's postgres processes (backends that ended meanwhile are lost)
  local total=0 p
  for p in $(pg_procs "$work/node-$1/postgres"); do
    total=$((total + $(awk '{print $14 + $15}' "$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
sample() { # sample WHEN: each node's daemon, JIT and postgres ticks into cpu_WHEN, jit_WHEN and pg_WHEN
  local -n cpu=cpu_$1 jit=jit_$1 pg=pg_$1
  local i
  for i in 1 2 3; do
    cpu+=("$(cpu_ticks "${cluster_pids[$((i - 1))]}")")
    jit+=("$(jit_ticks "${cluster_pids[$((i - 1))]}")")
    pg+=("$(pg_ticks "$i")")
  done
}
window=${CPU_WINDOW:-30}
cpu_before=() jit_before=() pg_before=() cpu_after=() jit_after=() pg_after=()
sample before
sleep "$window"
sample after
per_min() { # CPU seconds per minute over the window, from ticks $1 and $2
  awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" -v w="$window" 'BEGIN { printf "%.2f", (b - a) / hz * 60 / w }'
}

rss_mb() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
pg_pss_mb() { # PSS of the postgres processes of PGDATA $1
  local total=0 p
  for p in $(pg_procs "$1"); do
    total=$((total + $(awk '/^Pss:/ {print $2}' "$p/smaps_rollup" 2>/dev/null || echo 0)))
  done
  echo $((total / 1024))
}
cds="with"
[ "${PGHA_CDS:-1}" = 0 ] && cds="without"
printf 'pgha memory and idle CPU, 3-node cluster idle for %ss + %ss (ops/jvm-daemon.args%s, %s class-data archive, postgres tuned for %s, %s cores)\n' \
  "$settle" "$window" "${PGHA_JAVA_OPTS:+ + $PGHA_JAVA_OPTS}" "$cds" "${PGHA_PG_MEMORY:-256MB}" "$(nproc)"
# The daemon's CPU apart from its JIT compilers too: what it costs once warm, and a figure that compares between runs
# (how much compiling a window catches varies from run to run).
printf '  %-8s %-8s %14s %18s %16s %16s %18s\n' member role "daemon RSS MB" "postgres PSS MB" "daemon CPU s/min" \
  "but JIT s/min" "postgres CPU s/min"
sum_cpu=0 sum_warm=0 sum_pg=0
for i in 1 2 3; do
  role=replica
  grep -q "serving as the cluster's leader" "$work/node-$i.log" && role=leader
  k=$((i - 1))
  cpu=$((cpu_after[k] - cpu_before[k])) jit=$((jit_after[k] - jit_before[k])) pg=$((pg_after[k] - pg_before[k]))
  sum_cpu=$((sum_cpu + cpu)) sum_warm=$((sum_warm + cpu - jit)) sum_pg=$((sum_pg + pg))
  printf '  %-8s %-8s %14s %18s %16s %16s %18s\n' "node-$i" "$role" "$(rss_mb "${cluster_pids[$k]}")" \
    "$(pg_pss_mb "$work/node-$i/postgres")" "$(per_min 0 "$cpu")" "$(per_min 0 $((cpu - jit)))" "$(per_min 0 "$pg")"
done
printf '  %-8s %-8s %14s %18s %16s %16s %18s\n' "all" "" "" "" "$(per_min 0 "$sum_cpu")" "$(per_min 0 "$sum_warm")" \
  "$(per_min 0 "$sum_pg")"
if [ -n "${NMT:-}" ]; then # where each daemon's memory goes (MB committed, from Native Memory Tracking)
  printf '  %-8s' member
  cats=("Java Heap" "Shared class space" "Metaspace" "Class" "Symbol" "Code" "Thread" "Arena Chunk")
  for c in "${cats[@]}"; do printf ' %9s' "${c%% *}"; done
  printf ' %9s %9s\n' "NMT total" "outside"
  for i in 1 2 3; do
    p=${cluster_pids[$((i - 1))]}
    summary=$(jcmd "$p" VM.native_memory summary)
    printf '  %-8s' "node-$i"
    for c in "${cats[@]}"; do
      printf ' %9s' "$(awk -v c="$c" 'index($0, "- ") && index($0, c " (") { sub(/.*committed=/, ""); print int($0 / 1024); exit }' <<<"$summary")"
    done
    total=$(awk '/^Total:/ { sub(/.*committed=/, ""); print int($0 / 1024) }' <<<"$summary")
    printf ' %9s %9s\n' "$total" "$(($(rss_mb "$p") - total))"
  done
fi
