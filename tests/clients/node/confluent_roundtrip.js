'use strict';
// @confluentinc/kafka-javascript 1.10.1 (librdkafka 2.15.1; Metadata v12, Fetch v16, flexible versions) with
// its node-rdkafka-style API: AdminClient.createTopic, an idempotent Producer with each compression.codec and
// delivery reports, and a KafkaConsumer that assigns partitions (the KafkaJS-compatible API needs groups).
// usage: node confluent_roundtrip.js BOOTSTRAP none|gzip|snappy|lz4|zstd|lat RECORDS   (lat: LogAppendTime topic)

const crypto = require('crypto');
const Kafka = require('@confluentinc/kafka-javascript');
const { PARTITIONS, spec, Checker, emit } = require('./spec');
const { consumeAll, call } = require('./consume');

async function produce(bootstrap, topic, tag, count, codec) {
  const producer = new Kafka.Producer({
    'bootstrap.servers': bootstrap, dr_cb: true, 'enable.idempotence': true, acks: 'all',
    'compression.codec': codec, 'linger.ms': 5, 'queue.buffering.max.messages': 1000000, 'message.timeout.ms': 30000,
  });
  const delivered = new Map();
  const failures = [];
  producer.on('delivery-report', (err, report) => {
    if (err) failures.push(`record ${report && report.opaque}: ${err.message}`);
    else delivered.set(report.opaque, [report.partition, report.offset]);
  });
  await call((cb) => producer.connect({ timeout: 15000 }, cb));
  producer.setPollInterval(5);
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const s = spec(tag, i);
    const headers = s.headers ? s.headers.map(([k, v]) => ({ [k]: v })) : undefined;
    for (;;) {
      try {
        producer.produce(topic, s.partition === null ? -1 : s.partition, s.value, s.key, s.timestamp, i, headers);
        break;
      } catch (e) {
        if (e.code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw e;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
  await call((cb) => producer.flush(60000, cb));
  const deadline = Date.now() + 30000;
  while (delivered.size + failures.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const end = Date.now();
  await call((cb) => producer.disconnect(cb));
  return { delivered, failures, window: [start, end] };
}

async function createTopics(bootstrap, topics) {
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': bootstrap });
  const errors = [];
  for (const t of topics) {
    try {
      await call((cb) => admin.createTopic(t, 15000, cb));
    } catch (e) {
      errors.push(`${t.topic}: ${e.message}`);
    }
  }
  const listed = await call((cb) => admin.listTopics({ timeout: 10000 }, cb));
  admin.disconnect();
  return { errors, listed };
}

async function main() {
  const [bootstrap, tag, count] = [process.argv[2], process.argv[3], Number(process.argv[4])];
  const lat = tag === 'lat';
  const codec = lat ? 'none' : tag;
  const topic = `ckjs-${tag}-${crypto.randomBytes(4).toString('hex')}`;
  const { errors: createErrors, listed } = await createTopics(bootstrap, [{
    topic, num_partitions: PARTITIONS, replication_factor: Number(process.env.TEST_REPLICATION_FACTOR || 1),
    config: lat ? { 'message.timestamp.type': 'LogAppendTime' } : {},
  }]);
  const t0 = Date.now();
  const { delivered, failures, window } = await produce(bootstrap, topic, tag, count, codec);
  const t1 = Date.now();
  const checker = new Checker(tag, count, { window, delivered, logAppendTime: lat });
  failures.slice(0, 5).forEach((f) => checker.error(f));
  const ends = await consumeAll(bootstrap, topic, (...m) => checker.check(...m));
  const result = checker.result({
    topic, codec, produce_s: (t1 - t0) / 1000, consume_s: (Date.now() - t1) / 1000, end_offsets: ends,
  });
  emit('@confluentinc/kafka-javascript', [result], {
    create_errors: createErrors, librdkafka: Kafka.librdkafkaVersion, topic_listed: listed.includes(topic),
  });
}

main().then(() => process.exit(0), (e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
