/**
 * The PromQL behind each Monitor chart, over meshtel's span metrics (span-metrics-deriver.ts:
 * `traces_spanmetrics_calls_total`, `traces_spanmetrics_latency_bucket` in seconds, labels
 * `service`, `span_name`, `span_kind`, `status_code`). Jaeger runs the same shapes over the OTel
 * Collector's spanmetrics connector (`calls_total`, `duration_milliseconds_bucket`,
 * `service_name`); the answers are renamed to what the Jaeger UI reads (see monitor-api.ts).
 */
import { SPANMETRICS_CALLS_TOTAL, SPANMETRICS_LATENCY } from '../../../shared/metrics/spanmetrics/span-metrics-deriver.js';
import type { MetricsQuery } from './params.js';

/** Regex metacharacters escaped, then quoted as a PromQL string: service names are matched literally. */
function literalAlternatives(values: readonly string[]): string {
  const pattern = values.map((v) => v.replace(/[\\.^$|?*+()[\]{}]/g, '\\$&')).join('|');
  return JSON.stringify(pattern);
}

/** A PromQL range: whole seconds when possible, else milliseconds (PromQL takes one unit). */
export function promqlDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function selector(q: MetricsQuery, extra = ''): string {
  return `{service=~${literalAlternatives(q.services)}, span_kind=~${literalAlternatives(q.spanKinds)}${extra}}`;
}

function groupBy(q: MetricsQuery, ...more: string[]): string {
  return ['service', ...(q.groupByOperation ? ['span_name'] : []), ...more].join(',');
}

/** The quantile latency in milliseconds (the Jaeger UI's unit; our histogram is in seconds). */
export function latenciesQuery(q: MetricsQuery, quantile: number): string {
  const buckets = `sum(rate(${SPANMETRICS_LATENCY}_bucket${selector(q)}[${promqlDuration(q.ratePerMs)}])) by (${groupBy(q, 'le')})`;
  return `histogram_quantile(${quantile.toFixed(2)}, ${buckets}) * 1000`;
}

/** Calls per second. */
export function callsQuery(q: MetricsQuery): string {
  return `sum(rate(${SPANMETRICS_CALLS_TOTAL}${selector(q)}[${promqlDuration(q.ratePerMs)}])) by (${groupBy(q)})`;
}

/** Errors per call: error spans' rate over all spans' rate. */
export function errorsQuery(q: MetricsQuery): string {
  const rate = promqlDuration(q.ratePerMs);
  const errors = `sum(rate(${SPANMETRICS_CALLS_TOTAL}${selector(q, ', status_code="STATUS_CODE_ERROR"')}[${rate}])) by (${groupBy(q)})`;
  return `${errors} / ${callsQuery(q)}`;
}
