'use strict';
// kafkajs 2.2.4: admin.createTopics / fetchTopicMetadata, producer.send without compression, with gzip (the
// only codec kafkajs ships) and with Snappy, LZ4 and ZSTD through the codec plugins of codecs.js. The records
// are read back with @confluentinc/kafka-javascript's assign-only consumer (consume.js), so librdkafka also
// decodes what the plugins compressed. A kafkajs consumer-group read-back (fresh groupId, fromBeginning) stalled
// in about one run of six against this broker (joined with all 6 partitions, then fetched nothing or part), so
// it is not used here until that is understood; tests/Server.Tests/RealClientGroups covers kafkajs groups.
// usage: node kafkajs_roundtrip.js BOOTSTRAP none|gzip|snappy|lz4|zstd|lat RECORDS
//   (lat: a LogAppendTime topic, uncompressed)

const crypto = require('crypto');
const { Kafka, CompressionTypes, Partitioners, logLevel } = require('kafkajs');
const { PARTITIONS, spec, Checker, emit } = require('./spec');
const { useCodec } = require('./codecs');
const { consumeAll } = require('./consume');

const CHUNK = 10000;

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

async function main() {
  const [bootstrap, tag, count] = [process.argv[2], process.argv[3], Number(process.argv[4])];
  const lat = tag === 'lat';
  const topic = `kjs-${tag}-${crypto.randomBytes(4).toString('hex')}`;
  const kafka = new Kafka({ clientId: 'kafkajs-roundtrip', brokers: [bootstrap], logLevel: logLevel.ERROR, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [{
      topic, numPartitions: PARTITIONS, replicationFactor: 1,
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
  await admin.disconnect();
  const ends = await consumeAll(bootstrap, topic, (...m) => checker.check(...m));
  checkSendResults(checker, chunks, lat);
  const result = checker.result({
    topic, codec, produce_s: (t1 - t0) / 1000, consume_s: (Date.now() - t1) / 1000,
    end_offsets: ends, consumed_with: '@confluentinc/kafka-javascript (assign)',
  });
  emit('kafkajs', [result], {
    created, partitions: metadata.topics[0].partitions.length, topic_listed: listed.includes(topic),
  });
}

main().then(() => process.exit(0), (e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
