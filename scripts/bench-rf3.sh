#!/usr/bin/env bash
# The RF 3 part of `make bench` alone, repeatable and quick, for A/B comparisons of replication changes: a fresh
# 3-broker cluster (scripts/bench-cluster.sh's, as `make bench` starts it), a 6-partition topic with RF 3 and
# min.insync.replicas=2, then rdkafka_performance 1 KiB acks=all, the same with acks=1, and the raw-protocol
# latency probe (acks=all, 1k rec/s) alone and under rdkafka_performance asking 50 MB/s acks=all. Prints one line
# of figures. Not part of `make test`.
#   BROKER_DIR  the broker build to run (default broker/Server/bin/Release/net10.0): copy a build aside to compare
#   COUNT       records for each throughput run (default 300000)
#   PARTS       what to run, any of: all a1 lat load (default "all a1 lat load")
#   TRACE_S     when set: dotnet-trace (DOTNET_TRACE, default /tmp/dtools/dotnet-trace) records broker 0 for that
#               many seconds during the acks=all run into out/rf3-trace/ (sampled thread time)
#   PERF_S      when set: `perf record -g` of the three brokers (run with DOTNET_PerfMapEnabled=1, so .NET frames
#               have names) for that many seconds during the acks=all run into out/rf3-perf/perf.data
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
declare -A cpid cwrap R J
load_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill -9 "$load_pid" 2>/dev/null || true
  cluster_down
  rm -rf "$work"
}
trap cleanup EXIT
now_ns() { date +%s%N; }
alive() {
  local i code
  for i in "${!cpid[@]}"; do
    kill -0 "${cpid[$i]}" 2>/dev/null && continue
    wait "${cwrap[$i]}" 2>/dev/null; code=$?
    echo "bench-rf3: broker $i exited (status $code) during: $1" >&2; tail -30 "$(clog "$i" out)" "$(clog "$i" err)" >&2; exit 1
  done
}

export BENCH_LOGS=${LOGS:-out/bench-rf3-logs}
source scripts/bench-cluster.sh
[ -n "${PERF_S:-}" ] && cenv=DOTNET_PerfMapEnabled=1
cluster_up rf3 > /dev/null
pids=("${cpid[0]}" "${cpid[1]}" "${cpid[2]}")
bs=$cbs
create_topic rf3 bench-rf3 6 60 > /dev/null
p0=$(jget "${J[rf3]}" p0_leader)

out=""
cpu_ms() { # user + system CPU of the three brokers so far, in ms
  local p t=0
  for p in "${pids[@]}"; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done
  echo $(( t * 1000 / $(getconf CLK_TCK) ))
}
field() { sed -n "s/.*\"$1\": *\([0-9.]*\).*/\1/p" <<< "$2"; }
produce() { # acks: MB/s of COUNT 1 KiB records (the single-node flags of bench.sh)
  timeout 300 "$rkp" -P -t bench-rf3 -b "$bs" -s 1024 -c "$count" -a "$1" -q \
    -X linger.ms=5 -X batch.size=1000000 -X queue.buffering.max.kbytes=2097151 -X queue.buffering.max.messages=2000000 2>&1 \
    | grep "messages produced" | tail -1 | sed -n 's/.* and \([0-9.]*\) MB\/s.*/\1/p'
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
        perf record -F 499 -g -o out/rf3-perf/perf.data -p "$(IFS=,; echo "${pids[*]}")" -- sleep "$PERF_S" > "$work/perf.log" 2>&1 &
        perf_pid=$!
      fi
      c0=$(cpu_ms)
      out+="acks_all_MBps=$(produce -1) broker_cpu_ms_per_MB=$(awk -v c=$(( $(cpu_ms) - c0 )) -v n="$count" 'BEGIN { printf "%.1f", c * 1e6 / (n * 1024) }') "
      [ -n "${TRACE_S:-}" ] && wait "$trace_pid" || true
      [ -n "${PERF_S:-}" ] && wait "$perf_pid" || true
      ;;
    a1) out+="acks1_MBps=$(produce 1) " ;;
    lat)
      j=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$p0" --topic bench-rf3 --rate 1000 --seconds 5 --acks -1)
      out+="lat_p50/p99/p999_us=$(field p50_us "$j")/$(field p99_us "$j")/$(field p999_us "$j") "
      ;;
    load)
      timeout 60 "$rkp" -P -t bench-rf3 -b "$bs" -s 1024 -c 390000 -r 48828 -a -1 -q -X linger.ms=5 -X batch.size=1000000 \
        -X queue.buffering.max.kbytes=2097151 -X queue.buffering.max.messages=2000000 > "$work/load.txt" 2>&1 &
      load_pid=$!
      sleep 1
      j=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$p0" --topic bench-rf3 --rate 1000 --seconds 5 --acks -1)
      wait "$load_pid" || true; load_pid=""
      carried=$(grep "messages produced" "$work/load.txt" | tail -1 | sed -n 's/.* and \([0-9.]*\) MB\/s.*/\1/p')
      out+="load_lat_p50/p99/p999_us=$(field p50_us "$j")/$(field p99_us "$j")/$(field p999_us "$j") load_carried_MBps=$carried "
      ;;
    *) echo "bench-rf3: unknown part $part" >&2; exit 2 ;;
  esac
done
echo "${out}loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
