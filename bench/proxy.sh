#!/usr/bin/env bash
# Proxy throughput, CPU cost and footprint, in one run on this machine, pgha's proxy against HAProxy 2.6 in tcp mode
# (installed from Debian when missing) in front of the same postgres, all without TLS unless said:
#  1. throughput: pgbench -S (select-only) with 1, 32 and 256 clients against postgres directly, pgha's proxy and
#     HAProxy, in ROUNDS (default 3) alternating rounds; prints each round's TPS and latency, and the median and
#     minimum of the rounds' ratios (proxy/haproxy, proxy/direct); then direct and proxy with sslmode=require once
#     (the proxy relays TLS untouched);
#  2. CPU per transaction: the proxy process's utime+stime (from /proc) over a fixed pgbench -t run at each client
#     count, minus what it spends idle for as long (pgha's JVM also runs ZooKeeper and the keeper), in ROUNDS
#     alternating rounds: each target's median, and the median and max of the rounds' proxy/haproxy ratios;
#  3. idle sessions: the process's RSS and CPU with IDLE_POINTS (default "1000 3000") authenticated, idle sessions
#     through each proxy: RSS per connection, and CPU seconds per minute at idle. (Each session through either proxy is
#     a postgres backend of a few MB: 10 000 of them do not fit this machine's memory.)
# Measures only; asserts nothing.
#   DURATION (default 10) seconds per pgbench round; PORT_BASE (default 26400) chooses the ports.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
idle_points=${IDLE_POINTS:-1000 3000}
idle=0
for n in $idle_points; do [ "$n" -gt "$idle" ] && idle=$n; done
. "$root/bench/lib.sh"
bench_ports 26400
haproxy_port=$((PG_PROXY_PORT + 2))
export OPERATOR_PASSWORD="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export PGPASSWORD="$OPERATOR_PASSWORD" PGHA_PG_MEMORY=${PGHA_PG_MEMORY:-1GB}

if ! command -v haproxy >/dev/null 2>&1; then
  echo "installing haproxy (Debian) ..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy >/dev/null
fi
pgbench=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench)

bench_workdir proxy
mkdir -p "$PGHA_DATA_DIR"
# Room for the idle sessions and for the 256-client point: postgres's own limit, above the proxy's.
room=$idle; [ "$room" -lt 256 ] && room=256
echo "postgres.maxConnections = $((room + 100))" >"$PGHA_DATA_DIR/pgha.conf"
echo "proxy.maxUnauthenticatedPerAddress = $((idle + 100))" >>"$PGHA_DATA_DIR/pgha.conf"
[ -n "${PROXY_THREADS:-}" ] && echo "proxy.threads = $PROXY_THREADS" >>"$PGHA_DATA_DIR/pgha.conf"
haproxy_pid="" idle_pid=""
cleanup() {
  [ -n "$idle_pid" ] && kill "$idle_pid" 2>/dev/null || true
  [ -n "$haproxy_pid" ] && kill "$haproxy_pid" 2>/dev/null || true
  bench_stop_pgha
  rm -rf "$work"
}
trap cleanup EXIT

"$root/pgha" --version >/dev/null   # builds the jar first if needed
bench_start_pgha

cat >"$work/haproxy.cfg" <<CFG
global
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
listen postgres
  bind 127.0.0.1:$haproxy_port
  server pg 127.0.0.1:$PG_PORT
CFG
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
haproxy_pid=$!
sleep 0.5
kill -0 "$haproxy_pid" 2>/dev/null || { echo "haproxy did not start:"; cat "$work/haproxy.log"; exit 1; }

"$pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q postgres >/dev/null 2>&1

