'use strict';
// Reads every partition of a topic from the beginning up to its high watermark with
// @confluentinc/kafka-javascript's node-rdkafka-style KafkaConsumer and explicit assignment: no consumer group.

const Kafka = require('@confluentinc/kafka-javascript');
const { PARTITIONS } = require('./spec');

function call(fn) {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

async function consumeAll(bootstrap, topic, onMessage, deadlineMs = 60000) {
  const consumer = new Kafka.KafkaConsumer({
    'bootstrap.servers': bootstrap,
    // The binding insists on a group.id; with assign() and no commits no group protocol is used.
    'group.id': `assign-only-${process.pid}-${Date.now()}`,
    'enable.auto.commit': false,
    'fetch.wait.max.ms': 100,
  }, {});
  await call((cb) => consumer.connect({ timeout: 15000 }, cb));
  const ends = {};
  for (let p = 0; p < PARTITIONS; p++) {
    ends[p] = (await call((cb) => consumer.queryWatermarkOffsets(topic, p, 10000, cb))).highOffset;
  }
  consumer.assign([...Array(PARTITIONS).keys()].map((p) => ({ topic, partition: p, offset: 0 })));
  consumer.setDefaultConsumeTimeout(50); // a batch call waits this long for a full batch
  const next = Object.fromEntries(Object.keys(ends).map((p) => [p, 0]));
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline && Object.keys(ends).some((p) => next[p] < ends[p])) {
    const messages = await call((cb) => consumer.consume(10000, cb));
    for (const m of messages) {
      const headers = m.headers ? m.headers.map((h) => { const k = Object.keys(h)[0]; return [k, h[k]]; }) : null;
      onMessage(m.partition, m.offset, m.key, m.value, headers, m.timestamp);
      next[m.partition] = m.offset + 1;
    }
  }
  await call((cb) => consumer.disconnect(cb));
  return ends;
}

module.exports = { consumeAll, call };
