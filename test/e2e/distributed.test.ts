/**
 * The distributed pipeline end to end: collector → Kafka → ingester → Elasticsearch ← query, each a
 * separate `meshtel` process on the real servers of deploy/local. Spans sent with the OpenTelemetry
 * JS SDK exporters must come back through the query role exactly as they do from all-in-one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCheckoutTraces, type SentCheckout } from '../support/checkout-trace.js';
import { describeAccessLogBehaviour } from '../support/accesslog-e2e-suite.js';
import { describeGraphBehaviour } from '../support/graph-e2e-suite.js';
import { describeJaegerApiBehaviour } from '../support/jaeger-e2e-suite.js';
import { startPipeline, type Pipeline } from '../support/pipeline.js';
import { describeTempoApiBehaviour } from '../support/tempo-e2e-suite.js';
import { randomBytes } from 'node:crypto';
import { eventually } from '../support/meshtel-process.js';
import { ensureServers, PROMETHEUS_URL } from '../support/servers.js';

let pipeline: Pipeline;
let sent: SentCheckout;
const run = `e2e${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  await ensureServers(['kafka', 'elasticsearch', 'prometheus']);
  pipeline = await startPipeline({
    ingester: [
      '--remote-write-url', `${PROMETHEUS_URL}/api/v1/write`,
      '--remote-write-flush-interval-ms', '1000',
      '--remote-write-external-labels', `e2e_run=${run}`,
      '--service-graph-wait-ms', '500',
    ],
  });
  sent = await sendCheckoutTraces(pipeline.collector.url('otlpHttp'), pipeline.collector.endpoints.otlpGrpc!);
}, 300_000);

afterAll(async () => {
  await sent?.shutdown();
  await pipeline?.stop();
});

describeJaegerApiBehaviour('distributed', () => ({
  queryUrl: pipeline.query.url('query'),
  otlpHttpUrl: pipeline.collector.url('otlpHttp'),
  zipkinUrl: pipeline.collector.url('zipkin'),
  sent,
}));

describeTempoApiBehaviour('distributed', () => ({ tempoUrl: pipeline.query.url('tempo'), sent }));

describeAccessLogBehaviour('distributed', () => ({
  queryUrl: pipeline.query.url('query'),
  otlpHttpUrl: pipeline.collector.url('otlpHttp'),
  otlpGrpcAddress: pipeline.collector.endpoints.otlpGrpc!,
}));

describeGraphBehaviour('distributed', () => ({
  queryUrl: pipeline.query.url('query'),
  zipkinUrl: pipeline.collector.url('zipkin'),
  otlpGrpcAddress: pipeline.collector.endpoints.otlpGrpc!,
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

  it('derives mesh metrics in the ingester and sends them to Prometheus with remote-write', async () => {
    const value = async (query: string) => {
      const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result[0] ? Number(body.data.result[0].value[1]) : undefined;
    };
    const sel = `e2e_run="${run}"`;
    // The TCP line of the access-log suite: 4210 bytes sent to the caller (the graph suite's
    // bookinfo mesh sends its own MySQL connection, left out here).
    await eventually(
      async () => ((await value(`sum(istio_tcp_sent_bytes_total{${sel},destination_canonical_service!="mysqldb"})`)) === 4210 ? true : undefined),
      30_000,
      500,
    );
    // The checkout trace: its database call as a span metric, frontend → backend and the database
    // call (a virtual database node) in the service graph.
    await eventually(async () => ((await value(`sum(traces_spanmetrics_calls_total{${sel},service="storage"})`)) === 1 ? true : undefined), 30_000, 500);
    await eventually(async () => ((await value(`sum(traces_service_graph_request_total{${sel},client="frontend",server="backend"})`)) === 1 ? true : undefined), 30_000, 500);
    await eventually(
      async () => ((await value(`sum(traces_service_graph_request_total{${sel},client="storage",connection_type="database"})`)) === 1 ? true : undefined),
      30_000,
      500,
    );
    // Series carry the ingester's instance label, so several ingesters never write the same series.
    expect(await value(`count(istio_requests_total{${sel},meshtel_instance=""})`)).toBeUndefined();
  });
});
