#!/usr/bin/env bash
# Backups through pgha vs by hand, in one run on this machine: a single node with a filesystem repository and a
# database of SCALE (default 70, about 1 GB) pgbench scale. Times (a) `pgha backup create` (full) vs (b) the same
# pgbackrest backup run by hand with pgha's pgbackrest.conf vs (c) pg_basebackup to a local directory; (d) a new
# cluster restored by pgha (PGHA_RESTORE_FROM, first start to ready) vs (e) pgbackrest restore + postgres replaying to
# the end of the archive and promoting, by hand; then (f) the archive lag under a pgbench write load of LOAD_SECONDS
# (default 60): every second, how long the oldest WAL not yet archived has been waiting. Prints the times and ratios.
# Measures only; asserts nothing.   PORT_BASE (default 26600) chooses the ports.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
scale=${SCALE:-70}
load_seconds=${LOAD_SECONDS:-60}
. "$root/bench/lib.sh"
bench_ports 26600
export OPERATOR_PASSWORD="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export SU_PASSWORD="su-$OPERATOR_PASSWORD" REPL_PASSWORD="repl-$OPERATOR_PASSWORD"
export PGPASSWORD="$OPERATOR_PASSWORD" PGHA_PG_MEMORY=${PGHA_PG_MEMORY:-1GB} PGHA_SHOW_CREDENTIALS=false
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
command -v pgbackrest >/dev/null || { echo "pgbackrest is missing: run scripts/setup.sh" >&2; exit 1; }

bench_workdir backup
repo="$work/repo"
export PGHA_BACKUP_PATH="$repo"
restored_pid="" hand_pg=""
cleanup() {
  [ -n "$restored_pid" ] && kill -TERM "$restored_pid" 2>/dev/null && wait "$restored_pid" 2>/dev/null || true
  [ -n "$hand_pg" ] && su postgres -s /bin/sh -c "$bin/pg_ctl -D $hand_pg -m immediate stop" >/dev/null 2>&1 || true
  bench_stop_pgha
  rm -rf "$work"
}
trap cleanup EXIT

"$root/pgha" --version >/dev/null
bench_start_pgha
bench_pgbench_init "$scale"
conf="$PGHA_DATA_DIR/pgbackrest/pgbackrest.conf"

# two rounds, alternating, so that neither side alone gets a cold cache; the faster run of each counts
hand_backup() {
  su postgres -s /bin/sh -c "unset PGPASSWORD; PGPASSFILE=$PGHA_DATA_DIR/pgbackrest/pgpass pgbackrest \
    --config=$conf --stanza=pgha backup --type=full" >"$work/hand-backup.log" 2>&1 \
    || { echo "pgbackrest backup by hand failed:"; tail -5 "$work/hand-backup.log"; exit 1; }
}
t_pgha=999999 t_hand=999999
for round in 1 2; do
  t0=$(now); "$root/pgha" backup create >/dev/null; t=$(secs "$t0" "$(now)")
  t_pgha=$(awk -v a="$t" -v b="$t_pgha" 'BEGIN { print (a < b ? a : b) }')
  t0=$(now); hand_backup; t=$(secs "$t0" "$(now)")
  t_hand=$(awk -v a="$t" -v b="$t_hand" 'BEGIN { print (a < b ? a : b) }')
done
# the daemon's part of the last pgha run: claimed the request -> recorded the outcome (the rest is the CLI's JVM)
ts() { date -d "$(grep "$1" "$work/stdout" | tail -1 | cut -d' ' -f1)" +%s.%N; }
t_daemon=$(secs "$(ts 'backup: taking a full backup')" "$(ts 'backup: full backup .* finished in')")
mkdir -p "$work/basebackup" && chown postgres "$work/basebackup"
t0=$(now)
su postgres -s /bin/sh -c "PGPASSWORD=$REPL_PASSWORD $bin/pg_basebackup -h 127.0.0.1 -p $PG_PORT -U repluser \
  -D $work/basebackup/data -X stream -c fast" >/dev/null
t_base=$(secs "$t0" "$(now)")

# (d) restore through pgha: a new node, first start to ready
rport=$((PG_PROXY_PORT + 100))
mkdir -p "$work/restored"
t0=$(now)
env PGHA_DATA_DIR="$work/restored" FLY_APP_NAME=restored PGHA_RESTORE_FROM=pgha PG_PROXY_PORT=$rport \
  PG_PORT=$((rport + 1)) PGHA_ZK_PORT=$((rport + 2)) PGHA_HTTP_PORT=$((rport + 3)) PGHA_METRICS_PORT=$((rport + 4)) \
  PGHA_ZK_PEER_PORT=$((rport + 5)) PGHA_ZK_ELECTION_PORT=$((rport + 6)) "$root/pgha" start >"$work/restored.log" 2>&1 &
