"""A confluent-kafka-python (librdkafka) consumer group member for the consumer-group tests. It prints, one per
line and flushed at once:
  ASSIGN <json list of partitions>   its whole assignment after each rebalance (eager protocol: range)
  MSG <partition> <offset>           each record it consumed
It commits automatically (auto.commit.interval.ms=200) and, when STOP_FILE appears, closes cleanly: a final
commit and LeaveGroup. A SIGKILL instead leaves the group by session timeout.

usage: group_member.py BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS STOP_FILE
"""
import json
import os
import sys

from confluent_kafka import Consumer

bootstrap, group, topic, session_ms, stop_file = sys.argv[1:6]
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 200,
    "session.timeout.ms": int(session_ms),
    "heartbeat.interval.ms": 300,
    "partition.assignment.strategy": "range",
})


def on_assign(c, partitions):
    print("ASSIGN " + json.dumps(sorted(p.partition for p in partitions)), flush=True)


def on_revoke(c, partitions):
    print("ASSIGN []", flush=True)


consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
while not os.path.exists(stop_file):
    msg = consumer.poll(0.1)
    if msg is None or msg.error():
        continue
    print(f"MSG {msg.partition()} {msg.offset()}", flush=True)
consumer.close()
print("CLOSED", flush=True)
