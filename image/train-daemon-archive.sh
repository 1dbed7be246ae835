#!/bin/sh
# Image build step: writes /opt/pgha/daemon.jsa, the class-data archive the daemon starts from (as the host launcher's
# first start writes one for the next). A throw-away single-node cluster runs until a query through the proxy and
# `pgha check role` succeed, then stops; the JVM writes the classes it loaded as it exits. Fails the build, with the
# daemon's log, when that does not happen.
set -eu
java=/opt/pgha/runtime/bin/java
archive=/opt/pgha/daemon.jsa
dir=$(mktemp -d /tmp/pgha-train.XXXXXX)
chmod 711 "$dir" # the postgres user must reach the data directory below
log="$dir.log"
# Training-only credentials: the data directory is deleted below and never ships.
PGHA_DATA_DIR="$dir" SU_PASSWORD=train-su REPL_PASSWORD=train-repl OPERATOR_PASSWORD=train-op \
  "$java" @/opt/pgha/jvm-daemon.args -Xlog:cds=off -Xlog:cds+dynamic=off -XX:ArchiveClassesAtExit="$archive" \
  -jar /opt/pgha/pgha.jar start >"$log" 2>&1 &
pid=$!
served=
for _ in $(seq 1 240); do
  if PGPASSWORD=train-op psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    served=1
    break
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
[ -n "$served" ] && "$java" -XX:TieredStopAtLevel=1 -jar /opt/pgha/pgha.jar check role >/dev/null 2>&1 || true
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true
rm -rf "$dir"
if [ -z "$served" ] || [ ! -s "$archive" ]; then
  cat "$log"
  echo "train-daemon-archive: the training cluster did not serve a query, or wrote no archive (log above)" >&2
  rm -f "$archive" "$log"
  exit 1
fi
rm -f "$log"
rmdir /tmp/hsperfdata_root 2>/dev/null || true
