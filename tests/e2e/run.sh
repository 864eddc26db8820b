#!/usr/bin/env bash
# End-to-end suite against the cluster in KUBECONFIG (not part of `make test`; run with `make e2e`).
# Needs: kubectl, a cluster that can pull the images (build and push them first, then pass the same names:
# `make images REGISTRY=r TAG=t`, `docker push` both, `make e2e REGISTRY=r TAG=t`), a default StorageClass.
# It deploys the operator, creates a 3-broker cluster and a topic, produces and consumes through the bootstrap
# Service, deletes a broker pod and checks it returns with its volume and data, plans a config change's roll in a
# dry run (nothing done) and then rolls it in the planned order, applies a dynamic key without a restart, rolls and
# deletes a pod under acks=all load (no failed send, leader balance restored), scales 3 -> 5 -> 3 under load with a
# consumer group reading (replicas and leaders onto the new brokers; the scale-down refused while an RF 4 topic would
# not fit, then a drain before removal; no record lost or written twice, the group reads them all), and deletes the
# topic through its KafkaTopic.
set -euo pipefail
cd "$(dirname "$0")/../.."

KUBECTL=${KUBECTL:-kubectl}
NS=${E2E_NAMESPACE:-kafka-e2e}
CLUSTER=e2e
TOPIC=e2e-orders
KCAT_IMAGE=${KCAT_IMAGE:-edenhill/kcat:1.7.1}
TIMEOUT=${E2E_TIMEOUT:-600s}
BOOTSTRAP="$CLUSTER-bootstrap.$NS.svc:9092"

step() { printf '\n== %s\n' "$*"; }
# Checks read command output into a variable before grepping it: with pipefail, `producer | grep -q` can fail after a
# match, when grep exits early and the producer dies of SIGPIPE.
fail() { echo "E2E FAILED: $*" >&2; exit 1; }

if ! $KUBECTL cluster-info >/dev/null 2>&1; then
  echo "No reachable cluster in KUBECONFIG; the e2e suite needs one (it cannot run in the dev sandbox)." >&2
  exit 2
fi

cleanup() {
  step "cleanup"
  $KUBECTL delete namespace "$NS" --ignore-not-found --wait=false || true
}
[ "${E2E_KEEP:-0}" = 1 ] || trap cleanup EXIT

kcat() { # runs kcat in a throwaway pod inside the cluster
  $KUBECTL -n "$NS" run "kcat-$RANDOM" --rm -i --restart=Never --quiet --image="$KCAT_IMAGE" -- "$@"
}

step "deploy the operator"
make deploy
$KUBECTL -n kafka-operator rollout status deployment/kafka-operator --timeout="$TIMEOUT"

step "create a 3-broker cluster and a topic"
$KUBECTL create namespace "$NS" --dry-run=client -o yaml | $KUBECTL apply -f -
$KUBECTL apply -f - <<YAML
apiVersion: kafka.kafkaoperator.io/v1alpha1
kind: KafkaCluster
metadata: {name: $CLUSTER, namespace: $NS}
spec:
  replicas: 3
  controllers: 3
  storage: {size: 1Gi, deleteClaim: true}
  # Topics exist only through KafkaTopics: a client's Metadata request for a missing topic must not create it (the
  # deletion check below relies on that, and so would any check that a topic is gone).
  # The leader-balance check below waits for the controller's own preferred-leader check; Kafka's default interval
  # (300 s) is longer than that wait, so the cluster checks every 30 s (a dynamic key: applied without a roll).
  config: {auto.create.topics.enable: "false", leader.imbalance.check.interval.seconds: "30"}
---
apiVersion: kafka.kafkaoperator.io/v1alpha1
kind: KafkaTopic
metadata: {name: $TOPIC, namespace: $NS}
spec: {cluster: $CLUSTER, partitions: 3, replicationFactor: 3, config: {retention.ms: "3600000", min.insync.replicas: "2"}}
YAML
$KUBECTL -n "$NS" wait --for=condition=Ready "kafkacluster/$CLUSTER" --timeout="$TIMEOUT"
$KUBECTL -n "$NS" wait --for=condition=Ready "kafkatopic/$TOPIC" --timeout="$TIMEOUT"
$KUBECTL -n "$NS" get kafkaclusters,kafkatopics,statefulsets,pods,pvc

