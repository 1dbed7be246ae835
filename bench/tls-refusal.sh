#!/usr/bin/env bash
# What a daemon's first TLS answer costs it: a single node whose proxy takes one client (proxy.maxConnections = 1)
# refuses the next, and answers its SSLRequest over TLS (the refusal reaches a client with sslmode=require); the
# client then sends what is not TLS and is closed. Prints how long the SSLRequest's answer took (the TLS context is
# made for it), the daemon's RSS before (WARM seconds after it is ready, default 10) and SETTLE seconds after (default
# 6), RUNS times (default 3, a new daemon each). RSS moves by several MB either way on its own here (the young
# generation's pages touched for the first time, the compilers' memory freed); NMT=1 adds the steadier figures: the
# live heap after a full collection, and the JVM areas that changed (MB committed). Asserts nothing. When this build
# has no class-data archive, a plain run writes it first (as the image's is trained: without a TLS refusal).
#   PORT_BASE (default 25400) chooses the ports: proxy +32, postgres +33, ZooKeeper +81, http +50, metrics +87.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$root/bench/lib.sh"
bench_ports 25400
runs=${RUNS:-3}
settle=${SETTLE:-6}
"$root/pgha" --version >/dev/null   # builds the jar first if needed
trap 'bench_stop_pgha; rm -rf "${work:-}"' EXIT
bench_workdir tls-refusal
bench_daemon_archive "$(ls -t "$root"/app/target/run/pgha-*.jar | head -1)"
rm -rf "$work"

ssl_request() { printf '\000\000\000\010\004\322\026\057'; } # length 8, code 80877103 (bash strings hold no NUL)
live_heap_kb() { # the old generation's occupancy right after a full collection
  jcmd "$pgha_pid" GC.run >/dev/null
  jcmd "$pgha_pid" GC.heap_info | awk '/tenured generation/ { for (i = 1; i < NF; i++) if ($i == "used") print $(i + 1) + 0 }'
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pgha_pid/status"; }
grown_areas() { # the JVM areas whose committed memory changed since the baseline, in MB
  jcmd "$pgha_pid" VM.native_memory summary.diff \
    | awk '/^-/ && /committed=[0-9]+KB [+-][0-9]+KB/ {
             name = $0; sub(/^- */, "", name); sub(/ *\(.*/, "", name)
             match($0, /committed=[0-9]+KB [+-][0-9]+KB/); d = substr($0, RSTART, RLENGTH); sub(/.* /, "", d)
             kb = d + 0; if (kb >= 256 || kb <= -256) printf "%s %+.1f, ", name, kb / 1024 }'
}

for i in $(seq 1 "$runs"); do
  bench_workdir tls-refusal
  echo 'proxy.maxConnections = 1' >"$work/pgha.conf"
  PGHA_JAVA_OPTS="${NMT:+-XX:NativeMemoryTracking=summary} ${PGHA_JAVA_OPTS:-}" \
    "$root/pgha" start --config "$work/pgha.conf" >"$work/stdout" 2>"$work/stderr" &
  pgha_pid=$!
  until grep -q 'ready: clients connect' "$work/stdout" 2>/dev/null; do
    kill -0 "$pgha_pid" 2>/dev/null || { echo "pgha exited:"; cat "$work/stdout" "$work/stderr"; exit 1; }
    sleep 0.2
  done
  sleep "${WARM:-10}"   # past the start's compilations: their memory is freed and trimmed within seconds
  # the one connection the proxy takes (postgres answers its SSLRequest), held open
  exec 3<>"/dev/tcp/127.0.0.1/$PG_PROXY_PORT"
  ssl_request >&3
  held=$(head -c1 <&3)
  if [ -n "${NMT:-}" ]; then
    live_before=$(live_heap_kb)
    jcmd "$pgha_pid" VM.native_memory baseline >/dev/null
  fi
  before=$(rss_kb)
  exec 4<>"/dev/tcp/127.0.0.1/$PG_PROXY_PORT"
  asked=$(date +%s%N)
  ssl_request >&4
  answer=$(head -c1 <&4)
  answered=$(date +%s%N)
  ssl_request >&4   # not a TLS ClientHello: the proxy closes the connection
  timeout 5 cat <&4 >/dev/null || true
  exec 4<&- 3<&-
  sleep "$settle"
  after=$(rss_kb)
  printf 'run %d: held connection answered %s, refused one %s in %d ms; daemon RSS %d -> %d MB: %+d kB' \
    "$i" "$held" "$answer" $(((answered - asked) / 1000000)) $((before / 1024)) $((after / 1024)) $((after - before))
  [ -n "${NMT:-}" ] && printf '; live heap %+d kB; JVM areas (MB): %s' $(($(live_heap_kb) - live_before)) "$(grown_areas)"
  echo
  bench_stop_pgha
  rm -rf "$work"
done
