"""kcat -G (kcat's balanced consumer, librdkafka 2.0.2): consumes TOPIC in GROUP from its committed offsets (earliest for a new group; no -o, which would override them) until the end of every partition
(-e), committing as it goes (librdkafka's auto commit, and on close), then reads the group's committed offsets back
with confluent-kafka-python. Prints one JSON line: what was read per partition, the committed offsets and the
high watermarks.

usage: groups_kcat.py BOOTSTRAP TOPIC GROUP PARTITIONS
"""
import json
import subprocess
import sys

from confluent_kafka import Consumer, TopicPartition


def main():
    bootstrap, topic, group, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    run = subprocess.run(["kcat", "-b", bootstrap, "-G", group, topic, "-X", "auto.offset.reset=earliest", "-e", "-q",
                          "-f", "%p %o %s\\n", "-X", "session.timeout.ms=6000"],
                         capture_output=True, text=True, timeout=60, check=False)
    read, bad = {}, 0
    for line in run.stdout.splitlines():
        p, o, value = line.split(" ", 2)
        read.setdefault(int(p), []).append(int(o))
        bad += 0 if value.isdigit() else 1
    spans = {p: {"first": min(o), "last": max(o), "count": len(o), "distinct": len(set(o))} for p, o in read.items()}
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    committed = {tp.partition: tp.offset for tp in reader.committed(tps, timeout=10)}
    ends = {p: reader.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    reader.close()
    ok = run.returncode == 0 and bad == 0 and committed == ends
    print(json.dumps({"ok": ok, "exit": run.returncode, "read": spans, "committed": committed, "ends": ends,
                      "bad_values": bad, "stderr": run.stderr[-2000:]}))


if __name__ == "__main__":
    main()
