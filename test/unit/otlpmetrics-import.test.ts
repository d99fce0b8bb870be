import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { OtlpMetricsImporter } from '../../shared/metrics/otlp-import/import.js';
import type { OtlpMetricsRequest } from '../../shared/otlp/metrics/model.js';
import { prometheusMetricName, sanitizeLabelName, attributeLabels } from '../../shared/metrics/otlp-import/prometheus-names.js';
import { encodeMetricsProtobuf } from '../../shared/otlp/metrics/protobuf-encode.js';
import { sdkMeter, summaryBytes, toProtobuf } from '../fixtures/otlp-metrics.js';
import { familyOf } from '../support/derived-metrics.js';

function setup() {
  const registry = new MetricsRegistry({ defaultMaxSeries: 1000 });
  return { registry, importer: new OtlpMetricsImporter(registry) };
}

const IDENTITY = { job: 'shop/checkout', instance: 'checkout-7d9f-abc', otel_scope_name: 'shop.checkout', otel_scope_version: '1.2.0' };

describe('OtlpMetricsImporter', () => {
  it('imports a cumulative counter as <name>_total with job, instance, scope and point labels', async () => {
    const { registry, importer } = setup();
    const sdk = sdkMeter();
    sdk.meter.createCounter('http.server.requests').add(3, { 'http.route': '/cart', 'http.response.status_code': 200 });
    importer.importRequest(toProtobuf(await sdk.collect()));

    const f = familyOf(registry, 'http_server_requests_total');
    expect(f.type).toBe('counter');
    expect(f.series).toHaveLength(1);
    expect(f.series[0]).toMatchObject({
      labels: { ...IDENTITY, http_route: '/cart', http_response_status_code: '200' },
      value: 3,
    });
    const ts = (f.series[0] as { timestampMs?: number }).timestampMs!;
    expect(Math.abs(ts - Date.now())).toBeLessThan(60_000);
  });

  it('publishes one target_info per resource with the other resource attributes and value 1', async () => {
    const { registry, importer } = setup();
    const sdk = sdkMeter();
    sdk.meter.createCounter('jobs').add(1);
    importer.importRequest(toProtobuf(await sdk.collect()));

    const info = familyOf(registry, 'target_info');
    expect(info.type).toBe('gauge');
    expect(info.series).toHaveLength(1);
    expect(info.series[0]).toMatchObject({ value: 1 });
    const labels = info.series[0]!.labels;
    expect(labels).toMatchObject({ job: 'shop/checkout', instance: 'checkout-7d9f-abc', k8s_pod_name: 'checkout-7d9f-abc', deployment_environment: 'prod' });
    // service.name etc. are already job/instance: not repeated as labels.
    expect(labels).not.toHaveProperty('service_name');
    expect(labels).not.toHaveProperty('service_instance_id');
  });

  it("keeps each resource's own attribute labels on target_info when resources differ", async () => {
    const { registry, importer } = setup();
    const resources: Array<Record<string, string>> = [{ 'service.name': 'a', 'k8s.pod.name': 'a-1' }, { 'service.name': 'b', 'host.name': 'node-2' }];
    for (const resource of resources) {
      const sdk = sdkMeter('cumulative', resource);
      sdk.meter.createCounter('jobs').add(1);
      importer.importRequest(toProtobuf(await sdk.collect()));
    }
    expect(familyOf(registry, 'target_info').series.map((s) => s.labels)).toEqual([
      { job: 'a', k8s_pod_name: 'a-1' },
      { job: 'b', host_name: 'node-2' },
    ]);
  });

  it('uses service.name alone as job when there is no service.namespace', async () => {
    const { registry, importer } = setup();
    const sdk = sdkMeter('cumulative', { 'service.name': 'cart' });
    sdk.meter.createCounter('jobs').add(1);
    importer.importRequest(toProtobuf(await sdk.collect()));
    expect(familyOf(registry, 'jobs_total').series[0]!.labels).toMatchObject({ job: 'cart' });
    expect(familyOf(registry, 'jobs_total').series[0]!.labels).not.toHaveProperty('instance');
  });

  it('accumulates a delta counter across exports into a cumulative counter', async () => {
    const { registry, importer } = setup();
    const sdk = sdkMeter('delta');
    const counter = sdk.meter.createCounter('payments', { unit: '{payment}' });
    counter.add(5);
    importer.importRequest(toProtobuf(await sdk.collect()));
    expect(familyOf(registry, 'payments_total').series[0]).toMatchObject({ value: 5 });
    counter.add(7);
    importer.importRequest(toProtobuf(await sdk.collect()));
    expect(familyOf(registry, 'payments_total').series[0]).toMatchObject({ value: 12 });
  });

  it('does not count a redelivered delta record twice', async () => {
    const { registry, importer } = setup();
    const sdk = sdkMeter('delta');
    sdk.meter.createCounter('payments').add(5);
    const bytes = toProtobuf(await sdk.collect());
    importer.importRequest(bytes);
    importer.importRequest(bytes);
    expect(familyOf(registry, 'payments_total').series[0]).toMatchObject({ value: 5 });
    expect(importer.stats().pointsSkipped.stale_delta).toBe(1);
  });

  it('imports a histogram with its unit suffix and cumulative bucket counts', async () => {
    const { registry, importer } = setup();
    const sdk = sdkMeter();
    const h = sdk.meter.createHistogram('http.server.duration', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
    for (const v of [5, 50, 60, 500]) h.record(v, { route: '/a' });
    importer.importRequest(toProtobuf(await sdk.collect()));

    const f = familyOf(registry, 'http_server_duration_milliseconds');
    expect(f.type).toBe('histogram');
    expect(f.series[0]).toMatchObject({ labels: { ...IDENTITY, route: '/a' }, bounds: [10, 100], bucketCounts: [1, 3], count: 4, sum: 615 });
  });

  it('accumulates delta histograms bucket by bucket', async () => {
    const { registry, importer } = setup();
    const sdk = sdkMeter('delta');
    const h = sdk.meter.createHistogram('work', { unit: 's', advice: { explicitBucketBoundaries: [1] } });
    h.record(0.5);
    importer.importRequest(toProtobuf(await sdk.collect()));
    h.record(2);
    h.record(0.1);
    importer.importRequest(toProtobuf(await sdk.collect()));
    const series = familyOf(registry, 'work_seconds').series[0] as unknown as { bucketCounts: number[]; count: number; sum: number };
    expect(series).toMatchObject({ bucketCounts: [2], count: 3 });
    expect(series.sum).toBeCloseTo(2.6);
  });

  it('imports a gauge with unit 1 as <name>_ratio and an up-down counter as a gauge without _total', async () => {
    const { registry, importer } = setup();
    const sdk = sdkMeter();
    sdk.meter.createGauge('cpu.utilization', { unit: '1' }).record(0.25);
    sdk.meter.createUpDownCounter('sessions.active').add(-2);
    importer.importRequest(toProtobuf(await sdk.collect()));
    expect(familyOf(registry, 'cpu_utilization_ratio')).toMatchObject({ type: 'gauge', series: [{ value: 0.25 }] });
    expect(familyOf(registry, 'sessions_active')).toMatchObject({ type: 'gauge', series: [{ value: -2 }] });
  });

  it('imports a summary with its quantiles, sum, count and point time', () => {
    const { registry, importer } = setup();
    importer.importRequest(summaryBytes());
    expect(familyOf(registry, 'rpc_latency_seconds')).toMatchObject({
      type: 'summary',
      series: [{
        labels: { job: 'legacy', method: 'Get' },
        quantiles: [{ quantile: 0.5, value: 0.2 }, { quantile: 0.99, value: 0.9 }],
        sum: 2.5, count: 10, timestampMs: 1_700_000_060_000,
      }],
    });
  });

  it('skips exponential histograms and counts their points', () => {
    const { registry, importer } = setup();
    const request: OtlpMetricsRequest = { resourceMetrics: [{
      resource: { attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      scopeMetrics: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
        metrics: [{ name: 'latency', description: '', unit: '', data: { kind: 'exponentialHistogram', pointCount: 2 } }] }],
    }] };
    importer.importDecoded(request);
    expect(importer.stats().pointsSkipped.exponential_histogram).toBe(2);
    expect(registry.snapshot().families).toEqual([]);
    // The encoder leaves them out as well: nothing is carried that nobody converts.
    expect(encodeMetricsProtobuf(request).length).toBeLessThan(20);
  });
});

