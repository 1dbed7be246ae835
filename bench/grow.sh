#!/usr/bin/env bash
# Online growth, in one run on this machine: a single node on the embedded default with a database of SCALE (default
# 70, about 1 GB) pgbench scale and a client writing through its proxy every 10 ms; then a second node started with
# PGHA_JOIN. Times (a) the second node's start -> it streams as a synchronous standby (pg_stat_replication on the
# leader: sync_state quorum or sync) vs (b) a raw pg_basebackup of the same database to a local directory (the
# floor: what cloning costs); prints the ratio (goal <= 1.2) and the writer's longest gap between two acknowledged
# writes during the join (goal <= 0.5 s) and its errors. Measures only; asserts nothing. PORT_BASE (default 26800)
# chooses the first node's ports, +200 the second's.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
scale=${SCALE:-70}
. "$root/bench/lib.sh"
base=${PORT_BASE:-26800}
PORT_BASE=$base bench_ports "$base"
export OPERATOR_PASSWORD="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export SU_PASSWORD="su-$OPERATOR_PASSWORD" REPL_PASSWORD="repl-$OPERATOR_PASSWORD"
export PGHA_STORE_SECRET="store-$OPERATOR_PASSWORD"
export PGPASSWORD="$OPERATOR_PASSWORD" PGHA_PG_MEMORY=${PGHA_PG_MEMORY:-512MB} PGHA_SHOW_CREDENTIALS=false
export PGHA_NODE_ID=grow-1
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

bench_workdir grow
joiner_pid="" writer_pid=""
cleanup() {
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
  if [ -n "$joiner_pid" ] && kill -0 "$joiner_pid" 2>/dev/null; then
    kill -TERM "$joiner_pid"; wait "$joiner_pid" 2>/dev/null || true
  fi
  bench_stop_pgha
  rm -rf "$work"
}
trap cleanup EXIT

"$root/pgha" --version >/dev/null
bench_start_pgha
bench_pgbench_init "$scale"

# (b) the floor: pg_basebackup of the same database, as the joiner's clone is
mkdir -p "$work/basebackup" && chown postgres "$work/basebackup"
t0=$(now)
su postgres -s /bin/sh -c "PGPASSWORD=$REPL_PASSWORD $bin/pg_basebackup -h 127.0.0.1 -p $PG_PORT -U repluser \
  -D $work/basebackup/data -X stream -c fast" >/dev/null
t_base=$(secs "$t0" "$(now)")
rm -rf "$work/basebackup"

# the writer: one INSERT every 10 ms through the first node's proxy, each completion logged by pgbench
psql_leader "CREATE TABLE IF NOT EXISTS grow_writes(id bigserial PRIMARY KEY, at timestamptz DEFAULT now())"
echo "INSERT INTO grow_writes DEFAULT VALUES;" >"$work/insert.sql"
(cd "$work" && exec "$bin/pgbench" -h 127.0.0.1 -p "$PG_PROXY_PORT" -U postgres -n -c 1 -R 100 -T 100000 \
  -f "$work/insert.sql" -l --log-prefix="$work/writer" postgres >"$work/writer.out" 2>&1) &
writer_pid=$!
sleep 2

# (a) the second node joins
mkdir -p "$work/joiner"
t0=$(now)
env PGHA_DATA_DIR="$work/joiner/data" PGHA_NODE_ID=grow-2 PGHA_JOIN="127.0.0.1:$PGHA_ZK_PORT" \
  PG_PROXY_PORT=$((PG_PROXY_PORT + 200)) PG_PORT=$((PG_PORT + 200)) PGHA_ZK_PORT=$((PGHA_ZK_PORT + 200)) \
  PGHA_ZK_PEER_PORT=$((PGHA_ZK_PEER_PORT + 200)) PGHA_ZK_ELECTION_PORT=$((PGHA_ZK_ELECTION_PORT + 200)) \
  PGHA_HTTP_PORT=$((PGHA_HTTP_PORT + 200)) PGHA_METRICS_PORT=$((PGHA_METRICS_PORT + 200)) \
  "$root/pgha" start >"$work/joiner.log" 2>&1 &
joiner_pid=$!
until [ "$(psql_leader "SELECT count(*) FROM pg_stat_replication
                        WHERE application_name = 'grow-2' AND sync_state IN ('sync', 'quorum')" 2>/dev/null)" = 1 ]; do
  kill -0 "$joiner_pid" 2>/dev/null || { echo "the joining node exited:"; tail -20 "$work/joiner.log"; exit 1; }
  sleep 0.1
done
t_join=$(secs "$t0" "$(now)")
sleep 2
kill "$writer_pid" 2>/dev/null || true
wait "$writer_pid" 2>/dev/null || true
writer_pid=""

# the writer's completions (epoch seconds and microseconds in columns 5 and 6), from the join's start on
gap=$(cat "$work"/writer* 2>/dev/null | awk -v from="$t0" 'NF >= 6 { t = $5 + $6 / 1e6; if (t >= from) printf "%.6f\n", t }' \
  | sort -n | awk 'NR > 1 && $1 - prev > longest { longest = $1 - prev } { prev = $1 } END { printf "%.3f", longest }')
writes=$(cat "$work"/writer.[0-9]* 2>/dev/null | wc -l)
errors=$(grep -c "ERROR\|FATAL\|aborted" "$work/writer.out" || true)

echo "database: $size (pgbench scale $scale)"
printf '%-58s %8s\n' "what" "seconds"
printf '%-58s %8s\n' "(a) PGHA_JOIN start -> streaming as a synchronous standby" "$t_join"
printf '%-58s %8s\n' "(b) pg_basebackup -X stream of the same database" "$t_base"
echo "ratio join / pg_basebackup: $(ratio "$t_join" "$t_base") (goal <= 1.2)"
echo "writer: $writes writes every 10 ms through the first node's proxy, longest gap during the join ${gap} s" \
  "(goal <= 0.5), errors: $errors"
# where the join's time goes: seconds after the joiner's start at which each step was logged
phase() {  # $1 file, $2 pattern, $3 label
  local at; at=$(grep -m1 "$2" "$1" 2>/dev/null | cut -d' ' -f1)
  [ -n "$at" ] && printf '  %-52s +%5.1f s\n' "$3" "$(awk -v a="$t0" -v b="$(date -d "$at" +%s.%N)" 'BEGIN { print b - a }')"
}
echo "the join, step by step:"
phase "$work/joiner.log" "starting member" "daemon started (JVM up, configuration read)"
phase "$work/joiner.log" "is a member of the ensemble now" "its ZooKeeper server is a member of the ensemble"
phase "$work/joiner.log" "cloning member .* with pg_basebackup" "clone started"
phase "$work/joiner.log" "cloned member" "clone done"
phase "$work/joiner.log" "postgres is ready" "postgres up as a standby"
phase "$work/stdout" "synchronous_standby_names = .*grow-2" "the leader waits for it (synchronous_standby_names)"
phase "$work/stdout" "synchronous standbys: grow-2" "the view counts it as a synchronous standby"