step "CRD validation rejects a partition decrease"
if $KUBECTL -n "$NS" patch "kafkatopic/$TOPIC" --type=merge -p '{"spec":{"partitions":1}}' 2>/dev/null; then
  fail "partition decrease was admitted"
fi

step "produce and consume through the bootstrap Service"
seq 1 100 | sed 's/^/message-/' | kcat -b "$BOOTSTRAP" -t "$TOPIC" -P
count=$(kcat -b "$BOOTSTRAP" -t "$TOPIC" -C -o beginning -e -q | grep -c '^message-' || true)
[ "$count" = 100 ] || fail "consumed $count messages, expected 100"

step "delete broker 1: its partitions fail over, writes go on, and it returns with its data"
pvc_uid=$($KUBECTL -n "$NS" get pvc "data-$CLUSTER-broker-1" -o jsonpath='{.metadata.uid}')
pod_uid=$($KUBECTL -n "$NS" get pod "$CLUSTER-broker-1" -o jsonpath='{.metadata.uid}')
$KUBECTL -n "$NS" delete pod "$CLUSTER-broker-1" --wait=true
# RF 3, min.insync.replicas 2: with broker 1 gone every partition has a leader and acks=all (kcat's default) succeeds.
seq 101 200 | sed 's/^/message-/' | kcat -b "$BOOTSTRAP" -t "$TOPIC" -P || fail "producing while broker 1 was down failed"
for _ in $(seq 1 120); do
  new_uid=$($KUBECTL -n "$NS" get pod "$CLUSTER-broker-1" -o jsonpath='{.metadata.uid}' 2>/dev/null || true)
  [ -n "$new_uid" ] && [ "$new_uid" != "$pod_uid" ] && break
  sleep 2
done
$KUBECTL -n "$NS" wait --for=condition=Ready "pod/$CLUSTER-broker-1" --timeout="$TIMEOUT"
[ "$($KUBECTL -n "$NS" get pvc "data-$CLUSTER-broker-1" -o jsonpath='{.metadata.uid}')" = "$pvc_uid" ] || fail "broker 1 came back with a different volume"
dirs=$($KUBECTL -n "$NS" exec "$CLUSTER-broker-1" -- ls /var/lib/kafka/data)
grep -q "^$TOPIC-" <<<"$dirs" || fail "broker 1 lost its partition directories"
$KUBECTL -n "$NS" wait --for=condition=Ready "kafkacluster/$CLUSTER" --timeout="$TIMEOUT"
count=$(kcat -b "$BOOTSTRAP" -t "$TOPIC" -C -o beginning -e -q | grep -c '^message-' || true)
[ "$count" = 200 ] || fail "after the restart consumed $count messages, expected 200"

step "a dry run plans a config change's roll without doing it; without the annotation the roll follows the plan"
broker_pods() { $KUBECTL -n "$NS" get pods -l "app.kubernetes.io/instance=$CLUSTER,app.kubernetes.io/component=broker" "$@"; }
pods_before=$(broker_pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}')
$KUBECTL -n "$NS" annotate "kafkacluster/$CLUSTER" --overwrite kafka.kafkaoperator.io/dry-run=true
# A merge patch of spec.config replaces nothing else in the map, so auto.create.topics.enable stays false.
$KUBECTL -n "$NS" patch "kafkacluster/$CLUSTER" --type=merge -p '{"spec":{"config":{"log.retention.hours":"48"}}}'
plan=""
for _ in $(seq 1 60); do
  plan=$($KUBECTL -n "$NS" get "kafkacluster/$CLUSTER" -o jsonpath='{.status.plan.roll[*]}')
  [ "$(wc -w <<<"$plan")" -eq 3 ] && break
  sleep 2
