import { describe, expect, it } from 'vitest';
import { protoRoot } from '../support/proto-root.js';
import { OtlpDecodeError } from '../../shared/wire/decode-errors.js';
import { decodeMetricsJson } from '../../shared/otlp/metrics/json-decode.js';
import type { OtlpMetric } from '../../shared/otlp/metrics/model.js';
import { decodeMetricsProtobuf } from '../../shared/otlp/metrics/protobuf-decode.js';
import { encodeMetricsProtobuf } from '../../shared/otlp/metrics/protobuf-encode.js';
import { sdkMeter, summaryRequest, toJson, toProtobuf } from '../fixtures/otlp-metrics.js';

const ExportMetricsServiceRequest = protoRoot.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');

async function sdkRequest() {
  const sdk = sdkMeter();
  sdk.meter.createCounter('http.server.requests').add(3, { 'http.route': '/cart' });
  sdk.meter.createGauge('queue.depth').record(7.5);
  sdk.meter.createUpDownCounter('sessions.active').add(-2);
  const duration = sdk.meter.createHistogram('http.server.duration', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
  for (const ms of [5, 50, 500]) duration.record(ms);
  return sdk.collect();
}

function byName(metrics: readonly OtlpMetric[], name: string): OtlpMetric {
  const m = metrics.find((x) => x.name === name);
  if (!m) throw new Error(`no metric ${name}`);
  return m;
}

describe('OTLP metrics decoding', () => {
  it('decodes the SDK protobuf export: sum, gauge, non-monotonic sum and explicit-bucket histogram', async () => {
    const request = decodeMetricsProtobuf(toProtobuf(await sdkRequest()));
    const rm = request.resourceMetrics[0]!;
    expect(rm.resource.attributes.find((a) => a.key === 'service.name')?.value).toEqual({ type: 'string', value: 'checkout' });
    const sm = rm.scopeMetrics[0]!;
    expect(sm.scope).toMatchObject({ name: 'shop.checkout', version: '1.2.0' });

    const counter = byName(sm.metrics, 'http.server.requests').data;
    expect(counter).toMatchObject({ kind: 'sum', monotonic: true, temporality: 2 });
    if (counter.kind !== 'sum') throw new Error('not a sum');
    expect(Number(counter.points[0]!.value)).toBe(3);
    expect(counter.points[0]!.attributes).toEqual([{ key: 'http.route', value: { type: 'string', value: '/cart' } }]);
    expect(counter.points[0]!.timeUnixNano).toBeGreaterThan(1_600_000_000_000_000_000n);

    expect(byName(sm.metrics, 'queue.depth').data).toMatchObject({ kind: 'gauge', points: [{ value: 7.5 }] });
    expect(byName(sm.metrics, 'sessions.active').data).toMatchObject({ kind: 'sum', monotonic: false });

    const histogram = byName(sm.metrics, 'http.server.duration');
    expect(histogram.unit).toBe('ms');
    expect(histogram.data).toMatchObject({
      kind: 'histogram', temporality: 2,
      points: [{ count: 3, sum: 555, explicitBounds: [10, 100], bucketCounts: [1, 1, 1], min: 5, max: 500 }],
    });
  });

  it('decodes the SDK JSON export to the same model as its protobuf export', async () => {
    const rm = await sdkRequest();
    expect(decodeMetricsJson(toJson(rm))).toEqual(decodeMetricsProtobuf(toProtobuf(rm)));
  });

  it('accepts snake_case keys, enum names and numbers for 64-bit fields in JSON', () => {
    const request = decodeMetricsJson(JSON.stringify({
      resource_metrics: [{ scope_metrics: [{ metrics: [{
        name: 'jobs', sum: {
          aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA', is_monotonic: true,
          data_points: [{ time_unix_nano: 1700000000000000000, as_int: '42' }],
        },
      }] }] }],
    }));
    expect(request.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data).toMatchObject({
      kind: 'sum', temporality: 1, monotonic: true, points: [{ value: 42n }],
    });
  });

  it('refuses a truncated protobuf body, naming where it broke', async () => {
    const bytes = toProtobuf(await sdkRequest());
    expect(() => decodeMetricsProtobuf(bytes.subarray(0, bytes.length - 5))).toThrow(OtlpDecodeError);
    expect(() => decodeMetricsProtobuf(bytes.subarray(0, bytes.length - 5))).toThrow(/resourceMetrics\[0\]/);
  });

  it('refuses JSON whose values have the wrong type, naming the field', () => {
    const body = JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', gauge: { dataPoints: [{ asDouble: {} }] } }] }] }] });
    expect(() => decodeMetricsJson(body)).toThrow(/metrics\[0\]\.gauge\.dataPoints\[0\]\.asDouble/);
  });

  it('re-encodes a request so that it decodes back to the same model, summaries included', async () => {
    const fromSdk = decodeMetricsProtobuf(toProtobuf(await sdkRequest()));
    expect(decodeMetricsProtobuf(encodeMetricsProtobuf(fromSdk))).toEqual(fromSdk);
    const summary = summaryRequest();
    expect(decodeMetricsProtobuf(encodeMetricsProtobuf(summary))).toEqual(summary);
  });

  it('encodes with the OTLP field numbers (read back by protobufjs from our .proto files)', () => {
    const decoded = ExportMetricsServiceRequest.toObject(ExportMetricsServiceRequest.decode(encodeMetricsProtobuf(summaryRequest())), { longs: String });
    const point = decoded.resourceMetrics[0].scopeMetrics[0].metrics[0].summary.dataPoints[0];
    expect(point).toMatchObject({ count: '10', sum: 2.5, quantileValues: [{ quantile: 0.5, value: 0.2 }, { quantile: 0.99, value: 0.9 }] });
    expect(point.attributes[0].key).toBe('method');
  });
});
