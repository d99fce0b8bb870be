/**
 * `meshtel collector --workers 2` against the real Kafka of deploy/local (a topic prefix of its
 * own): both workers take OTLP/HTTP and OTLP/gRPC on the shared ports and publish to Kafka, the
 * primary's /metrics adds up both workers, a killed worker is replaced, and SIGTERM drains every
 * worker — each request answered 200 is in Kafka — and the primary exits 0.
 */
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTracesProtobuf, encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { span, traceIdOf } from '../fixtures/spans.js';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';
import { exportWith, sdkSpans } from '../support/receivers-harness.js';
import { unaryRaw } from '../support/grpc-raw.js';
import { dropPipelineData } from '../support/pipeline.js';
import { ensureServers, KAFKA_BROKERS } from '../support/servers.js';
import { metricSum, scrapeMetrics } from '../bench/target-process.js';

const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const id = `e2e-${randomBytes(4).toString('hex')}`;
const topicPrefix = `meshtel-${id}`;
const kafka = new Kafka({ clientId: `${id}-check`, brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });

let collector: MeshtelProcess;
let consumer: Consumer | undefined;
/**
 * Trace ids seen on the spans topic, from the records' values: a record may hold several traces
 * (concurrent exports of one partition are packed together under the first one's key).
 */
const inKafka = new Set<string>();
let nextTrace = 1;

/** One OTLP/protobuf export of a one-span trace; returns its trace id. */
function traceBody(): { traceId: string; body: Uint8Array } {
  const traceId = traceIdOf(`${(nextTrace++).toString(16)}${randomBytes(6).toString('hex')}`);
  return { traceId, body: encodeTracesProtobuf([span({ traceId, service: 'workers-e2e', startUs: Date.now() * 1000 })]) };
}

/**
 * POST /v1/traces on a connection of its own (agent: false), so consecutive requests land on
 * alternating workers (node:cluster hands connections round-robin). Resolves with the status, or
 * 0 when the connection failed.
 */
function postOnNewConnection(body: Uint8Array): Promise<number> {
  const url = new URL(collector.url('otlpHttp', '/v1/traces'));
  return new Promise((resolve) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/x-protobuf' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function metrics(): Promise<ReadonlyMap<string, number>> {
  return scrapeMetrics(collector.url('admin', '/metrics'));
}

function workerPids(series: ReadonlyMap<string, number>): number[] {
  return [...series.keys()].filter((k) => k.startsWith('meshtel_cluster_worker_info{')).map((k) => Number(/pid="(\d+)"/.exec(k)?.[1]));
}

async function readyz(): Promise<number> {
  return (await fetch(collector.url('admin', '/readyz'))).status;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function expectInKafka(traceIds: readonly string[]): Promise<void> {
  await eventually(async () => (traceIds.every((t) => inKafka.has(t)) ? true : undefined), 30_000, 200).catch(() => {
    throw new Error(`not in Kafka: ${traceIds.filter((t) => !inKafka.has(t)).join(', ')}`);
  });
}

beforeAll(async () => {
  await ensureServers(['kafka']);
  collector = await startMeshtel(
    'collector',
    ['--workers', '2', '--kafka-brokers', KAFKA_BROKERS, '--kafka-topic-prefix', topicPrefix, '--kafka-partitions', '2', '--shutdown-timeout-ms', '20000'],
    {},
    90_000,
  );
  await eventually(async () => ((await readyz()) === 200 ? true : undefined), 60_000, 250);
  consumer = kafka.consumer({ groupId: `${id}-check` });
  await consumer.connect();
  await consumer.subscribe({ topic: `${topicPrefix}.spans`, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value) for (const s of decodeTracesProtobuf(message.value)) inKafka.add(s.traceId);
    },
  });
}, 150_000);

afterAll(async () => {
  if (collector && collector.child.exitCode === null) await collector.stop('SIGKILL');
  await consumer?.disconnect();
  await dropPipelineData(id);
}, 60_000);

