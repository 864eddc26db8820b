"""confluent-kafka-python (librdkafka 2.0.2) produces one batch with keyed and keyless records to a topic with
cleanup.policy=compact, and prints one JSON line with what each message's delivery report said, so the test can
check that the broker refuses the batch as Kafka does (INVALID_RECORD with a record error per keyless record).

usage: compacted_keyless.py BOOTSTRAP TOPIC
"""
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    (future,) = admin.create_topics(
        [NewTopic(topic, 1, 1, config={"cleanup.policy": "compact"})], operation_timeout=10).values()
    future.result(timeout=20)

    reports = {}

    def report(err, msg):
        value = msg.value().decode()
        reports[value] = None if err is None else {"code": err.code(), "name": err.name(), "message": err.str()}

    # One batch: linger long enough that all four messages leave together even on a loaded machine; no retries, so
    # the first answer stands.
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 2000, "retries": 0, "acks": "all"})
    for i, key in enumerate([b"k0", None, b"k2", None]):
        producer.produce(topic, key=key, value=b"v%d" % i, partition=0, on_delivery=report)
    remaining = producer.flush(30)
    print(json.dumps({"remaining": remaining, "reports": reports}))


if __name__ == "__main__":
    main()
