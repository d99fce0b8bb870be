import { describe, expect, it } from 'vitest';
import type { MetricData, OtlpMetricsRequest } from '../../shared/otlp/metrics/model.js';
import { TooManyDataPointsError, validateMetrics } from '../../shared/otlp/metrics/validate.js';

const T = 1_700_000_000_000_000_000n;

function request(...metrics: Array<{ name: string; data: MetricData }>): OtlpMetricsRequest {
  return { resourceMetrics: [{
    resource: { attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    scopeMetrics: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      metrics: metrics.map((m) => ({ ...m, description: '', unit: '' })) }],
  }] };
}

const point = (value: number | undefined, timeUnixNano = T) => ({ attributes: [], startTimeUnixNano: 0n, timeUnixNano, flags: 0, value });

describe('validateMetrics', () => {
  it('rejects a point without a time and keeps the other points of its batch', () => {
    const result = validateMetrics(request({ name: 'g', data: { kind: 'gauge', points: [point(1), point(2, 0n), point(3)] } }), { maxDataPointsPerRequest: 10 });
    expect(result.rejected).toBe(1);
    expect(result.acceptedPoints).toBe(2);
    expect(result.errorMessage).toMatch(/metric "g": data point has no time_unix_nano/);
    const data = result.accepted.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data;
    expect(data.kind === 'gauge' && data.points.map((p) => p.value)).toEqual([1, 3]);
  });

  it('rejects histograms whose bucket counts do not match their bounds, and unspecified temporality', () => {
    const h = { attributes: [], startTimeUnixNano: 0n, timeUnixNano: T, flags: 0, count: 1, sum: 1, min: undefined, max: undefined };
    const result = validateMetrics(request(
      { name: 'h', data: { kind: 'histogram', temporality: 2, points: [{ ...h, explicitBounds: [1, 2], bucketCounts: [1, 0] }, { ...h, explicitBounds: [1], bucketCounts: [1, 0] }] } },
      { name: 's', data: { kind: 'sum', temporality: 0, monotonic: true, points: [point(1)] } },
    ), { maxDataPointsPerRequest: 10 });
    expect(result.rejected).toBe(2);
    expect(result.acceptedPoints).toBe(1);
    expect(result.accepted.resourceMetrics[0]!.scopeMetrics[0]!.metrics.map((m) => m.name)).toEqual(['h']);
  });

  it('rejects exponential histograms, saying they are not supported', () => {
    const result = validateMetrics(request({ name: 'e', data: { kind: 'exponentialHistogram', pointCount: 3 } }), { maxDataPointsPerRequest: 10 });
    expect(result).toMatchObject({ rejected: 3, acceptedPoints: 0, accepted: { resourceMetrics: [] } });
    expect(result.errorMessage).toMatch(/exponential histograms are not supported/);
  });

  it('refuses a request with more points than the limit as a whole', () => {
    expect(() => validateMetrics(request({ name: 'g', data: { kind: 'gauge', points: [point(1), point(2)] } }), { maxDataPointsPerRequest: 1 }))
      .toThrow(TooManyDataPointsError);
  });
});
