/**
 * Nothing acknowledged is lost: while a sender streams spans through the distributed pipeline
 * (retrying refusals like an OpenTelemetry exporter), Kafka, Elasticsearch or an ingester fails and
 * comes back, or a poison record enters the topic. Afterwards every span the collector acknowledged
 * is stored exactly once (deterministic ids: one document per span, none missing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { AckedSender } from '../support/acked-sender.js';
import { eventually } from '../support/meshtel-process.js';
import { spanDocsByTrace, startPipeline, type Pipeline } from '../support/pipeline.js';
import { ensureServers, isServerReady, KAFKA_BROKERS, startServer, stopServer } from '../support/servers.js';
import { DLQ_HEADERS } from '../../services/ingester/dead-letter.js';
import type { Envelope, JaegerTrace } from '../support/checkout-trace.js';

const SPANS_PER_TRACE = 3;
let pipeline: Pipeline;

beforeAll(async () => {
  await ensureServers(['kafka', 'elasticsearch']);
  pipeline = await startPipeline();
}, 300_000);

afterAll(async () => {
  // A failed case must not leave a server down for the tests after it.
  await ensureServers(['kafka', 'elasticsearch']);
  await pipeline?.stop();
}, 300_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runSenderAround(service: string, fault: (sender: AckedSender) => Promise<void>): Promise<AckedSender> {
  const sender = new AckedSender(() => pipeline.collector.url('otlpHttp'), { service, spansPerTrace: SPANS_PER_TRACE, tracesPerBatch: 10 });
  sender.start();
  await eventually(async () => (sender.ackedSpans >= 300 ? true : undefined), 30_000);
  await fault(sender);
  const ackedAtRecovery = sender.ackedSpans;
  await eventually(async () => (sender.ackedSpans >= ackedAtRecovery + 300 ? true : undefined), 120_000);
  await sender.stop();
  return sender;
}

/** Every acknowledged span stored once: same traces, same span count per trace, nothing extra. */
async function expectStoredExactlyOnce(sender: AckedSender): Promise<void> {
  const stored = await eventually(async () => {
    const docs = await spanDocsByTrace(`meshtel-${pipeline.id}`);
    const ours = [...sender.acked.keys()].filter((t) => docs.has(t));
    return ours.length === sender.acked.size ? docs : undefined;
  }, 180_000, 1000);
  for (const [traceId, spans] of sender.acked) expect(stored.get(traceId), traceId).toBe(spans);
  // Also through the query role: a sample of traces, whole, no duplicates.
  const sample = [...sender.acked.keys()].filter((_, i) => i % 97 === 0).slice(0, 5);
  for (const traceId of sample) {
    const res = await fetch(pipeline.query.url('query', `/api/traces/${traceId}`));
    const body = (await res.json()) as Envelope<JaegerTrace[]>;
    expect(body.data[0]!.spans).toHaveLength(SPANS_PER_TRACE);
  }
}

describe('distributed pipeline under faults', () => {
  it('dead-letters a poison record with headers naming the failure and keeps going', async () => {
    const kafka = new Kafka({ clientId: 'poison-test', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const poison = Buffer.from('this is not an OTLP protobuf payload \xff\xff\xff');
    await producer.send({ topic: `meshtel-${pipeline.id}.spans`, messages: [{ key: 'poison-key', value: poison }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `dlq-reader-${pipeline.id}` });
    await consumer.connect();
    await consumer.subscribe({ topic: `meshtel-${pipeline.id}.dlq`, fromBeginning: true });
    const deadLetters: Array<{ key: string; headers: Record<string, string> }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        deadLetters.push({ key: String(message.key), headers });
      },
    });
    try {
      const letter = await eventually(async () => deadLetters.find((d) => d.key === 'poison-key'), 60_000);
      expect(letter.headers[DLQ_HEADERS.stage]).toBe('decode');
      expect(letter.headers[DLQ_HEADERS.error]).toMatch(/protobuf|decode|invalid|truncated/i);
      expect(letter.headers[DLQ_HEADERS.sourceTopic]).toBe('spans');
      const metrics = await (await fetch(pipeline.ingester.url('admin', '/metrics'))).text();
      expect(metrics).toMatch(/meshtel_ingester_records_dead_lettered_total\{stage="decode"\} 1\b/);
    } finally {
      await consumer.disconnect();
    }
    const sender = await runSenderAround('after-poison', async () => {});
    await expectStoredExactlyOnce(sender);
  }, 300_000);

  it('an ingester killed with SIGKILL mid-stream is replaced and redelivery adds no duplicates', async () => {
    const sender = await runSenderAround('ingester-kill', async () => {
      const code = await pipeline.ingester.stop('SIGKILL');
      expect(code).toBe(null); // killed, not exited
      await sleep(2000);
      pipeline.ingester = await pipeline.startIngester();
    });
    await expectStoredExactlyOnce(sender);
  }, 400_000);

  it('Kafka stopped for ~10 s mid-stream: the collector refuses with 503, senders retry, nothing acknowledged is lost', async () => {
    const sender = await runSenderAround('kafka-outage', async (running) => {
      await stopServer('kafka');
      const refusalsBefore = running.refusals;
      await sleep(10_000);
      expect(running.refusals).toBeGreaterThan(refusalsBefore);
      const ready = await fetch(pipeline.collector.url('admin', '/readyz'));
      expect(ready.status).toBe(503);
      await startServer('kafka');
    });
    await expectStoredExactlyOnce(sender);
  }, 400_000);

  it('Elasticsearch stopped mid-stream: the ingester lags, then catches up after the restart', async () => {
    const sender = await runSenderAround('es-outage', async () => {
      await stopServer('elasticsearch');
      await sleep(5000);
      expect(await isServerReady('elasticsearch')).toBe(false);
      await startServer('elasticsearch');
    });
    await expectStoredExactlyOnce(sender);
  }, 400_000);
});
