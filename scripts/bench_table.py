"""out/bench.md from scripts/bench.sh's results: one row per figure, next to its target and this machine's limit.

Usage: bench_table.py results.json rkp-latency.txt. Rows whose figures were not measured (BENCH_ONLY) are left out.
"""
import datetime
import json
import os
import platform
import sys

r = json.load(open(sys.argv[1]))
rk = sorted(int(x) for x in open(sys.argv[2]).read().split()) if os.path.exists(sys.argv[2]) else []


def num(key, default=0.0):
    try:
        return float(r.get(key) or default)
    except (TypeError, ValueError):
        return default


def has(key):
    return r.get(key) not in (None, "")


def pct(xs, q):
    return xs[min(len(xs) - 1, max(0, int(len(xs) * q + 0.999999) - 1))] if xs else float("nan")


def fails(name):
    n = r.get(name + "_failed") or ""
    return "" if n in ("", "0") else f" ({n} failed deliveries)"


def ok(v, target, higher=True):
    if v is None:
        return "**failed**"
    return "yes" if (v >= target if higher else v <= target) else "**no**"


def lat(d):
    return " / ".join("failed" if d.get(k) is None else f"{d[k]:.0f}" for k in ("p50_us", "p99_us", "p999_us")) + " µs"


def get(blob, key):
    return (r.get(blob) or {}).get(key)


disk, loop = r["disk"]["mb_per_s"], r["loop"]["mb_per_s"]
loop_txt = f"loopback TCP {loop:.0f} MB/s (1 connection)" + (f", iperf3 {r['iperf']} MB/s" if r.get("iperf") else "")
disk_txt = f"disk {disk:.0f} MB/s (buffered, fdatasync/64 MiB)"
floor_txt = "loopback round trip with a responder that does nothing: " + lat(r["floor"])
single_rows = r.get("only") != "replicated"

# Ceilings measured in the same run: the load generator against librdkafka's mock broker (produce) and the consumer
# against a responder serving batches from memory (consume); the latency floor against a do-nothing responder.
mock = num("mock_1k_a1_mbps")
mock_txt = (f"produce ceiling (rdkafka_performance against librdkafka's in-process mock broker) {mock:.0f} MB/s"
            + fails("mock_1k_a1")) if mock else "no produce ceiling measured"


def share(v, ceiling):
    return f" = {v / ceiling:.0%} of the ceiling" if ceiling else ""


def cpu(name):
    """CPU ms per MB of the broker and of the load generator, and what 2 CPUs would allow at that cost."""
    b, p = num(name + "_bcpu", -1), num(name + "_pcpu", -1)
    if b < 0 or p < 0 or b + p <= 0:
        return ""
    cpus = os.cpu_count() or 1
    return (f"; CPU per MB: broker {b:.2f} ms, rdkafka_performance {p:.2f} ms, i.e. at most "
            f"{cpus * 1000 / (b + p):.0f} MB/s on {cpus} CPUs")


if mock:
    mock_txt += f" using {num('mock_1k_a1_pcpu'):.2f} ms CPU per MB (producer and mock broker in one process)"


rows = [
    ("produce 1 KiB, acks=1 (first run, fresh topic)", f"{num('p1k_a1_mbps'):.0f} MB/s ({num('p1k_a1_mps'):,.0f} rec/s)"
     + share(num('p1k_a1_mbps'), mock), "≥ 80 % of the produce ceiling",
     (ok(num('p1k_a1_mbps') / mock, 0.8) if mock else "**failed**") + fails('p1k_a1'), f"{mock_txt}; {disk_txt}; {loop_txt}{cpu('p1k_a1')}"),
]
cceil = num("cceil_mbps")
floor50, floor99 = get("floor", "p50_us"), get("floor", "p99_us")
lat_target = (f"p50 ≤ floor + 15 µs ({floor50 + 15:.0f} µs), p99 ≤ 2 × floor ({2 * floor99:.0f} µs)"
              if floor50 is not None and floor99 is not None else "p50 ≤ floor + 15 µs, p99 ≤ 2 × floor (no floor measured)")


