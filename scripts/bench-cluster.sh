# Sourced by scripts/bench-replicated.sh and scripts/bench-restart.sh: a 3-broker cluster on this machine (combined
# mode, each broker also a metadata quorum voter, as scripts/run-cluster.sh starts them) and the probes' helpers.
# Needs the caller's variables work, broker_dll, bench_dll, J, R, cpid, cwrap and its function alive (which may call
# cluster_alive below).

cdir="$work/cluster"
declare -A cgen cstart_ns cwrap # broker id -> start count (one log file per start), start time, wrapper pid
logs=${BENCH_LOGS:-out/bench-logs} # each cluster's broker output, kept for a look at what the figures do not show
rm -rf "$logs"
csession=9000
cheartbeat=2000

now_ns() { date +%s%N; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# Stops the run with a broker's own output when a cluster broker that should run is gone, instead of reporting empty
# figures. $1: what was running.
cluster_alive() {
  local i code
  for i in "${!cpid[@]}"; do
    kill -0 "${cpid[$i]}" 2>/dev/null && continue
    wait "${cwrap[$i]}" 2>/dev/null; code=$?
    echo "bench: cluster broker $i exited (status $code) during: $1"; tail -30 "$(clog "$i" out)" "$(clog "$i" err)"; exit 1
  done
}

clog() { echo "$cdir/broker-$1.${cgen[$1]}.$2"; } # broker id, out|err: the current start's output
cpids() { local i s=""; for i in "${!cpid[@]}"; do s+="${s:+,}$i=${cpid[$i]}"; done; echo "$s"; }
jget() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }

cstart() { # broker id: starts it (again: same data directory and ports) with the phase's session settings
  local i=$1
  mkdir -p "$cdir/broker-$i"
  cgen[$i]=$(( ${cgen[$i]:-0} + 1 ))
  cat > "$cdir/broker-$i.properties" <<PROPS
node.id=$i
process.roles=broker,controller
cluster.id=bench-cluster
controller.quorum.voters=$cvoters
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${cports[$i]},CONTROLLER://127.0.0.1:${cports[$((3 + i))]}
advertised.listeners=PLAINTEXT://127.0.0.1:${cports[$i]}
log.dirs=$cdir/broker-$i
metrics.host=127.0.0.1
metrics.port=0
num.partitions=6
default.replication.factor=3
offsets.topic.replication.factor=3
auto.create.topics.enable=false
broker.session.timeout.ms=$csession
broker.heartbeat.interval.ms=$cheartbeat
PROPS
  # cextra: more properties, one per line, for a part that needs them (e.g. the metadata part's snapshot interval)
  [ -n "${cextra:-}" ] && printf '%s\n' "$cextra" >> "$cdir/broker-$i.properties"
  rm -f "$cdir/broker-$i.pid"
  cstart_ns[$i]=$(now_ns)
  # A wrapper subshell is the script's child, so that a broker a probe kills on purpose is not announced as
  # "Killed" by this shell; its exit status still comes through the wrapper's.
  ( env ${cenv:-} dotnet "$broker_dll" "$cdir/broker-$i.properties" & echo $! > "$cdir/broker-$i.pid"; wait $! ) \
    > "$(clog "$i" out)" 2> "$(clog "$i" err)" &
  cwrap[$i]=$!
  until [ -s "$cdir/broker-$i.pid" ]; do sleep 0.001; done
  cpid[$i]=$(cat "$cdir/broker-$i.pid")
}

cready() { # broker id, timeout in s: waits for its ready line; prints ms from process start to it
  local i=$1 deadline=$(( $(date +%s) + $2 ))
  until grep -q "KafkaOperator broker ready" "$(clog "$i" out)" 2>/dev/null; do
    if ! kill -0 "${cpid[$i]}" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
      { echo "bench: cluster broker $i did not become ready"; tail -30 "$(clog "$i" out)" "$(clog "$i" err)"; } >&2
      return 1
    fi
    sleep 0.005
  done
  echo $(( ($(now_ns) - cstart_ns[$i]) / 1000000 ))
}

