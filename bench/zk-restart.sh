#!/usr/bin/env bash
# The costliest step of a rolling restart on a 3-node cluster (separate pgha JVMs on 127.0.0.1, embedded ZooKeeper
# ensemble, default settings): CYCLES (default 10) times, SIGTERM of the node whose embedded ZooKeeper server leads the
# ensemble, then its start again, while a client writes through another node's proxy. Prints per cycle the store
# sessions the surviving nodes lost, sentinel elections, leader changes beyond the stopped node's own handover, and
# the longest write gap. Asserts nothing. The cluster and the writer are bench/failover.sh's.
MODE=zk-restart exec "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/failover.sh"
