#!/usr/bin/env bash
# `make run`: a local cluster without Kubernetes. BROKERS brokers (default 3) in combined mode: each is also a
# metadata quorum voter, as in a KafkaCluster. Broker i listens for clients on 127.0.0.1:(9092+i) and for the
# quorum on 127.0.0.1:(9192+i); its data is under ./data/cluster/broker-i. BROKERS=1 runs one single-node broker
# (data under ./data/single). Extra arguments go to every broker (e.g. --override num.partitions=6). Ctrl-C stops all
# brokers cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
DOTNET=${DOTNET:-dotnet}
DLL=${BROKER_DLL:-broker/Server/bin/Release/net10.0/KafkaOperator.Server.dll}
BROKERS=${BROKERS:-3}

if [ "$BROKERS" -le 1 ]; then
  exec "$DOTNET" "$DLL" broker/server.properties --override log.dirs=./data/single "$@"
fi

voters=""
for ((i = 0; i < BROKERS; i++)); do voters+="${voters:+,}$i@127.0.0.1:$((9192 + i))"; done

pids=()
# SIGTERM is each broker's clean shutdown (it fences itself, flushes and checkpoints); the script waits for all.
stop() { kill -TERM "${pids[@]}" 2>/dev/null || true; }
trap stop INT TERM
for ((i = 0; i < BROKERS; i++)); do
  mkdir -p "data/cluster/broker-$i"
  "$DOTNET" "$DLL" broker/server.properties \
    --override node.id=$i \
    --override cluster.id=local-cluster \
    --override process.roles=broker,controller \
    --override controller.quorum.voters="$voters" \
    --override controller.listener.names=CONTROLLER \
    --override listeners="PLAINTEXT://127.0.0.1:$((9092 + i)),CONTROLLER://127.0.0.1:$((9192 + i))" \
    --override advertised.listeners="PLAINTEXT://127.0.0.1:$((9092 + i))" \
    --override log.dirs="data/cluster/broker-$i" \
    "$@" > >(sed -u "s/^/[broker-$i] /") 2>&1 &
  pids+=($!) # the broker's own pid, not the prefixing sed's
done
echo "local cluster: $BROKERS brokers, bootstrap 127.0.0.1:9092 (Ctrl-C stops them)"
# A trapped signal ends the first wait early; the second waits for the brokers' clean shutdown.
wait "${pids[@]}" || true
wait "${pids[@]}" 2>/dev/null || true
