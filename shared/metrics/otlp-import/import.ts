/**
 * Imports OTLP metrics (the `metrics` topic's ExportMetricsServiceRequest records) into the
 * derived-metrics registry, as the OpenTelemetry "Prometheus and OpenMetrics Compatibility" spec
 * maps them:
 *   gauge → gauge; monotonic sum → counter `…_total`; non-monotonic sum → gauge;
 *   explicit-bucket histogram → histogram; summary → summary;
 *   resource → `job` (service.namespace/service.name) and `instance` (service.instance.id) on
 *   every series, and one `target_info` gauge (value 1) per resource carrying its other attributes;
 *   scope → `otel_scope_name` / `otel_scope_version`.
 * Exponential histograms are not converted: their points are skipped and counted (stats()).
 *
 * Delta sums and histograms are accumulated here into cumulative series. That state lives in this
 * process: after an ingester restart, or when Kafka moves a resource's partition to another
 * ingester, accumulation starts again from zero — which Prometheus reads as a counter reset, as
 * rate() and increase() expect. A delta point older than the last one accumulated for its series,
 * or covering the same interval again, is skipped, so a redelivered buffer record (at-least-once) is not counted twice.
 */
import type { KeyValue } from '../../model/span.js';
import type { DerivedCounter, DerivedGauge, DerivedHistogram, DerivedSummary, Labels, MetricsRegistry } from '../registry.js';
import {
  NO_RECORDED_VALUE, Temporality, type HistogramPoint, type NumberPoint, type OtlpMetric, type OtlpMetricsRequest, type OtlpResourceMetrics,
} from '../../otlp/metrics/model.js';
import { attributeLabels, prometheusMetricName } from './prometheus-names.js';
import { decodeMetricsProtobuf } from '../../otlp/metrics/protobuf-decode.js';

export interface OtlpMetricsImporterOptions {
  /** Series limit of each imported family (the registry's default when absent). */
  readonly maxSeries?: number;
}

export type SkipReason = 'exponential_histogram' | 'no_recorded_value' | 'no_value' | 'stale_delta' | 'type_conflict' | 'invalid_histogram' | 'unspecified_temporality';

export interface ImportStats {
  readonly pointsImported: number;
  readonly pointsSkipped: Readonly<Partial<Record<SkipReason, number>>>;
}

type Family =
  | { readonly type: 'counter'; readonly handle: DerivedCounter }
  | { readonly type: 'gauge'; readonly handle: DerivedGauge }
  | { readonly type: 'histogram'; readonly handle: DerivedHistogram }
  | { readonly type: 'summary'; readonly handle: DerivedSummary };

interface DeltaState {
  lastStartTimeUnixNano: bigint;
  lastTimeUnixNano: bigint;
  value: number;
  bounds: readonly number[];
  /** Per-bucket (OTLP, not cumulative) counts, bounds.length + 1 of them. */
  buckets: number[];
  sum: number;
  count: number;
}

const RESOURCE_IDENTITY = new Set(['service.name', 'service.namespace', 'service.instance.id']);

export class OtlpMetricsImporter {
  private readonly families = new Map<string, Family>();
  private readonly deltas = new Map<string, DeltaState>();
  private imported = 0;
  private readonly skipped: Partial<Record<SkipReason, number>> = {};

  constructor(private readonly registry: MetricsRegistry, private readonly options: OtlpMetricsImporterOptions = {}) {}

  /** Decodes an ExportMetricsServiceRequest and imports it; throws OtlpDecodeError on bad bytes. */
  importRequest(bytes: Uint8Array): void {
    this.importDecoded(decodeMetricsProtobuf(bytes));
  }

  importDecoded(request: OtlpMetricsRequest): void {
    for (const rm of request.resourceMetrics) this.importResource(rm);
  }

  stats(): ImportStats {
    return { pointsImported: this.imported, pointsSkipped: { ...this.skipped } };
  }

  private importResource(rm: OtlpResourceMetrics): void {
    const identity = resourceIdentity(rm.resource.attributes);
    let latestMs: number | undefined;
    for (const sm of rm.scopeMetrics) {
      const scopeLabels: Record<string, string> = { ...identity };
      if (sm.scope.name !== '') scopeLabels.otel_scope_name = sm.scope.name;
      if (sm.scope.version !== '') scopeLabels.otel_scope_version = sm.scope.version;
      for (const metric of sm.metrics) {
        const ms = this.importMetric(metric, scopeLabels);
        if (ms !== undefined && (latestMs === undefined || ms > latestMs)) latestMs = ms;
      }
    }
    // target_info carries the resource attributes that are not already job/instance (spec), once
    // per resource that sent points, stamped with its newest point.
    if (latestMs !== undefined) {
      const info = this.family('target_info', 'gauge', 'Target metadata: the OTLP resource attributes.');
      if (info?.type === 'gauge') info.handle.set({ ...attributeLabels(rm.resource.attributes, RESOURCE_IDENTITY), ...identity }, 1, latestMs);
    }
  }

