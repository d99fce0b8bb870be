/**
 * A snapshot as flat samples, the shape remote-write sends: counters and gauges one sample each;
 * histograms `<name>_bucket{le}` (cumulative, ending with `le="+Inf"` = count), `<name>_sum`,
 * `<name>_count`; summaries `<name>{quantile}`, `<name>_sum`, `<name>_count`.
 *
 * Built for the flush hot path: the visitor sees each series once (`series`) and gets back the
 * function that receives its samples, so per-series work (validating, sorting, looking up state)
 * is shared by all the samples derived from it — a histogram with Istio's buckets has 22.
 */
import type { Labels, MetricsSnapshot } from '../registry.js';
import { baseLabels, formatBound, isValidMetricName, withName, type LabelDefaults, type LabelPair } from '../labels.js';

/** Receives one sample of the current series: its full metric name and optional `le`/`quantile`. */
export type SampleFn = (name: string, value: number, timestampMs: number, extra?: LabelPair) => void;

export interface SnapshotVisitor {
  /** Once per series; undefined skips it (the visitor counts why). `samples` is how many it has. */
  series(labels: Labels, samples: number): SampleFn | undefined;
  /** A family whose metric name cannot be sent, with its sample count. */
  invalidFamily(reason: Error, samples: number): void;
}

function sampleCount(family: MetricsSnapshot['families'][number], i: number): number {
  switch (family.type) {
    case 'histogram':
      return family.series[i]!.bounds.length + 3;
    case 'summary':
      return family.series[i]!.quantiles.length + 2;
    default:
      return 1;
  }
}

export function visitSnapshot(snapshot: MetricsSnapshot, visitor: SnapshotVisitor): void {
  for (const family of snapshot.families) {
    const { name } = family;
    if (!isValidMetricName(name)) {
      let n = 0;
      for (let i = 0; i < family.series.length; i++) n += sampleCount(family, i);
      visitor.invalidFamily(new Error(`invalid metric name "${name}"`), n);
      continue;
    }
    switch (family.type) {
      case 'counter':
      case 'gauge':
        for (const s of family.series) visitor.series(s.labels, 1)?.(name, s.value, s.timestampMs ?? snapshot.timestampMs);
        break;
      case 'histogram':
        for (const s of family.series) {
          const one = visitor.series(s.labels, s.bounds.length + 3);
          if (!one) continue;
          const ts = s.timestampMs ?? snapshot.timestampMs;
          for (let i = 0; i < s.bounds.length; i++) one(`${name}_bucket`, s.bucketCounts[i] ?? 0, ts, ['le', formatBound(s.bounds[i]!)]);
          one(`${name}_bucket`, s.count, ts, ['le', '+Inf']);
          one(`${name}_sum`, s.sum, ts);
          one(`${name}_count`, s.count, ts);
        }
        break;
      case 'summary':
        for (const s of family.series) {
          const one = visitor.series(s.labels, s.quantiles.length + 2);
          if (!one) continue;
          const ts = s.timestampMs ?? snapshot.timestampMs;
          for (const q of s.quantiles) one(name, q.value, ts, ['quantile', formatBound(q.quantile)]);
          one(`${name}_sum`, s.sum, ts);
          one(`${name}_count`, s.count, ts);
        }
        break;
    }
  }
}

/** Identity of a sample's series from its parts (equal keys ⇔ equal label sets for real inputs). */
export function sampleKey(name: string, baseKey: string, extra?: LabelPair): string {
  return extra ? `${name}\u0002${extra[0]}\u0000${extra[1]}\u0002${baseKey}` : `${name}\u0002\u0002${baseKey}`;
}

export interface FlatSample {
  readonly labels: LabelPair[];
  readonly value: number;
  readonly timestampMs: number;
}

/** Every sample with its complete sorted label set (tests, tools); the sink uses visitSnapshot. */
export function expandSnapshot(
  snapshot: MetricsSnapshot,
  defaults: LabelDefaults,
  emit: (sample: FlatSample) => void,
  invalid: (reason: Error, samples: number) => void,
): void {
  visitSnapshot(snapshot, {
    invalidFamily: invalid,
    series: (labels, samples) => {
      const base = baseLabels(labels, defaults);
      if (base instanceof Error) {
        invalid(base, samples);
        return undefined;
      }
      return (name, value, timestampMs, extra) => emit({ labels: withName(base, name, extra), value, timestampMs });
    },
  });
}

