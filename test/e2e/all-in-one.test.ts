/**
 * all-in-one end to end: spans sent by the OpenTelemetry JS SDK's own exporters (HTTP/protobuf,
 * HTTP/JSON, gRPC with gzip) and a hand-built OTLP/JSON payload come back through the Jaeger API
 * exactly, every search parameter selects what it should, and SIGTERM drains.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { sendCheckoutTraces, type SentCheckout } from '../support/checkout-trace.js';
import { describeAccessLogBehaviour } from '../support/accesslog-e2e-suite.js';
import { describeGraphBehaviour } from '../support/graph-e2e-suite.js';
import { describeJaegerApiBehaviour, waitForTrace } from '../support/jaeger-e2e-suite.js';
import { startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';
import { describeTempoApiBehaviour } from '../support/tempo-e2e-suite.js';

let meshtel: MeshtelProcess;
let sent: SentCheckout;

beforeAll(async () => {
  meshtel = await startMeshtel('all-in-one');
  sent = await sendCheckoutTraces(meshtel.url('otlpHttp'), meshtel.endpoints.otlpGrpc!);
}, 120_000);

afterAll(async () => {
  await sent?.shutdown();
  await meshtel?.stop();
});

describeJaegerApiBehaviour('all-in-one', () => ({ queryUrl: meshtel.url('query'), otlpHttpUrl: meshtel.url('otlpHttp'), zipkinUrl: meshtel.url('zipkin'), sent }));

describeTempoApiBehaviour('all-in-one', () => ({ tempoUrl: meshtel.url('tempo'), sent }));

describeAccessLogBehaviour('all-in-one', () => ({
  queryUrl: meshtel.url('query'),
  otlpHttpUrl: meshtel.url('otlpHttp'),
  otlpGrpcAddress: meshtel.endpoints.otlpGrpc!,
}));

describeGraphBehaviour('all-in-one', () => ({
  queryUrl: meshtel.url('query'),
  zipkinUrl: meshtel.url('zipkin'),
  otlpGrpcAddress: meshtel.endpoints.otlpGrpc!,
}));

describe('all-in-one: operability', () => {
  it('serves /healthz, /readyz and /metrics with receiver and store counts', async () => {
    await waitForTrace(meshtel.url('query'), sent.traceId, 4);
    expect((await fetch(meshtel.url('admin', '/healthz'))).status).toBe(200);
    expect((await fetch(meshtel.url('admin', '/readyz'))).status).toBe(200);
    const text = await (await fetch(meshtel.url('admin', '/metrics'))).text();
    expect(text).toMatch(/meshtel_receiver_spans_accepted_total\{transport="otlp_http"\} [1-9]/);
    expect(text).toMatch(/meshtel_receiver_spans_accepted_total\{transport="otlp_grpc"\} 1\b/);
    expect(text).toMatch(/meshtel_store_spans [1-9]/);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('on SIGTERM drains everything it acknowledged into the store and exits 0', async () => {
    const p = await startMeshtel('all-in-one');
    const exporter = new ProtoExporter({ url: p.url('otlpHttp', '/v1/traces') });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'drain' }),
      spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 50 })],
    });
    const tracer = provider.getTracer('drain');
    for (let i = 0; i < 200; i++) tracer.startSpan(`op${i}`).end();
    await provider.forceFlush();
    const code = await p.stop('SIGTERM');
    expect(code).toBe(0);
    const final = p.logs.filter((l) => l.msg === 'span ingester progress').at(-1);
    expect(final?.spansStored).toBe(200);
    expect(p.logs.some((l) => l.msg === 'shutdown complete')).toBe(true);
    await provider.shutdown();
  });
});
