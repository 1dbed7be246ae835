#!/usr/bin/env bash
# The proxy's transports side by side: two single-node daemons at once, one on io_uring and one on epoll
# (-Dpgha.transport), pgbench -S through each proxy in ROUNDS (default 6) alternating rounds of a fixed number of
# transactions at 1, 32 and 256 clients. Prints each round's TPS and the daemon's CPU per 1000 transactions (its
# utime+stime, its idle rate subtracted), then the medians and the io_uring/epoll ratios. Asserts nothing; needs a
# kernel that allows io_uring. PORT_BASE (default 27400) chooses the ports: the epoll daemon's are 1000 above.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
rounds=${ROUNDS:-6}
first=${PORT_BASE:-27400}
. "$root/bench/lib.sh"
export OPERATOR_PASSWORD="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export PGPASSWORD="$OPERATOR_PASSWORD" PGHA_PG_MEMORY=${PGHA_PG_MEMORY:-1GB}
pgbench=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pgbench
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d", ($12 + $13) * 1000 / hz }' "/proc/$1/stat"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A pid port dir
cleanup() {
  for v in io_uring epoll; do
    [ -n "${pid[$v]:-}" ] && kill -TERM "${pid[$v]}" 2>/dev/null && wait "${pid[$v]}" 2>/dev/null
    [ -n "${dir[$v]:-}" ] && rm -rf "${dir[$v]}"
  done
  true
}
trap cleanup EXIT
"$root/pgha" --version >/dev/null   # builds the jar first if needed
for v in io_uring epoll; do
  PORT_BASE=$([ $v = io_uring ] && echo "$first" || echo $((first + 1000))) bench_ports 0
  bench_workdir "transport-$v"
  dir[$v]=$work
  mkdir -p "$PGHA_DATA_DIR"
  echo "postgres.maxConnections = 400" >"$PGHA_DATA_DIR/pgha.conf"
  PGHA_JAVA_OPTS="-Dpgha.transport=$v ${PGHA_JAVA_OPTS:-}" bench_start_pgha
  pid[$v]=$pgha_pid
  port[$v]=$PG_PROXY_PORT
  "$pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q postgres >/dev/null 2>&1
  # warm-up, not measured: the JVM compiles the relay's hot path under load
  PGSSLMODE=disable "$pgbench" -h 127.0.0.1 -p "$PG_PROXY_PORT" -U postgres -S -n -c 8 -j 2 -T 8 postgres >/dev/null 2>&1
done
declare -A idle
for v in io_uring epoll; do
  a=$(cpu_ms "${pid[$v]}"); sleep 5; b=$(cpu_ms "${pid[$v]}")
  idle[$v]=$(( (b - a) / 5 ))
done
printf 'pgbench -S through each proxy, %d alternating rounds, scale 10, %s cores; idle CPU ms/s: io_uring %d, epoll %d\n' \
  "$rounds" "$(nproc)" "${idle[io_uring]}" "${idle[epoll]}"
for ((r = 1; r <= rounds; r++)); do
  for c in 1 32 256; do
    n=$(( c == 1 ? 15000 : c == 32 ? 2000 : 300 ))
    order="io_uring epoll"; [ $((r % 2)) = 0 ] && order="epoll io_uring"
    for v in $order; do
      a=$(cpu_ms "${pid[$v]}"); t0=$(date +%s.%N)
      tps=$(PGSSLMODE=disable "$pgbench" -h 127.0.0.1 -p "${port[$v]}" -U postgres -S -n -c "$c" \
              -j $(( c < 2 ? 1 : 2 )) -t "$n" postgres 2>&1 | awk '/^tps/ {print $3}')
      t1=$(date +%s.%N); b=$(cpu_ms "${pid[$v]}")
      awk -v r="$r" -v c="$c" -v v="$v" -v cpu=$((b - a)) -v idle="${idle[$v]}" -v t0="$t0" -v t1="$t1" \
          -v tx=$((n * c)) -v tps="$tps" 'BEGIN { printf "round %d  %3d clients  %-8s  %7.0f TPS  %6.2f ms CPU per 1000 tx\n",
            r, c, v, tps, (cpu - idle * (t1 - t0)) * 1000 / tx }' | tee -a "${dir[io_uring]}/rounds"
    done
  done
done
declare -A t m
echo "medians over the rounds, and io_uring / epoll:"
for c in 1 32 256; do
  for v in io_uring epoll; do
    t[$v]=$(awk -v c="$c" -v v="$v" '$3 == c && $5 == v {print $6}' "${dir[io_uring]}/rounds" | median)
    m[$v]=$(awk -v c="$c" -v v="$v" '$3 == c && $5 == v {print $8}' "${dir[io_uring]}/rounds" | median)
  done
  awk -v c="$c" -v ti="${t[io_uring]}" -v te="${t[epoll]}" -v mi="${m[io_uring]}" -v me="${m[epoll]}" 'BEGIN {
    printf "%4d clients: CPU per 1000 tx io_uring %.1f ms, epoll %.1f ms (%.2f); TPS io_uring %.0f, epoll %.0f (%.2f)\n",
      c, mi, me, mi / me, ti, te, ti / te }'
done