restored_pid=$!
until grep -q 'ready: clients connect' "$work/restored.log" 2>/dev/null; do
  kill -0 "$restored_pid" 2>/dev/null || { echo "the restore failed:"; tail -20 "$work/restored.log"; exit 1; }
  sleep 0.1
done
t_restore_pgha=$(secs "$t0" "$(now)")
kill -TERM "$restored_pid"; wait "$restored_pid" 2>/dev/null || true; restored_pid=""

# (e) the same by hand: pgbackrest restore, then postgres replays to the end of the archive and promotes
hand_pg="$work/hand"
mkdir -p "$hand_pg" "$work/handlog" && chown postgres "$hand_pg" "$work/handlog" && chmod 700 "$hand_pg"
t0=$(now)
su postgres -s /bin/sh -c "pgbackrest --config=$conf --stanza=pgha restore --pg1-path=$hand_pg --type=default" \
  >"$work/hand-restore.log" 2>&1 || { echo "restore by hand failed:"; tail -5 "$work/hand-restore.log"; exit 1; }
su postgres -s /bin/sh -c "$bin/pg_ctl -D $hand_pg -w -t 3600 -o '-p $((rport + 11)) -c archive_mode=off \
  -c unix_socket_directories=$work/handlog -c listen_addresses=127.0.0.1' -l $work/handlog/hand.log start" >/dev/null
until [ "$(PGPASSWORD=$SU_PASSWORD "$bin/psql" -h 127.0.0.1 -p $((rport + 11)) -U flypgadmin -d postgres -Atqc \
  'SELECT pg_is_in_recovery()' 2>/dev/null)" = "f" ]; do sleep 0.1; done
t_restore_hand=$(secs "$t0" "$(now)")
su postgres -s /bin/sh -c "$bin/pg_ctl -D $hand_pg -m fast stop" >/dev/null; hand_pg=""

# (f) archive lag under writes
echo "archive lag under pgbench (8 clients, $load_seconds s) ..."
"$bin/pgbench" -h 127.0.0.1 -p "$PG_PROXY_PORT" -U postgres -c 8 -j 2 -T "$load_seconds" postgres >"$work/pgbench.out" 2>&1 &
load=$!
declare -A first_seen=()
lags=()
while kill -0 "$load" 2>/dev/null; do
  read -r current archived < <(psql_leader "SELECT pg_walfile_name(pg_current_wal_lsn()),
    COALESCE((SELECT last_archived_wal FROM pg_stat_archiver), '')" | tr '|' ' ')
  t=$(date +%s)
  [ -z "${first_seen[$current]:-}" ] && first_seen[$current]=$t
  # the oldest segment not archived yet is the one after the last archived; it has waited since it was first current
  oldest=$t
  for seg in "${!first_seen[@]}"; do
    if [[ "$seg" > "$archived" && "$seg" < "$current" ]] && [ "${first_seen[$seg]}" -lt "$oldest" ]; then
      oldest=${first_seen[$seg]}
    fi
  done
  lags+=($((t - oldest)))
  sleep 1
done
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.out" | head -1)
max_lag=$(printf '%s\n' "${lags[@]}" | sort -n | tail -1)
p95_lag=$(printf '%s\n' "${lags[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.95+0.5)]}')

echo
echo "database: $size (pgbench scale $scale)"
printf '%-52s %8s s\n' "full backup: pgha backup create (CLI included)" "$t_pgha" "full backup: pgbackrest backup by hand" "$t_hand" \
  "pg_basebackup -X stream (local directory)" "$t_base" "restore: pgha (new cluster, first start to ready)" \
  "$t_restore_pgha" "restore: pgbackrest restore + replay + promote by hand" "$t_restore_hand"
echo "  of which inside the daemon (claim to recorded outcome): $t_daemon s"
echo "ratio backup pgha / by hand:     $(ratio "$t_pgha" "$t_hand")   (goal <= 1.1)"
echo "ratio backup pgha daemon part / by hand: $(ratio "$t_daemon" "$t_hand")"
echo "ratio backup pgha / pg_basebackup: $(ratio "$t_pgha" "$t_base")"
echo "ratio restore pgha / by hand:    $(ratio "$t_restore_pgha" "$t_restore_hand")   (goal <= 1.1)"
echo "archive lag under $tps TPS: max ${max_lag} s, p95 ${p95_lag} s (goal: never over 10 s)"