describe('collector with --workers 2', () => {
  it('starts two workers that share the receiver ports, and one admin port', async () => {
    const pids = workerPids(await metrics());
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(collector.child.pid);
    expect(collector.logs.filter((l) => l.msg === 'meshtel collector worker started')).toHaveLength(2);
    expect(collector.logs.filter((l) => l.msg === 'meshtel collector started')).toHaveLength(1);
    const ready = (await (await fetch(collector.url('admin', '/readyz'))).json()) as { checks: Record<string, boolean> };
    expect(Object.keys(ready.checks).filter((k) => k.startsWith('worker-'))).toHaveLength(2);
  });

  it('publishes OTLP/HTTP, OTLP/gRPC and Zipkin exports taken by either worker to Kafka, and /metrics sums both workers', async () => {
    const before = metricSum(await metrics(), 'meshtel_receiver_spans_accepted_total');
    const sent: string[] = [];
    // HTTP: eight connections, alternating between the two workers.
    for (let i = 0; i < 8; i++) {
      const { traceId, body } = traceBody();
      expect(await postOnNewConnection(body)).toBe(200);
      sent.push(traceId);
    }
    // gRPC: four clients, each with a connection of its own (no shared subchannel pool).
    for (let i = 0; i < 4; i++) {
      const client = new grpc.Client(collector.endpoints.otlpGrpc!, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      const { traceId, body } = traceBody();
      const result = await unaryRaw(client, TRACE_EXPORT, body);
      client.close();
      expect(result.error?.message).toBeUndefined();
      sent.push(traceId);
    }
    // Zipkin v2 JSON on its own port, also shared by both workers.
    for (let i = 0; i < 2; i++) {
      const traceId = traceBody().traceId;
      const zipkinSpan = { traceId, id: traceId.slice(16), name: 'get /', timestamp: Date.now() * 1000, duration: 1000, localEndpoint: { serviceName: 'workers-e2e-zipkin' } };
      const res = await fetch(collector.url('zipkin', '/api/v2/spans'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([zipkinSpan]) });
      expect(res.status).toBe(202);
      sent.push(traceId);
    }
    // And the OpenTelemetry SDK's own gRPC exporter.
    const sdk = sdkSpans('workers-e2e-sdk');
    const exporter = new OtlpGrpcExporter({ url: `http://${collector.endpoints.otlpGrpc}` });
    expect((await exportWith(exporter, sdk)).code).toBe(0);
    await exporter.shutdown();
    sent.push(sdk[0]!.spanContext().traceId);

    await expectInKafka(sent);
    const expectedSpans = 8 + 4 + 2 + sdk.length;
    const after = await eventually(async () => {
      const accepted = metricSum(await metrics(), 'meshtel_receiver_spans_accepted_total');
      return accepted - before === expectedSpans ? accepted : undefined;
    });
    expect(after - before).toBe(expectedSpans);
  }, 60_000);

  it('replaces a worker that dies, and keeps taking data meanwhile and after', async () => {
    const [victim, survivor] = workerPids(await metrics()) as [number, number];
    process.kill(victim, 'SIGKILL');
    const pids = await eventually(
      async () => {
        const series = await metrics();
        const now = workerPids(series);
        return now.length === 2 && !now.includes(victim) && metricSum(series, 'meshtel_cluster_worker_restarts_total') === 1 ? now : undefined;
      },
      60_000,
      250,
    );
    expect(pids).toContain(survivor);
    expect(collector.logs.some((l) => l.msg === 'cluster worker died; starting a replacement' && l.pid === victim)).toBe(true);
    await eventually(async () => ((await readyz()) === 200 ? true : undefined), 60_000, 250);
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { traceId, body } = traceBody();
      expect(await postOnNewConnection(body)).toBe(200);
      sent.push(traceId);
    }
    await expectInKafka(sent);
  }, 90_000);

  it('on SIGTERM drains every worker — each export answered 200 is in Kafka — and exits 0', async () => {
    const pids = workerPids(await metrics());
    // Four senders post one export after another, before and while the signal arrives, until
    // the collector stops answering: whichever exports were answered 200 must have been published.
    const answered: Array<{ traceId: string; status: number }> = [];
    let stopped = false;
    const sender = async () => {
      while (!stopped) {
        const { traceId, body } = traceBody();
        const status = await postOnNewConnection(body);
        answered.push({ traceId, status });
        if (status !== 200) return;
      }
    };
    const senders = Array.from({ length: 4 }, sender);
    await eventually(async () => (answered.filter((a) => a.status === 200).length >= 8 ? true : undefined), 30_000, 20);
    const code = await collector.stop('SIGTERM');
    stopped = true;
    await Promise.all(senders);
    expect(code).toBe(0);
    const acknowledged = answered.filter((a) => a.status === 200).map((a) => a.traceId);
    expect(acknowledged.length).toBeGreaterThanOrEqual(8);
    await expectInKafka(acknowledged);
    for (const pid of pids) expect(alive(pid), `worker ${pid} still running`).toBe(false);
    expect(collector.logs.some((l) => l.msg === 'shutdown complete' && l.process === 'primary')).toBe(true);
  }, 90_000);

  it('kills a worker that does not exit within the shutdown timeout, and exits 1', async () => {
    const impatient = await startMeshtel(
      'collector',
      ['--workers', '2', '--kafka-brokers', KAFKA_BROKERS, '--kafka-topic-prefix', topicPrefix, '--shutdown-timeout-ms', '1000'],
      {},
      90_000,
    );
    try {
      const pids = (impatient.logs.find((l) => l.msg === 'meshtel collector started')?.workers ?? []) as number[];
      expect(pids).toHaveLength(2);
      // A stopped (SIGSTOP) worker cannot drain or exit, like one stuck on a request that never ends.
      process.kill(pids[0]!, 'SIGSTOP');
      expect(await impatient.stop('SIGTERM')).toBe(1);
      expect(impatient.logs.some((l) => l.msg === 'cluster worker did not exit within the shutdown timeout; killing it' && l.pid === pids[0])).toBe(true);
      for (const pid of pids) expect(alive(pid), `worker ${pid} still running`).toBe(false);
    } finally {
      if (impatient.child.exitCode === null) await impatient.stop('SIGKILL');
    }
  }, 120_000);
});