describe('Prometheus names for OTLP metrics', () => {
  it('sanitizes names and appends unit words and _total as the compatibility spec says', () => {
    expect(prometheusMetricName('http.server.request.duration', 's', 'other')).toBe('http_server_request_duration_seconds');
    expect(prometheusMetricName('system.network.io', 'By', 'counter')).toBe('system_network_io_bytes_total');
    expect(prometheusMetricName('net.throughput', 'By/s', 'gauge')).toBe('net_throughput_bytes_per_second');
    expect(prometheusMetricName('system.network.dropped', '{packets}', 'counter')).toBe('system_network_dropped_total');
    expect(prometheusMetricName('memory.utilization', '1', 'gauge')).toBe('memory_utilization_ratio');
    expect(prometheusMetricName('requests', '1', 'counter')).toBe('requests_total');
    expect(prometheusMetricName('latency_seconds', 's', 'other')).toBe('latency_seconds');
    expect(prometheusMetricName('requests_total', '', 'counter')).toBe('requests_total');
    expect(prometheusMetricName('2xx..responses', '', 'gauge')).toBe('_2xx_responses');
  });

  it('sanitizes attribute keys and joins the values of keys that collide', () => {
    expect(sanitizeLabelName('http.route')).toBe('http_route');
    expect(sanitizeLabelName('0abc')).toBe('key_0abc');
    expect(attributeLabels([
      { key: 'a.b', value: { type: 'string', value: 'x' } },
      { key: 'a_b', value: { type: 'int', value: 2n } },
    ])).toEqual({ a_b: 'x;2' }); // ordered by original key: 'a.b' < 'a_b'
  });
});