# run PORT CLIENTS [SSLMODE] -> "tps latency_ms"
run() {
  PGSSLMODE=${3:-disable} "$pgbench" -h 127.0.0.1 -p "$1" -U postgres -S -n -c "$2" -j "$(( $2 < 2 ? 1 : 2 ))" \
      -T "$duration" postgres 2>&1 |
    awk '/^latency average/ {lat=$4} /^tps/ {tps=$3} END {printf "%s %s", tps, lat}'
}
port_of() { case $1 in direct*) echo "$PG_PORT" ;; proxy*) echo "$PG_PROXY_PORT" ;; haproxy) echo "$haproxy_port" ;; esac; }
pid_of() { case $1 in proxy*) echo "$pgha_pid" ;; haproxy) echo "$haproxy_pid" ;; esac; }
# cpu_ms PID: the process's utime+stime so far, in ms (all its threads)
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d", ($12 + $13) * 1000 / hz }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
minimum() { sort -g | head -1; }

# Warm-up, not measured: the JVM compiles the relay's hot path under load; a long-running daemon is always warm.
for port in "$PG_PORT" "$PG_PROXY_PORT" "$haproxy_port"; do
  PGSSLMODE=disable "$pgbench" -h 127.0.0.1 -p "$port" -U postgres -S -n -c 8 -j 2 -T 5 postgres >/dev/null 2>&1
done

printf 'pgbench -S, %d rounds of %d s per target after a 5 s warm-up, scale 10, PostgreSQL %s, HAProxy %s, %s cores\n' \
  "$rounds" "$duration" "$("$pgbench" --version | awk '{print $3}')" "$(haproxy -v | awk 'NR==1 {print $3}')" "$(nproc)"
printf '%-8s %-6s %-9s %12s %14s\n' clients round target tps "latency ms"
declare -A tps lat
for c in 1 32 256; do
  : >"$work/ratios-ph-$c"; : >"$work/ratios-pd-$c"; : >"$work/added-p-$c"; : >"$work/added-h-$c"
  for ((r = 1; r <= rounds; r++)); do
    for target in direct proxy haproxy; do
      read -r t l <<<"$(run "$(port_of $target)" "$c")"
      tps[$target]=$t; lat[$target]=$l
      printf '%-8s %-6s %-9s %12.0f %14.3f\n' "$c" "$r" "$target" "$t" "$l"
    done
    awk -v p="${tps[proxy]}" -v h="${tps[haproxy]}" 'BEGIN { print p / h }' >>"$work/ratios-ph-$c"
    awk -v p="${tps[proxy]}" -v d="${tps[direct]}" 'BEGIN { print p / d }' >>"$work/ratios-pd-$c"
    awk -v p="${lat[proxy]}" -v d="${lat[direct]}" 'BEGIN { print (p - d) * 1000 }' >>"$work/added-p-$c"
    awk -v h="${lat[haproxy]}" -v d="${lat[direct]}" 'BEGIN { print (h - d) * 1000 }' >>"$work/added-h-$c"
  done
done
echo "throughput ratios over the rounds (median, min) and added latency (median):"
for c in 1 32 256; do
  printf '%4d clients: proxy/haproxy %.3f (min %.3f), proxy/direct %.3f (min %.3f); added latency: proxy %+.1f us, haproxy %+.1f us\n' \
    "$c" "$(median <"$work/ratios-ph-$c")" "$(minimum <"$work/ratios-ph-$c")" "$(median <"$work/ratios-pd-$c")" \
    "$(minimum <"$work/ratios-pd-$c")" "$(median <"$work/added-p-$c")" "$(median <"$work/added-h-$c")"
done
for c in 1 32; do
  read -r dt _ <<<"$(run "$PG_PORT" "$c" require)"
  read -r pt _ <<<"$(run "$PG_PROXY_PORT" "$c" require)"
  printf '%4d clients, TLS (sslmode=require): direct %.0f TPS, proxy %.0f TPS, proxy/direct %.3f\n' "$c" "$dt" "$pt" \
    "$(awk -v p="$pt" -v d="$dt" 'BEGIN { print p / d }')"
done

