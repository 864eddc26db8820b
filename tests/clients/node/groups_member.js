'use strict';
// One member of a consumer group for the group tests, with the same output as python/groups_member.py:
// ASSIGNED/REVOKED lines for its assignment, BATCH (records read, printed before the commit) then COMMIT for each
// batch, a JSON summary when STOP_FILE or STOP_FILE.NAME appears (it then disconnects, leaving the group).
// CLIENT: rdkafka (node-rdkafka API of @confluentinc/kafka-javascript, "range" assignor), kafkajs (kafkajs 2.2.4),
// ckjs (the KafkaJS-compatible API of @confluentinc/kafka-javascript).
// usage: node groups_member.js BOOTSTRAP TOPIC GROUP NAME STOP_FILE CLIENT SESSION_MS

const fs = require('fs');

const [bootstrap, topic, group, name, stopFile, client, sessionArg] = process.argv.slice(2);
const sessionMs = Number(sessionArg || 6000);
const stats = { batches: 0, records: 0, commit_failures: 0, assignments: 0, bad_values: 0 };
const started = Date.now();

function emit(prefix, fields) {
  process.stdout.write(`${prefix} ${JSON.stringify({ name, ...fields })}\n`);
}

function spans(read) {
  const byPartition = new Map();
  for (const [p, o] of read) {
    const [first, last] = byPartition.get(p) || [o, o];
    byPartition.set(p, [Math.min(first, o), Math.max(last, o)]);
  }
  return [...byPartition.entries()].sort((a, b) => a[0] - b[0]).map(([p, [f, l]]) => [p, f, l]);
}

function checkValue(value) {
  if (!value || !/^[0-9]+$/.test(value.toString())) stats.bad_values++;
}

function finish() {
  process.stdout.write(`${JSON.stringify({ ok: stats.bad_values === 0, name, client, seconds: (Date.now() - started) / 1000, ...stats })}\n`);
  process.exit(0);
}

const stopped = () => fs.existsSync(stopFile) || fs.existsSync(`${stopFile}.${name}`);

async function runRdkafka() {
  const Kafka = require('@confluentinc/kafka-javascript');
  const call = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
  let closing = false;
  const consumer = new Kafka.KafkaConsumer({
    'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': name, 'enable.auto.commit': false,
    'session.timeout.ms': sessionMs, 'heartbeat.interval.ms': 500, 'partition.assignment.strategy': 'range',
    'fetch.wait.max.ms': 100, 'topic.metadata.refresh.interval.ms': 2000,
    rebalance_cb(err, assignment) {
      const partitions = assignment.map((a) => a.partition).sort((a, b) => a - b);
      try {
        if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
          this.assign(assignment);
          stats.assignments++;
          emit('ASSIGNED', { partitions });
        } else {
          emit('REVOKED', { partitions });
          this.unassign();
        }
      } catch (e) {
        // The binding queues rebalance events for the JS thread: one that was pending when disconnect() began is
        // delivered after the native consumer is gone, and (un)assign then throws ERR__STATE ("Local: Erroneous
        // state"). The library's own rebalance handler ignores that case too; any other failure is real.
        if (!closing) throw e;
      }
    },
  }, { 'auto.offset.reset': 'earliest' });
  await call((cb) => consumer.connect({ timeout: 15000 }, cb));
  consumer.subscribe([topic]);
  consumer.setDefaultConsumeTimeout(100);
  while (!stopped()) {
    const messages = await call((cb) => consumer.consume(500, cb));
    if (messages.length === 0) continue;
    messages.forEach((m) => checkValue(m.value));
    const read = spans(messages.map((m) => [m.partition, m.offset]));
    stats.batches++;
    stats.records += messages.length;
    emit('BATCH', { read });
    try {
      consumer.commitSync(read.map(([partition, , last]) => ({ topic, partition, offset: last + 1 })));
      emit('COMMIT', { ok: true, offsets: Object.fromEntries(read.map(([p, , l]) => [p, l + 1])) });
    } catch (e) {
      stats.commit_failures++;
      emit('COMMIT', { ok: false, offsets: {}, error: String(e) });
    }
  }
  closing = true;
  await call((cb) => consumer.disconnect(cb));
}

async function runKafkaJsStyle(consumer, onJoin) {
  await consumer.connect();
  await consumer.subscribe(client === 'kafkajs' ? { topics: [topic], fromBeginning: true } : { topics: [topic] });
  if (onJoin) onJoin();
  await consumer.run({
    ...(client === 'kafkajs' ? { autoCommit: false } : {}),
    eachBatch: async ({ batch, heartbeat }) => {
      if (batch.messages.length === 0) return;
      batch.messages.forEach((m) => checkValue(m.value));
      const offsets = batch.messages.map((m) => Number(m.offset));
      const read = [[batch.partition, Math.min(...offsets), Math.max(...offsets)]];
      stats.batches++;
      stats.records += batch.messages.length;
      emit('BATCH', { read });
      try {
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: String(read[0][2] + 1) }]);
        emit('COMMIT', { ok: true, offsets: { [batch.partition]: read[0][2] + 1 } });
      } catch (e) {
        stats.commit_failures++;
        emit('COMMIT', { ok: false, offsets: {}, error: String(e) });
      }
      await heartbeat();
    },
  });
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (stopped()) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
  });
  await consumer.disconnect();
}

async function runKafkaJs() {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: name, brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: sessionMs, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    stats.assignments++;
    emit('ASSIGNED', { partitions: [...(payload.memberAssignment[topic] || [])].sort((a, b) => a - b) });
  });
  await runKafkaJsStyle(consumer);
}

async function runCkjs() {
  const { Kafka } = require('@confluentinc/kafka-javascript').KafkaJS;
  const kafka = new Kafka({ kafkaJS: { clientId: name, brokers: bootstrap.split(','), logLevel: 0 } });
  const consumer = kafka.consumer({
    kafkaJS: { groupId: group, sessionTimeout: sessionMs, heartbeatInterval: 500, autoCommit: false, fromBeginning: true },
    'fetch.wait.max.ms': 100,
    'topic.metadata.refresh.interval.ms': 2000,
  });
  // This API has no rebalance listener of its own: follow assignment() for the ASSIGNED lines.
  let last = '';
  const watch = () => setInterval(() => {
    if (stopped()) return; // assignment() throws once disconnecting
    const partitions = consumer.assignment().filter((a) => a.topic === topic).map((a) => a.partition).sort((a, b) => a - b);
    const key = JSON.stringify(partitions);
    if (key !== last) {
      last = key;
      stats.assignments++;
      emit('ASSIGNED', { partitions });
    }
  }, 20);
  let timer;
  await runKafkaJsStyle(consumer, () => { timer = watch(); });
  clearInterval(timer);
}

const runners = { rdkafka: runRdkafka, kafkajs: runKafkaJs, ckjs: runCkjs };
runners[client]().then(finish, (e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
