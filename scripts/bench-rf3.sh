#!/usr/bin/env bash
# The RF 3 part of `make bench` alone, repeatable and quick, for A/B comparisons of replication changes: a fresh
# 3-broker cluster (scripts/bench-cluster.sh's, as `make bench` starts it), a 6-partition topic with RF 3 and
# min.insync.replicas=2, then rdkafka_performance 1 KiB acks=all, the same with acks=1, and the raw-protocol
# latency probe (acks=all, 1k rec/s) alone and under rdkafka_performance asking 50 MB/s acks=all. Prints one line
# of figures. Not part of `make test`. The load part also prints the brokers' CPU share during it (load_broker_cpu_pct) and
# rdkafka_performance's (load_prod_cpu_pct, 100 = one CPU; make bench builds it with scripts/rkp_rate_patch.py, whose
# -r limiter sleeps: Debian's example as is spins between messages).
#   BROKER_DIR  the broker build to run (default broker/Server/bin/Release/net10.0): copy a build aside to compare
#   COUNT       records for each throughput run (default 300000)
#   PARTS       what to run, any of: all a1 lat load single (default "all a1 lat load"); single: a single-node
#               broker (6 partitions, RF 1) taking COUNT records with acks=1, the figure RF 3 is compared with,
#               then its acks=1 latency (the probe at 1k rec/s)
#   The throughput parts also print CPU ms per MB produced of each broker (cpu_b<id>, <id> leads 2 of the 6
#   partitions and follows 4) and of the producer (cpu_prod), read from /proc/<pid>/stat and time(1); acks=all
#   also the brokers' minor page faults per MB (broker_faults_per_MB: fresh anonymous memory they touched; page
#   cache pages a write() fills are not counted there).
#   TRACE_S     when set: dotnet-trace (DOTNET_TRACE, default /tmp/dtools/dotnet-trace) records broker 0 for that
#               many seconds during the acks=all run into out/rf3-trace/ (sampled thread time)
#   PERF_S      when set: `perf record -g` of the three brokers (run with DOTNET_PerfMapEnabled=1, so .NET frames
#               have names) for that many seconds during the acks=all run into out/rf3-perf/perf.data; PERF_ARGS
#               replaces its sampling (default -F 499), e.g. "-e page-faults -c 1" for where fresh memory is touched
#   LOGS        where to keep the brokers' output (default out/bench-rf3-logs)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
broker_dir=${BROKER_DIR:-broker/Server/bin/Release/net10.0}
broker_dll=$broker_dir/KafkaOperator.Server.dll
bench_dll=bench/bin/Release/net10.0/KafkaOperator.Bench.dll
count=${COUNT:-300000}
parts=${PARTS:-all a1 lat load}
rkp=out/rdkafka_performance
[ -x "$rkp" ] || rkp=/tmp/rkp
for f in "$broker_dll" "$bench_dll" "$rkp"; do [ -e "$f" ] || { echo "bench-rf3: $f missing (build it first)" >&2; exit 2; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/ko-rf3.XXXXXX")
declare -A cpid=() cwrap=() R J
load_pid=""
single_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill -9 "$load_pid" 2>/dev/null || true
  [ -n "$single_pid" ] && kill -9 "$single_pid" 2>/dev/null || true
  cluster_down
  rm -rf "$work"
}
trap cleanup EXIT
alive() { cluster_alive "$1" >&2; }

export BENCH_LOGS=${LOGS:-out/bench-rf3-logs}
source scripts/bench-cluster.sh
[ -n "${PERF_S:-}" ] && cenv="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0" # W^X double-maps JIT code where perf cannot name it
pids=()
if [ "$parts" != single ]; then
  cluster_up rf3 > /dev/null
  pids=("${cpid[0]}" "${cpid[1]}" "${cpid[2]}")
  bs=$cbs
  create_topic rf3 bench-rf3 6 60 > /dev/null
  p0=$(jget "${J[rf3]}" p0_leader)
fi