def lat_ok(d):
    if floor50 is None or floor99 is None:
        return "**failed**"
    return ok(d.get("p50_us"), floor50 + 15, False) + " / " + ok(d.get("p99_us"), 2 * floor99, False)


if single_rows:
    rows += [
        ("produce 1 KiB, acks=all", f"{num('p1k_all_mbps'):.0f} MB/s ({num('p1k_all_mps'):,.0f} rec/s)"
         + share(num('p1k_all_mbps'), mock), "≥ 80 % of the produce ceiling",
         (ok(num('p1k_all_mbps') / mock, 0.8) if mock else "**failed**") + fails('p1k_all'), f"{mock_txt}; {disk_txt}{cpu('p1k_all')}"),
        ("produce 100 B, acks=1", f"{num('p100_a1_mps'):,.0f} rec/s ({num('p100_a1_mbps'):.0f} MB/s)", "≥ 800k rec/s",
         ok(num('p100_a1_mps'), 800_000) + fails('p100_a1'), loop_txt),
        ("produce 100 B, acks=all", f"{num('p100_all_mps'):,.0f} rec/s ({num('p100_all_mbps'):.0f} MB/s)", "≥ 800k rec/s",
         ok(num('p100_all_mps'), 800_000) + fails('p100_all'), loop_txt),
        ("consume 1 KiB (6 partitions)", f"{num('c1k_mbps'):.0f} MB/s ({num('c1k_mps'):,.0f} rec/s)"
         + share(num('c1k_mbps'), cceil), "≥ 80 % of the consume ceiling",
         ok(num('c1k_mbps') / cceil, 0.8) if cceil else "**failed**",
         f"consume ceiling (the same consumer against a responder serving the batches from memory) {cceil:.0f} MB/s; {loop_txt}"),
        ("produce latency p50 / p99 / p99.9, 1k rec/s, acks=1 (raw protocol)", lat(r['lat1']), lat_target,
         lat_ok(r['lat1']), floor_txt),
        ("produce latency p50 / p99 / p99.9, 1k rec/s, acks=all (raw protocol)", lat(r['latall']), lat_target,
         lat_ok(r['latall']), floor_txt),
        ("produce latency p50 / p99 / p99.9, 1k rec/s (librdkafka delivery report)",
         f"{pct(rk, .5)} / {pct(rk, .99)} / {pct(rk, .999)} µs ({len(rk)} samples)", "(client view, informative)", "-",
         "includes librdkafka queueing"),
    ]
rows += [
    ("time to ready (process start → ready line)", f"{num('ready_ms'):.0f} ms (broker reports {r.get('ready_reported')} ms)",
     "< 1000 ms", ok(num('ready_ms'), 1000, False), "includes .NET runtime start"),
]
if single_rows:
    rows += [
        ("idle RSS 2 s after ready", f"{num('rss_idle_mb'):.0f} MB (at ready {num('rss_ready_mb'):.0f} MB)", "< 150 MB",
         ok(num('rss_idle_mb'), 150, False), "-"),
    ]

