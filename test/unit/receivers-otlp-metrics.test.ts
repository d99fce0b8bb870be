/**
 * The OTLP metrics receivers (POST /v1/metrics and MetricsService/Export) on free ports, in front
 * of a real InProcessBuffer and MetricsIntake; a subscriber keeps what reaches the `metrics` topic.
 */
import * as grpc from '@grpc/grpc-js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../../shared/buffer/buffer.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { protoRoot } from '../support/proto-root.js';
import { OtlpMetricsImporter } from '../../shared/metrics/otlp-import/import.js';
import type { OtlpMetricsRequest } from '../../shared/otlp/metrics/model.js';
import { decodeMetricsProtobuf } from '../../shared/otlp/metrics/protobuf-decode.js';
import { encodeMetricsProtobuf } from '../../shared/otlp/metrics/protobuf-encode.js';
import { createMetrics } from '../support/metrics.js';
import { GrpcServer } from '../../services/collector/transport/grpc-server.js';
import { MetricsIntake } from '../../services/collector/intake/metrics-intake.js';
import { addOtlpMetricsService, metricsServiceDefinition } from '../../services/collector/receivers/otlp/otlp-metrics-grpc.js';
import { otlpHttpMetrics } from '../../services/collector/receivers/otlp/otlp-metrics-http.js';
import { sdkMeter, toJson, toProtobuf } from '../fixtures/otlp-metrics.js';

const MiB = 1024 * 1024;
const LIMITS = { maxRequestBodyBytes: 1 * MiB, maxDecompressedBodyBytes: 4 * MiB };
const MAX_POINTS = 300;
const BUFFER_CAPACITY_BYTES = 64 * 1024;
const Response = protoRoot.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');

let app: FastifyInstance;
let grpcServer: GrpcServer;
let buffer: InProcessBuffer;
let httpUrl: string;
let client: grpc.Client & { Export: (req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void) => void };
const received: ConsumedRecord[] = [];
/** When set, the subscriber holds records: the buffer fills up instead of draining. */
let hold: Promise<void> | undefined;
let release: () => void = () => {};

beforeAll(async () => {
  const logger = pino({ level: 'silent' });
  const metrics = createMetrics();
  buffer = new InProcessBuffer({ capacityBytes: BUFFER_CAPACITY_BYTES, metrics });
  await buffer.subscribe('metrics', async (batch) => {
    if (hold) await hold;
    received.push(...batch);
  });
  const intake = new MetricsIntake({ buffer, limits: { maxDataPointsPerRequest: MAX_POINTS }, logger });
  app = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: LIMITS.maxRequestBodyBytes });
  await app.register(otlpHttpMetrics, { intake, metrics, limits: LIMITS });
  await app.listen({ host: '127.0.0.1', port: 0 });
  httpUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  grpcServer = new GrpcServer({ host: '127.0.0.1', port: 0, maxReceiveMessageBytes: LIMITS.maxDecompressedBodyBytes, shutdownTimeoutMs: 2000, logger });
  addOtlpMetricsService(grpcServer, { intake, metrics, logger });
  const port = await grpcServer.start();
  const Client = grpc.makeGenericClientConstructor(metricsServiceDefinition, 'MetricsService');
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
});

afterAll(async () => {
  release();
  client.close();
  await Promise.all([app.close(), grpcServer.stop()]);
  await buffer.stop();
});

beforeEach(() => {
  received.length = 0;
});

async function waitForRecords(n: number): Promise<ConsumedRecord[]> {
  const deadline = Date.now() + 5000;
  while (received.length < n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} records, got ${received.length}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return received;
}

async function sdkExport() {
  const sdk = sdkMeter();
  sdk.meter.createCounter('http.server.requests').add(4, { 'http.route': '/cart' });
  return sdk.collect();
}

function post(body: Uint8Array | string, contentType: string, headers: Record<string, string> = {}) {
  return fetch(`${httpUrl}/v1/metrics`, { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body), headers: { 'content-type': contentType, ...headers } });
}

function importAll(records: readonly ConsumedRecord[]): MetricsRegistry {
  const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
  const importer = new OtlpMetricsImporter(registry);
  for (const r of records) importer.importRequest(r.value);
  return registry;
}

function gaugeRequest(points: Array<{ value: number | undefined; timeUnixNano: bigint }>, service = 'cart'): OtlpMetricsRequest {
  return { resourceMetrics: [{
    resource: { attributes: [{ key: 'service.name', value: { type: 'string', value: service } }], droppedAttributesCount: 0, schemaUrl: '' },
    scopeMetrics: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      metrics: [{ name: 'queue.depth', description: '', unit: '', data: { kind: 'gauge', points: points.map((p, i) => ({
        ...p, attributes: [{ key: 'i', value: { type: 'string', value: `${i}-${'x'.repeat(40)}` } }], startTimeUnixNano: 0n, flags: 0,
      })) } }] }],
  }] };
}

function grpcExport(body: Uint8Array): Promise<{ err: grpc.ServiceError | null; res?: Buffer }> {
  return new Promise((resolve) => client.Export(Buffer.from(body), (err, res) => resolve({ err, res })));
}

