#!/usr/bin/env bash
# The test command: installs what is missing, then builds pgha and runs unit and integration tests (real
# postgres, real ZooKeeper, daemons as separate processes).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
"$root/scripts/setup.sh"
cd "$root"
exec mvn -B -ntp verify "$@"
