#!/usr/bin/env bash
# BENCH_ONLY=metadata make bench (or this script alone): issue #12's metadata benchmark on a 3-broker cluster of this
# machine (combined nodes, every partition RF 3, so every broker holds a replica of each). For each size in
# BENCH_META_PARTITIONS (default 100000; e.g. "10000 30000 100000" for the curve), on a fresh cluster:
#   - creation: topics of BENCH_META_PER_TOPIC partitions (100) in CreateTopics requests of BENCH_META_BATCH topics
#     (50), one request in flight; partitions/s from the first request to every partition led with a full ISR, and
#     until every broker has opened its replica log of each (their directories counted on disk);
#   - each broker's RSS (/proc/<pid>/status VmRSS) with that metadata, and its newest metadata snapshot
#     (`<offset>-<epoch>.checkpoint` in __cluster_metadata-0) once one covers the creation;
#   - controller failover (controller.quorum.fetch.timeout.ms=2000): kill -9 of the quorum leader; a new leader,
#     the next committed metadata change, its fencing (broker.session.timeout.ms) and its leaderships moved;
#   - the killed broker's restart to ready, with its start-up lines (snapshot load, caught up, logs opened, usable).
# BENCH_META_STEPS=create stops each size after the creation, RSS and snapshot (for A/B runs of the creation with
# BROKER_DLL set to another build); BENCH_META_STEPS=restart kills broker BENCH_META_VICTIM (1) instead of the
# controller-failover probe and measures only its restarts; BENCH_META_LIMITS=0 leaves out the machine's limits; BENCH_META_RESTARTS=N restarts
# the same broker N-1 more times, alternating the builds of BENCH_META_RESTART_DLLS (see restart_again).
# Then this machine's disk and loopback limits and the load average. Writes out/bench-metadata.md.
# A replica holds no open file until it is first written (or read), so the sizes here, whose partitions stay
# empty, fit under this machine's open-files limit of 20,000 however many replicas a broker holds.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
sizes=${BENCH_META_PARTITIONS:-100000}
per_topic=${BENCH_META_PER_TOPIC:-100}
batch=${BENCH_META_BATCH:-50}
mkdir -p out
# BROKER_DLL: another broker build (e.g. a copy of main's, for an A/B run) instead of building this tree's
[ -n "${BROKER_DLL:-}" ] || dotnet build broker/Server/KafkaOperator.Server.csproj -c Release -nologo -v:q -clp:NoSummary
[ -n "${BENCH_NO_BUILD:-}" ] || dotnet build bench/KafkaOperator.Bench.csproj -c Release -nologo -v:q -clp:NoSummary
broker_dll=${BROKER_DLL:-broker/Server/bin/Release/net10.0/KafkaOperator.Server.dll}
bench_dll=bench/bin/Release/net10.0/KafkaOperator.Bench.dll

