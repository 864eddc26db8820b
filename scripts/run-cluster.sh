#!/usr/bin/env bash
# `make run`: a local cluster without Kubernetes. BROKERS brokers (default 3); the first CONTROLLERS of them
# (default min(BROKERS, 3)) in combined mode, each also a metadata quorum voter, the rest broker-only
# (process.roles=broker: observers of the quorum), as in a KafkaCluster. Broker i listens for clients on
# 127.0.0.1:(PORT+i) and, a voter, for the quorum on 127.0.0.1:(CONTROLLER_PORT+i) (defaults 9092 and 9192); its
# data is under DATA_DIR/cluster/broker-i
# (DATA_DIR defaults to ./data). BROKERS=1 runs one single-node broker (data under DATA_DIR/single). Broker i serves
# Prometheus metrics at http://127.0.0.1:(METRICS_PORT+i)/metrics (default 9404).
# NODE=i (or --node i) starts only broker i of the cluster, with the same settings: to restart one broker that was
# stopped or crashed while the others run, or, with i >= BROKERS, to add a broker-only node to the running cluster
# (it registers and takes new partitions and reassigned replicas). Extra arguments go to every broker (e.g. --override num.partitions=6).
# Ctrl-C stops all brokers cleanly and shows each one's shutdown. Exit code: 0 when every broker stopped cleanly;
# otherwise the first failing broker's (a broker that fails to start, e.g. on a bad --override, stops the others).
set -euo pipefail
cd "$(dirname "$0")/.."
DOTNET=${DOTNET:-dotnet}
DLL=${BROKER_DLL:-broker/Server/bin/Release/net10.0/KafkaOperator.Server.dll}
BROKERS=${BROKERS:-3}
CONTROLLERS=${CONTROLLERS:-$((BROKERS < 3 ? BROKERS : 3))}
PORT=${PORT:-9092}
CONTROLLER_PORT=${CONTROLLER_PORT:-9192}
METRICS_PORT=${METRICS_PORT:-9404}
DATA_DIR=${DATA_DIR:-./data}
NODE=${NODE:-}
if [ "${1:-}" = "--node" ]; then
  NODE=${2:?--node needs a broker id}
  shift 2
fi

if [ "$BROKERS" -le 1 ]; then
  mkdir -p "$DATA_DIR/single"
  echo "single broker: pid $$, bootstrap 127.0.0.1:$PORT, metrics http://127.0.0.1:$METRICS_PORT/metrics, data $DATA_DIR/single (Ctrl-C stops it)"
  exec "$DOTNET" "$DLL" broker/server.properties --override listeners="PLAINTEXT://127.0.0.1:$PORT" \
    --override metrics.host=127.0.0.1 --override metrics.port="$METRICS_PORT" \
    --override log.dirs="$DATA_DIR/single" "$@"
fi

if ! [[ "$CONTROLLERS" =~ ^[0-9]+$ ]] || [ "$CONTROLLERS" -lt 1 ] || [ "$CONTROLLERS" -gt "$BROKERS" ]; then
  echo "CONTROLLERS must be from 1 to BROKERS ($BROKERS), not '$CONTROLLERS'" >&2
  exit 2
fi
if [ -n "$NODE" ]; then
  # Ids past the voters are broker-only nodes, so an id past BROKERS adds one to the running cluster.
  if ! [[ "$NODE" =~ ^[0-9]+$ ]]; then
    echo "NODE must be a broker id (0 to $((BROKERS - 1)), or above to add a broker-only node), not '$NODE'" >&2
    exit 2
  fi
  nodes=("$NODE")
else
  nodes=($(seq 0 $((BROKERS - 1))))
fi

# Topics and __consumer_offsets are replicated as far as the cluster allows (Kafka's default for the latter is 3).
rf=$((BROKERS < 3 ? BROKERS : 3))
voters=""
for ((i = 0; i < CONTROLLERS; i++)); do voters+="${voters:+,}$i@127.0.0.1:$((CONTROLLER_PORT + i))"; done

