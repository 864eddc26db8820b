"""kcat 1.7.1 (librdkafka 2.0.2) used from the shell the way people use it: -L metadata, -P with -z/-K/-H/-p,
-C -o beginning -e with a -f format (and -J for the timestamp type), -Q offsets by timestamp. This script only
drives kcat and checks its output. kcat has no admin API: topics are auto-created by the producer's metadata
request (broker started with num.partitions=6), except the LogAppendTime topic, which needs a topic config and
is created with confluent-kafka's AdminClient. Prints one JSON summary line.

usage: kcat_roundtrip.py BOOTSTRAP CODEC|lat RECORDS
"""
import os
import json
import shutil
import subprocess
import sys
import time
import uuid

from roundtrip_common import PARTITIONS, emit, now_ms

KCAT = shutil.which("kcat") or shutil.which("kafkacat")
FMT = "%p|%o|%T|%k|%h|%s\\n"
HEADERS = "h1=v1,h2=v2"



def replication_factor():
    """Topics the script creates get TEST_REPLICATION_FACTOR replicas (1 unless a cluster test sets it)."""
    return int(os.environ.get("TEST_REPLICATION_FACTOR", "1"))

def kcat(*args, stdin=None, timeout=60):
    p = subprocess.run([KCAT, *args], input=stdin, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"kcat {' '.join(args)} exited {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
    return p.stdout


def kcat_version():
    p = subprocess.run([KCAT, "-V"], capture_output=True, timeout=10)
    return next((r for r in (p.stdout + p.stderr).decode().splitlines() if r.startswith("Version")), "")


def key_of(i):
    return None if i % 10 == 0 else f"k{i % 997}"


def line(tag, i):
    value = f"{tag}-{i}-" + ("%08x" % ((i * 2654435761) & 0xFFFFFFFF)) * (1 + i % 8)
    key = key_of(i)
    return value if key is None else f"{key}:{value}"


def roundtrip(bootstrap, topic, tag, count):
    errors = []
    start = now_ms()
    # Keyed (and null-key) records through librdkafka's partitioner, compressed with the codec.
    codec_args = [] if tag == "none" else ["-z", tag]
    # Idempotent, as librdkafka keeps order only then: a plain producer pipelines batches, and one refused at first
    # (a partition just auto-created whose leader is not ready yet on a busy cluster) is retried behind later ones.
    kcat("-P", "-b", bootstrap, "-t", topic, "-K", ":", *codec_args, "-X", "linger.ms=5", "-X", "enable.idempotence=true",
         stdin="\n".join(line(tag, i) for i in range(count)).encode() + b"\n", timeout=120)
    # Then 1000 records to an explicit partition, all carrying two headers.
    extra = 1000
    kcat("-P", "-b", bootstrap, "-t", topic, "-p", "3", "-H", "h1=v1", "-H", "h2=v2", *codec_args, "-X", "enable.idempotence=true",
         stdin="\n".join(f"{tag}-x{i}" for i in range(extra)).encode() + b"\n")
    end = now_ms()

    out = kcat("-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-Z", "-f", FMT, timeout=120)
    rows = out.decode().split("\n")[:-1]
    seen, key_partition, last = set(), {}, {}
    xs = []
    per_partition = {}
    for row in rows:
        p, o, ts, k, h, v = row.split("|", 5)
        p, o, ts = int(p), int(o), int(ts)
        per_partition.setdefault(p, []).append((o, ts))
        if p in last and o != last[p][0] + 1:
            errors.append(f"p{p}: offset {o} follows {last[p][0]}")
        if not start - 2000 <= ts <= end + 2000:
            errors.append(f"p{p}@{o}: timestamp {ts} outside [{start}, {end}]")
        if v.startswith(f"{tag}-x"):
            xs.append(int(v[len(tag) + 2:]))
            if p != 3 or h != HEADERS or k != "NULL":
                errors.append(f"p{p}@{o}: explicit-partition record {v} has partition {p} key {k} headers {h!r}")
            last[p] = (o, last.get(p, (0, -1))[1])
            continue
        i = int(v.split("-")[1])
        if i in seen:
            errors.append(f"record {i} consumed twice")
        seen.add(i)
        expected = line(tag, i)
        exp_key = key_of(i)
        if (k if k != "NULL" else None) != exp_key or (expected.split(":", 1)[-1] if exp_key else expected) != v:
            errors.append(f"p{p}@{o}: got key {k} value {v[:40]}, expected {expected[:50]}")
        if h != "":
            errors.append(f"p{p}@{o}: unexpected headers {h!r}")
        if exp_key is not None and key_partition.setdefault(exp_key, p) != p:
            errors.append(f"key {exp_key} in partitions {key_partition[exp_key]} and {p}")
        if p in last and i <= last[p][1]:
            errors.append(f"p{p}: record {i} after record {last[p][1]}")
        last[p] = (o, i)
    if len(seen) != count:
        errors.append(f"{count - len(seen)} keyed records missing")
    if xs != list(range(extra)):
        errors.append(f"explicit-partition records out of order or missing: {len(xs)} of {extra}")

    # -Q: the offset for a timestamp is the first offset whose timestamp is >= it, and -1 gives the end offset.
    query = {}
    for p, entries in per_partition.items():
        if not entries:
            continue
        mid_ts = entries[len(entries) // 2][1]
        expect = min(o for o, ts in entries if ts >= mid_ts)
        got = query_offset(bootstrap, topic, p, mid_ts)
        end_offset = query_offset(bootstrap, topic, p, -1)
        query[p] = {"ts": mid_ts, "offset": got, "expected": expect, "end": end_offset}
        if got != expect:
            errors.append(f"-Q {topic}:{p}:{mid_ts} gave offset {got}, expected {expect}")
        if end_offset != entries[-1][0] + 1:
            errors.append(f"-Q {topic}:{p}:-1 gave {end_offset}, expected {entries[-1][0] + 1}")
    return {"tag": tag, "topic": topic, "produced": count + extra, "consumed": len(rows),
            "partitions_used": sorted(per_partition), "ok": not errors, "error_count": len(errors),
            "errors": errors[:12], "query": query}


def query_offset(bootstrap, topic, partition, ts):
    out = kcat("-Q", "-b", bootstrap, "-t", f"{topic}:{partition}:{ts}").decode()
    # "<topic> [<partition>] offset <offset>"
    for row in out.splitlines():
        if f"[{partition}]" in row and "offset" in row:
            return int(row.rsplit("offset", 1)[1].strip())
    raise RuntimeError(f"unexpected -Q output: {out!r}")


def log_append_time(bootstrap, topic, count):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=replication_factor(),
                                  config={"message.timestamp.type": "LogAppendTime"})])[topic].result(timeout=20)
    start = now_ms()
    kcat("-P", "-b", bootstrap, "-t", topic, "-K", ":", stdin="\n".join(line("lat", i) for i in range(count)).encode())
    end = now_ms()
    out = kcat("-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-J")
    msgs = [json.loads(r) for r in out.decode().splitlines() if r]
    errors = [f"p{m['partition']}@{m['offset']}: tstype {m['tstype']} ts {m['ts']}" for m in msgs
              if m["tstype"] != "logappend" or not start - 2000 <= m["ts"] <= end + 2000]
    if len(msgs) != count:
        errors.append(f"consumed {len(msgs)} of {count}")
    return {"tag": "lat", "topic": topic, "produced": count, "consumed": len(msgs), "ok": not errors,
            "error_count": len(errors), "errors": errors[:12]}


def main():
    bootstrap, codec, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    topic = f"kcat-{codec}-{uuid.uuid4().hex[:8]}"
    t0 = time.monotonic()
    if codec == "lat":
        result = log_append_time(bootstrap, topic, count)
    else:
        result = roundtrip(bootstrap, topic, codec, count)
    result["seconds"] = round(time.monotonic() - t0, 2)
    # -L after producing: the auto-created topic has the broker's default partition count.
    meta = json.loads(kcat("-L", "-b", bootstrap, "-t", topic, "-J"))
    partitions = {t["topic"]: len(t["partitions"]) for t in meta["topics"]}
    emit("kcat", [result], brokers=meta["brokers"], partitions=partitions.get(topic, 0),
         version=kcat_version())


if __name__ == "__main__":
    main()
