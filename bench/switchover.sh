#!/usr/bin/env bash
# Planned switchover on a 3-node cluster (separate pgha JVMs on 127.0.0.1, embedded ZooKeeper ensemble, default
# settings): CYCLES (default 10) runs of `pgha switchover` from a standby's node while a client writes through its
# proxy. Prints the median and p95 of the client-visible write gap (goal: under 1 s) and of the command's duration.
# Asserts nothing. The cluster and the writer are bench/failover.sh's.
# DIRTY_MB=N adds a second client that keeps updating a table of N MB, so that the leader holds dirty buffers as under
# a real write load (DIRTY_SECONDS, default 20, of it before each switchover; no checkpoint meanwhile), and prints the
# old leader's two checkpoints per cycle: the one the switchover runs before its hold, and the shutdown checkpoint
# clients wait for. PG_MEMORY (default 256MB) is each node's PGHA_PG_MEMORY (shared_buffers is a quarter of it).
# E.g. DIRTY_MB=150 PG_MEMORY=1GB CYCLES=5 bench/switchover.sh
MODE=switchover exec "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/failover.sh"
