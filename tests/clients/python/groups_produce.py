"""Produces COUNT records for the consumer group tests with confluent-kafka-python: values are the decimal numbers
START.., record i goes to partition i % PARTITIONS. Creates the topic first with --create. Prints one JSON line with
the high watermark of every partition afterwards.

usage: groups_produce.py BOOTSTRAP TOPIC START COUNT [--create PARTITIONS]
"""
import os
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic



def replication_factor():
    """Topics the script creates get TEST_REPLICATION_FACTOR replicas (1 unless a cluster test sets it)."""
    return int(os.environ.get("TEST_REPLICATION_FACTOR", "1"))

def main():
    bootstrap, topic, start, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    partitions = 6
    if "--create" in sys.argv:
        partitions = int(sys.argv[sys.argv.index("--create") + 1])
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for future in admin.create_topics([NewTopic(topic, partitions, replication_factor())], operation_timeout=15).values():
            future.result(timeout=20)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5})
    failures = []

    def on_delivery(err, _msg):
        if err is not None:
            failures.append(str(err))

    for i in range(count):
        producer.produce(topic, value=str(start + i).encode(), partition=i % partitions, on_delivery=on_delivery)
        if i % 1000 == 0:
            producer.poll(0)
    left = producer.flush(30)
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": "groups-produce-watermarks"})
    ends = {p: reader.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    reader.close()
    ok = not failures and left == 0
    print(json.dumps({"ok": ok, "produced": count - len(failures) - left, "ends": ends, "failures": failures[:5]}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
