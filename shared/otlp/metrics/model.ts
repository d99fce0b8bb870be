/**
 * The OTLP metrics request as meshtel holds it between decoding and use (buffering, importing):
 * the OTLP structure kept (resource → scope → metric → points), exemplars and metric metadata
 * dropped because nothing downstream reads them.
 *
 * Counts are numbers: a count above 2^53 would lose precision, which a Prometheus float sample
 * does anyway. Times stay bigint nanoseconds (they exceed 2^53).
 */
import type { InstrumentationScope, KeyValue, Resource } from '../../model/span.js';

/** OTLP AggregationTemporality numbers. */
export const Temporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;
export type Temporality = (typeof Temporality)[keyof typeof Temporality];

/** DataPointFlags: the point marks a gap, not a measurement. */
export const NO_RECORDED_VALUE = 1;

interface PointBase {
  readonly attributes: readonly KeyValue[];
  readonly startTimeUnixNano: bigint;
  readonly timeUnixNano: bigint;
  readonly flags: number;
}

export interface NumberPoint extends PointBase {
  /** bigint when sent as `as_int`, number for `as_double`, undefined when neither was set. */
  readonly value: number | bigint | undefined;
}

export interface HistogramPoint extends PointBase {
  readonly count: number;
  readonly sum: number | undefined;
  readonly bucketCounts: readonly number[];
  readonly explicitBounds: readonly number[];
  readonly min: number | undefined;
  readonly max: number | undefined;
}

export interface SummaryPoint extends PointBase {
  readonly count: number;
  readonly sum: number;
  readonly quantiles: ReadonlyArray<{ readonly quantile: number; readonly value: number }>;
}

export type MetricData =
  | { readonly kind: 'gauge'; readonly points: readonly NumberPoint[] }
  | { readonly kind: 'sum'; readonly temporality: number; readonly monotonic: boolean; readonly points: readonly NumberPoint[] }
  | { readonly kind: 'histogram'; readonly temporality: number; readonly points: readonly HistogramPoint[] }
  /** Not supported downstream: only the number of points is kept, to count and reject them. */
  | { readonly kind: 'exponentialHistogram'; readonly pointCount: number }
  | { readonly kind: 'summary'; readonly points: readonly SummaryPoint[] }
  /** A metric without any data field. */
  | { readonly kind: 'none' };

export interface OtlpMetric {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly data: MetricData;
}

export interface OtlpScopeMetrics {
  readonly scope: InstrumentationScope;
  readonly metrics: readonly OtlpMetric[];
}

export interface OtlpResourceMetrics {
  readonly resource: Resource;
  readonly scopeMetrics: readonly OtlpScopeMetrics[];
}

export interface OtlpMetricsRequest {
  readonly resourceMetrics: readonly OtlpResourceMetrics[];
}

/** Data points a metric carries (exponential-histogram points included). */
export function pointCount(data: MetricData): number {
  switch (data.kind) {
    case 'exponentialHistogram': return data.pointCount;
    case 'none': return 0;
    default: return data.points.length;
  }
}

export function requestPointCount(request: OtlpMetricsRequest): number {
  let n = 0;
  for (const rm of request.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += pointCount(m.data);
  return n;
}