# ---- replicated: three brokers on this machine, RF 3, min.insync.replicas=2
cpus = f"{os.cpu_count()} CPUs for 3 brokers and the client"
if has("rep_a_ready_ms"):
    rf3, single = num("r1k_all_mbps"), num("p1k_a1_mbps")
    ratio = rf3 / single if single else None
    rows += [
        ("RF 3: 3-broker cluster ready (processes start → last ready line)", f"{num('rep_a_ready_ms'):.0f} ms",
         "(informative)", "-", "one quorum election; includes .NET runtime start"),
        ("RF 3 produce 1 KiB, acks=all (6 partitions, min.insync.replicas=2)",
         f"{rf3:.0f} MB/s ({num('r1k_all_mps'):,.0f} rec/s) = "
         + (f"{ratio:.0%} of single-node acks=1 ({single:.0f} MB/s)" if ratio is not None else "no single-node figure"),
         "≥ 50 % of single-node acks=1", ok(ratio, 0.5) + fails("r1k_all"),
         f"{disk_txt}, ÷ 3 copies = {disk / 3:.0f} MB/s; {cpus}"),
        ("RF 3 produce 1 KiB, acks=1 (same topic; followers still copy everything, the producer does not wait for them)",
         f"{num('r1k_a1_mbps'):.0f} MB/s ({num('r1k_a1_mps'):,.0f} rec/s) = "
         + (f"{num('r1k_a1_mbps') / single:.0%} of single-node acks=1" if single else "no single-node figure"),
         "(informative)", "-" + fails("r1k_a1"), f"{disk_txt}, ÷ 3 copies = {disk / 3:.0f} MB/s; {cpus}"),
        ("RF 3 produce latency p50 / p99 / p99.9, 1k rec/s, acks=all (raw protocol)", lat(r["rlat"]), "p99 ≤ 5 ms",
         ok(get("rlat", "p99_us"), 5000, False), floor_txt),
        (f"RF 3 produce latency p50 / p99 / p99.9, 1k rec/s, acks=all, under rdkafka_performance load "
         f"(asked 50 MB/s acks=all, carried {num('rload_mbps'):.0f} MB/s)", lat(r["rlat_load"]), "p99 ≤ 5 ms",
         ok(get("rlat_load", "p99_us"), 5000, False) + fails("rload"), f"{floor_txt}; {cpus}"),
    ]
for key in ("move_free", "move_throttled"):
    m = r.get(key)
    if not m:
        continue
    throttle = m["throttle"]
    target = f"within 10 % of {throttle / 1e6:.0f} MB/s" if throttle else "(informative)"
    met = ok(abs(m["mb_per_s"] * 1e6 / throttle - 1), 0.10, False) if throttle else "-"
    rows.append((f"reassignment: a {m['bytes'] / 2**20:.0f} MiB partition moved to another broker, "
                 + (f"throttled at {throttle / 1e6:.0f} MB/s" if throttle else "unthrottled")
                 + f"; acks=all produce p50 / p99 / p99.9 on another topic during its first {m['latency_seconds']} s",
                 f"{m['mb_per_s']:.1f} MB/s ({m['seconds']:.1f} s); latency {lat(m['latency'])}", target, met,
                 f"{disk_txt}; {loop_txt}; {cpus}"))
for key, session, heartbeat in (("fo9000", 9000, 2000), ("fo2000", 2000, 500)):
    if not has(key):
        continue
    gap, fenced = get(key, "kill_to_ack_ms"), num(key + "_fenced_ms", -1)
    after = f" (fenced after {fenced:.0f} ms, first ack {gap - fenced:.0f} ms later)" if fenced >= 0 and gap is not None else ""
    rows.append((f"RF 3 failover: kill -9 of a partition leader → first acks=all write acknowledged "
                 f"(broker.session.timeout.ms={session})",
                 "failed" if gap is None else f"{gap:.0f} ms{after}", "(informative)", "-",
                 f"the controller fences after {session} ms without a fetch, checking every {heartbeat // 2} ms "
                 f"(broker.heartbeat.interval.ms={heartbeat} / 2)"))
if has("shut"):
    moved, polls = get("shut", "moved_ms"), get("shut", "polls") or 1
    rows.append((f"RF 3 controlled shutdown (SIGTERM) of a broker leading {get('shut', 'led_before')} of "
                 f"{get('shut', 'partitions'):,} partitions → all its leaderships moved (Metadata from another broker)",
                 f"{moved:.0f} ms (its fencing seen after {get('shut', 'fenced_ms') or 0:.0f} ms; an acks=all write "
                 f"acknowledged on every new leader after {get('shut', 'writable_ms'):.0f} ms; process exited after "
                 f"{get('shut', 'exit_ms'):.0f} ms, status {r.get('shut_exit')})",
                 "< 200 ms", ok(moved, 200, False),
                 f"one metadata commit (the broker's fence with the controller's moves); one Metadata poll "
                 f"≈ {moved / polls:.0f} ms here; {cpus}"))
