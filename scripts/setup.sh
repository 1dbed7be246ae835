#!/usr/bin/env bash
# Installs what pgha needs on Debian 12, and only what is missing: a JDK 17, Maven, pgBackRest and the
# PostgreSQL 15 server binaries (without the Debian "main" cluster, which would take port 5432). Safe to run again.
set -euo pipefail

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: run as root (or install sudo)" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

missing=()
java_major() { javac -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p'; }
if ! command -v javac >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  missing+=(openjdk-17-jdk-headless)
fi
command -v mvn >/dev/null 2>&1 || missing+=(maven)

have_postgres=false
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/postgres" ]; then
  have_postgres=true
elif compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
  have_postgres=true
fi
if [ "$have_postgres" = false ]; then
  missing+=(postgresql-15)
  # pgha runs its own postgres: keep Debian from creating (and starting) a cluster of its own on 5432.
  "${sudo_cmd[@]}" mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | "${sudo_cmd[@]}" tee /etc/postgresql-common/createcluster.d/pgha.conf >/dev/null
fi
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v openssl >/dev/null 2>&1 || missing+=(openssl) # the TLS tests make their certificates with it
command -v pgbackrest >/dev/null 2>&1 || missing+=(pgbackrest) # backups, WAL archiving and restores

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: JDK, Maven, PostgreSQL and pgBackRest are installed"
  exit 0
fi
echo "setup: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confold "${missing[@]}"
