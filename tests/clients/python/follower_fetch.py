"""Fetch from the nearest replica (KIP-392) with confluent-kafka-python (librdkafka 2.0.2): a consumer with
client.rack reads a partition; librdkafka's statistics name the broker it fetches from. Phase 1 produces HALF
records (acks=all), reads them and prints "PHASE1 <json>". The test then kills that broker, creates GO_FILE and
restarts it; phase 2 produces HALF more and reads on to 2*HALF. The summary line: every value read, in order, and the
brokers fetched from.

usage: follower_fetch.py BOOTSTRAP TOPIC RACK HALF GO_FILE
"""
import json
import os
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

bootstrap, topic, rack, half, go_file = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
fetched_from = []  # the partition's fetching broker, from each statistics report


def on_stats(raw):
    stats = json.loads(raw)
    part = stats.get("topics", {}).get(topic, {}).get("partitions", {}).get("0")
    if part is not None:
        fetched_from.append(part.get("broker", -1))


def produce(first, count):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "message.timeout.ms": 60_000})
    failures = []
    for i in range(first, first + count):
        producer.produce(topic, value=f"m{i}".encode(), partition=0,
                         on_delivery=lambda err, msg: failures.append(str(err)) if err else None)
    producer.flush(60)
    if failures or len(producer) > 0:
        raise SystemExit(f"produce failed: {failures[:3]} pending {len(producer)}")


def read_until(consumer, values, target, deadline_s):
    deadline = time.monotonic() + deadline_s
    while len(values) < target and time.monotonic() < deadline:
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            print(f"consumer error: {msg.error()}", file=sys.stderr)
            continue
        values.append(msg.value().decode())


produce(0, half)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "follower-fetch", "client.rack": rack,
                     "enable.auto.commit": False, "statistics.interval.ms": 100, "stats_cb": on_stats,
                     "fetch.wait.max.ms": 100, "topic.metadata.refresh.interval.ms": 1000})
consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
values = []
read_until(consumer, values, half, 60)
# A statistics report after the last record: the broker the partition is fetched from now.
reports = len(fetched_from)
deadline = time.monotonic() + 10
while len(fetched_from) <= reports and time.monotonic() < deadline:
    consumer.poll(0.1)
print("PHASE1 " + json.dumps({"read": len(values), "broker": fetched_from[-1] if fetched_from else None}), flush=True)

while not os.path.exists(go_file):
    consumer.poll(0.1)
phase2_start = len(fetched_from)
produce(half, half)
read_until(consumer, values, 2 * half, 90)
consumer.close()
print(json.dumps({"values": values, "brokers_phase1": sorted(set(fetched_from[:phase2_start])),
                  "brokers_phase2": sorted(set(fetched_from[phase2_start:]))}), flush=True)
