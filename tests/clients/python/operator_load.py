"""Steady acks=all load for the operator's roll test: an idempotent confluent-kafka producer writes about RATE
records a second round-robin over TOPIC's partitions until the file STOP exists, then flushes and prints one JSON
line {"acked", "failed", "undelivered", "errors"}. Prints "ACKED <n>" once n >= NOTIFY acknowledgements. With
ACK_FILE, each acknowledged record appends "<partition> <offset> <i>" there (durability_verify.py's format, tag "load").

usage: operator_load.py BOOTSTRAP TOPIC RATE NOTIFY STOP [ACK_FILE]
"""
import json
import os
import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic, rate, notify, stop = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                         "linger.ms": 2, "message.timeout.ms": 120_000})
    state = {"acked": 0, "failed": 0, "notified": False, "errors": {}}
    acks = open(sys.argv[6], "a", buffering=1) if len(sys.argv) > 6 else None

    def on_delivery(err, msg):
        if err is not None:
            state["failed"] += 1
            state["errors"][str(err)] = state["errors"].get(str(err), 0) + 1
            return
        state["acked"] += 1
        if acks is not None:
            acks.write(f"{msg.partition()} {msg.offset()} {int(msg.value().split(b'-', 2)[1])}\n")
        if not state["notified"] and state["acked"] >= notify:
            state["notified"] = True
            print(f"ACKED {state['acked']}", flush=True)

    i = 0
    start = time.monotonic()
    while not os.path.exists(stop):
        producer.produce(topic, value=b"load-%d-" % i + b"x" * 100, on_delivery=on_delivery)
        i += 1
        ahead = i / rate - (time.monotonic() - start)
        producer.poll(max(ahead, 0))
    left = producer.flush(150)
    if acks is not None:
        acks.close()
    print(json.dumps({"produced": i, "acked": state["acked"], "failed": state["failed"], "undelivered": left,
                      "errors": state["errors"]}), flush=True)


if __name__ == "__main__":
    main()
