"""One member of the consumer group that reads the durability storm's topic (durability_storm.py) while the cluster
tests kill brokers or move partitions: confluent-kafka-python (librdkafka), eager range assignment, no auto commit;
every batch that consume() returns is committed synchronously before the next one is read.

It appends what it did to RECORD_FILE (line-buffered), one event a line, times from CLOCK_MONOTONIC in ns (one clock
for every process on the machine, so group_verify.py can order two members' events):
  A <t> <p,p,...>            partitions assigned (eager: the whole assignment); R / L: revoked / lost
  M <t> <p> <offset> <i>     a record consumed (i: its storm index), t when consume() returned its batch
  C <t0> <t1> ok <p>:<next>,...   a commit, started at t0, successful at t1; "C <t0> <t1> fail <error>" otherwise
On stdout: "ASSIGNED <json>" after each assignment, "COMMITTED" after the first successful commit, and when STOP_FILE
exists it closes (a last LeaveGroup) and prints a JSON summary.

usage: durability_group.py BOOTSTRAP TOPIC GROUP NAME RECORD_FILE STOP_FILE [--session-ms MS]
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition


def main():
    bootstrap, topic, group, name, record_path, stop_file = sys.argv[1:7]
    session_ms = int(sys.argv[sys.argv.index("--session-ms") + 1]) if "--session-ms" in sys.argv else 10_000
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
        "enable.auto.commit": False, "auto.offset.reset": "earliest",
        "session.timeout.ms": session_ms, "heartbeat.interval.ms": 500,
        "partition.assignment.strategy": "range", "fetch.wait.max.ms": 100,
        "topic.metadata.refresh.interval.ms": 2000,
    })
    record = open(record_path, "a", buffering=1)
    stats = {"records": 0, "batches": 0, "commits": 0, "commit_failures": 0, "assignments": 0, "errors": 0}
    first_commit = [True]

    def partitions_text(partitions):
        return ",".join(str(tp.partition) for tp in sorted(partitions, key=lambda tp: tp.partition)) or "-"

    def on_assign(c, partitions):
        stats["assignments"] += 1
        record.write(f"A {time.monotonic_ns()} {partitions_text(partitions)}\n")
        print("ASSIGNED " + json.dumps(sorted(tp.partition for tp in partitions)), flush=True)

    def on_revoke(c, partitions):
        record.write(f"R {time.monotonic_ns()} {partitions_text(partitions)}\n")

    def on_lost(c, partitions):
        record.write(f"L {time.monotonic_ns()} {partitions_text(partitions)}\n")

    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    while not os.path.exists(stop_file):
        messages = consumer.consume(num_messages=1000, timeout=0.2)
        now = time.monotonic_ns()
        nexts = {}
        lines = []
        for m in messages:
            if m.error():
                # librdkafka reports a dead broker or a moved leader here too; it goes on by itself.
                stats["errors"] += 1
                continue
            i = int(m.value().split(b"-", 2)[1])
            lines.append(f"M {now} {m.partition()} {m.offset()} {i}\n")
            nexts[m.partition()] = max(nexts.get(m.partition(), 0), m.offset() + 1)
        if not lines:
            continue
        record.write("".join(lines))
        stats["records"] += len(lines)
        stats["batches"] += 1
        started = time.monotonic_ns()
        try:
            consumer.commit(offsets=[TopicPartition(topic, p, n) for p, n in sorted(nexts.items())], asynchronous=False)
            done = ",".join(f"{p}:{n}" for p, n in sorted(nexts.items()))
            record.write(f"C {started} {time.monotonic_ns()} ok {done}\n")
            stats["commits"] += 1
            if first_commit[0]:
                first_commit[0] = False
                print("COMMITTED", flush=True)
        except KafkaException as e:
            # Not committed as far as this member knows: the group may read these records again (at-least-once).
            record.write(f"C {started} {time.monotonic_ns()} fail {str(e).replace(chr(10), ' ')}\n")
            stats["commit_failures"] += 1
    consumer.close()
    record.close()
    print(json.dumps({"ok": True, "name": name, **stats}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