done
[ "$(wc -w <<<"$plan")" -eq 3 ] || fail "the dry run did not plan a roll of the 3 brokers: $($KUBECTL -n "$NS" get "kafkacluster/$CLUSTER" -o jsonpath='{.status.plan}')"
active=$($KUBECTL -n "$NS" get "kafkacluster/$CLUSTER" -o jsonpath='{.status.kafka.activeController}')
[ "${plan##* }" = "$CLUSTER-broker-$active" ] || fail "the plan ($plan) does not roll the active controller ($active) last"
# Two requeues (10 s each) later nothing has been done: same pods, the ConfigMap without the new key.
sleep 25
[ "$(broker_pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}')" = "$pods_before" ] || fail "a pod was restarted during the dry run"
props=$($KUBECTL -n "$NS" get configmap "$CLUSTER-config" -o jsonpath='{.data.server\.properties}')
grep -q '^log.retention.hours=48$' <<<"$props" && fail "the dry run applied the config"
$KUBECTL -n "$NS" annotate "kafkacluster/$CLUSTER" kafka.kafkaoperator.io/dry-run-
$KUBECTL -n "$NS" wait --for=condition=Ready=False "kafkacluster/$CLUSTER" --timeout=60s || true
# kubectl wait compares the condition's observedGeneration with the object's generation: this waits for the roll.
$KUBECTL -n "$NS" wait --for=condition=Ready "kafkacluster/$CLUSTER" --timeout="$TIMEOUT"
props=$($KUBECTL -n "$NS" get configmap "$CLUSTER-config" -o jsonpath='{.data.server\.properties}')
grep -q '^log.retention.hours=48$' <<<"$props" || fail "the ConfigMap does not carry the new config"
pods_after=$(broker_pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}')
[ -z "$(comm -12 <(sort <<<"$pods_before") <(sort <<<"$pods_after"))" ] || fail "not every broker pod was replaced by the roll"
# One broker at a time, each Ready and back in sync before the next: the new pods' creation order is the roll's.
rolled=$(broker_pods --sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[*]}{.metadata.name}{" "}{end}')
[ "${rolled% }" = "$plan" ] || fail "the roll went $rolled, the dry run planned $plan"

# A producer loop in its own pod: kcat with acks=all (its default) writes one numbered line every 50 ms and exits
# non-zero on the first failed delivery; `load_stop` ends it and fails the suite if any send failed.
load_start() {
  $KUBECTL -n "$NS" run "load-$1" --restart=Never --quiet --image="$KCAT_IMAGE" --command -- sh -c \
    "i=0; while [ ! -f /tmp/stop ]; do i=\$((i+1)); echo load-$1-\$i; sleep 0.05; done | kcat -b $BOOTSTRAP -t $TOPIC -P -X message.timeout.ms=120000 -X enable.idempotence=true"
  $KUBECTL -n "$NS" wait --for=condition=Ready "pod/load-$1" --timeout="$TIMEOUT"
}
load_stop() {
  $KUBECTL -n "$NS" exec "load-$1" -- touch /tmp/stop
  $KUBECTL -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded "pod/load-$1" --timeout="$TIMEOUT" || fail "the producer under $1 failed a send"
}
cluster_field() { $KUBECTL -n "$NS" get "kafkacluster/$CLUSTER" -o jsonpath="$1"; }
broker_uids() { $KUBECTL -n "$NS" get pods -l "app.kubernetes.io/instance=$CLUSTER,app.kubernetes.io/component=broker" -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}'; }

step "a dynamic key is applied without restarting any broker"
uids=$(broker_uids)
$KUBECTL -n "$NS" patch "kafkacluster/$CLUSTER" --type=merge -p '{"spec":{"config":{"log.retention.ms":"7200000"}}}'
for _ in $(seq 1 60); do grep -q log.retention.ms <<<"$(cluster_field '{.status.config.dynamic}')" && break; sleep 2; done
grep -q log.retention.ms <<<"$(cluster_field '{.status.config.dynamic}')" || fail "status.config.dynamic does not list log.retention.ms"
[ "$(broker_uids)" = "$uids" ] || fail "a dynamic config change restarted a broker"

step "a roll under acks=all load fails no send"
load_start roll
$KUBECTL -n "$NS" annotate "kafkacluster/$CLUSTER" --overwrite kafka.kafkaoperator.io/restart="$(date +%s)"
$KUBECTL -n "$NS" wait --for=condition=Ready=False "kafkacluster/$CLUSTER" --timeout=60s || true
$KUBECTL -n "$NS" wait --for=condition=Ready "kafkacluster/$CLUSTER" --timeout="$TIMEOUT"
load_stop roll

