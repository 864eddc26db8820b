#!/usr/bin/env bash
# make bench: starts a Release broker and measures it with rdkafka_performance (built from librdkafka-dev's
# example) and KafkaOperator.Bench, next to this machine's own limits; then a 3-broker cluster on this machine
# (replication: RF 3 throughput and latency, failover after kill -9, controlled shutdown, 10,000 partitions).
# Prints a table and writes out/bench.md. Not part of `make test`. Every step has a timeout; the brokers and the
# data directory are removed on exit. BENCH_ONLY=single skips the cluster; BENCH_ONLY=replicated runs the cluster
# and, of the single node, only the 1 KiB acks=1 produce that the RF 3 throughput is compared with. BENCH_ONLY=balancer
# runs only the balancer's planning benchmark (no broker; writes out/bench-balancer.md). BENCH_SCRAPE=1 scrapes every
# broker's /metrics once a second (as a Prometheus would) during the produce parts. BENCH_ONLY=scrape starts one broker
# and alternates the 1 KiB acks=1 produce and the latency probe without and with that scraping (writes
# out/bench-scrape.md). BENCH_ONLY=metadata runs scripts/bench-metadata.sh (issue #12: many partitions' creation,
# controller failover, restart from a metadata snapshot; writes out/bench-metadata.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
only=${BENCH_ONLY:-}
case "$only" in "" | single | replicated | balancer | scrape | metadata) ;; *) echo "BENCH_ONLY must be single, replicated, balancer, scrape or metadata, not '$only'" >&2; exit 2 ;; esac
mkdir -p out
# Issue #12's metadata benchmark (100,000 partitions RF 3 by default: BENCH_META_PARTITIONS) has a script of its own.
[ "$only" = metadata ] && exec bash scripts/bench-metadata.sh
if [ "$only" = balancer ]; then
  dotnet build bench/KafkaOperator.Bench.csproj -c Release -nologo -v:q -clp:NoSummary
  timeout 600 dotnet bench/bin/Release/net10.0/KafkaOperator.Bench.dll balancer > out/balancer.json
  python3 scripts/bench_balancer.py out/balancer.json > out/bench-balancer.md
  cat out/bench-balancer.md
  exit 0
fi
single() { [ "$only" != replicated ] && [ "$only" != scrape ]; }

bash scripts/install-deps.sh --bench
mkdir -p out

# Load generator: librdkafka's rdkafka_performance example, built against the installed librdkafka. It includes
# two internal headers of the librdkafka source tree; bench/rdkafka_performance provides stand-ins. Its -r rate
# limiter is patched (scripts/rkp_rate_patch.py) to keep an absolute schedule and sleep instead of spinning a CPU.
rkp=out/rdkafka_performance
src=/usr/share/doc/librdkafka-dev/examples/rdkafka_performance.c
if [ ! -f "$src" ] && [ -f "$src.gz" ]; then zcat "$src.gz" > out/rdkafka_performance.orig.c; src=out/rdkafka_performance.orig.c; fi
if [ ! -x "$rkp" ] || [ "$src" -nt "$rkp" ] || [ scripts/rkp_rate_patch.py -nt "$rkp" ]; then
  python3 scripts/rkp_rate_patch.py "$src" out/rdkafka_performance.c
  gcc -O2 -Wall -Ibench/rdkafka_performance -Ibench/rdkafka_performance/src -o "$rkp" out/rdkafka_performance.c -lrdkafka -lpthread -lm
fi

dotnet build broker/Server/KafkaOperator.Server.csproj -c Release -nologo -v:q -clp:NoSummary
dotnet build bench/KafkaOperator.Bench.csproj -c Release -nologo -v:q -clp:NoSummary
broker_dll=broker/Server/bin/Release/net10.0/KafkaOperator.Server.dll
bench_dll=bench/bin/Release/net10.0/KafkaOperator.Bench.dll

