"""What every round-trip script produces and how it checks what it consumed back.

Record i of a run is fully determined by (tag, i): its key (null for every 10th), an explicit partition for
every 3rd (the others go through the client's partitioner), headers for every 4th, an explicit CreateTime for
every even one (the others get the producer's clock), and a value that starts with "<tag>-<i>-" so a consumed
record names the record it must equal.
"""
import json
import sys
import time

PARTITIONS = 6
BASE_TS = 1_700_000_000_000
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def spec(tag, i):
    key = None if i % 10 == 0 else b"k%d" % (i % 997)
    partition = i % PARTITIONS if i % 3 == 0 else None
    headers = [("h-id", b"%d" % i), ("h-empty", b"")] if i % 4 == 0 else None
    timestamp = BASE_TS + i if i % 2 == 0 else None
    body = (b"%08x" % ((i * 2654435761) & 0xFFFFFFFF)) * (1 + i % 8)
    if i % 7 == 0:
        body += bytes([i % 256, 0, 255, 10, 13])  # binary bytes, newline and NUL included
    value = b"%s-%d-" % (tag.encode(), i) + body
    return key, value, partition, headers, timestamp


def parse_id(tag, value):
    prefix = tag.encode() + b"-"
    if value is None or not value.startswith(prefix):
        return None
    rest = value[len(prefix):]
    dash = rest.find(b"-")
    return int(rest[:dash]) if dash > 0 else None


def now_ms():
    return int(time.time() * 1000)


class Checker:
    """Compares consumed records with the specs and the producer's delivery reports; collects readable errors."""

    def __init__(self, tag, count, log_append_time=False, window=None, delivered=None, check_headers=True):
        self.tag = tag
        self.count = count
        self.log_append_time = log_append_time
        self.window = window  # (start_ms, end_ms) of the produce phase
        self.delivered = delivered  # i -> (partition, offset), when the client reports it
        self.check_headers = check_headers
        self.errors = []
        self.error_count = 0
        self.seen = set()
        self.positions = {}  # i -> (partition, offset)
        self.redelivered = 0
        self.last_id = {}
        self.last_offset = {}
        self.key_partition = {}
        self.consumed = 0

    def error(self, text):
        self.error_count += 1
        if len(self.errors) < 12:
            self.errors.append(text)

    def check(self, partition, offset, key, value, headers, ts_type, ts):
        """ts_type: 'create', 'logappend' or None when the client does not expose it."""
        self.consumed += 1
        i = parse_id(self.tag, value)
        if i is None or not 0 <= i < self.count:
            self.error(f"p{partition}@{offset}: value {value[:40]!r} is no record of {self.tag}")
            return
        if i in self.seen:
            # The same record at the same position again: a group rebalance (a session that timed out on a busy
            # machine) handed the partition back from its last commit. The log still holds it once.
            if self.positions[i] == (partition, offset):
                self.redelivered += 1
                self.consumed -= 1
                return
            p0, o0 = self.positions[i]
            self.error(f"record {i} consumed twice (again at p{partition}@{offset}, first at p{p0}@{o0})")
            return
        self.seen.add(i)
        self.positions[i] = (partition, offset)
        e_key, e_value, e_partition, e_headers, e_ts = spec(self.tag, i)
        if value != e_value:
            self.error(f"record {i}: value {value[:60]!r} != {e_value[:60]!r}")
        if key != e_key:
            self.error(f"record {i}: key {key!r} != {e_key!r}")
        if self.check_headers and list(headers or []) != list(e_headers or []):
            self.error(f"record {i}: headers {headers!r} != {e_headers!r}")
        if e_partition is not None and partition != e_partition:
            self.error(f"record {i}: partition {partition} != explicit {e_partition}")
        if self.delivered is not None:
            d = self.delivered.get(i)
            if d is None:
                self.error(f"record {i} consumed at p{partition}@{offset} but never acknowledged")
            elif d != (partition, offset):
                self.error(f"record {i}: consumed at p{partition}@{offset}, acknowledged at p{d[0]}@{d[1]}")
        if e_key is not None and e_partition is None:
            first = self.key_partition.setdefault(e_key, partition)
            if first != partition:
                self.error(f"key {e_key!r} in partitions {first} and {partition}")
        # Order: offsets strictly increase and record ids increase within a partition (one in-order producer).
        if partition in self.last_offset and offset <= self.last_offset[partition]:
            self.error(f"p{partition}: offset {offset} after {self.last_offset[partition]}")
        if partition in self.last_id and i <= self.last_id[partition]:
            self.error(f"p{partition}: record {i} after record {self.last_id[partition]} (order lost)")
        self.last_offset[partition] = offset
        self.last_id[partition] = i
        lo, hi = (self.window[0] - 2000, self.window[1] + 2000) if self.window else (0, 1 << 62)
        if self.log_append_time:
            if ts_type not in (None, "logappend"):
                self.error(f"record {i}: timestamp type {ts_type}, expected logappend")
            if not lo <= ts <= hi:
                self.error(f"record {i}: LogAppendTime {ts} outside the produce window {self.window}")
        else:
            if ts_type not in (None, "create"):
                self.error(f"record {i}: timestamp type {ts_type}, expected create")
            if e_ts is not None and ts != e_ts:
                self.error(f"record {i}: CreateTime {ts} != explicit {e_ts}")
            if e_ts is None and not lo <= ts <= hi:
                self.error(f"record {i}: CreateTime {ts} outside the produce window {self.window}")

    def result(self, **extra):
        missing = self.count - len(self.seen)
        if missing:
            sample = [i for i in range(self.count) if i not in self.seen][:5]
            self.error(f"{missing} records never consumed, e.g. {sample}")
        out = {"tag": self.tag, "produced": self.count, "consumed": self.consumed, "redelivered": self.redelivered,
               "ok": self.error_count == 0, "error_count": self.error_count, "errors": self.errors,
               "partitions_used": sorted(self.last_offset)}
        out.update(extra)
        return out


def emit(client, results, **extra):
    summary = {"client": client, "ok": all(r.get("ok") for r in results) and bool(results), "results": results}
    summary.update(extra)
    sys.stdout.write(json.dumps(summary) + "\n")
    sys.stdout.flush()
