/**
 * Collector-side validation of a decoded metrics request: bad data points are rejected one by one
 * (OTLP partial success, DESIGN principle 5) and the rest kept; a request with more points than the
 * limit is refused whole (TooManyDataPointsError) before anything is buffered.
 *
 * What counts as bad is what the importer could not turn into a correct Prometheus sample: no
 * timestamp, no value, a temporality of UNSPECIFIED (the spec forbids it), histogram buckets that
 * do not match their bounds, a quantile outside [0, 1], a metric without a name. Exponential
 * histograms are rejected too: meshtel does not convert them yet, and telling the sender beats
 * dropping them silently downstream.
 */
import type {
  HistogramPoint, MetricData, NumberPoint, OtlpMetric, OtlpMetricsRequest, OtlpResourceMetrics, OtlpScopeMetrics, SummaryPoint,
} from './model.js';
import { Temporality, pointCount, requestPointCount } from './model.js';

export interface MetricsLimits {
  readonly maxDataPointsPerRequest: number;
}

export class TooManyDataPointsError extends Error {
  constructor(readonly dataPoints: number, readonly limit: number) {
    super(`request carries ${dataPoints} data points, more than the limit of ${limit} (MESHTEL_MAX_DATA_POINTS_PER_REQUEST)`);
    this.name = 'TooManyDataPointsError';
  }
}

export interface MetricsValidation {
  /** The request without rejected points (and without metrics or scopes left empty). */
  readonly accepted: OtlpMetricsRequest;
  readonly acceptedPoints: number;
  readonly rejected: number;
  /** The first rejection's reason, with the total ('' when nothing was rejected). */
  readonly errorMessage: string;
}

export function validateMetrics(request: OtlpMetricsRequest, limits: MetricsLimits): MetricsValidation {
  const total = requestPointCount(request);
  if (total > limits.maxDataPointsPerRequest) throw new TooManyDataPointsError(total, limits.maxDataPointsPerRequest);
  let rejected = 0;
  let firstReason = '';
  const reject = (metric: OtlpMetric, reason: string, n = 1): void => {
    if (rejected === 0) firstReason = `metric "${metric.name}": ${reason}`;
    rejected += n;
  };
  const resourceMetrics: OtlpResourceMetrics[] = [];
  for (const rm of request.resourceMetrics) {
    const scopeMetrics: OtlpScopeMetrics[] = [];
    for (const sm of rm.scopeMetrics) {
      const metrics: OtlpMetric[] = [];
      for (const metric of sm.metrics) {
        const data = validateMetric(metric, (reason, n) => reject(metric, reason, n));
        if (data !== undefined && pointCount(data) > 0) metrics.push(data === metric.data ? metric : { ...metric, data });
      }
      if (metrics.length > 0) scopeMetrics.push({ scope: sm.scope, metrics });
    }
    if (scopeMetrics.length > 0) resourceMetrics.push({ resource: rm.resource, scopeMetrics });
  }
  return {
    accepted: { resourceMetrics },
    acceptedPoints: total - rejected,
    rejected,
    errorMessage: rejected === 0 ? '' : `${rejected} data point(s) rejected; first: ${firstReason}`,
  };
}

type Reject = (reason: string, n?: number) => void;

/** The metric's data with its bad points removed; undefined when none are left. */
function validateMetric(metric: OtlpMetric, reject: Reject): MetricData | undefined {
  const { data } = metric;
  const n = pointCount(data);
  if (data.kind === 'none') return undefined;
  if (data.kind === 'exponentialHistogram') {
    reject('exponential histograms are not supported', n);
    return undefined;
  }
  if (metric.name === '') {
    reject('the metric has no name', n);
    return undefined;
  }
  if ((data.kind === 'sum' || data.kind === 'histogram') && data.temporality !== Temporality.DELTA && data.temporality !== Temporality.CUMULATIVE) {
    reject('aggregation temporality is unspecified', n);
    return undefined;
  }
  switch (data.kind) {
    case 'gauge': return { ...data, points: keep(data.points, numberProblem, reject) };
    case 'sum': return { ...data, points: keep(data.points, numberProblem, reject) };
    case 'histogram': return { ...data, points: keep(data.points, histogramProblem, reject) };
    case 'summary': return { ...data, points: keep(data.points, summaryProblem, reject) };
  }
}

function keep<P extends { timeUnixNano: bigint }>(points: readonly P[], problem: (p: P) => string | undefined, reject: Reject): P[] {
  const out: P[] = [];
  for (const p of points) {
    const reason = p.timeUnixNano === 0n ? 'data point has no time_unix_nano' : problem(p);
    if (reason === undefined) out.push(p);
    else reject(reason);
  }
  return out;
}

function numberProblem(p: NumberPoint): string | undefined {
  return p.value === undefined && (p.flags & 1) === 0 ? 'data point has neither as_int nor as_double' : undefined;
}

function histogramProblem(p: HistogramPoint): string | undefined {
  const bounds = p.explicitBounds;
  for (let i = 0; i < bounds.length; i++) {
    if (!Number.isFinite(bounds[i]!) || (i > 0 && !(bounds[i]! > bounds[i - 1]!))) return 'explicit_bounds must be finite and strictly ascending';
  }
  if (p.bucketCounts.length !== 0 && p.bucketCounts.length !== bounds.length + 1) {
    return `histogram has ${p.bucketCounts.length} bucket counts for ${bounds.length} bounds (needs one more than the bounds)`;
  }
  return undefined;
}

function summaryProblem(p: SummaryPoint): string | undefined {
  for (const q of p.quantiles) {
    if (!(q.quantile >= 0 && q.quantile <= 1)) return `quantile ${q.quantile} is outside [0, 1]`;
  }
  return undefined;
}
