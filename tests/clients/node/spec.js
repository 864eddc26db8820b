'use strict';
// Mirror of tests/clients/python/roundtrip_common.py: record i of a run is fully determined by (tag, i), and a
// Checker compares consumed records with it. Values start with "<tag>-<i>-" so a record names its spec.

const PARTITIONS = 6;
const BASE_TS = 1700000000000;

function spec(tag, i) {
  const key = i % 10 === 0 ? null : Buffer.from(`k${i % 997}`);
  const partition = i % 3 === 0 ? i % PARTITIONS : null;
  const headers = i % 4 === 0 ? [['h-id', Buffer.from(String(i))], ['h-empty', Buffer.alloc(0)]] : null;
  const timestamp = i % 2 === 0 ? BASE_TS + i : null;
  const word = ((Math.imul(i, 2654435761) >>> 0).toString(16)).padStart(8, '0');
  let body = Buffer.from(word.repeat(1 + (i % 8)));
  if (i % 7 === 0) body = Buffer.concat([body, Buffer.from([i % 256, 0, 255, 10, 13])]);
  const value = Buffer.concat([Buffer.from(`${tag}-${i}-`), body]);
  return { key, value, partition, headers, timestamp };
}

function parseId(tag, value) {
  if (!value) return null;
  const prefix = `${tag}-`;
  const head = value.subarray(0, 40).toString('latin1');
  if (!head.startsWith(prefix)) return null;
  const rest = head.slice(prefix.length);
  const dash = rest.indexOf('-');
  return dash > 0 ? Number(rest.slice(0, dash)) : null;
}

const eqBuf = (a, b) => (a === null || a === undefined ? b === null : b !== null && Buffer.compare(a, b) === 0);

class Checker {
  constructor(tag, count, { logAppendTime = false, window = null, delivered = null } = {}) {
    Object.assign(this, { tag, count, logAppendTime, window, delivered });
    this.errors = [];
    this.errorCount = 0;
    this.seen = new Set();
    this.lastId = new Map();
    this.lastOffset = new Map();
    this.keyPartition = new Map();
    this.consumed = 0;
    this.redelivered = 0;
    this.positions = new Map(); // id -> [partition, offset]
  }

  error(text) {
    this.errorCount++;
    if (this.errors.length < 12) this.errors.push(text);
  }

  // headers: array of [name, Buffer] or null
  check(partition, offset, key, value, headers, ts) {
    this.consumed++;
    const i = parseId(this.tag, value);
    if (i === null || i < 0 || i >= this.count) return this.error(`p${partition}@${offset}: not a record of ${this.tag}`);
    if (this.seen.has(i)) {
      // The same record at the same position again: a group rebalance (a session that timed out on a busy machine)
      // handed the partition back from its last commit. The log still holds it once; only another position is a
      // duplicate.
      const [p0, o0] = this.positions.get(i);
      if (p0 === partition && o0 === offset) { this.redelivered++; this.consumed--; return undefined; }
      return this.error(`record ${i} consumed twice (again at p${partition}@${offset}, first at p${p0}@${o0})`);
    }
    this.seen.add(i);
    this.positions.set(i, [partition, offset]);
    const e = spec(this.tag, i);
    if (!eqBuf(e.value, value)) this.error(`record ${i}: value differs`);
    if (!eqBuf(e.key, key)) this.error(`record ${i}: key ${key} != ${e.key}`);
    const got = headers || [];
    const want = e.headers || [];
    if (got.length !== want.length || got.some(([k, v], n) => k !== want[n][0] || !eqBuf(want[n][1], v))) {
      this.error(`record ${i}: headers ${JSON.stringify(got.map(([k, v]) => [k, String(v)]))} != ` +
        `${JSON.stringify(want.map(([k, v]) => [k, String(v)]))}`);
    }
    if (e.partition !== null && partition !== e.partition) this.error(`record ${i}: partition ${partition} != ${e.partition}`);
    if (this.delivered) {
      const d = this.delivered.get(i);
      if (!d) this.error(`record ${i} consumed at p${partition}@${offset} but never acknowledged`);
      else if (d[0] !== partition || d[1] !== offset) this.error(`record ${i}: consumed at p${partition}@${offset}, acknowledged at p${d[0]}@${d[1]}`);
    }
    if (e.key !== null && e.partition === null) {
      const k = e.key.toString();
      if (!this.keyPartition.has(k)) this.keyPartition.set(k, partition);
      else if (this.keyPartition.get(k) !== partition) this.error(`key ${k} in partitions ${this.keyPartition.get(k)} and ${partition}`);
    }
    if (this.lastOffset.has(partition) && offset <= this.lastOffset.get(partition)) this.error(`p${partition}: offset ${offset} after ${this.lastOffset.get(partition)}`);
    if (this.lastId.has(partition) && i <= this.lastId.get(partition)) this.error(`p${partition}: record ${i} after record ${this.lastId.get(partition)} (order lost)`);
    this.lastOffset.set(partition, offset);
    this.lastId.set(partition, i);
    const [lo, hi] = this.window ? [this.window[0] - 2000, this.window[1] + 2000] : [0, Number.MAX_SAFE_INTEGER];
    if (this.logAppendTime) {
      if (ts < lo || ts > hi) this.error(`record ${i}: LogAppendTime ${ts} outside the produce window`);
    } else if (e.timestamp !== null) {
      if (ts !== e.timestamp) this.error(`record ${i}: CreateTime ${ts} != explicit ${e.timestamp}`);
    } else if (ts < lo || ts > hi) {
      this.error(`record ${i}: CreateTime ${ts} outside the produce window`);
    }
    return undefined;
  }

  result(extra = {}) {
    const missing = this.count - this.seen.size;
    if (missing) this.error(`${missing} records never consumed`);
    return {
      tag: this.tag, produced: this.count, consumed: this.consumed, redelivered: this.redelivered, ok: this.errorCount === 0,
      error_count: this.errorCount, errors: this.errors, partitions_used: [...this.lastOffset.keys()].sort(), ...extra,
    };
  }
}

function emit(client, results, extra = {}) {
  const ok = results.length > 0 && results.every((r) => r.ok);
  process.stdout.write(`${JSON.stringify({ client, ok, results, ...extra })}\n`);
}

module.exports = { PARTITIONS, BASE_TS, spec, parseId, Checker, emit };
