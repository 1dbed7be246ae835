# Shared by the bench scripts (sourced): ports, a private work directory, and one pgha daemon started and stopped.

# Exports the daemon's ports from PORT_BASE (default $1): proxy +32, postgres +33, http +50, ZooKeeper +81 (client),
# +82 (peer), +83 (election), metrics +87.
bench_ports() {
  local base=${PORT_BASE:-$1}
  export PG_PROXY_PORT=$((base + 32)) PG_PORT=$((base + 33)) PGHA_ZK_PORT=$((base + 81))
  export PGHA_ZK_PEER_PORT=$((base + 82)) PGHA_ZK_ELECTION_PORT=$((base + 83))
  export PGHA_HTTP_PORT=$((base + 50)) PGHA_METRICS_PORT=$((base + 87))
}

# Creates the work directory $work (the data directory under it) for bench $1; the caller's EXIT trap removes it.
bench_workdir() {
  work=$(mktemp -d "/tmp/pgha-bench-$1.XXXXXX")
  chmod 711 "$work"   # the postgres user must reach the data directory below
  export PGHA_DATA_DIR="$work/data"
  pgha_pid=""
}

# Starts `pgha start` (log in $work/stdout, console in $work/stderr) and waits until it routes clients.
bench_start_pgha() {
  "$root/pgha" start >"$work/stdout" 2>"$work/stderr" &
  pgha_pid=$!
  until grep -q 'ready: clients connect' "$work/stdout" 2>/dev/null; do
    kill -0 "$pgha_pid" 2>/dev/null || { echo "pgha exited:"; cat "$work/stdout" "$work/stderr"; exit 1; }
    sleep 0.2
  done
}

# Stops the daemon if it still runs (SIGTERM, then waits for it).
bench_stop_pgha() {
  if [ -n "${pgha_pid:-}" ] && kill -0 "$pgha_pid" 2>/dev/null; then
    kill -TERM "$pgha_pid"; wait "$pgha_pid" 2>/dev/null || true
  fi
  pgha_pid=""
}

# Makes sure the daemon's class-data archive for jar $1 exists, written as the container image's is: by a plain
# single-node run (data under $work/train, the ports exported already), not by what the bench then measures. The
# launcher's first start after a build writes the archive as it stops; `start --help` adopts it. PGHA_CDS=0: none.
bench_daemon_archive() {
  local archive="${1%.jar}.start.jsa"
  if [ "${PGHA_CDS:-1}" != 0 ] && [ ! -f "$archive" ]; then
    echo "a single-node run writes the daemon's class-data archive first ..."
    PGHA_DATA_DIR="$work/train" bench_start_pgha
    bench_stop_pgha
    "$root/pgha" start --help >/dev/null
    [ -f "$archive" ] || { echo "no class-data archive was written ($archive)"; exit 1; }
  fi
}

# Timing and SQL helpers: now (epoch seconds), secs A B (B - A, one decimal), ratio A B (A / B, two decimals),
# psql_leader SQL (one query on the first node's postgres, unaligned; needs $bin, the postgres bin directory).
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
psql_leader() { "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atqc "$1"; }

# Fills the running node's database with pgbench's tables at scale $1 (through its proxy) and sets $size to the
# database's size.
bench_pgbench_init() {
  echo "pgbench -i -s $1 ..."
  "$bin/pgbench" -h 127.0.0.1 -p "$PG_PROXY_PORT" -U postgres -i -s "$1" -q postgres >/dev/null 2>&1
  size=$(psql_leader "SELECT pg_size_pretty(pg_database_size('postgres'))")
}

# 3-node clusters (separate `./pgha start` daemons on 127.0.0.1, embedded ZooKeeper ensemble, data under $work/node-N).
# bench_node_env N prints node N's settings (NAME=value words for env); bench_start_cluster3 starts the three nodes
# with them (plus PGHA_JAVA_OPTS and PGHA_CDS as set here), their pids in cluster_pids, and waits until the leader
# has both synchronous standbys. The caller's EXIT trap stops them (bench_stop_cluster3).
bench_node_env() {
  local i=$1 o=$((cluster_base + 10 * $1 + 100)) b=$cluster_base
  echo "PGHA_NODE_ID=node-$i PGHA_DATA_DIR=$work/node-$i PGHA_ZK_MYID=$i PG_PORT=$o PG_PROXY_PORT=$((o + 1))" \
    "PGHA_HTTP_PORT=$((o + 2)) PGHA_METRICS_PORT=$((o + 3)) PGHA_PG_MEMORY=${PGHA_PG_MEMORY:-256MB}" \
    "SU_PASSWORD=bench-su REPL_PASSWORD=bench-repl OPERATOR_PASSWORD=bench-op" \
    "PGHA_ZK_ENSEMBLE=1=127.0.0.1:$((b + 1)):$((b + 2));127.0.0.1:$((b + 3)),2=127.0.0.1:$((b + 11)):$((b + 12));127.0.0.1:$((b + 13)),3=127.0.0.1:$((b + 21)):$((b + 22));127.0.0.1:$((b + 23))"
}

bench_start_cluster3() {
  cluster_base=$((20000 + RANDOM % 8000))
  cluster_pids=()
  local i n=0
  for i in 1 2 3; do
    # shellcheck disable=SC2046 # the settings are words without spaces
    env -i PATH="$PATH" LANG=C.UTF-8 PGHA_JAVA_OPTS="${PGHA_JAVA_OPTS:-}" PGHA_CDS="${PGHA_CDS:-1}" \
      $(bench_node_env "$i") "$root/pgha" start >"$work/node-$i.log" 2>&1 &
    cluster_pids+=($!)
  done
  for _ in $(seq 1 300); do
    n=$(grep -h "synchronous standbys: node-[0-9], node-[0-9]" "$work"/node-*.log 2>/dev/null | wc -l || true)
    [ "$n" -gt 0 ] && break
    sleep 0.5
  done
  [ "$n" -gt 0 ] || { echo "the cluster did not become healthy:"; tail -n 20 "$work"/node-*.log; exit 1; }
}

bench_stop_cluster3() {
  local p
  for p in "${cluster_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${cluster_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  cluster_pids=()
}
