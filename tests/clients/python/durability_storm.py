"""Produce storm for the durability test: an idempotent confluent-kafka producer with acks=all writes records
"<tag>-<i>-..." round-robin over the partitions of TOPIC and appends one line "<partition> <offset> <i>" to
ACK_FILE for every acknowledged record (line-buffered, so a SIGKILL loses at most a line the verifier ignores).
Prints "ACKED <n>" once n >= NOTIFY acknowledgements, and stops after COUNT records (0: until killed).

usage: durability_storm.py BOOTSTRAP TOPIC TAG ACK_FILE NOTIFY COUNT [--create PARTITIONS]
"""
import json
import sys

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic


def value(tag, i):
    return b"%s-%d-" % (tag.encode(), i) + b"x" * (40 + i % 60)


def main():
    bootstrap, topic, tag, ack_path = sys.argv[1:5]
    notify, count = int(sys.argv[5]), int(sys.argv[6])
    if "--create" in sys.argv:
        partitions = int(sys.argv[sys.argv.index("--create") + 1])
        admin = AdminClient({"bootstrap.servers": bootstrap})
        try:
            admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result(20)
        except KafkaException as e:
            print(json.dumps({"ok": False, "error": f"create_topics: {e}"}))
            return
    meta = Producer({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    partitions = len(meta.topics[topic].partitions)

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                         "linger.ms": 2, "message.timeout.ms": 60_000, "queue.buffering.max.messages": 200_000})
    acks = open(ack_path, "a", buffering=1)
    state = {"acked": 0, "failed": 0, "notified": False}

    def on_delivery(err, msg):
        if err is not None:
            state["failed"] += 1
            return
        i = int(msg.value().split(b"-", 2)[1])
        acks.write(f"{msg.partition()} {msg.offset()} {i}\n")
        state["acked"] += 1
        if not state["notified"] and state["acked"] >= notify:
            state["notified"] = True
            print(f"ACKED {state['acked']}", flush=True)

    i = 0
    while count == 0 or i < count:
        try:
            producer.produce(topic, value=value(tag, i), partition=i % partitions, on_delivery=on_delivery)
            i += 1
        except BufferError:
            producer.poll(0.01)
            continue
        if i % 500 == 0:
            producer.poll(0)
    left = producer.flush(60)
    acks.close()
    print(json.dumps({"ok": left == 0 and state["failed"] == 0, "produced": i, "acked": state["acked"],
                      "failed": state["failed"], "undelivered": left}), flush=True)


if __name__ == "__main__":
    main()
