#!/usr/bin/env bash
# A single node under a CPU-bound load on its own postgres: pgbench -S with CLIENTS (default 256) clients straight at
# postgres (port 5433's equivalent, not through the proxy) for DURATION (default 10) seconds per round, ROUNDS
# (default 4) rounds each with the store threads at real-time priority (store.realtimeThreads, the default) and
# without, alternating, one daemon each. Prints per round the TPS, the fencings (the keeper stopping its own primary
# because its store heartbeats stalled past store.sessionTimeout) and the store session's expiries, then the totals
# per setting. The goal is no fencing. Measures only; asserts nothing. PORT_BASE (default 27400) chooses the ports.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
duration=${DURATION:-10}
rounds=${ROUNDS:-4}
clients=${CLIENTS:-256}
. "$root/bench/lib.sh"
bench_ports 27400
export OPERATOR_PASSWORD="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export PGPASSWORD="$OPERATOR_PASSWORD" PGHA_PG_MEMORY=${PGHA_PG_MEMORY:-1GB}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
"$root/pgha" --version >/dev/null   # builds the jar first if needed
bench_workdir busy
trap 'bench_stop_pgha; rm -rf "$work"' EXIT

declare -A fenced expired tps_all
for setting in true false; do fenced[$setting]=0; expired[$setting]=0; tps_all[$setting]=""; done
echo "pgbench -S -c $clients -j 2 -T $duration straight at postgres, $rounds rounds per setting, alternating"
printf '%-6s %-24s %8s %9s %16s\n' round store.realtimeThreads tps fencings "session expiries"
for round in $(seq 1 "$rounds"); do
  for setting in true false; do
    export PGHA_DATA_DIR="$work/data-$setting" PGHA_STORE_REALTIME=$setting
    if [ ! -d "$PGHA_DATA_DIR" ]; then
      mkdir -p "$PGHA_DATA_DIR"
      echo "postgres.maxConnections = $((clients + 50))" >"$PGHA_DATA_DIR/pgha.conf"
    fi
    bench_start_pgha
    [ -f "$PGHA_DATA_DIR/.bench-filled" ] || {
      "$bin/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q postgres >/dev/null 2>&1
      touch "$PGHA_DATA_DIR/.bench-filled"
    }
    sleep 2 # the store threads are raised within 2 s of starting
    log_start=$(wc -l <"$work/stdout")
    "$bin/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -S -n -c "$clients" -j 2 -T "$duration" postgres \
      >"$work/pgbench.out" 2>&1 || true # a fencing aborts clients
    tps=$(awk '/^tps/ {print $3}' "$work/pgbench.out")
    [ -n "$tps" ] || { echo "pgbench printed no TPS (DURATION too short for $clients clients to connect?):"; tail -n 3 "$work/pgbench.out"; }
    sleep 3 # a fencing may be logged just after the load
    f=$(tail -n +"$((log_start + 1))" "$work/stdout" | grep -c "fencing: stopping the local primary" || true)
    e=$(tail -n +"$((log_start + 1))" "$work/stdout" | grep -c "store session lost\|session expired" || true)
    fenced[$setting]=$((fenced[$setting] + (f > 0 ? 1 : 0)))
    expired[$setting]=$((expired[$setting] + e))
    tps_all[$setting]="${tps_all[$setting]} ${tps:-0}"
    printf '%-6s %-24s %8.0f %9s %16s\n' "$round" "$setting" "${tps:-0}" "$f" "$e"
    [ "$setting" = true ] && grep -h "real-time" "$work/stdout" | head -1 | cut -c1-160 >"$work/realtime.line" || true
    bench_stop_pgha
  done
done
echo
for setting in true false; do
  median=$(echo "${tps_all[$setting]}" | tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  printf 'store.realtimeThreads = %-5s rounds with a fencing: %d of %d, session expiries: %d, median TPS %.0f\n' \
    "$setting" "${fenced[$setting]}" "$rounds" "${expired[$setting]}" "$median"
done
echo "the daemon said: $(cat "$work/realtime.line")"