work=$(mktemp -d "${TMPDIR:-/tmp}/ko-bench-meta.XXXXXX")
declare -A cpid=() cwrap=()
cleanup() {
  for p in "${cpid[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
declare -A R J
alive() { cluster_alive "$1"; }
rss_mb() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

export BENCH_LOGS=${BENCH_LOGS:-out/bench-metadata-logs}
source scripts/bench-cluster.sh

fd_limit=$(ulimit -n)
rows=()
note() { echo "bench: $*"; rows+=("$*"); }

replica_dirs() { # broker id: its replica directories of the part's topics
  find "$cdir/broker-$1" -maxdepth 1 -name 'bench-meta-*' -type d 2>/dev/null | wc -l
}

newest_snapshot() { # broker id: path of its newest metadata snapshot, or nothing
  find "$cdir/broker-$1" -path '*__cluster_metadata-0/*' -name '*.checkpoint' 2>/dev/null \
    | awk -F/ '{split($NF, a, "-"); print a[1] + 0, $0}' | sort -n | tail -1 | cut -d' ' -f2-
}

metadata_part() { # partitions
  local n=$1 topics i k t0 deadline out victim fenced snap ms line
  topics=$(( n / per_topic ))
  csession=9000 cheartbeat=2000
  # A snapshot after 20 s without one, so that the creation is in one when the restart loads it (the default is
  # an hour or 20 MB of records, and 100,000 partitions' creation records are about 1 MB).
  cextra=$'controller.quorum.fetch.timeout.ms=2000\nmetadata.log.max.snapshot.interval.ms=20000'
  cluster_up "meta_$n"
  J[create]=$(timeout 3600 dotnet "$bench_dll" create-topics --bootstrap "$cbs" --prefix bench-meta --topics "$topics" \
    --partitions "$per_topic" --batch "$batch" --rf 3 --config min.insync.replicas=2 --timeout-s 3500) \
    || { echo "bench: creating $n partitions failed"; alive "create"; exit 1; }
  alive "create $n"
  echo "bench: ${J[create]}"
  t0=$(( $(jget "${J[create]}" led_ms) ))
  local led_load; led_load=$(loadavg)
  # Until every broker has a directory for each of its replicas: the metadata says led, the disk says opened.
  local start_s; start_s=$(date +%s); deadline=$(( start_s + 1800 ))
  for i in 0 1 2; do
    until [ "$(replica_dirs "$i")" -ge "$n" ]; do
      [ "$(date +%s)" -gt "$deadline" ] && { echo "bench: broker $i has $(replica_dirs "$i") of $n replica logs after 1800 s"; break; }
      alive "replica logs"; sleep 1
    done
  done
  local opened_s=$(( $(date +%s) - start_s ))
  note "$n partitions ($topics topics × $per_topic, RF 3, CreateTopics of $batch topics): all led after $(( t0 / 1000 )) s = $(jget "${J[create]}" partitions_per_s) partitions/s; request round trip first tenth $(jget "${J[create]}" request_ms_first_tenth) ms, last tenth $(jget "${J[create]}" request_ms_last_tenth) ms, max $(jget "${J[create]}" request_ms_max) ms; every replica log on disk ${opened_s} s later (load average $led_load)"
  local rss=""
  for i in 0 1 2; do rss+="${rss:+, }broker $i $(rss_mb "${cpid[$i]}") MB"; done
  note "$n partitions: RSS after creation: $rss (load average $(loadavg))"
  # CPU time is what the load average does not stretch: each broker's own (utime + stime) from its start.
  local cpu="" hz; hz=$(getconf CLK_TCK)
  for i in 0 1 2; do cpu+="${cpu:+, }broker $i $(awk -v hz="$hz" '{printf "%.1f", ($14 + $15) / hz}' "/proc/${cpid[$i]}/stat") s"; done
  note "$n partitions: CPU time used since start (cluster start and creation): $cpu"
  # A snapshot that covers the creation: written after the creation ended, on every broker.
  local since; since=$(date +%s); deadline=$(( since + 120 ))
  for i in 0 1 2; do
    # A snapshot removed between the listing and the stat (a newer one replaced it) counts as none yet.
    until snap=$(newest_snapshot "$i") && [ -n "$snap" ] && [ "$(stat -c %Y "$snap" 2>/dev/null || echo 0)" -ge "$since" ]; do
      [ "$(date +%s)" -gt "$deadline" ] && break; alive "snapshot"; sleep 1
    done
  done
  local sizes_kb=""
  for i in 0 1 2; do snap=$(newest_snapshot "$i"); sizes_kb+="${sizes_kb:+, }$([ -n "$snap" ] && echo "$(basename "$snap") $(( $(stat -c %s "$snap") / 1024 )) KiB" || echo none)"; done
  note "$n partitions: newest metadata snapshot per broker: $sizes_kb"
  rss=""
  for i in 0 1 2; do rss+="${rss:+, }broker $i $(rss_mb "${cpid[$i]}") MB"; done
  note "$n partitions: RSS settled (after the snapshot): $rss"
  if [ "${BENCH_META_STEPS:-all}" = create ]; then cluster_down; cextra=""; return 0; fi
  if [ "${BENCH_META_STEPS:-all}" = restart ]; then
    # Restarts only: kill -9 of broker BENCH_META_VICTIM (1) instead of the controller-failover probe, whose
    # requests fail while a loaded machine's quorum is between leaders.
    victim=${BENCH_META_VICTIM:-1}
    local killed_at
    kill -9 "${cpid[$victim]}"; gone "$victim"
    killed_at=$(( $(now_ns) / 1000000 ))
    until [ -n "$(fenced_at "$victim" "$killed_at")" ]; do sleep 0.2; alive "fencing of broker $victim"; done
    note "$n partitions: kill -9 of broker $victim: fenced after $(( $(fenced_at "$victim" "$killed_at") - killed_at )) ms (load average $(loadavg))"
  else

  out=$(timeout 400 dotnet "$bench_dll" controller-failover --bootstrap "$cbs" --prefix bench-meta --pids "$(cpids)" --timeout-s 380) \
    || { echo "bench: controller failover probe failed"; alive "controller failover"; exit 1; }
  echo "bench: $out"
  victim=$(jget "$out" killed_broker)
  gone "$victim"
  alive "controller failover"
  fenced=$(fenced_at "$victim" "$(jget "$out" killed_at_unix_ms)")
  local fence_to_moved=""
  [ -n "$fenced" ] && fence_to_moved=$(( $(jget "$out" moved_at_unix_ms) - fenced ))
  note "$n partitions: kill -9 of the active controller (broker $victim, leading $(jget "$out" led_before)): new quorum leader (broker $(jget "$out" new_leader)) after $(jget "$out" elected_ms) ms, next metadata commit after $(jget "$out" committed_ms) ms; fenced (session timeout $csession ms) after $(jget "$out" fenced_ms) ms, its leaderships moved ${fence_to_moved:-?} ms after the fencing ($(jget "$out" moved_ms) ms after the kill) (load average $(loadavg))"
  fi

  cstart "$victim"
  ms=$(cready "$victim" 600) || { alive "restart"; exit 1; }
  local err; err=$(clog "$victim" err)
  line=$(grep -o 'loaded snapshot .*' "$err" | head -1 || true)
  local steps; steps=$(grep -o 'start-up: .*' "$err" | sed 's/^start-up: //' | paste -sd ';' - | sed 's/;/; /g' || true)
  note "$n partitions: restart of broker $victim to ready $ms ms (target < 10 s); ${line:-no snapshot loaded}; ${steps}; RSS at ready $(rss_mb "${cpid[$victim]}") MB (load average $(loadavg))"
  restart_again "$n" "$victim"
  cluster_down
  cextra=""
}

# BENCH_META_RESTARTS=N (N > 1): after the first restart the same broker is killed (kill -9) and restarted N-1 more
# times on the same cluster, each BENCH_META_SETTLE_S (30) after the last was ready, taking the builds of
# BENCH_META_RESTART_DLLS (space-separated; default the one build) in turn: A/B of start-up changes without creating
# 100,000 partitions again for each run.
restart_again() { # partitions victim
  local n=$1 victim=$2 again dlls k ms err line steps killed_at first=$broker_dll
  read -r -a dlls <<< "${BENCH_META_RESTART_DLLS:-$broker_dll}"
  for again in $(seq 2 "${BENCH_META_RESTARTS:-1}"); do
    sleep "${BENCH_META_SETTLE_S:-30}"
    k=$(( (again - 2) % ${#dlls[@]} )); broker_dll=${dlls[$k]}
    kill -9 "${cpid[$victim]}"; gone "$victim"
    killed_at=$(( $(now_ns) / 1000000 ))
    # As after the first kill: restarted once the controller has fenced it.
    until [ -n "$(fenced_at "$victim" "$killed_at")" ]; do sleep 0.2; alive "fencing before restart $again"; done
    cstart "$victim"
    ms=$(cready "$victim" 600) || { alive "restart $again"; exit 1; }
    err=$(clog "$victim" err)
    line=$(grep -o 'loaded snapshot .*' "$err" | head -1 || true)
    steps=$(grep -o 'start-up: .*' "$err" | sed 's/^start-up: //' | paste -sd ';' - | sed 's/;/; /g' || true)
    note "$n partitions: restart $again of broker $victim (build $broker_dll) to ready $ms ms; ${line:-no snapshot loaded}; ${steps}; RSS at ready $(rss_mb "${cpid[$victim]}") MB (load average $(loadavg))"
  done
  broker_dll=$first
}

for n in $sizes; do metadata_part "$n"; done
rm -rf "$cdir"

if [ "${BENCH_META_LIMITS:-1}" = 1 ]; then # 0: without the machine's limits (A/B rounds of one part)
  disk=$(timeout 600 dotnet "$bench_dll" disk --dir "$work/disk" --mib 2048 --sync-mib 64)
  loop=$(timeout 60 dotnet "$bench_dll" loopback --seconds 3)
  note "machine: disk $disk; loopback $loop; $(nproc) CPUs; open-files limit $fd_limit; load average $(loadavg)"
fi
{
  echo "## Metadata at scale (issue #12), $(date -u '+%F %H:%M') UTC"
  echo
  for r in "${rows[@]}"; do echo "- $r"; done
} > out/bench-metadata.md
cat out/bench-metadata.md