piddir=$(mktemp -d) # <id>: each broker's pid; ready/<id>: its ready line, once it has printed one
mkdir "$piddir/ready"
declare -A broker_of # wrapper pid -> broker id
wrappers=()
stopping=0
# SIGTERM is each broker's clean shutdown (it fences itself, flushes and checkpoints). The wrappers ignore SIGINT,
# so Ctrl-C (sent to the whole process group) reaches neither them nor the log-prefixing sed: each broker's last
# lines still show, and the script waits for them.
stop() {
  stopping=1
  for f in "$piddir"/*; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null || true; done
}
trap stop INT TERM
trap 'rm -rf "$piddir"' EXIT

for i in "${nodes[@]}"; do
  mkdir -p "$DATA_DIR/cluster/broker-$i"
  if [ "$i" -lt "$CONTROLLERS" ]; then
    roles=broker,controller
    listeners="PLAINTEXT://127.0.0.1:$((PORT + i)),CONTROLLER://127.0.0.1:$((CONTROLLER_PORT + i))"
  else
    roles=broker
    listeners="PLAINTEXT://127.0.0.1:$((PORT + i))"
  fi
  (
    trap '' INT
    # The broker records its own pid, then becomes the broker process (exec), so TERM reaches it directly.
    bash -c 'echo $$ > "$0"; exec "$@"' "$piddir/$i" "$DOTNET" "$DLL" broker/server.properties \
      --override node.id="$i" \
      --override cluster.id=local-cluster \
      --override process.roles="$roles" \
      --override controller.quorum.voters="$voters" \
      --override controller.listener.names=CONTROLLER \
      --override listeners="$listeners" \
      --override advertised.listeners="PLAINTEXT://127.0.0.1:$((PORT + i))" \
      --override log.dirs="$DATA_DIR/cluster/broker-$i" \
      --override metrics.host=127.0.0.1 \
      --override metrics.port="$((METRICS_PORT + i))" \
      --override default.replication.factor="$rf" \
      --override offsets.topic.replication.factor="$rf" \
      "$@" 2>&1 | sed -u -e "s/^/[broker-$i] /" -e "/KafkaOperator broker ready/w $piddir/ready/$i"
  ) 2>/dev/null & # the wrapper's own "Terminated" notices; the broker's stderr goes through sed above
  broker_of[$!]=$i
  wrappers+=($!)
done

for i in "${nodes[@]}"; do
  while [ ! -s "$piddir/$i" ]; do sleep 0.05; done
  if [ "$i" -lt "$CONTROLLERS" ]; then quorum="controller 127.0.0.1:$((CONTROLLER_PORT + i))"; else quorum="broker-only"; fi
  echo "broker-$i: pid $(cat "$piddir/$i"), client 127.0.0.1:$((PORT + i)), $quorum, metrics http://127.0.0.1:$((METRICS_PORT + i))/metrics, data $DATA_DIR/cluster/broker-$i"
done
if [ -n "$NODE" ]; then
  if [ "$NODE" -ge "$BROKERS" ]; then
    echo "broker-only node $NODE joining the $BROKERS-broker cluster (Ctrl-C stops it)"
  else
    echo "broker $NODE of a $BROKERS-broker cluster (Ctrl-C stops it)"
  fi
else
  echo "local cluster: $BROKERS brokers ($CONTROLLERS of them quorum voters), bootstrap 127.0.0.1:$PORT (Ctrl-C stops them)"
fi

# Until Ctrl-C, a broker that exits before it was ready failed to start (a bad override, a port in use): the others
# are stopped and its exit code is the script's. A broker that exits after it was ready (killed to try a failover,
# say) leaves the others running: restart it with NODE=i. After Ctrl-C, every broker is waited for; any unclean exit
# makes the result non-zero.
result=0
remaining=${#wrappers[@]}
while [ "$remaining" -gt 0 ]; do
  set +e
  wait -n -p ended "${wrappers[@]}"
  code=$?
  set -e
  if [ -z "${ended:-}" ]; then
    continue # a trapped signal interrupted the wait
  fi
  remaining=$((remaining - 1))
  i=${broker_of[$ended]}
  rm -f "$piddir/$i"
  left=()
  for w in "${wrappers[@]}"; do [ "$w" = "$ended" ] || left+=("$w"); done
  wrappers=("${left[@]}")
  unset ended
  if [ "$stopping" -eq 0 ] && [ -s "$piddir/ready/$i" ]; then
    echo "broker-$i exited with code $code; the others keep running (restart it with: NODE=$i make run)" >&2
    [ "$result" -eq 0 ] && result=$(( code == 0 ? 1 : code ))
  elif [ "$code" -ne 0 ] && { [ "$stopping" -eq 0 ] || [ "$code" -ne 143 ]; }; then
    # (143: a broker stopped by SIGTERM before it could handle it, while it was still starting)
    echo "broker-$i exited with code $code" >&2
    [ "$result" -eq 0 ] && result=$code
    [ "$stopping" -eq 0 ] && stop
  elif [ "$stopping" -eq 0 ]; then
    echo "broker-$i exited by itself" >&2
    [ "$result" -eq 0 ] && result=1
    stop
  fi
done
exit "$result"
