/**
 * Mesh metrics end to end on a real Prometheus: all-in-one derives Istio standard metrics from
 * access logs, span metrics and the service graph from Envoy-shaped traces, imports OTLP metrics,
 * and sends them with remote-write; Prometheus's own HTTP API must then answer the exact values.
 * A second all-in-one without a remote-write URL serves the same series on its scrape endpoint.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { CONNECTION_FAILURE_LINE, INBOUND_LINE, OUTBOUND_LINE, TCP_LINE } from '../fixtures/istio-lines.js';
import { bookinfoTrace, GATEWAY, PRODUCTPAGE, RATINGS, REVIEWS } from '../fixtures/mesh-traces.js';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';
import { ensureServers, PROMETHEUS_URL } from '../support/servers.js';

const run = `e2e${randomBytes(4).toString('hex')}`;
let meshtel: MeshtelProcess;

async function promValue(query: string): Promise<number | undefined> {
  const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
  const [first] = body.data.result;
  return first ? Number(first.value[1]) : undefined;
}

/** Waits until Prometheus answers `expected` for the query (remote-write flushes every second). */
async function expectProm(query: string, expected: number): Promise<void> {
  let last: number | undefined;
  try {
    await eventually(async () => {
      last = await promValue(query);
      return last === expected ? true : undefined;
    }, 30_000, 500);
  } catch {
    expect(last, query).toBe(expected);
  }
}

async function sendTelemetry(p: MeshtelProcess): Promise<void> {
  const lines = [OUTBOUND_LINE, INBOUND_LINE.trimEnd(), CONNECTION_FAILURE_LINE, TCP_LINE].join('\n');
  const linesRes = await fetch(p.url('otlpHttp', '/v1/accesslogs'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: lines });
  expect(linesRes.status).toBe(200);
  const trace = bookinfoTrace({ trace: randomBytes(16).toString('hex') });
  const traceRes = await fetch(p.url('otlpHttp', '/v1/traces'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from(encodeTracesProtobuf(trace.spans)),
  });
  expect(traceRes.status).toBe(200);
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const otlpMetrics = {
    resourceMetrics: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'service.instance.id', value: { stringValue: 'checkout-1' } }] },
      scopeMetrics: [{
        scope: { name: 'orders' },
        metrics: [{
          name: 'orders.processed',
          sum: {
            aggregationTemporality: 2,
            isMonotonic: true,
            dataPoints: [{ asInt: '42', startTimeUnixNano: String(nowNs - 60_000_000_000n), timeUnixNano: String(nowNs), attributes: [{ key: 'region', value: { stringValue: 'eu' } }] }],
          },
        }],
      }],
    }],
  };
  const metricsRes = await fetch(p.url('otlpHttp', '/v1/metrics'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(otlpMetrics) });
  expect(metricsRes.status).toBe(200);
}

beforeAll(async () => {
  await ensureServers(['prometheus']);
  meshtel = await startMeshtel('all-in-one', [
    '--remote-write-url', `${PROMETHEUS_URL}/api/v1/write`,
    '--remote-write-flush-interval-ms', '1000',
    '--remote-write-external-labels', `e2e_run=${run}`,
    '--service-graph-wait-ms', '500',
  ]);
  await sendTelemetry(meshtel);
}, 120_000);

afterAll(async () => {
  await meshtel?.stop();
});

