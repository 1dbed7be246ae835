# Shared by the bench scripts (sourced): ports, a private work directory, and one pgha daemon started and stopped.

# Exports the daemon's ports from PORT_BASE (default $1): proxy +32, postgres +33, http +50, ZooKeeper +81,
# metrics +87.
bench_ports() {
  local base=${PORT_BASE:-$1}
  export PG_PROXY_PORT=$((base + 32)) PG_PORT=$((base + 33)) PGHA_ZK_PORT=$((base + 81))
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