  /** Returns the newest timestamp (ms) imported, if any point was. */
  private importMetric(metric: OtlpMetric, scopeLabels: Labels): number | undefined {
    const { data } = metric;
    const help = metric.description;
    let latest: number | undefined;
    const imported = (ms: number): void => {
      this.imported++;
      if (latest === undefined || ms > latest) latest = ms;
    };
    switch (data.kind) {
      case 'none': return undefined;
      case 'exponentialHistogram':
        this.skip('exponential_histogram', data.pointCount);
        return undefined;
      case 'gauge': {
        const family = this.family(prometheusMetricName(metric.name, metric.unit, 'gauge'), 'gauge', help);
        for (const p of data.points) {
          const value = this.numberValue(p, family);
          if (value !== undefined && family?.type === 'gauge') {
            family.handle.set(pointLabels(p.attributes, scopeLabels), value, toMs(p.timeUnixNano));
            imported(toMs(p.timeUnixNano));
          }
        }
        return latest;
      }
      case 'sum': {
        if (data.temporality !== Temporality.DELTA && data.temporality !== Temporality.CUMULATIVE) {
          this.skip('unspecified_temporality', data.points.length);
          return undefined;
        }
        const type = data.monotonic ? 'counter' : 'gauge';
        const name = prometheusMetricName(metric.name, metric.unit, data.monotonic ? 'counter' : 'gauge');
        const family = this.family(name, type, help);
        for (const p of data.points) {
          let value = this.numberValue(p, family);
          if (value === undefined || family === undefined || family.type === 'histogram' || family.type === 'summary') continue;
          const labels = pointLabels(p.attributes, scopeLabels);
          if (data.temporality === Temporality.DELTA) {
            const state = this.deltaState(name, labels, p);
            if (state === undefined) continue;
            state.value += value;
            value = state.value;
          }
          family.handle.set(labels, value, toMs(p.timeUnixNano));
          imported(toMs(p.timeUnixNano));
        }
        return latest;
      }
      case 'histogram': {
        if (data.temporality !== Temporality.DELTA && data.temporality !== Temporality.CUMULATIVE) {
          this.skip('unspecified_temporality', data.points.length);
          return undefined;
        }
        const name = prometheusMetricName(metric.name, metric.unit, 'other');
        const first = data.points[0];
        const family = this.family(name, 'histogram', help, first?.explicitBounds ?? []);
        if (family?.type !== 'histogram') {
          if (family !== undefined) this.skip('type_conflict', data.points.length);
          return undefined;
        }
        for (const p of data.points) {
          if ((p.flags & NO_RECORDED_VALUE) !== 0) {
            this.skip('no_recorded_value');
            continue;
          }
          if (p.bucketCounts.length !== 0 && p.bucketCounts.length !== p.explicitBounds.length + 1) {
            this.skip('invalid_histogram');
            continue;
          }
          const labels = pointLabels(p.attributes, scopeLabels);
          let point: HistogramPoint | DeltaState = p;
          if (data.temporality === Temporality.DELTA) {
            const state = this.deltaState(name, labels, p);
            if (state === undefined) continue;
            accumulateHistogram(state, p);
            point = state;
          }
          family.handle.set(labels, toRegistryHistogram(point), toMs(p.timeUnixNano));
          imported(toMs(p.timeUnixNano));
        }
        return latest;
      }
      case 'summary': {
        const family = this.family(prometheusMetricName(metric.name, metric.unit, 'other'), 'summary', help);
        if (family?.type !== 'summary') {
          if (family !== undefined) this.skip('type_conflict', data.points.length);
          return undefined;
        }
        for (const p of data.points) {
          if ((p.flags & NO_RECORDED_VALUE) !== 0) {
            this.skip('no_recorded_value');
            continue;
          }
          family.handle.set(pointLabels(p.attributes, scopeLabels), { quantiles: p.quantiles, sum: p.sum, count: p.count }, toMs(p.timeUnixNano));
          imported(toMs(p.timeUnixNano));
        }
        return latest;
      }
    }
  }

  /** The point's value as a number, or undefined (counted) when it has none or a conflicting family. */
  private numberValue(p: NumberPoint, family: Family | undefined): number | undefined {
    if (family === undefined) {
      this.skip('type_conflict');
      return undefined;
    }
    if ((p.flags & NO_RECORDED_VALUE) !== 0) {
      this.skip('no_recorded_value');
      return undefined;
    }
    if (p.value === undefined) {
      this.skip('no_value');
      return undefined;
    }
    return Number(p.value);
  }

