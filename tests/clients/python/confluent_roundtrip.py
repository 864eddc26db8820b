"""confluent-kafka-python (Debian python3-confluent-kafka, librdkafka 2.0.2): AdminClient create_topics, an
idempotent Producer with each compression.type, a Consumer that only assigns partitions (its group.id is
required by the client but no group protocol is used). Prints one JSON summary line.

usage: confluent_roundtrip.py BOOTSTRAP CODEC|lat RECORDS   (lat: a LogAppendTime topic, uncompressed)
"""
import os
import sys
import time
import uuid

from confluent_kafka import (OFFSET_BEGINNING, TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, Consumer,
                             KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic

from roundtrip_common import PARTITIONS, Checker, emit, now_ms, spec

TS_TYPES = {TIMESTAMP_CREATE_TIME: "create", TIMESTAMP_LOG_APPEND_TIME: "logappend"}



def replication_factor():
    """Topics the script creates get TEST_REPLICATION_FACTOR replicas (1 unless a cluster test sets it)."""
    return int(os.environ.get("TEST_REPLICATION_FACTOR", "1"))

def produce(bootstrap, topic, tag, count, codec):
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                         "compression.type": codec, "linger.ms": 5, "batch.size": 1_000_000,
                         "queue.buffering.max.messages": 500_000, "message.timeout.ms": 30_000})
    delivered, failures = {}, []

    def on_delivery(err, msg, i):
        if err is not None:
            failures.append(f"record {i}: {err}")
        else:
            delivered[i] = (msg.partition(), msg.offset())

    start = now_ms()
    for i in range(count):
        key, value, partition, headers, ts = spec(tag, i)
        kwargs = {"value": value, "key": key,
                  "on_delivery": lambda err, msg, i=i: on_delivery(err, msg, i)}
        if partition is not None:
            kwargs["partition"] = partition
        if headers:
            kwargs["headers"] = headers
        if ts is not None:
            kwargs["timestamp"] = ts
        while True:
            try:
                producer.produce(topic, **kwargs)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 1000 == 0:
            producer.poll(0)
    left = producer.flush(60)
    end = now_ms()
    if left:
        failures.append(f"{left} records still undelivered after flush")
    return delivered, failures, (start, end)


def consume(bootstrap, topic, checker, deadline_s=60):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"assign-only-{uuid.uuid4().hex[:6]}",
                         "enable.auto.commit": False, "enable.auto.offset.store": False})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(PARTITIONS)}
    nexts = {p: 0 for p in range(PARTITIONS)}
    deadline = time.monotonic() + deadline_s
    errors = []
    while time.monotonic() < deadline and any(nexts[p] < ends[p] for p in ends):
        for m in consumer.consume(num_messages=10_000, timeout=0.05):
            if m.error():
                errors.append(str(m.error()))
                continue
            ts_type, ts = m.timestamp()
            checker.check(m.partition(), m.offset(), m.key(), m.value(), m.headers(), TS_TYPES.get(ts_type), ts)
            nexts[m.partition()] = m.offset() + 1
    consumer.close()
    return ends, errors


def main():
    bootstrap, codec, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lat = codec == "lat"
    topic = f"ck-{codec}-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    config = {"message.timestamp.type": "LogAppendTime"} if lat else {}
    create_errors = []
    new = [NewTopic(topic, num_partitions=PARTITIONS, replication_factor=replication_factor(), config=config)]
    for name, future in admin.create_topics(new, operation_timeout=15, request_timeout=15).items():
        try:
            future.result(timeout=20)
        except KafkaException as e:
            create_errors.append(f"{name}: {e}")
    metadata = admin.list_topics(timeout=10)
    partitions = len(metadata.topics[topic].partitions) if topic in metadata.topics else 0

    compression = "none" if lat else codec
    t0 = time.monotonic()
    delivered, failures, window = produce(bootstrap, topic, codec, count, compression)
    t1 = time.monotonic()
    checker = Checker(codec, count, log_append_time=lat, window=window, delivered=delivered)
    for f in failures[:5]:
        checker.error(f)
    ends, consume_errors = consume(bootstrap, topic, checker)
    for e in consume_errors[:5]:
        checker.error("consume: " + e)
    result = checker.result(topic=topic, codec=compression, produce_s=round(t1 - t0, 2),
                            consume_s=round(time.monotonic() - t1, 2), end_offsets=ends)
    emit("confluent-kafka-python", [result], create_errors=create_errors, partitions=partitions)


if __name__ == "__main__":
    main()
