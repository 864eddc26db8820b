"""Checks what a consumer group (durability_group.py members) read of the durability storm's topic against what the
storm had acknowledged (ACK_FILE, "<partition> <offset> <i> ..." lines). Kafka's at-least-once rule for a group that
commits after each batch:
  - every acknowledged record was consumed by some member (none lost), with the value acknowledged at its offset;
  - a record consumed a second time is allowed only if no successful commit covered it before it was read again
    (records after the group's last commit, read again after a rebalance or a failed commit); a record re-read below
    an offset the group had already committed for its partition is a failure.
Members' events are merged on their CLOCK_MONOTONIC times: a commit counts from the moment it returned successfully,
a read from the moment consume() returned its batch. Prints one JSON summary line.

usage: group_verify.py ACK_FILE RECORD_FILE [RECORD_FILE ...]
"""
import json
import os
import sys


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    return data.decode().split("\n")[:-1]  # a line cut by a kill has no newline


def main():
    ack_path, record_paths = sys.argv[1], sys.argv[2:]
    acked = {}
    for line in read_lines(ack_path):
        p, offset, i = (int(x) for x in line.split()[:3])
        acked[(p, offset)] = i

    events = []  # (time, order, member, kind, data); at equal times reads sort before commits
    members = {}
    for path in record_paths:
        member = os.path.basename(path)
        stats = members.setdefault(member, {"records": 0, "commits": 0, "failed_commits": 0, "assignments": [], "commit_errors": []})
        for line in read_lines(path):
            fields = line.split(" ")
            kind = fields[0]
            if kind == "M":
                events.append((int(fields[1]), 0, member, "M", (int(fields[2]), int(fields[3]), int(fields[4]))))
                stats["records"] += 1
            elif kind == "C" and fields[3] == "ok":
                nexts = {int(p): int(n) for p, n in (x.split(":") for x in fields[4].split(","))}
                events.append((int(fields[2]), 1, member, "C", nexts))
                stats["commits"] += 1
            elif kind == "C":
                stats["failed_commits"] += 1
                if len(stats["commit_errors"]) < 3:
                    stats["commit_errors"].append(" ".join(fields[4:])[:200])
            elif kind in ("A", "R", "L"):
                stats["assignments"].append(kind + fields[2])
    events.sort(key=lambda e: (e[0], e[1]))

    committed = {}  # partition -> (next offset, member, time)
    first_read = {}  # (partition, offset) -> (member, time)
    errors = []
    counts = {"violations": 0, "redelivered": 0, "wrong_value": 0, "not_acked": 0}

    def error(kind, text):
        counts[kind] += 1
        if len(errors) < 20:
            errors.append(text)

    for t, _, member, kind, data in events:
        if kind == "C":
            for p, n in data.items():
                if n > committed.get(p, (-1,))[0]:
                    committed[p] = (n, member, t)
            continue
        p, offset, i = data
        if (p, offset) in acked and acked[(p, offset)] != i:
            error("wrong_value", f"p{p}@{offset}: {member} read record {i}, the storm's acknowledgement says {acked[(p, offset)]}")
        if (p, offset) not in acked:
            counts["not_acked"] += 1
        if (p, offset) not in first_read:
            first_read[(p, offset)] = (member, t)
            continue
        c = committed.get(p)
        if c is not None and offset < c[0]:
            first = first_read[(p, offset)]
            error("violations", f"p{p}@{offset} read again by {member} at {t / 1e9:.3f} s, first by {first[0]} at {first[1] / 1e9:.3f} s, "
                                f"after {c[1]} committed p{p} up to {c[0]} at {c[2] / 1e9:.3f} s")
        else:
            counts["redelivered"] += 1

    lost = sorted(k for k in acked if k not in first_read)
    for p, offset in lost[:5]:
        errors.append(f"acknowledged p{p}@{offset} (record {acked[(p, offset)]}) never consumed by the group")
    ok = not lost and counts["violations"] == 0 and counts["wrong_value"] == 0 and bool(acked)
    print(json.dumps({"ok": ok, "acked": len(acked), "consumed": sum(m["records"] for m in members.values()),
                      "distinct": len(first_read), "lost": len(lost), **counts,
                      "committed": {p: c[0] for p, c in sorted(committed.items())}, "members": members,
                      "errors": errors}), flush=True)


if __name__ == "__main__":
    main()