describe('all-in-one → remote-write → Prometheus', () => {
  const sel = `e2e_run="${run}"`;

  it('has Istio request metrics with Istio labels, exact per reporter', async () => {
    await expectProm(`sum(istio_requests_total{${sel},reporter="source",destination_service_name="reviews",response_code="200"})`, 1);
    await expectProm(`sum(istio_requests_total{${sel},reporter="destination",destination_service_name="reviews",response_code="200"})`, 1);
    await expectProm(`sum(istio_requests_total{${sel},response_code="503",response_flags="UF",destination_service_name="orders"})`, 1);
  });

  it('has the request-duration histogram in Istio buckets', async () => {
    // The inbound request took 20 ms: in the 25 ms bucket, not in the 10 ms one.
    await expectProm(`sum(istio_request_duration_milliseconds_bucket{${sel},reporter="destination",le="25"})`, 1);
    await expectProm(`sum(istio_request_duration_milliseconds_bucket{${sel},reporter="destination",le="10"})`, 0);
    await expectProm(`sum(istio_request_duration_milliseconds_count{${sel},reporter="destination"})`, 1);
  });

  it('has TCP byte counters from the TCP access log', async () => {
    await expectProm(`sum(istio_tcp_sent_bytes_total{${sel}})`, 4210);
    await expectProm(`sum(istio_tcp_received_bytes_total{${sel}})`, 1532);
  });

  it('has the service graph gateway → productpage → reviews → ratings, without self-loops', async () => {
    await expectProm(`sum(traces_service_graph_request_total{${sel},client="${GATEWAY}",server="${PRODUCTPAGE}"})`, 1);
    await expectProm(`sum(traces_service_graph_request_total{${sel},client="${PRODUCTPAGE}",server="${REVIEWS}"})`, 1);
    await expectProm(`sum(traces_service_graph_request_total{${sel},client="${REVIEWS}",server="${RATINGS}"})`, 1);
    expect(await promValue(`count(traces_service_graph_request_total{${sel},client="${PRODUCTPAGE}",server="${PRODUCTPAGE}"})`)).toBeUndefined();
  });

  it('has span metrics per service and kind', async () => {
    await expectProm(`sum(traces_spanmetrics_calls_total{${sel},service="${RATINGS}",span_kind="SPAN_KIND_SERVER"})`, 1);
    await expectProm(`sum(traces_spanmetrics_latency_count{${sel},service="${RATINGS}",span_kind="SPAN_KIND_SERVER"})`, 1);
  });

  it('has imported OTLP metrics with job and instance from the resource', async () => {
    await expectProm(`sum(orders_processed_total{${sel},job="checkout",instance="checkout-1",region="eu"})`, 42);
    await expectProm(`sum(target_info{${sel},job="checkout",instance="checkout-1"})`, 1);
  });
});

describe('all-in-one scrape endpoint (no remote-write URL)', () => {
  it('serves the derived series in the Prometheus text format on its own port', async () => {
    const p = await startMeshtel('all-in-one', ['--service-graph-wait-ms', '500']);
    try {
      await sendTelemetry(p);
      const text = await eventually(async () => {
        const body = await (await fetch(`http://${p.endpoints.metrics}/metrics`)).text();
        return body.includes('traces_service_graph_request_total') ? body : undefined;
      }, 20_000, 250);
      expect(text).toContain('# TYPE istio_requests_total counter');
      expect(text).toMatch(/istio_tcp_sent_bytes_total\{[^}]*\} 4210/);
      expect(text).toMatch(new RegExp(`traces_service_graph_request_total\\{[^}]*client="${GATEWAY}"[^}]*\\} 1`));
      // meshtel's own metrics stay on the admin port, not here
      expect(text).not.toContain('meshtel_receiver_spans_received_total');
    } finally {
      await p.stop();
    }
  });

  it('derives only the processors named in --metrics-generator-processors, and still imports OTLP metrics', async () => {
    const p = await startMeshtel('all-in-one', ['--service-graph-wait-ms', '500', '--metrics-generator-processors', 'span-metrics']);
    try {
      await sendTelemetry(p);
      await eventually(async () => {
        const body = await (await fetch(`http://${p.endpoints.metrics}/metrics`)).text();
        return body.includes('traces_spanmetrics_calls_total') && body.includes('orders_processed') ? true : undefined;
      }, 20_000, 250);
      // The access logs were stored, so the Istio processor would have seen them by now.
      await eventually(async () => {
        const self = await (await fetch(p.url('admin', '/metrics'))).text();
        return /^meshtel_store_accesslogs_written_total(?:\{[^}]*\})? [1-9]/m.test(self) ? true : undefined;
      }, 20_000, 250);
      const text = await (await fetch(`http://${p.endpoints.metrics}/metrics`)).text();
      expect(text).toContain('traces_spanmetrics_latency_bucket');
      expect(text).not.toContain('traces_service_graph_');
      expect(text).not.toContain('istio_');
    } finally {
      await p.stop();
    }
  });
});