step "a broker pod deleted under load: no send fails, and leader balance is restored"
load_start delete
$KUBECTL -n "$NS" delete pod "$CLUSTER-broker-2" --wait=true
$KUBECTL -n "$NS" wait --for=condition=Ready "kafkacluster/$CLUSTER" --timeout="$TIMEOUT"
load_stop delete
for _ in $(seq 1 90); do [ "$(cluster_field '{.status.kafka.preferredLeaderImbalance}')" = 0 ] && break; sleep 2; done
[ "$(cluster_field '{.status.kafka.preferredLeaderImbalance}')" = 0 ] || fail "leaders did not return to their preferred brokers"

# A consumer group member that reads the topic from the start through both scalings; `readers_check` compares what
# it printed with the topic's records once the producers are done.
readers_start() {
  $KUBECTL -n "$NS" run readers --restart=Never --quiet --image="$KCAT_IMAGE" --command -- \
    kcat -b "$BOOTSTRAP" -G e2e-readers -o beginning -q -f '%s\n' "$TOPIC"
  $KUBECTL -n "$NS" wait --for=condition=Ready pod/readers --timeout="$TIMEOUT"
}
readers_check() {
  local want got missing
  want=$(kcat -b "$BOOTSTRAP" -t "$TOPIC" -C -o beginning -e -q | sort)
  for _ in $(seq 1 60); do
    got=$($KUBECTL -n "$NS" logs readers | sort -u)
    missing=$(comm -23 <(sort -u <<<"$want") <(cat <<<"$got") | wc -l)
    [ "$missing" = 0 ] && break
    sleep 2
  done
  [ "$missing" = 0 ] || fail "the consumer group did not read $missing record(s) of $TOPIC"
  $KUBECTL -n "$NS" delete pod readers --wait=false
}
# Every record a load_* producer wrote is there exactly once: its numbers run 1..N without a gap or a repeat.
loads_check() {
  local records tag dups count max
  records=$(kcat -b "$BOOTSTRAP" -t "$TOPIC" -C -o beginning -e -q)
  dups=$(grep '^load-' <<<"$records" | sort | uniq -d | head -5)
  [ -z "$dups" ] || fail "records written twice: $dups"
  for tag in "$@"; do
    count=$(grep -c "^load-$tag-" <<<"$records" || true)
    max=$(grep "^load-$tag-" <<<"$records" | sed "s/^load-$tag-//" | sort -n | tail -1)
    if [ "$count" -eq 0 ] || [ "$count" != "$max" ]; then fail "load $tag: $count records for numbers up to $max (lost records)"; fi
  done
}
readers_start

step "scale up 3 -> 5 under load: the new brokers receive replicas and leaders"
load_start up
$KUBECTL -n "$NS" patch "kafkacluster/$CLUSTER" --type=merge -p '{"spec":{"replicas":5}}'
for _ in $(seq 1 300); do [ "$(cluster_field '{.status.rebalance.state}')" = Completed ] && break; sleep 2; done
[ "$(cluster_field '{.status.rebalance.state}')" = Completed ] || fail "the scale-up rebalance did not complete: $(cluster_field '{.status.rebalance}')"
$KUBECTL -n "$NS" wait --for=condition=Ready "kafkacluster/$CLUSTER" --timeout="$TIMEOUT"
[ "$(cluster_field '{.status.rebalance.kind}')" = ScaleUp ] || fail "the last rebalance is not the scale-up: $(cluster_field '{.status.rebalance}')"
for b in 3 4; do
  [ "$(cluster_field "{.status.brokers[$b].replicas}")" -gt 0 ] || fail "broker $b holds no replica after the rebalance"
  # The operator elects the preferred leaders the plan chose once the moves are done.
  [ "$(cluster_field "{.status.brokers[$b].leaders}")" -gt 0 ] || fail "broker $b leads no partition after the rebalance"
done
load_stop up

