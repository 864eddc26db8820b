'use strict';
// kafkajs 2.2.4 consumer group: consumes TOPIC in GROUP from the beginning (or the group's committed offsets)
// with eachMessage and kafkajs's auto commit until every partition's high watermark is reached, disconnects
// (which commits what is left), then reads the committed offsets back with the admin client.
// Prints one JSON line: what was read per partition, the committed offsets and the high watermarks.
// usage: node groups_kafkajs_consume.js BOOTSTRAP TOPIC GROUP

const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, topic, group] = process.argv.slice(2);
  const kafka = new Kafka({ clientId: 'groups-kafkajs', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const read = {};
  let bad = 0;
  const next = {};
  let resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  const complete = () => Object.keys(ends).every((p) => (next[p] ?? -1) >= ends[p] || ends[p] === 0);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const offset = Number(message.offset);
      (read[partition] = read[partition] || []).push(offset);
      if (!/^[0-9]+$/.test(message.value.toString())) bad++;
      next[partition] = Math.max(next[partition] ?? 0, offset + 1);
      if (complete()) resolveDone();
    },
  });
  const timer = setTimeout(resolveDone, 60000);
  await done;
  clearTimeout(timer);
  await consumer.disconnect();
  const fetched = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const committed = Object.fromEntries(fetched[0].partitions.map((p) => [p.partition, Number(p.offset)]));
  await admin.disconnect();
  const spans = Object.fromEntries(Object.entries(read).map(([p, o]) => [p, {
    first: Math.min(...o), last: Math.max(...o), count: o.length, distinct: new Set(o).size,
  }]));
  const ok = bad === 0 && Object.keys(ends).every((p) => committed[p] === ends[p]);
  process.stdout.write(`${JSON.stringify({ ok, read: spans, committed, ends, bad_values: bad })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
