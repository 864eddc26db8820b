"""Table rows for KafkaOperator.Bench balancer's JSON line (imported by bench_table.py; run alone for BENCH_ONLY=balancer).

Usage: bench_balancer.py balancer.json
"""
import json
import os
import sys

NAMES = {
    "balance": "skewed cluster (half of each rack's brokers hold twice as much)",
    "add": "5 brokers added to a balanced 45",
    "remove": "2 brokers removed from a balanced 50",
}


def rows(b, cpus):
    out = []
    for key, label in NAMES.items():
        s = b.get(key)
        if not s:
            continue
        ratio = s["moves"] / s["lower_bound"] if s["lower_bound"] else float("nan")
        out.append((
            f"balancer plan, {b['partitions']:,} partitions RF 3 on {b['brokers']} brokers in {b['racks']} racks: {label}",
            f"{s['plan_ms']:.0f} ms wall, {s.get('plan_cpu_ms', float('nan')):.0f} ms CPU (best of 5 each); {s['moves']:,} replica moves = {ratio:.2f} × the lower bound ({s['lower_bound']:,}); "
            f"{s['leader_changes']:,} preferred-leader changes; {s['gb_moved']:,.0f} GB to copy",
            "< 1000 ms", "yes" if min(s["plan_ms"], s.get("plan_cpu_ms", s["plan_ms"])) < 1000 else "**no**",
            f"spread before → after: replicas {s['replica_spread'][0]} → {s['replica_spread'][1]}, leaders {s['leader_spread'][0]} → "
            f"{s['leader_spread'][1]}, bytes {s['byte_spread_gb'][0]} → {s['byte_spread_gb'][1]} GB (band {s['byte_band_gb']} GB); "
            f"racks per partition {s['min_rack_spread'][1]}; {cpus}"))
    return out


if __name__ == "__main__":
    data = json.load(open(sys.argv[1]))
    load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
    cpus = f"{os.cpu_count()} CPUs, load average {load}"
    print("| figure | result | target | met | notes |\n|---|---|---|---|---|")
    for row in rows(data, cpus):
        print("| " + " | ".join(row) + " |")
