"""One member of a consumer group (confluent-kafka-python or kafka-python) for the group tests. It prints its
progress as prefixed JSON lines the test follows while it runs:
  ASSIGNED {"name", "partitions"}   its whole assignment after every change (also after an incremental one)
  REVOKED  {"name", "partitions"}   partitions taken away (LOST for librdkafka's lost partitions)
  BATCH    {"name", "read": [[partition, first, last], ...]}   records read, printed before they are committed
  COMMIT   {"name", "ok", "offsets": {partition: next}, "error"}  the synchronous commit of that batch
It commits every batch synchronously, and its revoke callback runs after the batch was committed, so with proper
commits nothing is read twice. It stops when STOP_FILE or STOP_FILE.NAME exists: closes the consumer (leaving the group) and prints
a JSON summary. Values are checked to be decimal numbers (written by groups_produce.py).

usage: groups_member.py BOOTSTRAP TOPIC GROUP NAME STOP_FILE [--client confluent|kafka-python]
                        [--strategy range|roundrobin|cooperative-sticky] [--instance ID] [--session-ms MS]
"""
import argparse
import json
import os
import sys
import time


def emit(prefix, **fields):
    print(prefix + " " + json.dumps(fields), flush=True)


def ranges(messages):
    spans = {}
    for partition, offset in messages:
        first, last = spans.get(partition, (offset, offset))
        spans[partition] = (min(first, offset), max(last, offset))
    return [[p, first, last] for p, (first, last) in sorted(spans.items())]


def run_confluent(args, stop):
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    config = {"bootstrap.servers": args.bootstrap, "group.id": args.group, "client.id": args.name,
              "enable.auto.commit": False, "auto.offset.reset": "earliest",
              "session.timeout.ms": args.session_ms, "heartbeat.interval.ms": 500,
              "partition.assignment.strategy": args.strategy, "fetch.wait.max.ms": 100,
              "topic.metadata.refresh.interval.ms": 2000}
    if args.instance:
        config["group.instance.id"] = args.instance
    consumer = Consumer(config)
    owned = set()
    cooperative = args.strategy == "cooperative-sticky"
    stats = {"batches": 0, "records": 0, "commit_failures": 0, "assignments": 0, "bad_values": 0}

    def on_assign(c, partitions):
        if not cooperative:
            owned.clear()
        owned.update(tp.partition for tp in partitions)
        stats["assignments"] += 1
        emit("ASSIGNED", name=args.name, partitions=sorted(owned))

    def on_revoke(c, partitions):
        gone = [tp.partition for tp in partitions]
        owned.difference_update(gone)
        emit("REVOKED", name=args.name, partitions=sorted(gone))

    def on_lost(c, partitions):
        gone = [tp.partition for tp in partitions]
        owned.difference_update(gone)
        emit("LOST", name=args.name, partitions=sorted(gone))

    consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    while not stop():
        messages = consumer.consume(num_messages=500, timeout=0.1)
        read = []
        for m in messages:
            if m.error():
                continue
            if not m.value().isdigit():
                stats["bad_values"] += 1
            read.append((m.partition(), m.offset()))
        if not read:
            continue
        spans = ranges(read)
        stats["batches"] += 1
        stats["records"] += len(read)
        emit("BATCH", name=args.name, read=spans)
        offsets = [TopicPartition(args.topic, p, last + 1) for p, _, last in spans]
        try:
            consumer.commit(offsets=offsets, asynchronous=False)
            emit("COMMIT", name=args.name, ok=True, offsets={p: last + 1 for p, _, last in spans})
        except KafkaException as e:
            stats["commit_failures"] += 1
            emit("COMMIT", name=args.name, ok=False, offsets={}, error=str(e))
    consumer.close()
    return stats


def run_kafka_python(args, stop):
    from kafka import KafkaConsumer, TopicPartition
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.errors import KafkaError
    from kafka.structs import OffsetAndMetadata

    assignor = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}[args.strategy]
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=args.group, client_id=args.name,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             session_timeout_ms=args.session_ms, heartbeat_interval_ms=500,
                             partition_assignment_strategy=[assignor], fetch_max_wait_ms=100,
                             metadata_max_age_ms=2000, api_version_auto_timeout_ms=10000)
    stats = {"batches": 0, "records": 0, "commit_failures": 0, "assignments": 0, "bad_values": 0}

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            emit("REVOKED", name=args.name, partitions=sorted(tp.partition for tp in revoked))

        def on_partitions_assigned(self, assigned):
            stats["assignments"] += 1
            emit("ASSIGNED", name=args.name, partitions=sorted(tp.partition for tp in assigned))

    consumer.subscribe([args.topic], listener=Listener())
    while not stop():
        polled = consumer.poll(timeout_ms=100, max_records=500)
        read = []
        for messages in polled.values():
            for m in messages:
                if not m.value.isdigit():
                    stats["bad_values"] += 1
                read.append((m.partition, m.offset))
        if not read:
            continue
        spans = ranges(read)
        stats["batches"] += 1
        stats["records"] += len(read)
        emit("BATCH", name=args.name, read=spans)
        try:
            consumer.commit({TopicPartition(args.topic, p): OffsetAndMetadata(last + 1, None) for p, _, last in spans})
            emit("COMMIT", name=args.name, ok=True, offsets={p: last + 1 for p, _, last in spans})
        except KafkaError as e:
            stats["commit_failures"] += 1
            emit("COMMIT", name=args.name, ok=False, offsets={}, error=repr(e))
    consumer.close()
    return stats


def main():
    parser = argparse.ArgumentParser()
    for name in ("bootstrap", "topic", "group", "name", "stop_file"):
        parser.add_argument(name)
    parser.add_argument("--client", default="confluent", choices=["confluent", "kafka-python"])
    parser.add_argument("--strategy", default="range")
    parser.add_argument("--instance")
    parser.add_argument("--session-ms", type=int, default=6000)
    args = parser.parse_args()
    started = time.monotonic()

    def stop():
        return os.path.exists(args.stop_file) or os.path.exists(f"{args.stop_file}.{args.name}")

    stats = (run_confluent if args.client == "confluent" else run_kafka_python)(args, stop)
    print(json.dumps({"ok": stats["bad_values"] == 0, "name": args.name, "client": args.client,
                      "seconds": round(time.monotonic() - started, 2), **stats}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
