/**
 * Latency as a fixed-bucket histogram, so partial results merge by adding counts (hourly
 * roll-ups, per-day Elasticsearch answers) and every store computes the same quantiles. The
 * bounds are Envoy's default histogram buckets, which Istio keeps for
 * istio_request_duration_milliseconds (reference istio-envoy.md §5): the graph's p99 reads like
 * the dashboards' histogram_quantile.
 */
import type { LatencyCounts } from './model.js';

export const LATENCY_BOUNDS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/** One count per bound plus the +Inf bucket. */
export function emptyLatency(): LatencyCounts {
  return new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
}

/**
 * Bucket index of a duration: bucket i holds [bound i-1, bound i), the last one [highest bound,
 * +Inf). Lower bounds inclusive, as Elasticsearch's range aggregation counts, so both stores put
 * a duration of exactly a bound in the same bucket.
 */
export function latencyBucketOf(ms: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (ms < LATENCY_BOUNDS_MS[i]!) return i;
  return LATENCY_BOUNDS_MS.length;
}

export function addLatency(into: LatencyCounts, from: readonly number[]): void {
  for (let i = 0; i < into.length; i++) into[i]! += from[i] ?? 0;
}

export function latencyTotal(counts: readonly number[]): number {
  let total = 0;
  for (const c of counts) total += c;
  return total;
}

/**
 * The q-quantile (0–1) the way Prometheus' histogram_quantile estimates it: linear within the
 * bucket holding the rank, the first bucket starting at 0, and the highest finite bound when the
 * rank falls in +Inf. Null for an empty histogram. Rounded to µs.
 */
export function latencyQuantile(counts: readonly number[], q: number): number | null {
  const total = latencyTotal(counts);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i]!;
    if (inBucket > 0 && below + inBucket >= rank) {
      if (i === LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i]!;
      const value = lower + ((upper - lower) * (rank - below)) / inBucket;
      return Math.round(value * 1000) / 1000;
    }
    below += inBucket;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}
