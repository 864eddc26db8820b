#!/usr/bin/env bash
# Only the two issue #10 parts of `make bench`'s cluster run, for iterating on them: (C) SIGTERM of a broker leading
# about 1,000 of 3,000 partitions until its leaderships moved, and (D) 10,000 partitions RF 3: kill -9 of a broker and
# its restart to ready. The same functions as `make bench` (scripts/bench-cluster.sh), a fresh cluster each time.
#   scripts/bench-restart.sh [ROUNDS] [BROKER_DLL...]
# With several broker builds (A/B: e.g. one built from main into another folder) each round runs every build in
# turn, so a busy machine's noise falls on all of them; the load average is printed with every figure.
# BENCH_PARTS=restart or shutdown runs one part. BENCH_RESTARTS=N (restart part, N > 1): after the first restart the
# same broker is killed (kill -9) and restarted N-1 more times on the same cluster, alternating the builds, which
# A/B-compares start-up changes without creating the 10,000 partitions again for each. Broker output is kept under out/bench-restart-logs/<part>.<build>.<round>.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rounds=${1:-1}
shift || true
parts=${BENCH_PARTS:-both}
case "$parts" in both | restart | shutdown) ;; *) echo "BENCH_PARTS must be both, restart or shutdown" >&2; exit 2 ;; esac
mkdir -p out
if [ $# -eq 0 ]; then
  dotnet build broker/Server/KafkaOperator.Server.csproj -c Release -nologo -v:q -clp:NoSummary
  set -- broker/Server/bin/Release/net10.0/KafkaOperator.Server.dll
fi
dotnet build bench/KafkaOperator.Bench.csproj -c Release -nologo -v:q -clp:NoSummary
bench_dll=bench/bin/Release/net10.0/KafkaOperator.Bench.dll

work=$(mktemp -d "${TMPDIR:-/tmp}/ko-bench-restart.XXXXXX")
declare -A cpid=() cwrap=()
cleanup() {
  for p in "${cpid[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
declare -A R J
alive() { cluster_alive "$1"; }

export BENCH_LOGS=out/bench-restart-logs
source scripts/bench-cluster.sh

for round in $(seq 1 "$rounds"); do
  b=0
  for broker_dll in "$@"; do
    b=$((b + 1))
    if [ "$parts" != restart ]; then
      shutdown_part "shutdown.$b.$round"
      echo "RESULT round=$round build=$b ($broker_dll) shutdown moved_ms=$(jget "${J[shut]}" moved_ms) fenced_ms=$(jget "${J[shut]}" fenced_ms) writable_ms=$(jget "${J[shut]}" writable_ms) exit_ms=$(jget "${J[shut]}" exit_ms) polls=$(jget "${J[shut]}" polls) load=$(loadavg)"
    fi
    if [ "$parts" != shutdown ]; then
      restart_part "restart.$b.$round"
      echo "RESULT round=$round build=$b ($broker_dll) restart ready_ms=${R[big_restart_ms]} reported_ms=${R[big_restart_reported]} fence_to_moved_ms=${R[big_fence_to_moved_ms]} load=$(loadavg)"
      victim=${R[big_victim]}
      first=$broker_dll
      for again in $(seq 2 "${BENCH_RESTARTS:-1}"); do
        n=$(( (again - 1) % $# + 1 )); broker_dll=${!n}
        kill -9 "${cpid[$victim]}"; gone "$victim"
        killed_at=$(( $(now_ns) / 1000000 ))
        # Until the controller has fenced it (broker.session.timeout.ms=2000 here), as after the first kill.
        until [ -n "$(fenced_at "$victim" "$killed_at")" ]; do sleep 0.1; done
        sleep 1
        cenv=${BENCH_RESTART_ENV:-} cstart "$victim"
        ms=$(cready "$victim" 120)
        echo "RESULT round=$round restart=$again build=$n ($broker_dll) restart ready_ms=$ms reported_ms=$(sed -n 's/.*(\([0-9.]*\) ms).*/\1/p' "$(clog "$victim" out)" | head -1) load=$(loadavg)"
        alive "10k restart $again"
      done
      broker_dll=$first
    fi
    cluster_down
  done
done
rm -rf "$cdir"
