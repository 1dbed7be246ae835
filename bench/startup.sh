#!/usr/bin/env bash
# Seconds from `./pgha start` to the first successful query through the proxy, for a fresh data directory
# (initdb included) and for an existing one, with the daemon's class-data archive in place (the runs that write and
# adopt it come first and are printed apart). RUNS (default 5) of each, the median printed; then where the time goes:
# each phase's end, read from the daemon's log, in ms after the launch (median, and the median step from the phase
# before). Asserts nothing.
#   PORT_BASE (default 25400) chooses the ports: proxy +32, postgres +33, ZooKeeper +81, http +50, metrics +87.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$root/bench/lib.sh"
bench_ports 25400
bench_workdir startup
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$root/pgha" --version >/dev/null   # builds the jar first if needed, outside the measurement
psql_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql"

# Starts pgha, waits for a query through the proxy to succeed, prints the elapsed seconds.
run() {
  local out="$work/stdout-$1" t0 t1
  t0=$(date +%s.%N)
  "$root/pgha" start >"$out" 2>"$work/stderr-$1" &
  pid=$!
  until grep -q '^  Password:' "$work/stderr-$1" 2>/dev/null || [ -s "$work/password" ]; do
    kill -0 "$pid" 2>/dev/null || { echo "pgha exited:"; cat "$out" "$work/stderr-$1"; exit 1; }
    sleep 0.01
  done
  [ -s "$work/password" ] || awk '/^  Password:/ {print $2}' "$work/stderr-$1" >"$work/password"
  until PGPASSWORD="$(cat "$work/password")" PGCONNECT_TIMEOUT=2 "$psql_bin" -X -At -h 127.0.0.1 -p "$PG_PROXY_PORT" \
      -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "pgha exited:"; cat "$out" "$work/stderr-$1"; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s.%N)
  kill -TERM "$pid"; wait "$pid" || true
  pid=""
  phases "$out" "$t0" "$t1" >"$work/phases-$1"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# The start's phases, each as the log line that ends it (extended regular expression) and what it took.
phase_lines=(
  'starting member |command line, configuration, node checks'
  'embedded ZooKeeper server .* starting|secrets, the store credentials'
  'proxy listening on port|the store started and connected'
  "this member leads the cluster: starting postgres|designated to create the cluster|sentinel elected, the first view"
  'postgres is ready|postgres started (fresh: initdb done, begun at launch)'
  "serving as the cluster's leader|first logins, the leader's checks"
  'ready: clients connect|NORMAL view, the proxy routes'
)

# phases LOG T0 T1: one line per phase, "ms<TAB>label" (ms after the launch; -1 when its line is missing), then the
# client's first query (T1).
phases() {
  local line pattern label at
  for line in "${phase_lines[@]}"; do
    pattern=${line%|*} label=${line##*|}
    at=$(grep -m1 -E "$pattern" "$1" | cut -d' ' -f1)
    if [ -n "$at" ]; then
      awk -v a="$2" -v b="$(date -d "$at" +%s.%N)" -v l="$label" 'BEGIN { printf "%d\t%s\n", (b - a) * 1000, l }'
    else
      printf -- '-1\t%s\n' "$label"
    fi
  done
  awk -v a="$2" -v b="$3" 'BEGIN { printf "%d\tthe client'"'"'s first query through the proxy\n", (b - a) * 1000 }'
}

# phase_table KIND: the median end and step of each phase over the runs named KIND-N
phase_table() {
  cat "$work"/phases-"$1"-* | awk -F'\t' '
    { if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } v[$2, ++c[$2]] = $1 }
    function median(label,   k, i, j, t, a) {
      k = c[label]
      for (i = 1; i <= k; i++) a[i] = v[label, i]
      for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return a[int((k + 1) / 2)]
    }
    END {
      prev = 0
      for (i = 1; i <= n; i++) {
        m = median(order[i])
        printf "    %-52s %6d %6d\n", order[i], m, (m < 0 ? 0 : m - prev)
        if (m >= 0) prev = m
      }
    }'
}

# The first start after a build writes the daemon's class-data archive as it stops; the next one adopts it (a trial
# run checks it first); from then on every start maps it. PGHA_CDS=0 measures without.
find "$root/app/target/run" -maxdepth 1 -name 'pgha-*.start.jsa*' -delete 2>/dev/null || true
first=$(run first)
rm -rf "$PGHA_DATA_DIR" "$work/password"
adopting=$(run adopting)
fresh_runs=() existing_runs=()
for ((i = 1; i <= ${RUNS:-5}; i++)); do
  rm -rf "$PGHA_DATA_DIR" "$work/password"
  fresh_runs+=("$(run "fresh-$i")")
  existing_runs+=("$(run "existing-$i")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
fresh=$(median "${fresh_runs[@]}")
existing=$(median "${existing_runs[@]}")
printf 'pgha startup: `./pgha start` -> first query through the proxy (PostgreSQL %s, %s cores)\n' \
  "$("$psql_bin" --version | awk '{print $3}')" "$(nproc)"
printf '  fresh data dir (initdb included): %5.2f s  (median of %s: %s)\n' "$fresh" "${#fresh_runs[@]}" "${fresh_runs[*]}"
printf '  existing data dir:                %5.2f s  (median of %s: %s)\n' "$existing" "${#existing_runs[@]}" "${existing_runs[*]}"
printf '  (fresh, the first start after a build, which writes the class-data archive: %.2f s; the next, which\n' "$first"
printf '   checks and adopts it: %.2f s)\n' "$adopting"
for kind in existing fresh; do
  printf '  %s data dir, where the time goes (ms after the launch):   ends   step\n' "$kind"
  phase_table "$kind"
done