cluster_up() { # phase name: a fresh 3-broker cluster; R[<phase>_ready_ms] is when the last one was ready
  local i ms max=0
  cluster_down
  cphase=$1
  rm -rf "$cdir"; mkdir -p "$cdir"
  # Fixed before the start, because every broker's configuration names every voter's CONTROLLER port; free
  # ports picked per cluster, so a port another process took since the last one cannot stop the run.
  read -r -a cports < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
  cvoters="0@127.0.0.1:${cports[3]},1@127.0.0.1:${cports[4]},2@127.0.0.1:${cports[5]}"
  cbs="127.0.0.1:${cports[0]},127.0.0.1:${cports[1]},127.0.0.1:${cports[2]}"
  for i in 0 1 2; do cstart "$i"; done
  for i in 0 1 2; do ms=$(cready "$i" 60); [ "$ms" -gt "$max" ] && max=$ms; done
  R[$1_ready_ms]=$max
  echo "bench: $1: 3-broker cluster ready in $max ms (session timeout $csession ms, heartbeat $cheartbeat ms), bootstrap $cbs"
}

cluster_down() { # kills the cluster's brokers and keeps their output under out/bench-logs/<phase>
  local i
  for i in "${!cpid[@]}"; do kill -9 "${cpid[$i]}" 2>/dev/null || true; wait "${cwrap[$i]}" 2>/dev/null || true; done
  cpid=()
  if [ -n "${cphase:-}" ] && [ -d "$cdir" ]; then mkdir -p "$logs/$cphase"; cp "$cdir"/*.out "$cdir"/*.err "$logs/$cphase/" 2>/dev/null || true; fi
}

gone() { # broker id: a broker a probe killed or stopped on purpose; sets gone_status to its exit status
  gone_status=0
  wait "${cwrap[$1]}" 2>/dev/null || gone_status=$?
  unset "cpid[$1]"
}

create_topic() { # key name partitions timeout_s: RF 3, min.insync.replicas=2, waits for every ISR to be full
  J[$1]=$(timeout $(( $4 + 30 )) dotnet "$bench_dll" create-topic --bootstrap "$cbs" --topic "$2" --partitions "$3" --rf 3 \
          --config min.insync.replicas=2 --timeout-s "$4") || { echo "bench: creating $2 failed"; alive "create $2"; exit 1; }
  echo "bench: ${J[$1]}"
  alive "create $2"
}

replicas_opened() { # topic partitions: waits (up to 300 s) until every broker has a log directory per replica
  # A creation is answered once the controller's broker has published it; the others may still be opening the
  # logs, and a leadership move committed meanwhile is published behind that work (seconds on a loaded machine).
  local i deadline=$(( $(date +%s) + 300 ))
  for i in 0 1 2; do
    until [ "$(find "$cdir/broker-$i" -maxdepth 1 -name "$1-*" -type d 2>/dev/null | wc -l)" -ge "$2" ]; do
      [ "$(date +%s)" -gt "$deadline" ] && { echo "bench: broker $i has not opened every replica of $1 after 300 s"; break; }
      sleep 0.5
    done
  done
  sleep 2
}

fenced_at() { # broker since_unix_ms: unix ms of the active controller's first "fencing broker(s)" line naming it
  python3 - "$@" "$cdir"/broker-*.err <<'PY'
import datetime, re, sys
broker, since, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
first = None
for f in files:
    for line in open(f, errors="replace"):
        m = re.match(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\] INFO controller: fencing broker\(s\) ([0-9, ]+);", line)
        if not m or broker not in [b.strip() for b in m.group(3).split(",")]:
            continue
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
        ms = int(t.timestamp()) * 1000 + int(m.group(2))
        if ms >= since - 1 and (first is None or ms < first):
            first = ms
print("" if first is None else first)
PY
}

failover() { # key: kill -9 of the leader of a bench-rf3 partition (not the controller's) under acks=all produce
  local out victim
  out=$(timeout 90 dotnet "$bench_dll" failover --bootstrap "$cbs" --topic bench-rf3 --pids "$(cpids)" --timeout-s 60) \
    || { echo "bench: failover probe failed"; alive "failover $1"; exit 1; }
  echo "bench: failover (session timeout $csession ms): $out"
  victim=$(jget "$out" killed_broker)
  gone "$victim"; R[$1_exit]=$gone_status
  alive "failover $1"
  R[$1_fenced_ms]=""
  local fenced; fenced=$(fenced_at "$victim" "$(jget "$out" killed_at_unix_ms)")
  [ -n "$fenced" ] && R[$1_fenced_ms]=$(( fenced - $(jget "$out" killed_at_unix_ms) ))
  J[$1]=$out
}


# C: controlled shutdown (SIGTERM) of a broker that leads about 1,000 of 3,000 partitions (defaults: session 9000 ms)
shutdown_part() { # [phase name for the kept logs]
  local out
  csession=9000 cheartbeat=2000
  cluster_up "${1:-rep_c}"
  create_topic shut_topic bench-shutdown 3000 240
  replicas_opened bench-shutdown 3000
  out=$(timeout 90 dotnet "$bench_dll" leaders-moved --bootstrap "$cbs" --topic bench-shutdown --pids "$(cpids)" --signal TERM --timeout-s 60) \
    || { echo "bench: controlled shutdown probe failed"; alive "controlled shutdown"; exit 1; }
  echo "bench: controlled shutdown: $out"
  gone "$(jget "$out" broker)"; R[shut_exit]=$gone_status
  J[shut]=$out
  alive "controlled shutdown"
}

# D: 10,000 partitions, broker.session.timeout.ms=2000: kill -9 of a broker, from its fencing to its leaderships
# moved; the killed broker's restart (10,000 replica logs to open and recover) to ready
restart_part() { # [phase name for the kept logs]
  local out victim killed_at fenced
  csession=2000 cheartbeat=500
  cluster_up "${1:-rep_d}"
  create_topic big_topic bench-10k 10000 300
  out=$(timeout 90 dotnet "$bench_dll" leaders-moved --bootstrap "$cbs" --topic bench-10k --pids "$(cpids)" --signal KILL --timeout-s 60) \
    || { echo "bench: 10,000-partition fencing probe failed"; alive "10k fencing"; exit 1; }
  echo "bench: 10,000 partitions, kill -9: $out"
  victim=$(jget "$out" broker)
  R[big_victim]=$victim
  gone "$victim"
  J[big]=$out
  alive "10k fencing"
  killed_at=$(jget "$out" signalled_at_unix_ms)
  fenced=$(fenced_at "$victim" "$killed_at")
  R[big_fence_to_moved_ms]=""
  R[big_fence_to_writable_ms]=""
  if [ -n "$fenced" ]; then
    R[big_fence_to_moved_ms]=$(( $(jget "$out" moved_at_unix_ms) - fenced ))
    R[big_fence_to_writable_ms]=$(( killed_at + $(jget "$out" writable_ms) - fenced ))
  fi
  # BENCH_RESTART_ENV: environment for the restarted broker only (e.g. DOTNET_EnableEventPipe=1 ... to trace it)
  cenv=${BENCH_RESTART_ENV:-} cstart "$victim"
  R[big_restart_ms]=$(cready "$victim" 120)
  R[big_restart_reported]=$(sed -n 's/.*(\([0-9.]*\) ms).*/\1/p' "$(clog "$victim" out)" | head -1)
  echo "bench: 10,000 partitions: fencing to leaderships moved ${R[big_fence_to_moved_ms]} ms; restart of broker $victim to ready ${R[big_restart_ms]} ms"
  alive "10k restart"
}
