"""Produce storm for the durability test: an idempotent confluent-kafka producer with acks=all writes records
"<tag>-<i>-..." round-robin over the partitions of TOPIC and appends one line "<partition> <offset> <i>" to
ACK_FILE for every acknowledged record (line-buffered, so a SIGKILL loses at most a line the verifier ignores),
followed by the wall-clock time of the acknowledgement in ms (the verifier reads only the first three fields).
Prints "ACKED <n>" once n >= NOTIFY acknowledgements, and stops after COUNT records (0: until killed, or until the
file --stop-file names exists); --rate N sends at most N records a second (a steady load for as long as a test needs).
--rf N creates the topic with N replicas; --min-isr N sets its min.insync.replicas. RDKAFKA_DEBUG in the environment
sets the producer's librdkafka `debug` contexts (e.g. eos,protocol,broker,topic,msg), logged to stderr, or appended to
the file RDKAFKA_LOG names.

usage: durability_storm.py BOOTSTRAP TOPIC TAG ACK_FILE NOTIFY COUNT [--create PARTITIONS [--rf N] [--min-isr N]]
                           [--stop-file PATH] [--rate N]
"""
import json
import os
import sys
import time

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
            rf = int(sys.argv[sys.argv.index("--rf") + 1]) if "--rf" in sys.argv else 1
            config = {"min.insync.replicas": sys.argv[sys.argv.index("--min-isr") + 1]} if "--min-isr" in sys.argv else {}
            admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=rf, config=config)])[topic].result(20)
        except KafkaException as e:
            print(json.dumps({"ok": False, "error": f"create_topics: {e}"}))
            return
    # In a cluster another broker may not have applied the new topic yet: wait until every partition has a leader.
    probe = Producer({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + 30
    while True:
        meta = probe.list_topics(topic, timeout=10).topics[topic]
        if meta.error is None and meta.partitions and all(p.leader >= 0 for p in meta.partitions.values()):
            break
        if time.monotonic() > deadline:
            print(json.dumps({"ok": False, "error": f"topic {topic} not ready: {meta.error}"}))
            return
        time.sleep(0.1)
    partitions = len(meta.partitions)

    config = {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
              "linger.ms": 2, "message.timeout.ms": 120_000, "queue.buffering.max.messages": 200_000}
    if os.environ.get("RDKAFKA_DEBUG"):
        config["debug"] = os.environ["RDKAFKA_DEBUG"]
        if os.environ.get("RDKAFKA_LOG"):
            os.dup2(os.open(os.environ["RDKAFKA_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644), 2)
    producer = Producer(config)
    acks = open(ack_path, "a", buffering=1)
    state = {"acked": 0, "failed": 0, "notified": False}

    def on_delivery(err, msg):
        if err is not None:
            state["failed"] += 1
            return
        i = int(msg.value().split(b"-", 2)[1])
        acks.write(f"{msg.partition()} {msg.offset()} {i} {int(time.time() * 1000)}\n")
        state["acked"] += 1
        if not state["notified"] and state["acked"] >= notify:
            state["notified"] = True
            print(f"ACKED {state['acked']}", flush=True)

    stop_file = sys.argv[sys.argv.index("--stop-file") + 1] if "--stop-file" in sys.argv else None
    rate = int(sys.argv[sys.argv.index("--rate") + 1]) if "--rate" in sys.argv else 0
    started = time.monotonic()
    i = 0
    while count == 0 or i < count:
        if i % 100 == 0:
            if stop_file is not None and os.path.exists(stop_file):
                break
            if rate > 0:
                ahead = i / rate - (time.monotonic() - started)
                if ahead > 0:
                    producer.poll(ahead)
                    continue
        try:
            producer.produce(topic, value=value(tag, i), partition=i % partitions, on_delivery=on_delivery)
            i += 1
        except BufferError:
            producer.poll(0.01)
            continue
        if i % 500 == 0:
            producer.poll(0)
    # librdkafka 2.0.2's idempotent producer can hold a partition's batches until requests to a broker that died
    # time out (socket.timeout.ms, 60 s) before it sends them to the new leader: wait past that, within the timeout.
    # (A Metadata answer naming the dead leader after another broker's named the new one can strand a partition on the
    # dead broker until message.timeout.ms, confluentinc/librdkafka#4976; the brokers avoid sending such answers.)
    left = producer.flush(150)
    acks.close()
    print(json.dumps({"ok": left == 0 and state["failed"] == 0, "produced": i, "acked": state["acked"],
                      "failed": state["failed"], "undelivered": left}), flush=True)


if __name__ == "__main__":
    main()