step "scale down 5 -> 3 under load: refused while an RF 4 topic would not fit, then drained first and removed"
load_start down
$KUBECTL apply -f - <<YAML
apiVersion: kafka.kafkaoperator.io/v1alpha1
kind: KafkaTopic
metadata: {name: e2e-wide, namespace: $NS}
spec: {cluster: $CLUSTER, partitions: 1, replicationFactor: 4}
YAML
$KUBECTL -n "$NS" wait --for=condition=Ready kafkatopic/e2e-wide --timeout="$TIMEOUT"
uids=$(broker_uids)
$KUBECTL -n "$NS" patch "kafkacluster/$CLUSTER" --type=merge -p '{"spec":{"replicas":3}}'
ready_reason='{.status.conditions[?(@.type=="Ready")].reason}'
for _ in $(seq 1 60); do [ "$(cluster_field "$ready_reason")" = ScaleDownBlocked ] && break; sleep 2; done
[ "$(cluster_field "$ready_reason")" = ScaleDownBlocked ] || fail "the scale-down was not refused: $(cluster_field '{.status.conditions}')"
grep -q e2e-wide <<<"$(cluster_field '{.status.conditions[?(@.type=="Ready")].message}')" || fail "ScaleDownBlocked does not name e2e-wide: $(cluster_field '{.status.conditions}')"
sleep 15 # a requeue later: still nothing stopped or moved
[ "$($KUBECTL -n "$NS" get statefulset "$CLUSTER-broker" -o jsonpath='{.spec.replicas}')" = 5 ] || fail "the StatefulSet shrank although the scale-down was refused"
[ "$(broker_uids)" = "$uids" ] || fail "a broker pod went although the scale-down was refused"
[ "$(cluster_field '{.status.rebalance.kind}')" = ScaleUp ] || fail "a drain started although the scale-down was refused: $(cluster_field '{.status.rebalance}')"
$KUBECTL -n "$NS" delete kafkatopic/e2e-wide --timeout="$TIMEOUT"
for _ in $(seq 1 300); do [ "$($KUBECTL -n "$NS" get statefulset "$CLUSTER-broker" -o jsonpath='{.spec.replicas}')" = 3 ] && break; sleep 2; done
[ "$($KUBECTL -n "$NS" get statefulset "$CLUSTER-broker" -o jsonpath='{.spec.replicas}')" = 3 ] || fail "the StatefulSet was not scaled down: $(cluster_field '{.status.conditions}')"
# The StatefulSet shrinks only once the drain is done: the scale-down rebalance has completed by now.
[ "$(cluster_field '{.status.rebalance.kind}/{.status.rebalance.state}')" = ScaleDown/Completed ] || fail "the StatefulSet shrank before the drain completed: $(cluster_field '{.status.rebalance}')"
$KUBECTL -n "$NS" wait --for=condition=Ready "kafkacluster/$CLUSTER" --timeout="$TIMEOUT"
load_stop down
meta=$(kcat -b "$BOOTSTRAP" -L -t "$TOPIC")
grep -Eq 'replicas: ([0-9]+,)*[34](,|$)' <<<"$meta" && fail "a partition still lists a removed broker: $meta"
loads_check roll delete up down
readers_check
$KUBECTL -n "$NS" get pvc "data-$CLUSTER-broker-4" >/dev/null 2>&1 && fail "the removed broker's claim was kept although deleteClaim is true"

step "a scale-down below the controllers is refused by admission"
$KUBECTL -n "$NS" patch "kafkacluster/$CLUSTER" --type=merge -p '{"spec":{"replicas":2}}' 2>/dev/null && fail "replicas below controllers was admitted"

step "deleting the KafkaTopic deletes the topic"
$KUBECTL -n "$NS" delete "kafkatopic/$TOPIC" --timeout="$TIMEOUT"
# List every topic: `kcat -L -t TOPIC` sends a Metadata request for that one topic, which auto-creation (were it on)
# would answer by creating it again. Each broker learns of the deletion from the metadata quorum, so poll briefly.
gone=0
for _ in $(seq 1 15); do
  topics=$(kcat -b "$BOOTSTRAP" -L) || fail "kcat -L failed"
  grep -q "topic \"$TOPIC\" with" <<<"$topics" || { gone=1; break; }
  sleep 2
done
[ "$gone" = 1 ] || fail "topic still exists after the KafkaTopic was deleted"

echo
echo "E2E PASSED"
