# Sourced by scripts/bench.sh (needs its variables: work, rkp, broker_dll, bench_dll, R, J, cpid, load_pid, and
# its functions now_ns, alive, produce): the replicated part of `make bench`. Three brokers on this machine in
# combined mode (each also a metadata quorum voter, as scripts/run-cluster.sh starts them), topics with RF 3 and
# min.insync.replicas=2. Each phase starts a fresh cluster, so one phase's leftovers (a killed broker, thousands
# of partitions) do not colour the next:
#   A (defaults): RF 3 produce throughput (acks=all, and acks=1 for comparison), produce latency idle and under
#     about 50 MB/s, reassignment throughput (unthrottled and throttled) with produce latency during it, failover
#     after kill -9
#   B (broker.session.timeout.ms=2000): failover after kill -9
#   C (defaults): SIGTERM of a broker leading about 1,000 of 3,000 partitions: time until its leaderships moved
#   D (broker.session.timeout.ms=2000): 10,000 partitions: kill -9, fencing to leaderships moved; restart to ready
# About 5 minutes on a 2-CPU machine, most of it D's topic creation (10,000 partitions, RF 3: about a minute).

source scripts/bench-cluster.sh

# ---- A: defaults. RF 3 throughput (rdkafka_performance, the single-node flags), latency idle and under load,
# failover after kill -9 with broker.session.timeout.ms=9000
cluster_up rep_a
create_topic rep_topic bench-rf3 6 60
produce r1k_all bench-rf3 1024 1000000 -1 "$cbs"
p0=$(jget "${J[rep_topic]}" p0_leader)
J[rlat]=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$p0" --topic bench-rf3 --rate 1000 --seconds 10 --acks -1) || J[rlat]=$failed_probe
echo "bench: RF 3 latency acks=all at 1k rec/s: ${J[rlat]}"
alive "RF 3 latency"
# The latency probe keeps one record in flight, so it cannot carry 50 MB/s itself: rdkafka_performance carries
# that load (48,828 1 KiB records/s = 50 MB/s, acks=all) while the probe measures.
timeout 60 "$rkp" -P -t bench-rf3 -b "$cbs" -s 1024 -c 683592 -r 48828 -a -1 -q -X linger.ms=5 -X batch.size=1000000 \
  -X queue.buffering.max.kbytes=2097151 -X queue.buffering.max.messages=2000000 > "$work/load.txt" 2>&1 &
load_pid=$!
sleep 2
J[rlat_load]=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$p0" --topic bench-rf3 --rate 1000 --seconds 10 --acks -1) || J[rlat_load]=$failed_probe
wait "$load_pid" || true; load_pid=""
load=$(grep "messages produced" "$work/load.txt" | tail -1 || true)
R[rload_mbps]=$(sed -n 's/.* and \([0-9.]*\) MB\/s.*/\1/p' <<< "$load")
R[rload_failed]=$(sed -n 's/.*, \([0-9]*\) failed).*/\1/p' <<< "$load")
echo "bench: RF 3 latency acks=all at 1k rec/s under load: ${J[rlat_load]}; load: $load"
alive "RF 3 latency under load"
# The same produce with acks=1: what replication costs in bandwidth, apart from waiting for the followers (after
# the latency runs, which it would disturb while the followers catch up; the failover probe's acks=all warm-up
# waits for them).
produce r1k_a1 bench-rf3 1024 1000000 1 "$cbs"
# Reassignment throughput: a one-replica partition moved whole from broker 0 to broker 1: 256 MiB unthrottled, then
# 64 MiB throttled at 10 MB/s (Kafka's rates and throttled replica lists); acks=all produce latency on bench-rf3
# during the first 5 s of each.
reassign() { # key topic records(1 KiB) throttle
  timeout 90 dotnet "$bench_dll" reassign-setup --bootstrap "$cbs" --topic "$2" --broker 0 > /dev/null \
    || { echo "bench: creating $2 failed"; alive "reassign setup"; exit 1; }
  timeout 120 "$rkp" -P -t "$2" -p 0 -b "$cbs" -s 1024 -c "$3" -a 1 -q -X linger.ms=5 -X batch.size=1000000 > /dev/null 2>&1 || true
  J[$1]=$(timeout 330 dotnet "$bench_dll" reassign --bootstrap "$cbs" --topic "$2" --to 1 --throttle "$4" \
          --latency-bootstrap "$p0" --latency-topic bench-rf3 --latency-seconds 5) || J[$1]=null
  echo "bench: reassignment (throttle $4): ${J[$1]}"
  alive "reassign $2"
}
reassign move_free bench-move-free 262144 0
reassign move_throttled bench-move-throttled 65536 10000000
failover fo9000

# ---- B: failover with broker.session.timeout.ms=2000 (heartbeat 500 ms: the controller checks every 250 ms)
csession=2000 cheartbeat=500
cluster_up rep_b
create_topic rep_topic_b bench-rf3 6 60
failover fo2000

# ---- C: controlled shutdown (SIGTERM) of a broker that leads about 1,000 of 3,000 partitions
shutdown_part

# ---- D: 10,000 partitions, broker.session.timeout.ms=2000: kill -9, fencing to leaderships moved; restart to ready
restart_part
cluster_down
rm -rf "$cdir"