# CPU per transaction: a fixed number of transactions through each proxy, its CPU time then, minus its idle CPU
# over as long a time; ROUNDS alternating rounds per client count (one run's 10 ms ticks and its neighbours' noise
# moved a single figure by a tenth and more), each round's pgha/HAProxy ratio kept.
# cpu_per_1000 TARGET CLIENTS TRANSACTIONS_PER_CLIENT -> ms of the proxy's CPU per 1000 transactions
cpu_per_1000() {
  local pid i0 i1 t0 t1 idle_rate c0 c1 s0 s1
  pid=$(pid_of "$1")
  i0=$(cpu_ms "$pid"); t0=$(now); sleep 3; i1=$(cpu_ms "$pid"); t1=$(now)
  idle_rate=$(awk -v a="$i0" -v b="$i1" -v s="$t0" -v e="$t1" 'BEGIN { print (b - a) / (e - s) }') # ms per s
  c0=$(cpu_ms "$pid"); s0=$(now)
  PGSSLMODE=disable "$pgbench" -h 127.0.0.1 -p "$(port_of "$1")" -U postgres -S -n -c "$2" \
    -j "$(( $2 < 2 ? 1 : 2 ))" -t "$3" postgres >/dev/null 2>&1
  c1=$(cpu_ms "$pid"); s1=$(now)
  awk -v a="$c0" -v b="$c1" -v r="$idle_rate" -v s="$s0" -v e="$s1" -v n=$(($2 * $3)) \
    'BEGIN { v = (b - a - r * (e - s)) * 1000 / n; printf "%.1f", v < 0 ? 0 : v }'
}
echo "CPU per 1000 transactions (the proxy process's utime+stime, idle CPU over the same time subtracted), $rounds rounds:"
for c in 1 32 256; do
  per_client=$(( c == 1 ? 30000 : c == 32 ? 3000 : 200 ))
  : >"$work/cpu-proxy-$c"; : >"$work/cpu-haproxy-$c"; : >"$work/cpu-ratio-$c"
  line=""
  for ((r = 1; r <= rounds; r++)); do
    p=$(cpu_per_1000 proxy "$c" "$per_client")
    h=$(cpu_per_1000 haproxy "$c" "$per_client")
    echo "$p" >>"$work/cpu-proxy-$c"; echo "$h" >>"$work/cpu-haproxy-$c"
    awk -v p="$p" -v h="$h" 'BEGIN { print (h > 0) ? p / h : 0 }' >>"$work/cpu-ratio-$c"
    line+="$p/$h "
  done
  printf '%4d clients (%d transactions a round): proxy %s ms, haproxy %s ms (medians); proxy/haproxy median %.2f' \
    "$c" $((c * per_client)) "$(median <"$work/cpu-proxy-$c")" "$(median <"$work/cpu-haproxy-$c")" \
    "$(median <"$work/cpu-ratio-$c")"
  printf ' (max %.2f; rounds proxy/haproxy ms: %s)\n' "$(sort -g "$work/cpu-ratio-$c" | tail -1)" "${line% }"
done

# Idle sessions through each proxy: RSS and CPU at idle, at each point.
jar=$(ls -t "$root"/app/target/run/pgha-*.jar | head -1)
echo "idle sessions (authenticated, then idle; the proxy process alone, postgres's memory not counted):"
for target in proxy haproxy; do
  pid=$(pid_of $target)
  before=$(rss_kb "$pid")
  opened=0
  for n in $idle_points; do
    coproc IDLE { exec java -XX:+UseSerialGC -cp "$jar" "$root/bench/IdleConnections.java" "$(port_of $target)" "$n"; }
    idle_pid=$IDLE_PID
    read -r line <&"${IDLE[0]}" || { echo "opening $n idle connections through $target failed"; exit 1; }
    sleep 2
    with=$(rss_kb "$pid")
    c0=$(cpu_ms "$pid"); t0=$(now); sleep 10; c1=$(cpu_ms "$pid"); t1=$(now)
    printf '  %-8s %5d sessions: RSS %4d MB -> %4d MB (%.1f KB per connection); CPU at idle %.2f s per minute\n' \
      "$target" "$n" $((before / 1024)) $((with / 1024)) \
      "$(awk -v a="$before" -v b="$with" -v n="$n" 'BEGIN { print (b - a) / n }')" \
      "$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" 'BEGIN { print (b - a) / 1000 * 60 / (e - s) }')"
    exec {IDLE[1]}>&-
    wait "$idle_pid" 2>/dev/null || true
    idle_pid=""
    sleep 2 # the sessions close
  done
done
