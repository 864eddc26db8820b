'use strict';
// Fetch from the nearest replica (KIP-392) with @confluentinc/kafka-javascript (librdkafka 2.15.1): a consumer with
// client.rack reads partition 0; librdkafka's statistics name the broker it fetches from. Phase 1 produces HALF
// records (acks=all, idempotent), reads them and prints "PHASE1 <json>". The test then kills that broker for good
// and creates GO_FILE; phase 2 produces HALF more and reads on to 2*HALF. librdkafka 2.15 hands a partition back to
// its leader when the connection to its preferred replica fails (rd_kafka_broker_fail() in src/rdkafka_broker.c);
// 2.0.2 keeps the dead replica until its 5-minute lease ends. The summary line: every value read, in order, and the
// brokers fetched from in each phase.
// usage: node follower_fetch.js BOOTSTRAP TOPIC RACK HALF GO_FILE

const fs = require('fs');
const Kafka = require('@confluentinc/kafka-javascript');
const { call } = require('./consume');

const [bootstrap, topic, rack, half, goFile] = [process.argv[2], process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6]];
const fetchedFrom = [];

async function produce(first, count) {
  const producer = new Kafka.Producer({
    'bootstrap.servers': bootstrap, dr_cb: true, 'enable.idempotence': true, acks: 'all', 'message.timeout.ms': 60000,
  });
  let done = 0;
  const failures = [];
  producer.on('delivery-report', (err) => { done++; if (err) failures.push(err.message); });
  await call((cb) => producer.connect({ timeout: 15000 }, cb));
  producer.setPollInterval(5);
  for (let i = first; i < first + count; i++) producer.produce(topic, 0, Buffer.from(`m${i}`));
  await call((cb) => producer.flush(60000, cb));
  const deadline = Date.now() + 60000;
  while (done < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await call((cb) => producer.disconnect(cb));
  if (failures.length || done < count) throw new Error(`produce failed: ${failures.slice(0, 3)} delivered ${done}/${count}`);
}

async function readUntil(consumer, values, target, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (values.length < target && Date.now() < deadline) {
    const messages = await call((cb) => consumer.consume(1000, cb));
    for (const m of messages) values.push(m.value.toString());
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  await produce(0, half);
  const consumer = new Kafka.KafkaConsumer({
    'bootstrap.servers': bootstrap, 'group.id': `follower-fetch-${process.pid}`, 'client.rack': rack,
    'enable.auto.commit': false, 'statistics.interval.ms': 100, 'fetch.wait.max.ms': 100,
    'topic.metadata.refresh.interval.ms': 1000,
  }, {});
  consumer.on('event.stats', (s) => {
    const part = ((JSON.parse(s.message).topics || {})[topic] || { partitions: {} }).partitions['0'];
    if (part) fetchedFrom.push(part.broker);
  });
  await call((cb) => consumer.connect({ timeout: 15000 }, cb));
  consumer.assign([{ topic, partition: 0, offset: 0 }]);
  consumer.setDefaultConsumeTimeout(100);
  const values = [];
  await readUntil(consumer, values, half, 60000);
  // A statistics report after the last record: the broker the partition is fetched from now.
  const reports = fetchedFrom.length;
  for (let i = 0; i < 100 && fetchedFrom.length <= reports; i++) await call((cb) => consumer.consume(1, cb));
  console.log(`PHASE1 ${JSON.stringify({ read: values.length, broker: fetchedFrom.length ? fetchedFrom[fetchedFrom.length - 1] : null })}`);

  while (!fs.existsSync(goFile)) {
    await call((cb) => consumer.consume(1, cb));
    await sleep(50);
  }
  const phase2Start = fetchedFrom.length;
  await produce(half, half);
  await readUntil(consumer, values, 2 * half, 90000);
  // The broker fetched from at the end: a report after the last record.
  const end = fetchedFrom.length;
  for (let i = 0; i < 100 && fetchedFrom.length <= end; i++) await call((cb) => consumer.consume(1, cb));
  await call((cb) => consumer.disconnect(cb));
  console.log(JSON.stringify({
    values, librdkafka: Kafka.librdkafkaVersion, brokers_phase1: [...new Set(fetchedFrom.slice(0, phase2Start))].sort(),
    brokers_phase2: [...new Set(fetchedFrom.slice(phase2Start))].sort(), last_broker: fetchedFrom[fetchedFrom.length - 1],
  }));
}

main().then(() => process.exit(0), (e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
