#!/usr/bin/env bash
# Runs the format check and every xunit test project, then prints one closing line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The test clients (apt packages, an npm build of a native module) install while the solution builds: neither needs
# the other, and on a fresh machine each takes minutes.
deps_log=$(mktemp)
bash scripts/install-deps.sh > "$deps_log" 2>&1 &
deps_pid=$!
deps_done() {
  local rc=0
  wait "$deps_pid" || rc=$?
  cat "$deps_log"
  [ $rc -eq 0 ] || { echo "scripts/install-deps.sh failed (exit $rc)"; [ -z "${format_pid:-}" ] || kill "$format_pid" 2>/dev/null; echo "0 passed, 1 failed"; exit 1; }
}
dotnet build KafkaOperator.sln -c Release -nologo -clp:NoSummary -v:q || { deps_done; echo "0 passed, 1 failed"; exit 1; }
# The format check costs about three minutes of CPU (it compiles the solution again for its analyzers) and has no
# deadline, while the test projects spend much of their time waiting on broker timers: it runs beside them at the
# lowest priority, so it takes their idle CPU rather than their time windows, and its verdict is read at the end.
format_log=$(mktemp)
nice -n 19 dotnet format KafkaOperator.sln --verify-no-changes --no-restore -v:q > "$format_log" 2>&1 &
format_pid=$!
deps_done

results=$(mktemp -d)
status=0
for proj in tests/*/*.Tests.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  dotnet test "$proj" -c Release --no-build -nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --blame-hang-timeout 5m || status=1
done

format_status=0
wait "$format_pid" || format_status=$?
cat "$format_log"
if [ $format_status -ne 0 ]; then
  echo "FAILED dotnet format found changes to make (run: dotnet format KafkaOperator.sln)"
  status=1
fi

python3 - "$results" "$status" "$format_status" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p = f = s = 0
failures = []
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find("{*}ResultSummary/{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
    # CI keeps only the last lines of the output: name every failed test and its message there.
    for r in ET.parse(path).getroot().iter():
        if r.tag.endswith("}UnitTestResult") and r.get("outcome") in ("Failed", "Error", "Timeout"):
            m = r.find("{*}Output/{*}ErrorInfo/{*}Message")
            msg = " ".join((m.text or "").split()) if m is not None else ""
            failures.append(f"FAILED {r.get('testName')}: {msg[:600]}")
# A test host that crashed or hung reports no failed test of its own; the run still failed, so count it.
if int(sys.argv[3]) != 0:
    f += 1
elif int(sys.argv[2]) != 0 and f == 0:
    f = 1
for line in failures:
    print(line)
print(f"{p} passed, {f} failed, {s} skipped")
PY
[ $status -eq 0 ] || exit 1