work=$(mktemp -d "${TMPDIR:-/tmp}/ko-bench.XXXXXX")
broker_pid=""
iperf_pid=""
load_pid=""
scraper_pid=""
nf_pid=""
declare -A cpid=() cwrap=() # cluster broker id -> pid (and its wrapper's), for the brokers that should be running
cleanup() {
  [ -n "$broker_pid" ] && kill -9 "$broker_pid" 2>/dev/null || true
  [ -n "$iperf_pid" ] && kill -9 "$iperf_pid" 2>/dev/null || true
  [ -n "$load_pid" ] && kill -9 "$load_pid" 2>/dev/null || true
  [ -n "$scraper_pid" ] && kill -9 "$scraper_pid" 2>/dev/null || true
  [ -n "$nf_pid" ] && kill -9 "$nf_pid" 2>/dev/null || true
  for p in "${cpid[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
declare -A R  # figure -> measured value
declare -A J  # probe -> its JSON line
failed_probe='{"p50_us": null, "p99_us": null, "p999_us": null}'

now_ns() { date +%s%N; }
# Stops the run with a broker's own output when one is gone that should run, instead of reporting empty figures.
alive() {
  local i code
  if [ -n "$broker_pid" ] && ! kill -0 "$broker_pid" 2>/dev/null; then
    wait "$broker_pid" 2>/dev/null; code=$?
    echo "bench: the broker exited (status $code) during: $1"; tail -20 "$work/broker.out" "$work/broker.err"; exit 1
  fi
  # cluster_alive comes with scripts/bench-cluster.sh, sourced once the single-node parts are done
  [ ${#cpid[@]} -eq 0 ] || cluster_alive "$1"
}

# Scrapes every running broker's /metrics once a second in the background until scrape_off (BENCH_SCRAPE=1, or the
# argument `force`); each answer's status goes to $work/scrapes.txt. A slow scrape does not delay the next one.
scrape_on() {
  [ "${BENCH_SCRAPE:-0}" = 1 ] || [ "${1:-}" = force ] || return 0
  local urls="" i
  [ -n "$broker_pid" ] && urls=$(sed -n 's/^metrics: \(http[^ ]*\)/\1/p' "$work/broker.out")
  for i in "${!cpid[@]}"; do urls+=" $(sed -n 's/^metrics: \(http[^ ]*\)/\1/p' "$(clog "$i" out)")"; done
  ( while true; do
      for u in $urls; do curl -s -o /dev/null -m 10 -w '%{http_code}\n' "$u" >> "$work/scrapes.txt" 2>/dev/null & done
      sleep 1
    done ) &
  scraper_pid=$!
}
scrape_off() {
  [ -n "$scraper_pid" ] || return 0
  kill "$scraper_pid" 2>/dev/null || true; wait "$scraper_pid" 2>/dev/null || true; scraper_pid=""
}

# ---- broker start: time to ready, idle RSS
# metrics.port=0: an ephemeral /metrics port, so a `make run` cluster on 9404 does not stop the benchmark's broker
printf 'listeners=PLAINTEXT://127.0.0.1:0\nlog.dirs=%s/data\nnum.partitions=6\nauto.create.topics.enable=true\nmetrics.host=127.0.0.1\nmetrics.port=0\n' "$work" > "$work/server.properties"
t0=$(now_ns)
dotnet "$broker_dll" "$work/server.properties" > "$work/broker.out" 2> "$work/broker.err" &
broker_pid=$!
deadline=$(( $(date +%s) + 60 ))
until grep -q "KafkaOperator broker ready" "$work/broker.out" 2>/dev/null; do
  if ! kill -0 "$broker_pid" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
    echo "bench: broker did not become ready"; cat "$work/broker.out" "$work/broker.err"; exit 1
  fi
  sleep 0.005
done
R[ready_ms]=$(( ($(now_ns) - t0) / 1000000 ))
R[ready_reported]=$(sed -n 's/.*(\([0-9.]*\) ms).*/\1/p' "$work/broker.out" | head -1)
bs=$(sed -n 's/.*listening on \([^ ]*\) .*/\1/p' "$work/broker.out" | head -1)
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$broker_pid/status"; }
R[rss_ready_mb]=$(( $(rss_kb) / 1024 ))
sleep 2
R[rss_idle_mb]=$(( $(rss_kb) / 1024 ))
echo "bench: broker ready at $bs in ${R[ready_ms]} ms (reported ${R[ready_reported]} ms), idle RSS ${R[rss_idle_mb]} MB"

# ---- produce throughput: "% N messages produced (B bytes), D delivered (...) in T ms: R msgs/s and M MB/s"
# CPU ms per MB produced, of the broker (from /proc/<pid>/stat) and of the load generator (time(1)), so that a
# throughput can be read against the 2 CPUs both share: R[<name>_bcpu], R[<name>_pcpu].
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
produce() { # name topic size count acks [bootstrap [more rdkafka_performance arguments]]
  local out t0=0 mb
  scrape_on
  [ -n "$broker_pid" ] && t0=$(ticks "$broker_pid")
  out=$(/usr/bin/time -o "$work/prod.cpu" -f "%U %S" timeout 300 "$rkp" -P -t "$2" -b "${6:-$bs}" -s "$3" -c "$4" -a "$5" -q \
        -X linger.ms=5 -X batch.size=1000000 -X queue.buffering.max.kbytes=2097151 -X queue.buffering.max.messages=2000000 "${@:7}" 2>&1 | grep "messages produced" | tail -1) || true
  mb=$(awk -v n="$4" -v s="$3" 'BEGIN { print n * s / 1e6 }')
  [ -n "$broker_pid" ] && R[$1_bcpu]=$(awk -v t=$(( $(ticks "$broker_pid") - t0 )) -v hz="$(getconf CLK_TCK)" -v mb="$mb" 'BEGIN { printf "%.2f", t * 1000 / hz / mb }')
  R[$1_pcpu]=$(tail -1 "$work/prod.cpu" | awk -v mb="$mb" '{ printf "%.2f", ($1 + $2) * 1000 / mb }')
  scrape_off
  alive "$1"
  echo "bench: $1: $out"
  R[$1_mps]=$(sed -n 's/.*: \([0-9]*\) msgs\/s.*/\1/p' <<< "$out")
  R[$1_mbps]=$(sed -n 's/.* and \([0-9.]*\) MB\/s.*/\1/p' <<< "$out")
  R[$1_failed]=$(sed -n 's/.*, \([0-9]*\) failed).*/\1/p' <<< "$out")
}
if [ "$only" = scrape ]; then
  # Alternating rounds (without, with), so that the shared machine's load hits both sides alike.
  jget() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  : > "$work/scrapes.txt"
  timeout 60 "$rkp" -P -t bench-latency -p 0 -b "$bs" -s 100 -c 10 -q > /dev/null 2>&1 || true
  rows=""
  for round in 1 2 3 4 5; do
    for mode in off on; do
      [ "$mode" = on ] && export BENCH_SCRAPE=1 || export BENCH_SCRAPE=0
      produce "scrape_${mode}_$round" bench-1k-a1 1024 300000 1
      scrape_on
      lat=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$bs" --topic bench-latency --rate 1000 --seconds 5 --acks 1) || lat=$failed_probe
      scrape_off
      alive "latency with scraping $mode"
      rows+="$round $mode ${R[scrape_${mode}_${round}_mbps]:-} $(jget "$lat" p50_us) $(jget "$lat" p99_us)"$'\n'
    done
  done
  ok=$(grep -c '^200$' "$work/scrapes.txt" || true); all=$(wc -l < "$work/scrapes.txt")
  # What one scrape costs the broker, read from its own CPU accounting (utime + stime, in clock ticks): 300 scrapes
  # back to back on the broker that now holds the rounds' topics. Unlike the rounds above, this figure does not move
  # with other work on the machine.
  murl="http://$(sed -n 's|.*metrics: http://\([^ /]*\)/metrics.*|\1|p' "$work/broker.out" | head -1)/metrics"
  hz=$(getconf CLK_TCK); n=300; t_before=$(ticks "$broker_pid"); w0=$(now_ns); bytes=0
  for _ in $(seq "$n"); do b=$(curl -s -m 10 -o /dev/null -w '%{size_download}' "$murl") && bytes=$(( bytes + b )); done
  cpu_ms=$(( ( $(ticks "$broker_pid") - t_before ) * 1000 / hz )); wall_ms=$(( ($(now_ns) - w0) / 1000000 ))
  per_scrape=$(python3 -c "print(f'{$cpu_ms / $n:.2f}')"); share=$(python3 -c "print(f'{$cpu_ms / $n / 10:.3f}')")
  {
    echo "## Produce with and without a scrape of /metrics every second ($(date -u +%F), $(nproc) CPUs)"
    echo
    echo "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg); scrapes answered 200: $ok of $all"
    echo
    echo "| round | scraping | 1 KiB acks=1 produce, MB/s | latency p50 at 1k rec/s, us | p99, us |"
    echo "|---|---|---|---|---|"
    while read -r a b c d e; do [ -n "$a" ] && echo "| $a | $b | $c | $d | $e |"; done <<< "$rows"
    echo
    echo "One scrape costs the broker $per_scrape ms of CPU ($cpu_ms ms for $n scrapes of $(( bytes / n )) bytes each, $wall_ms ms wall):"
    echo "at one scrape a second that is $share % of one CPU."
  } > out/bench-scrape.md
  cat out/bench-scrape.md
  exit 0
fi
produce p1k_a1 bench-1k-a1 1024 1000000 1
# The produce ceiling: the same load generator against librdkafka's in-process mock broker (no network, no disk),
# run right after the broker's first run on its fresh topic, which the 1 KiB acks=1 target is a share of.
produce mock_1k_a1 bench-1k-a1 1024 1000000 1 127.0.0.1:1 -X test.mock.num.brokers=1
if single; then
produce p1k_all bench-1k-all 1024 1000000 -1
produce p100_a1 bench-100-a1 100 5000000 1
produce p100_all bench-100-all 100 5000000 -1

# ---- consume throughput: "% N messages (B bytes) consumed in T ms: R msgs/s (M MB/s)". librdkafka's default
# fetch sizes (fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB), as a user's consumer has them; three runs
# from the page cache, the median reported.
consume3() { # name bootstrap: R[<name>_mps], R[<name>_mbps]
  local runs=() line out i
  for i in 1 2 3; do
    line=$(timeout 300 "$rkp" -C -t bench-1k-a1 -b "$2" -p 0 -p 1 -p 2 -p 3 -p 4 -p 5 -o 0 -c 1000000 -q \
          -X queued.max.messages.kbytes=1048576 2>&1 | grep "consumed in" | tail -1) || true
    echo "bench: $1 run $i: $line"
    runs+=("$line")
  done
  out=$(printf '%s\n' "${runs[@]}" | sort -t'(' -k3 -n | sed -n 2p)
  echo "bench: $1: $out"
  R[$1_mps]=$(sed -n 's/.*: \([0-9]*\) msgs\/s.*/\1/p' <<< "$out")
  R[$1_mbps]=$(sed -n 's/.*(\([0-9.]*\) MB\/s).*/\1/p' <<< "$out")
}
consume3 c1k "$bs"
alive consume
# The consume ceiling: the same consumer against a responder that serves 1 KiB record batches from memory and does
# nothing else (KafkaOperator.Bench null-fetch).
dotnet "$bench_dll" null-fetch --topic bench-1k-a1 --partitions 6 --size 1024 --seconds 600 > "$work/null-fetch.out" 2>&1 &
nf_pid=$!
for _ in $(seq 200); do [ -s "$work/null-fetch.out" ] && break; sleep 0.05; done
consume3 cceil "$(head -1 "$work/null-fetch.out")"
kill -9 "$nf_pid" 2>/dev/null || true; wait "$nf_pid" 2>/dev/null || true; nf_pid=""

# ---- produce latency at 1k records/s: raw protocol probe (the broker's own latency) and librdkafka's view
timeout 60 "$rkp" -P -t bench-latency -p 0 -b "$bs" -s 100 -c 10 -q > /dev/null 2>&1 || true
scrape_on
J[lat1]=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$bs" --topic bench-latency --rate 1000 --seconds 10 --acks 1) || J[lat1]=$failed_probe
J[latall]=$(timeout 120 dotnet "$bench_dll" latency --bootstrap "$bs" --topic bench-latency --rate 1000 --seconds 10 --acks -1) || J[latall]=$failed_probe
scrape_off
echo "bench: latency acks=1: ${J[lat1]}"; echo "bench: latency acks=all: ${J[latall]}"
timeout 120 "$rkp" -P -t bench-latency -p 0 -b "$bs" -s 100 -c 10000 -r 1000 -a 1 -l -A "$work/rkp-latency.txt" -q \
  -X linger.ms=0 > /dev/null 2>&1 || true
alive latency
fi # single

kill -TERM "$broker_pid"; wait "$broker_pid" 2>/dev/null || true; broker_pid=""

[ "$only" != single ] && source scripts/bench-replicated.sh

# ---- machine limits: disk (buffered, fdatasync every 64 MiB, 2 GiB) on the broker's filesystem; loopback TCP
J[disk]=$(timeout 600 dotnet "$bench_dll" disk --dir "$work/disk" --mib 2048 --sync-mib 64)
J[loop]=$(timeout 60 dotnet "$bench_dll" loopback --seconds 3)
# The balancer needs no broker: time to plan 100,000 partitions and its moves against the lower bound.
J[balancer]=$(timeout 600 dotnet "$bench_dll" balancer) || J[balancer]=null
J[floor]=$(timeout 60 dotnet "$bench_dll" latency-floor --rate 1000 --seconds 10) || J[floor]=$failed_probe
echo "bench: latency floor: ${J[floor]}"
echo "bench: ${J[disk]}"; echo "bench: ${J[loop]}"
# The codec switches (issue #13): System.IO.Hashing's CRC-32C and Snappier against the code they replaced.
J[codecs]=$(timeout 300 dotnet "$bench_dll" codecs --seconds 2) || J[codecs]=null
echo "bench: codecs: ${J[codecs]}"
iperf=""
if command -v iperf3 > /dev/null; then
  port=$(( 20000 + RANDOM % 20000 ))
  iperf3 -s -1 -p "$port" > /dev/null 2>&1 &
  iperf_pid=$!
  for _ in $(seq 100); do timeout 15 iperf3 -c 127.0.0.1 -p "$port" -t 3 -J > "$work/iperf.json" 2>/dev/null && break; sleep 0.05; done
  iperf_pid=""
  iperf=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/8e6,1))' "$work/iperf.json" 2>/dev/null || true)
fi

results="$work/results.json"
{
  echo "{"
  for k in "${!R[@]}"; do printf '"%s": "%s",\n' "$k" "${R[$k]}"; done
  for k in "${!J[@]}"; do printf '"%s": %s,\n' "$k" "${J[$k]:-null}"; done
  printf '"only": "%s", "iperf": "%s"}\n' "$only" "$iperf"
} > "$results"

python3 scripts/bench_table.py "$results" "$work/rkp-latency.txt" > out/bench.md
cat out/bench.md
