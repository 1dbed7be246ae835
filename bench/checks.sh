#!/usr/bin/env bash
# Latency of the health-check and metrics endpoints of a single node, and what answering them costs the daemon:
# median and p95 of N sequential requests per endpoint (curl's time_total), the size of a scrape, and the daemon's
# RSS before and after. One run; prints the figures, asserts nothing.
#   N (default 200) requests per endpoint; PORT_BASE (default 25600) chooses the ports.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
n=${N:-200}
. "$root/bench/lib.sh"
bench_ports 25600
bench_workdir checks
cleanup() {
  bench_stop_pgha
  rm -rf "$work"
}
trap cleanup EXIT

"$root/pgha" --version >/dev/null   # builds the jar first if needed
bench_start_pgha
jvm=$pgha_pid   # ./pgha execs java
rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$1/status"; }

# median and p95 in ms of N GETs of $1
measure() {
  local url=$1
  for _ in $(seq 1 20); do curl -s -o /dev/null "$url"; done   # warm-up
  for _ in $(seq 1 "$n"); do curl -s -o /dev/null -w '%{time_total}\n' "$url"; done | sort -n \
    | awk '{ a[NR] = $1 * 1000 } END { printf "%8.2f %8.2f", a[int(NR * 0.5 + 0.5)], a[int(NR * 0.95 + 0.5)] }'
}

rss_before=$(rss "$jvm")
printf 'pgha health checks and metrics: %s sequential GETs each (%s cores)\n' "$n" "$(nproc)"
printf '  %-24s %8s %8s\n' endpoint "p50 ms" "p95 ms"
declare -A p50
for path in /flycheck/role /primary /flycheck/vm /flycheck/pg /cluster; do
  read -r med p95 <<<"$(measure "http://127.0.0.1:$PGHA_HTTP_PORT$path")"
  p50[$path]=$med
  printf '  %-24s %8s %8s\n' "$path" "$med" "$p95"
done
read -r med p95 <<<"$(measure "http://127.0.0.1:$PGHA_METRICS_PORT/metrics")"
printf '  %-24s %8s %8s\n' "/metrics" "$med" "$p95"
scrape=$(curl -s "http://127.0.0.1:$PGHA_METRICS_PORT/metrics")
printf '  a scrape: %s bytes, %s series (%s pg_*, %s pgha_*)\n' "$(printf '%s' "$scrape" | wc -c)" \
  "$(grep -vc '^#' <<<"$scrape")" "$(grep -c '^pg_' <<<"$scrape")" "$(grep -c '^pgha_' <<<"$scrape")"
awk -v a="$med" -v b="${p50[/flycheck/role]}" 'BEGIN { printf "  /metrics p50 / /flycheck/role p50: %.1f\n", a / b }'
printf '  daemon RSS: %s MB before, %s MB after %s requests\n' "$rss_before" "$(rss "$jvm")" "$((n * 6 + 120))"
