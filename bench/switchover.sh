#!/usr/bin/env bash
# Planned switchover on a 3-node cluster (separate pgha JVMs on 127.0.0.1, embedded ZooKeeper ensemble, default
# settings): CYCLES (default 10) runs of `pgha switchover` from a standby's node while a client writes through its
# proxy. Prints the median and p95 of the client-visible write gap (goal: under 1 s) and of the command's duration.
# Asserts nothing. The cluster and the writer are bench/failover.sh's.
MODE=switchover exec "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/failover.sh"
