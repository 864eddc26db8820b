"""Checks a topic after the durability test's crash and restart. ACK files hold "<partition> <offset> <i>" lines
of acknowledged records, one file per phase, in phase order, with the phase's tag. Every acknowledged record must
be in the log at its acknowledged offset with its value; no offset was acknowledged twice; offsets in each
partition are dense from 0; every record of a later phase sits after every record of an earlier one; no record
appears twice. Prints one JSON summary line.

usage: durability_verify.py BOOTSTRAP TOPIC TAG1=ACK_FILE1 [TAG2=ACK_FILE2 ...]
"""
import json
import sys
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition


def read_acks(path):
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")[:-1]  # a line cut by SIGKILL has no newline: not acknowledged as far as we know
    return [tuple(int(x) for x in line.split()[:3]) for line in lines]


def watermarks(consumer, topic, partition):
    """Right after a leader change or a restart librdkafka's metadata may still name the old leader or no leader
    (NOT_LEADER_FOR_PARTITION, _UNKNOWN_PARTITION): retry until it catches up."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        except KafkaException as e:
            settling = e.args[0].retriable() or e.args[0].code() in (KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError._UNKNOWN_PARTITION)
            if time.monotonic() > deadline or not settling:
                raise
            time.sleep(0.2)


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    phases = [arg.split("=", 1) for arg in sys.argv[3:]]
    errors = []

    def error(text):
        if len(errors) < 20:
            errors.append(text)

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"verify-{uuid.uuid4().hex[:6]}",
                         "enable.auto.commit": False})
    meta = consumer.list_topics(topic, timeout=10)
    partitions = sorted(meta.topics[topic].partitions)
    ends = {p: watermarks(consumer, topic, p) for p in partitions}
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    log = {p: [] for p in partitions}  # (offset, tag, i)
    deadline = time.monotonic() + 60
    nexts = {p: 0 for p in partitions}
    while time.monotonic() < deadline and any(nexts[p] < ends[p][1] for p in partitions):
        for m in consumer.consume(10_000, 0.05):
            if m.error():
                error(f"consume: {m.error()}")
                continue
            tag, i, _ = m.value().split(b"-", 2)
            log[m.partition()].append((m.offset(), tag.decode(), int(i)))
            nexts[m.partition()] = m.offset() + 1
    consumer.close()

    at = {}
    seen_values = set()
    phase_rank = {tag: n for n, (tag, _) in enumerate(phases)}
    for p, records in log.items():
        expected_offset = ends[p][0]
        last_rank = -1
        for offset, tag, i in records:
            if offset != expected_offset:
                error(f"p{p}: offset {offset} where {expected_offset} was expected (hole or reorder)")
            expected_offset = offset + 1
            at[(p, offset)] = (tag, i)
            if (tag, i) in seen_values:
                error(f"record {tag}-{i} appears twice (again at p{p}@{offset})")
            seen_values.add((tag, i))
            rank = phase_rank.get(tag, -1)
            if rank < last_rank:
                error(f"p{p}@{offset}: a {tag} record after a record of a later phase (offset reused or reordered)")
            last_rank = max(last_rank, rank)

    acked_positions = {}
    counts = {}
    for tag, path in phases:
        acks = read_acks(path)
        counts[tag] = len(acks)
        for p, offset, i in acks:
            if (p, offset) in acked_positions:
                error(f"p{p}@{offset} acknowledged twice: {acked_positions[(p, offset)]} and {tag}-{i}")
            acked_positions[(p, offset)] = (tag, i)
            found = at.get((p, offset))
            if found != (tag, i):
                error(f"acknowledged {tag}-{i} at p{p}@{offset}, log has {found}")

    present = {tag: sum(1 for recs in log.values() for _, t, _ in recs if t == tag) for tag, _ in phases}
    print(json.dumps({"ok": not errors, "errors": errors, "acked": counts, "in_log": present,
                      "log_end": {p: ends[p][1] for p in partitions},
                      "consumed": sum(len(r) for r in log.values())}), flush=True)


if __name__ == "__main__":
    main()
