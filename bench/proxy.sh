#!/usr/bin/env bash
# Proxy throughput and overhead, in one run on this machine: pgbench -S (select-only) with 1 and 32 clients
# against (a) postgres directly, (b) pgha's proxy, (c) HAProxy 2.6 in tcp mode (installed from Debian when
# missing) in front of the same postgres, all without TLS; then (d) direct and (e) through the proxy with
# sslmode=require (the proxy relays TLS untouched). Prints TPS and average latency for each and the ratios, then the
# daemon's RSS growth with 2000 idle sessions through the proxy. Measures only; asserts nothing.
#   DURATION (default 20) seconds per pgbench run; PORT_BASE (default 26400) chooses the ports.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
duration=${DURATION:-20}
idle=${IDLE_CONNECTIONS:-2000}
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
# Room for the idle sessions: postgres's own limit, above the proxy's.
echo "postgres.maxConnections = $((idle + 100))" >"$PGHA_DATA_DIR/pgha.conf"
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

# Warm-up, not measured: the JVM compiles the relay's hot path under load; a long-running daemon is always warm.
for port in "$PG_PORT" "$PG_PROXY_PORT" "$haproxy_port"; do
  PGSSLMODE=disable "$pgbench" -h 127.0.0.1 -p "$port" -U postgres -S -n -c 8 -j 2 -T 5 postgres >/dev/null 2>&1
done

printf 'pgbench -S, %d s per run after a 5 s warm-up, scale 10, PostgreSQL %s, HAProxy %s, %s cores\n' "$duration" \
  "$("$pgbench" --version | awk '{print $3}')" "$(haproxy -v | awk 'NR==1 {print $3}')" "$(nproc)"
printf '%-8s %-9s %12s %14s\n' clients target tps "latency ms"
declare -A tps lat
for c in 1 32; do
  for target in direct proxy haproxy direct-tls proxy-tls; do
    case $target in direct*) port=$PG_PORT ;; proxy*) port=$PG_PROXY_PORT ;; haproxy) port=$haproxy_port ;; esac
    case $target in *-tls) mode=require ;; *) mode=disable ;; esac
    read -r t l <<<"$(run "$port" "$c" "$mode")"
    tps[$target$c]=$t; lat[$target$c]=$l
    printf '%-8s %-9s %12.0f %14.3f\n' "$c" "$target" "$t" "$l"
  done
done
for c in 1 32; do
  awk -v c="$c" -v d="${tps[direct$c]}" -v p="${tps[proxy$c]}" -v h="${tps[haproxy$c]}" \
      -v ld="${lat[direct$c]}" -v lp="${lat[proxy$c]}" -v lh="${lat[haproxy$c]}" 'BEGIN {
    printf "%2d clients: proxy/direct %.3f, proxy/haproxy %.3f; added latency: proxy %+.1f us, haproxy %+.1f us\n",
      c, p / d, p / h, (lp - ld) * 1000, (lh - ld) * 1000 }'
  awk -v c="$c" -v d="${tps[direct-tls$c]}" -v p="${tps[proxy-tls$c]}" -v pd="${tps[proxy$c]}" -v dd="${tps[direct$c]}" 'BEGIN {
    printf "%2d clients, TLS (sslmode=require): proxy/direct %.3f (without TLS %.3f); TLS costs direct %.3f, proxy %.3f of plain TPS\n",
      c, p / d, pd / dd, d / dd, p / pd }'
done

# Idle sessions: the daemon's RSS before and with them (postgres's own memory is not counted).
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pgha_pid/status"; }
before=$(rss)
jar=$(ls -t "$root"/app/target/run/pgha-*.jar | head -1)
coproc IDLE { exec java -XX:+UseSerialGC -cp "$jar" "$root/bench/IdleConnections.java" "$PG_PROXY_PORT" "$idle"; }
idle_pid=$IDLE_PID
read -r line <&"${IDLE[0]}" || { echo "opening idle connections failed"; exit 1; }
sleep 2
with=$(rss)
printf '%d idle sessions through the proxy: daemon RSS %d MB -> %d MB (+%d KB, %.1f KB per connection)\n' \
  "$idle" $((before / 1024)) $((with / 1024)) $((with - before)) "$(awk -v a="$before" -v b="$with" -v n="$idle" 'BEGIN {print (b - a) / n}')"
exec {IDLE[1]}>&-
wait "$idle_pid" 2>/dev/null || true
idle_pid=""