  /** The accumulation state of a delta series, or undefined for a point not newer than its last (counted). */
  private deltaState(name: string, labels: Labels, p: { startTimeUnixNano: bigint; timeUnixNano: bigint }): DeltaState | undefined {
    const key = `${name}\u0000${JSON.stringify(Object.entries(labels).sort())}`;
    let state = this.deltas.get(key);
    if (state === undefined) {
      state = { lastStartTimeUnixNano: 0n, lastTimeUnixNano: 0n, value: 0, bounds: [], buckets: [], sum: 0, count: 0 };
      this.deltas.set(key, state);
    } else if (
      p.timeUnixNano < state.lastTimeUnixNano
      // The same interval again is a redelivery; an interval ending at the same time but starting
      // later is a new (very short) one, which SDKs produce when two collections share a clock tick.
      || (p.timeUnixNano === state.lastTimeUnixNano && p.startTimeUnixNano <= state.lastStartTimeUnixNano)
    ) {
      this.skip('stale_delta');
      return undefined;
    }
    state.lastStartTimeUnixNano = p.startTimeUnixNano;
    state.lastTimeUnixNano = p.timeUnixNano;
    return state;
  }

  /**
   * The registry family of a name, created on first use. A name already used by another type
   * (say a gauge and a counter that sanitize alike) yields undefined: the registry allows one type.
   */
  private family(name: string, type: Family['type'], help: string, buckets: readonly number[] = []): Family | undefined {
    const existing = this.families.get(name);
    if (existing) return existing.type === type ? existing : undefined;
    const options = { name, help: help === '' ? `OTLP metric ${name}` : help, labelNames: [], dynamicLabels: true, maxSeries: this.options.maxSeries };
    let family: Family;
    try {
      switch (type) {
        case 'counter': family = { type, handle: this.registry.counter(options) }; break;
        case 'gauge': family = { type, handle: this.registry.gauge(options) }; break;
        case 'histogram': family = { type, handle: this.registry.histogram({ ...options, buckets }) }; break;
        case 'summary': family = { type, handle: this.registry.summary(options) }; break;
      }
    } catch {
      // Registered by someone else with another type (a derived metric of the same name).
      return undefined;
    }
    this.families.set(name, family);
    return family;
  }

  private skip(reason: SkipReason, n = 1): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + n;
  }
}

/** job and instance from the resource, as the compatibility spec derives them. */
export function resourceIdentity(attributes: readonly KeyValue[]): Record<string, string> {
  let name = '';
  let namespace = '';
  let instance = '';
  for (const kv of attributes) {
    if (kv.value.type !== 'string') continue;
    if (kv.key === 'service.name') name = kv.value.value;
    else if (kv.key === 'service.namespace') namespace = kv.value.value;
    else if (kv.key === 'service.instance.id') instance = kv.value.value;
  }
  const out: Record<string, string> = {};
  const job = namespace !== '' && name !== '' ? `${namespace}/${name}` : name;
  if (job !== '') out.job = job;
  if (instance !== '') out.instance = instance;
  return out;
}

function pointLabels(attributes: readonly KeyValue[], scopeLabels: Labels): Labels {
  // Resource and scope labels win over a point attribute of the same name (job, instance…).
  return { ...attributeLabels(attributes), ...scopeLabels };
}

function toMs(timeUnixNano: bigint): number {
  return Number(timeUnixNano / 1_000_000n);
}

function accumulateHistogram(state: DeltaState, p: HistogramPoint): void {
  const sameBounds = state.bounds.length === p.explicitBounds.length && state.bounds.every((b, i) => b === p.explicitBounds[i]);
  if (!sameBounds || state.buckets.length !== p.bucketCounts.length) {
    // New bucket layout: the old counts cannot be carried over; start again (a reset).
    state.bounds = [...p.explicitBounds];
    state.buckets = new Array<number>(p.bucketCounts.length).fill(0);
    state.sum = 0;
    state.count = 0;
  }
  for (let i = 0; i < p.bucketCounts.length; i++) state.buckets[i]! += p.bucketCounts[i]!;
  state.sum += p.sum ?? 0;
  state.count += p.count;
}

/** OTLP per-bucket counts → the registry's cumulative counts per bound (+Inf is `count`). */
function toRegistryHistogram(p: HistogramPoint | DeltaState): { bounds: readonly number[]; bucketCounts: number[]; sum: number; count: number } {
  const bounds = 'explicitBounds' in p ? p.explicitBounds : p.bounds;
  const perBucket = 'explicitBounds' in p ? p.bucketCounts : p.buckets;
  const bucketCounts: number[] = [];
  let running = 0;
  for (let i = 0; i < bounds.length; i++) {
    running += perBucket[i] ?? 0;
    bucketCounts.push(running);
  }
  // A histogram sent without a sum (allowed when values can be negative) gets 0: the registry
  // has no way to leave _sum out.
  return { bounds, bucketCounts, sum: p.sum ?? 0, count: p.count };
}