describe('OTLP/HTTP metrics receiver', () => {
  it('answers 200 to an SDK protobuf export and buffers it keyed by resource identity', async () => {
    const res = await post(toProtobuf(await sdkExport()), 'application/x-protobuf');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/x-protobuf/);
    expect(new Uint8Array(await res.arrayBuffer())).toHaveLength(0); // full success: empty response
    const [record] = await waitForRecords(1);
    expect(record!.key).toBe('shop/checkout|checkout-7d9f-abc');
    const series = importAll(received).snapshot().families.find((f) => f.name === 'http_server_requests_total')?.series[0];
    expect(series).toMatchObject({ value: 4, labels: { job: 'shop/checkout', http_route: '/cart' } });
  });

  it('accepts the SDK JSON export and gzip-compressed bodies', async () => {
    const rm = await sdkExport();
    expect((await post(toJson(rm), 'application/json')).status).toBe(200);
    const gz = await post(gzipSync(toProtobuf(rm)), 'application/x-protobuf', { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    const records = await waitForRecords(2);
    expect(decodeMetricsProtobuf(records[0]!.value)).toEqual(decodeMetricsProtobuf(records[1]!.value));
  });

  it('answers partial success naming the rejected points and buffers the rest', async () => {
    const body = encodeMetricsProtobuf(gaugeRequest([{ value: 1, timeUnixNano: 1_700_000_000_000_000_000n }, { value: 2, timeUnixNano: 0n }]));
    const res = await post(body, 'application/x-protobuf');
    expect(res.status).toBe(200);
    const decoded = Response.toObject(Response.decode(new Uint8Array(await res.arrayBuffer())), { longs: Number });
    expect(decoded.partialSuccess).toMatchObject({ rejectedDataPoints: 1 });
    expect(decoded.partialSuccess.errorMessage).toMatch(/no time_unix_nano/);
    const [record] = await waitForRecords(1);
    const data = decodeMetricsProtobuf(record!.value).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data;
    expect(data.kind === 'gauge' && data.points.map((p) => p.value)).toEqual([1]);
  });

  it('answers JSON partial success in JSON', async () => {
    const res = await post(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', gauge: { dataPoints: [{ asDouble: 1 }] } }] }] }] }), 'application/json');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ partialSuccess: { rejectedDataPoints: '1' } });
  });

  it('refuses undecodable bodies with 400, unknown media types with 415 and too many points with 413', async () => {
    const bad = await post(new Uint8Array([0x0a, 0x10, 0x01]), 'application/x-protobuf');
    expect(bad.status).toBe(400);
    const badJson = await post('{"resourceMetrics": 5}', 'application/json');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ message: expect.stringMatching(/resourceMetrics/) });
    expect((await post('x', 'text/plain')).status).toBe(415);
    const many = Array.from({ length: MAX_POINTS + 1 }, () => ({ value: 1, timeUnixNano: 1n }));
    const tooMany = await post(encodeMetricsProtobuf(gaugeRequest(many)), 'application/x-protobuf');
    expect(tooMany.status).toBe(413);
    expect(received).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the buffer is full, and gRPC UNAVAILABLE likewise', async () => {
    hold = new Promise((resolve) => { release = resolve; });
    try {
      // Each request is ~20 KiB encoded: the held 64 KiB buffer takes a few, then refuses.
      const body = encodeMetricsProtobuf(gaugeRequest(Array.from({ length: MAX_POINTS }, (_, i) => ({ value: i, timeUnixNano: 1n }))));
      let status = 200;
      let res: globalThis.Response | undefined;
      for (let i = 0; i < 10 && status === 200; i++) {
        res = await post(body, 'application/x-protobuf');
        status = res.status;
      }
      expect(status).toBe(503);
      expect(res!.headers.get('retry-after')).toMatch(/^\d+$/);
      const { err } = await grpcExport(body);
      expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      release();
      hold = undefined;
    }
    await waitForRecords(1);
  });
});

describe('OTLP/gRPC metrics receiver', () => {
  it('answers OK to an SDK export and buffers it', async () => {
    const { err, res } = await grpcExport(toProtobuf(await sdkExport()));
    expect(err).toBeNull();
    expect(res).toHaveLength(0);
    const [record] = await waitForRecords(1);
    expect(record!.key).toBe('shop/checkout|checkout-7d9f-abc');
  });

  it('answers INVALID_ARGUMENT to an undecodable message and to too many points', async () => {
    expect((await grpcExport(new Uint8Array([0x0a, 0x10, 0x01]))).err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const many = Array.from({ length: MAX_POINTS + 1 }, () => ({ value: 1, timeUnixNano: 1n }));
    const { err } = await grpcExport(encodeMetricsProtobuf(gaugeRequest(many)));
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/MESHTEL_MAX_DATA_POINTS_PER_REQUEST/);
  });

  it('answers partial success with the rejected point count', async () => {
    const { err, res } = await grpcExport(encodeMetricsProtobuf(gaugeRequest([{ value: undefined, timeUnixNano: 5n }, { value: 3, timeUnixNano: 5n }])));
    expect(err).toBeNull();
    const decoded = Response.toObject(Response.decode(res!), { longs: Number });
    expect(decoded.partialSuccess).toMatchObject({ rejectedDataPoints: 1, errorMessage: expect.stringMatching(/neither as_int nor as_double/) });
  });
});
