/**
 * The distributed pipeline end to end: collector → Kafka → ingester → Elasticsearch ← query, each a
 * separate `meshtel` process on the real servers of deploy/local. Spans sent with the OpenTelemetry
 * JS SDK exporters must come back through the query role exactly as they do from all-in-one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCheckoutTraces, type SentCheckout } from '../support/checkout-trace.js';
import { describeJaegerApiBehaviour } from '../support/jaeger-e2e-suite.js';
import { startPipeline, type Pipeline } from '../support/pipeline.js';
import { ensureServers } from '../support/servers.js';

let pipeline: Pipeline;
let sent: SentCheckout;

beforeAll(async () => {
  await ensureServers(['kafka', 'elasticsearch']);
  pipeline = await startPipeline();
  sent = await sendCheckoutTraces(pipeline.collector.url('otlpHttp'), pipeline.collector.endpoints.otlpGrpc!);
}, 300_000);

afterAll(async () => {
  await sent?.shutdown();
  await pipeline?.stop();
});

describeJaegerApiBehaviour('distributed', () => ({
  queryUrl: pipeline.query.url('query'),
  otlpHttpUrl: pipeline.collector.url('otlpHttp'),
  sent,
}));

describe('distributed: operability', () => {
  it('reports every role ready, with its dependencies, on /readyz', async () => {
    for (const role of [pipeline.collector, pipeline.ingester, pipeline.query]) {
      const res = await fetch(role.url('admin', '/readyz'));
      const body = (await res.json()) as { checks: Record<string, boolean> };
      expect(res.status, JSON.stringify(body)).toBe(200);
    }
    const collectorChecks = (await (await fetch(pipeline.collector.url('admin', '/readyz'))).json()) as { checks: Record<string, boolean> };
    expect(collectorChecks.checks.kafka).toBe(true);
    const ingesterChecks = (await (await fetch(pipeline.ingester.url('admin', '/readyz'))).json()) as { checks: Record<string, boolean> };
    expect(ingesterChecks.checks).toMatchObject({ kafka: true, elasticsearch: true });
  });

  it('counts produced records in the collector and stored spans in the ingester', async () => {
    const collectorMetrics = await (await fetch(pipeline.collector.url('admin', '/metrics'))).text();
    expect(collectorMetrics).toMatch(/meshtel_buffer_records_published_total\{topic="spans"\} [1-9]/);
    const ingesterMetrics = await (await fetch(pipeline.ingester.url('admin', '/metrics'))).text();
    expect(ingesterMetrics).toMatch(/meshtel_store_spans_written_total\{store="elasticsearch"\} [1-9]/);
  });
});
