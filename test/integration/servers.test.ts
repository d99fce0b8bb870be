/**
 * The real servers of deploy/local answer real requests: Kafka produce/consume, Elasticsearch
 * index/get, Redis PING, Prometheus build info and the remote-write endpoint.
 */
import net from 'node:net';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ES_URL, KAFKA_BROKERS, PROMETHEUS_URL, REDIS_URL, ensureServers } from '../support/servers.js';

const unique = `${Date.now().toString(36)}-${process.pid}`;

beforeAll(async () => {
  await ensureServers(['kafka', 'elasticsearch', 'redis', 'prometheus']);
});

describe('deploy/local servers', () => {
  it('Kafka creates a topic and round-trips a message', async () => {
    const kafka = new Kafka({ clientId: 'servers-test', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    const topic = `it-servers-${unique}`;
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `it-servers-${unique}` });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      expect(await admin.listTopics()).toContain(topic);

      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'hello meshtel' }] });

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') });
      });
      expect(await received).toBe('hello meshtel');
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('Elasticsearch indexes a document and returns it', async () => {
    const es = new Client({ node: ES_URL });
    const index = `it-servers-${unique}`;
    try {
      await es.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 } });
      await es.index({ index, id: 'doc-1', document: { service: 'checkout', durationMs: 12 }, refresh: true });
      const got = await es.get<{ service: string; durationMs: number }>({ index, id: 'doc-1' });
      expect(got.found).toBe(true);
      expect(got._source).toEqual({ service: 'checkout', durationMs: 12 });
      const info = await es.cluster.health();
      expect(['green', 'yellow']).toContain(info.status);
    } finally {
      await es.indices.delete({ index }).catch(() => undefined);
      await es.close();
    }
  });

  it('Redis answers PING', async () => {
    const { hostname, port } = new URL(REDIS_URL);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write('*1\r\n$4\r\nPING\r\n'));
      socket.setTimeout(3000, () => socket.destroy(new Error('timeout')));
      socket.once('data', (d) => {
        resolve(d.toString('latin1'));
        socket.end();
      });
      socket.once('error', reject);
    });
    expect(reply).toBe('+PONG\r\n');
  });

  it('Prometheus is 2.42 with the remote-write receiver on', async () => {
    const res = await fetch(`${PROMETHEUS_URL}/api/v1/status/buildinfo`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; data: { version: string } };
    expect(body.status).toBe('success');
    expect(body.data.version.startsWith('2.42')).toBe(true);

    // Without --web.enable-remote-write-receiver this is 404; with it, an empty body is not a
    // valid snappy block, so the handler answers 400.
    const write = await fetch(`${PROMETHEUS_URL}/api/v1/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
      body: new Uint8Array(0),
    });
    expect(write.status).not.toBe(404);
    expect(write.status).toBeLessThan(500);
  });
});
