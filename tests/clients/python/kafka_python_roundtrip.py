"""kafka-python (Debian python3-kafka 2.0.2): admin create_topics, KafkaProducer with every codec it supports,
KafkaConsumer with assign/seek (no group). Prints one JSON summary line.

usage: kafka_python_roundtrip.py BOOTSTRAP CODEC|lat RECORDS   (lat: a LogAppendTime topic, uncompressed)
"""
import os
import sys
import time
import uuid

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.codec import has_gzip, has_lz4, has_snappy, has_zstd

from roundtrip_common import PARTITIONS, Checker, emit, now_ms, spec

SUPPORTED = {"none": True, "gzip": has_gzip(), "snappy": has_snappy(), "lz4": has_lz4(), "zstd": has_zstd()}



def replication_factor():
    """Topics the script creates get TEST_REPLICATION_FACTOR replicas (1 unless a cluster test sets it)."""
    return int(os.environ.get("TEST_REPLICATION_FACTOR", "1"))

def produce(bootstrap, topic, tag, count, codec):
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5, batch_size=256 * 1024,
                             compression_type=None if codec == "none" else codec)
    futures = []
    start = now_ms()
    for i in range(count):
        key, value, partition, headers, ts = spec(tag, i)
        futures.append(producer.send(topic, value=value, key=key, partition=partition,
                                     timestamp_ms=ts, headers=headers or []))
    producer.flush(timeout=60)
    end = now_ms()
    delivered = {}
    for i, f in enumerate(futures):
        md = f.get(timeout=10)
        delivered[i] = (md.partition, md.offset)
    producer.close(timeout=10)
    return delivered, (start, end)


def consume(bootstrap, topic, checker, deadline_s=60):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_records=50_000)
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps)
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                checker.check(r.partition, r.offset, r.key, r.value, r.headers,
                              "logappend" if r.timestamp_type == 1 else "create", r.timestamp)
    consumer.close()
    return {str(tp.partition): ends[tp] for tp in tps}


def main():
    bootstrap, codec, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lat = codec == "lat"
    topic = f"kp-{codec}-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    configs = {"message.timestamp.type": "LogAppendTime"} if lat else {}
    response = admin.create_topics([NewTopic(topic, PARTITIONS, replication_factor(), topic_configs=configs)], timeout_ms=15_000)
    create_errors = [str(e) for e in getattr(response, "topic_errors", []) if e[1] != 0]
    listed = topic in admin.list_topics()
    admin.close()

    compression = "none" if lat else codec
    if not SUPPORTED[compression]:
        emit("kafka-python", [{"tag": codec, "ok": False, "errors": [f"kafka-python lacks the {codec} library"]}])
        return
    t0 = time.monotonic()
    delivered, window = produce(bootstrap, topic, codec, count, compression)
    t1 = time.monotonic()
    checker = Checker(codec, count, log_append_time=lat, window=window, delivered=delivered)
    ends = consume(bootstrap, topic, checker)
    result = checker.result(topic=topic, codec=compression, produce_s=round(t1 - t0, 2),
                            consume_s=round(time.monotonic() - t1, 2), end_offsets=ends)
    emit("kafka-python", [result], create_errors=create_errors, topic_listed=listed, codecs_supported=SUPPORTED)


if __name__ == "__main__":
    main()