out=""
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system CPU of a process so far, in clock ticks
faults() { # minor page faults of the three brokers so far: fresh memory touched (on this VM each costs a host fault too)
  local p t=0
  for p in "${pids[@]}"; do t=$(( t + $(awk '{print $10}' "/proc/$p/stat") )); done
  echo "$t"
}
cpu_ms() { # of the three brokers so far
  local p t=0
  for p in "${pids[@]}"; do t=$(( t + $(ticks "$p") )); done
  echo $(( t * 1000 / $(getconf CLK_TCK) ))
}
per_mb() { awk -v t="$1" -v n="$count" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t * 1000 / hz * 1e6 / (n * 1024) }'; } # ticks -> CPU ms per MB
field() { sed -n "s/.*\"$1\": *\([0-9.]*\).*/\1/p" <<< "$2"; }
produce() { # acks [topic]: MB/s of COUNT 1 KiB records (the single-node flags of bench.sh); the producer's CPU s in $work/prod.cpu
  /usr/bin/time -o "$work/prod.cpu" -f "%U %S" timeout 300 "$rkp" -P -t "${2:-bench-rf3}" -b "$bs" -s 1024 -c "$count" -a "$1" -q \
    -X linger.ms=5 -X batch.size=1000000 -X queue.buffering.max.kbytes=2097151 -X queue.buffering.max.messages=2000000 2>&1 \
    | grep "messages produced" | tail -1 | sed -n 's/.* and \([0-9.]*\) MB\/s.*/\1/p'
}
prod_per_mb() { tail -1 "$work/prod.cpu" | awk -v n="$count" '{ printf "%.1f", ($1 + $2) * 1000 * 1e6 / (n * 1024) }'; } # the last line: time(1) puts a non-zero exit status first
measured() { # acks [topic]: "MBps cpu_b0=... cpu_b1=... cpu_b2=... cpu_prod=..." for the brokers in pids
  local i mbps
  declare -a t0
  for i in "${!pids[@]}"; do t0[$i]=$(ticks "${pids[$i]}"); done
  mbps=$(produce "$@")
  echo -n "$mbps"
  for i in "${!pids[@]}"; do echo -n " cpu_b$i=$(per_mb $(( $(ticks "${pids[$i]}") - t0[i] )))"; done
  echo -n " cpu_prod=$(prod_per_mb)"
}
single_node() { # a single broker as bench.sh starts it, 6 partitions, acks=1
  local sdir=$work/single
  mkdir -p "$sdir"
  printf 'listeners=PLAINTEXT://127.0.0.1:0\nlog.dirs=%s/data\nnum.partitions=6\nauto.create.topics.enable=true\nmetrics.host=127.0.0.1\nmetrics.port=0\n' "$sdir" > "$sdir/server.properties"
  dotnet "$broker_dll" "$sdir/server.properties" > "$sdir/broker.out" 2> "$sdir/broker.err" &
  single_pid=$!
  until grep -q "KafkaOperator broker ready" "$sdir/broker.out" 2>/dev/null; do
    kill -0 "$single_pid" 2>/dev/null || { echo "bench-rf3: single broker did not start" >&2; cat "$sdir/broker.err" >&2; exit 1; }
    sleep 0.01
  done
  local saved_bs=${bs:-} saved_pids=("${pids[@]}")
  bs=$(sed -n 's/.*listening on \([^ ]*\) .*/\1/p' "$sdir/broker.out" | head -1)
  timeout 60 "$rkp" -P -t bench-1k-a1 -b "$bs" -s 100 -c 10 -q > /dev/null 2>&1 || true # creates the topic
  pids=("$single_pid")
  out+="single_acks1_MBps=$(measured 1 bench-1k-a1) "
  timeout 60 "$rkp" -P -t bench-latency -p 0 -b "$bs" -s 100 -c 10 -q > /dev/null 2>&1 || true
  j=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$bs" --topic bench-latency --rate 1000 --seconds 5 --acks 1)
  out+="single_lat_acks1_p50/p99/p999_us=$(field p50_us "$j")/$(field p99_us "$j")/$(field p999_us "$j") "
  pids=("${saved_pids[@]}"); bs=$saved_bs
  kill "$single_pid"; wait "$single_pid" 2>/dev/null || true; single_pid=""
}
for part in $parts; do
  case "$part" in
    all)
      if [ -n "${TRACE_S:-}" ]; then
        mkdir -p out/rf3-trace
        "${DOTNET_TRACE:-/tmp/dtools/dotnet-trace}" collect -p "${pids[0]}" --duration "00:00:00:$(printf %02d "$TRACE_S")" \
          -o "out/rf3-trace/broker0-$(date +%H%M%S).nettrace" > "$work/trace.log" 2>&1 &
        trace_pid=$!
        sleep 1
      fi
      if [ -n "${PERF_S:-}" ]; then
        mkdir -p out/rf3-perf
        # shellcheck disable=SC2086 # PERF_ARGS is several words on purpose
        perf record ${PERF_ARGS:--F 499} -g -o out/rf3-perf/perf.data -p "$(IFS=,; echo "${pids[*]}")" -- sleep "$PERF_S" > "$work/perf.log" 2>&1 &
        perf_pid=$!
      fi
      c0=$(cpu_ms)
      f0=$(faults)
      m=$(measured -1)
      out+="acks_all_MBps=$m broker_cpu_ms_per_MB=$(awk -v c=$(( $(cpu_ms) - c0 )) -v n="$count" 'BEGIN { printf "%.1f", c * 1e6 / (n * 1024) }') "
      out+="broker_faults_per_MB=$(awk -v f=$(( $(faults) - f0 )) -v n="$count" 'BEGIN { printf "%.0f", f * 1e6 / (n * 1024) }') "
      [ -n "${TRACE_S:-}" ] && wait "$trace_pid" || true
      [ -n "${PERF_S:-}" ] && wait "$perf_pid" || true
      ;;
    a1) out+="acks1_MBps=$(measured 1) " ;;
    single) single_node ;;
    lat)
      j=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$p0" --topic bench-rf3 --rate 1000 --seconds 5 --acks -1)
      out+="lat_p50/p99/p999_us=$(field p50_us "$j")/$(field p99_us "$j")/$(field p999_us "$j") "
      ;;
    load)
      /usr/bin/time -o "$work/load.cpu" -f "%U %S %e" timeout 60 "$rkp" -P -t bench-rf3 -b "$bs" -s 1024 -c 390000 -r 48828 -a -1 -q \
        -X linger.ms=5 -X batch.size=1000000 -X queue.buffering.max.kbytes=2097151 -X queue.buffering.max.messages=2000000 > "$work/load.txt" 2>&1 &
      load_pid=$!
      lc0=$(cpu_ms); lt0=$(date +%s%N)
      sleep 1
      j=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$p0" --topic bench-rf3 --rate 1000 --seconds 5 --acks -1)
      wait "$load_pid" || true; load_pid=""
      lbroker=$(awk -v c=$(( $(cpu_ms) - lc0 )) -v ns=$(( $(date +%s%N) - lt0 )) 'BEGIN { printf "%.0f", c * 1e8 / ns }')
      carried=$(grep "messages produced" "$work/load.txt" | tail -1 | sed -n 's/.* and \([0-9.]*\) MB\/s.*/\1/p')
      out+="load_lat_p50/p99/p999_us=$(field p50_us "$j")/$(field p99_us "$j")/$(field p999_us "$j") load_carried_MBps=$carried "
      # rdkafka_performance's CPU share of the run (100 = one CPU; the unpatched example's -r spins a CPU)
      out+="load_broker_cpu_pct=$lbroker load_prod_cpu_pct=$(tail -1 "$work/load.cpu" | awk '{ printf "%.0f", ($1 + $2) * 100 / $3 }') "
      ;;
    *) echo "bench-rf3: unknown part $part" >&2; exit 2 ;;
  esac
done
echo "${out}${R[rf3_ready_ms]:+cluster_ready_ms=${R[rf3_ready_ms]} }loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
