'use strict';
// kafkajs 2.2.4 end to end: admin.createTopics / fetchTopicMetadata, producer.send without compression, with gzip
// (the only codec kafkajs ships) and with Snappy, LZ4 and ZSTD through the codec plugins of codecs.js, then a
// kafkajs consumer group (fresh groupId, fromBeginning, eachBatch) reads everything back and every record is
// checked against its spec.
// kafkajs writes a batch's maxTimestamp from the explicit message timestamps only (records it stamps itself are
// left out), so the spec's 2023 timestamps made batches look years old; before the broker stored the true maximum
// (broker/Server/Partitions/Partition.cs, as Kafka does), the first retention check, 30 s after broker start,
// deleted such segments in the middle of a run: the consumer then started at a later log start offset (20k-50k of
// 100k read) or at the end (nothing read). That was the "stalled kafkajs consumer".
// KAFKAJS_LOG_DIR=dir writes kafkajs's DEBUG log (every request and response) to dir/<topic>.log.
// usage: node kafkajs_roundtrip.js BOOTSTRAP none|gzip|snappy|lz4|zstd|lat RECORDS
//   (lat: a LogAppendTime topic, uncompressed)

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Kafka, Partitioners, logLevel } = require('kafkajs');
const { PARTITIONS, spec, Checker, emit } = require('./spec');
const { useCodec } = require('./codecs');

const CHUNK = 10000;

function logCreator(file) {
  return () => ({ namespace, label, log }) => {
    fs.appendFileSync(file, `${JSON.stringify({ level: label, namespace, ...log })}\n`);
  };
}

async function produce(producer, topic, tag, count, compression) {
  const chunks = []; // per send: partition -> { baseOffset, ids }
  const start = Date.now();
  for (let first = 0; first < count; first += CHUNK) {
    const messages = [];
    for (let i = first; i < Math.min(count, first + CHUNK); i++) {
      const s = spec(tag, i);
      const m = { key: s.key, value: s.value };
      if (s.partition !== null) m.partition = s.partition;
      if (s.timestamp !== null) m.timestamp = String(s.timestamp);
      if (s.headers) m.headers = Object.fromEntries(s.headers);
      messages.push(m);
    }
    const meta = await producer.send({ topic, compression, acks: -1, messages });
    chunks.push({ first, last: first + messages.length, meta });
  }
  return { chunks, window: [start, Date.now()] };
}

// Each send's response gives the base offset per partition: the first record of that send in that partition
// must sit exactly there, and LogAppendTime topics must report the append time.
function checkSendResults(checker, chunks, logAppendTime) {
  for (const { first, last, meta } of chunks) {
    for (const r of meta) {
      if (r.errorCode !== 0) checker.error(`send of ${first}..${last}: partition ${r.partition} error ${r.errorCode}`);
      let min = null;
      for (let i = first; i < last; i++) {
        const pos = checker.positions.get(i);
        if (pos && pos[0] === r.partition && (min === null || pos[1] < min)) min = pos[1];
      }
      if (min !== null && String(min) !== String(r.baseOffset)) {
        checker.error(`send of ${first}..${last}: partition ${r.partition} baseOffset ${r.baseOffset}, first record at ${min}`);
      }
      if (logAppendTime && String(r.logAppendTime) === '-1') checker.error(`partition ${r.partition}: no logAppendTime in the response`);
    }
  }
}

// Consumes the whole topic with a kafkajs consumer in a fresh group (fromBeginning, no commits) until every
// partition reaches its high watermark. kafkajs hands headers as an object in wire order and offsets/timestamps
// as strings. Returns the high watermarks and the log start offsets seen before consuming (all 0 unless the
// broker lost records).
async function consumeAll(kafka, admin, topic, onMessage, deadlineMs = 60000) {
  const offsets = await admin.fetchTopicOffsets(topic);
  const ends = Object.fromEntries(offsets.map((o) => [o.partition, Number(o.high)]));
  const starts = Object.fromEntries(offsets.map((o) => [o.partition, Number(o.low)]));
  const groupId = `kjs-roundtrip-${crypto.randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const next = {};
  const complete = () => Object.keys(ends).every((p) => ends[p] === 0 || (next[p] ?? 0) >= ends[p]);
  let resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const offset = Number(m.offset);
        const headers = m.headers ? Object.entries(m.headers) : [];
        onMessage(batch.partition, offset, m.key, m.value, headers.length ? headers : null, Number(m.timestamp));
        next[batch.partition] = Math.max(next[batch.partition] ?? 0, offset + 1);
      }
      if (complete()) resolveDone();
    },
  });
  if (complete()) resolveDone();
  const timer = setTimeout(resolveDone, deadlineMs);
  await done;
  clearTimeout(timer);
  await consumer.disconnect();
  return { ends, starts, groupId };
}

async function main() {
  const [bootstrap, tag, count] = [process.argv[2], process.argv[3], Number(process.argv[4])];
  const lat = tag === 'lat';
  const topic = `kjs-${tag}-${crypto.randomBytes(4).toString('hex')}`;
  const logDir = process.env.KAFKAJS_LOG_DIR;
  const kafka = new Kafka({ clientId: 'kafkajs-roundtrip', brokers: bootstrap.split(','), retry: { retries: 2 },
    ...(logDir ? { logLevel: logLevel.DEBUG, logCreator: logCreator(path.join(logDir, `${topic}.log`)) } : { logLevel: logLevel.ERROR }),
  });
  const admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [{
      topic, numPartitions: PARTITIONS, replicationFactor: Number(process.env.TEST_REPLICATION_FACTOR || 1),
      configEntries: lat ? [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] : [],
    }],
  });
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const listed = await admin.listTopics();

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const t0 = Date.now();
  const codec = lat ? 'none' : tag;
  const compression = await useCodec(codec);
  const { chunks, window } = await produce(producer, topic, tag, count, compression);
  await producer.disconnect();
  const t1 = Date.now();
  const checker = new Checker(tag, count, { window, logAppendTime: lat });
  const { ends, starts, groupId } = await consumeAll(kafka, admin, topic, (...m) => checker.check(...m));
  await admin.disconnect();
  for (const [p, low] of Object.entries(starts)) {
    if (low !== 0) checker.error(`partition ${p}: log start offset ${low} before consuming (records deleted)`);
  }
  checkSendResults(checker, chunks, lat);
  const result = checker.result({
    topic, codec, produce_s: (t1 - t0) / 1000, consume_s: (Date.now() - t1) / 1000,
    end_offsets: ends, consumed_with: `kafkajs consumer group ${groupId}`,
  });
  emit('kafkajs', [result], {
    created, partitions: metadata.topics[0].partitions.length, topic_listed: listed.includes(topic),
  });
}

main().then(() => process.exit(0), (e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