if has("big"):
    fence_to_moved = num("big_fence_to_moved_ms", -1)
    rows += [
        (f"RF 3, {get('big', 'partitions'):,} partitions: kill -9 of a broker leading {get('big', 'led_before'):,} → "
         f"its leaderships moved, from its fencing (broker.session.timeout.ms=2000)",
         (f"{fence_to_moved:.0f} ms after the fencing ({get('big', 'moved_ms'):.0f} ms after the kill); an acks=all write "
          f"acknowledged on every new leader {num('big_fence_to_writable_ms'):.0f} ms after the fencing"
          if fence_to_moved >= 0 else f"fencing not found in the logs ({get('big', 'moved_ms'):.0f} ms after the kill)"),
         "< 1 s", ok(fence_to_moved if fence_to_moved >= 0 else None, 1000, False),
         f"one metadata commit of {get('big', 'partitions'):,} partition changes; {cpus}"),
        (f"RF 3, {get('big', 'partitions'):,} partitions: restart of the killed broker → ready",
         f"{num('big_restart_ms'):.0f} ms (broker reports {r.get('big_restart_reported')} ms)", "< 5 s",
         ok(num('big_restart_ms'), 5000, False),
         f"{get('big', 'partitions'):,} replica logs to open and recover; an empty single node: {num('ready_ms'):.0f} ms"),
    ]
if has("shut_topic") or has("big_topic"):
    made = [f"{get(k, 'partitions'):,} partitions {get(k, 'in_sync_ms') / 1000:.1f} s" for k in ("shut_topic", "big_topic") if has(k)]
    rows.append(("RF 3 topic creation → every partition led, ISR full", "; ".join(made), "(informative)", "-", cpus))

load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
codecs = r.get("codecs") or {}
for size in ("1kib", "16kib", "64kib", "1mib"):
    a, b = codecs.get(f"crc32c_{size}_sse42_mbs"), codecs.get(f"crc32c_{size}_system_io_hashing_mbs")
    if a and b:
        rows.append((f"CRC-32C of {size.replace('kib', ' KiB').replace('mib', ' MiB')}: System.IO.Hashing (used) vs the SSE4.2 loop it replaced",
                     f"{b:,.0f} vs {a:,.0f} MB/s ({b / a:.2f}×)", "≥ 1× (within noise)", ok(b / a, 0.95), "best of 10 alternating rounds each"))
for size in ("16kib", "64kib", "1mib"):
    for op in ("compress", "decompress"):
        a, b = codecs.get(f"snappy_{size}_{op}_libsnappy_mbs"), codecs.get(f"snappy_{size}_{op}_snappier_mbs")
        if a and b:
            rows.append((f"snappy {op} {size.replace('kib', ' KiB').replace('mib', ' MiB')} of JSON-like records: Snappier (used) vs Debian's libsnappy",
                         f"{b:,.0f} vs {a:,.0f} MB/s ({b / a:.2f}×)", "≥ 1× (within noise)", ok(b / a, 0.95),
                         "best of 10 alternating rounds each; the produce path validates by decompressing"))
if r.get("balancer"):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_balancer
    rows += bench_balancer.rows(r["balancer"], f"{os.cpu_count()} CPUs shared with the rest of the run")

print(f"# KafkaOperator benchmark\n\n{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
      f"{platform.platform()}, load average at the end {load}.")
print("Broker, load generator and probes share the machine's CPUs; a load average above the CPU count means other work competed.")
print("Load: rdkafka_performance (librdkafka 2.0.2) on the same machine; latency: KafkaOperator.Bench (one Produce v7 in flight).")
if has("rep_a_ready_ms"):
    print("RF 3 rows: three brokers on this machine in combined mode (each a quorum voter), a fresh cluster per part.")
print()
print("| figure | result | target | met | machine limit |\n|---|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")
