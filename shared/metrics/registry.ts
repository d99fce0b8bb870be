/**
 * The derived-metrics registry: the series meshtel computes from spans, access logs and OTLP
 * metrics (Istio standard metrics, span metrics, service graph, imported OTLP series), held as
 * cumulative state and read by a MetricsSink (remote-write or exposition).
 *
 * Not prom-client: those series are data we produce for users (with per-metric cardinality
 * limits, explicit timestamps for imported points, and a snapshot remote-write can send), while
 * prom-client stays meshtel's own self-metrics on the admin port.
 *
 * Contract, held by test/unit/metrics-registry.test.ts:
 * - Counters and histograms are cumulative and monotonic for the life of the process.
 * - Every family has a series limit; a new label set beyond it is folded into ONE overflow series
 *   whose labels are all `__overflow__` (value `"true"` on a label `meshtel_overflow`), and each
 *   fold is counted (meshtel_derived_series_overflow_total{metric}) — memory stays bounded.
 * - Label names must match [a-zA-Z_][a-zA-Z0-9_]*; metric names [a-zA-Z_:][a-zA-Z0-9_:]*.
 */
import { REGISTRY_DEFAULTS } from './registry-settings.js';

export type Labels = Readonly<Record<string, string>>;

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface CounterSeries {
  readonly labels: Labels;
  readonly value: number;
  /** Set for imported points (OTLP); derived series use the snapshot's time. */
  readonly timestampMs?: number;
}

export interface HistogramSeries {
  readonly labels: Labels;
  /** Upper bounds, ascending, without +Inf. */
  readonly bounds: readonly number[];
  /** Cumulative counts per bound (same length as bounds); the +Inf bucket is `count`. */
  readonly bucketCounts: readonly number[];
  readonly sum: number;
  readonly count: number;
  readonly timestampMs?: number;
}

export interface SummarySeries {
  readonly labels: Labels;
  readonly quantiles: ReadonlyArray<{ readonly quantile: number; readonly value: number }>;
  readonly sum: number;
  readonly count: number;
  readonly timestampMs?: number;
}

export type FamilySnapshot =
  | { readonly name: string; readonly help: string; readonly type: 'counter' | 'gauge'; readonly series: readonly CounterSeries[] }
  | { readonly name: string; readonly help: string; readonly type: 'histogram'; readonly series: readonly HistogramSeries[] }
  | { readonly name: string; readonly help: string; readonly type: 'summary'; readonly series: readonly SummarySeries[] };

export interface MetricsSnapshot {
  /** When the snapshot was taken; the timestamp of every series without its own. */
  readonly timestampMs: number;
  readonly families: readonly FamilySnapshot[];
}

/** Read side, for sinks. */
export interface MetricsSource {
  snapshot(): MetricsSnapshot;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The one label of the series a family folds new label sets into once it is at its limit. */
export const OVERFLOW_LABELS: Labels = Object.freeze({ meshtel_overflow: 'true' });

export interface FamilyOptions {
  readonly name: string;
  readonly help: string;
  /** The label names the family's series carry (values default to '' and empty labels are dropped). */
  readonly labelNames: readonly string[];
  /** Overrides the registry's default series limit. */
  readonly maxSeries?: number;
  /**
   * Label names come from each series' own labels instead of `labelNames` (which is then ignored):
   * for imported OTLP series, whose attribute keys differ from point to point and are not known
   * when the family is created. Invalid or `__`-prefixed names are dropped.
   */
  readonly dynamicLabels?: boolean;
}

export interface HistogramOptions extends FamilyOptions {
  /** Upper bounds, ascending, without +Inf. */
  readonly buckets: readonly number[];
}

export interface RegistryOptions {
  /** Series per family before new label sets fold into the overflow series (default {@link REGISTRY_DEFAULTS}). */
  readonly defaultMaxSeries?: number;
  /** Called once per label set folded into an overflow series (for a self-metric). */
  readonly onOverflow?: (metric: string) => void;
}

interface Family<S> {
  readonly options: FamilyOptions;
  readonly series: Map<string, S>;
}

function assertNames(options: FamilyOptions): void {
  if (!METRIC_NAME.test(options.name)) throw new Error(`invalid metric name "${options.name}"`);
  for (const l of options.labelNames) {
    if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new Error(`invalid label name "${l}" on ${options.name}`);
  }
}

/** Series identity: the label values in the family's label-name order. */
function seriesKey(labelNames: readonly string[], labels: Labels): string {
  let key = '';
  for (const name of labelNames) key += (labels[name] ?? '') + '\u0000';
  return key;
}

/** A series' own valid label names with non-empty values, sorted (families with dynamicLabels). */
function dynamicLabelNames(labels: Labels): string[] {
  return Object.keys(labels).filter((n) => LABEL_NAME.test(n) && !n.startsWith('__') && labels[n] !== '').sort();
}

/** Labels as stored: only the family's names, empty values dropped (Prometheus treats them as absent). */
function cleanLabels(labelNames: readonly string[], labels: Labels): Labels {
  const out: Record<string, string> = {};
  for (const name of labelNames) {
    const v = labels[name];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

/** The overflow series' key in a family's map (a label-value key ends with \u0000, or is empty). */
const OVERFLOW_KEY = '\u0001overflow';

interface MutableCounter { labels: Labels; value: number; timestampMs?: number }
interface MutableHistogram { labels: Labels; bounds: readonly number[]; bucketCounts: number[]; sum: number; count: number; timestampMs?: number }
interface MutableSummary { labels: Labels; quantiles: Array<{ quantile: number; value: number }>; sum: number; count: number; timestampMs?: number }

const freshCounter = (): { value: number } => ({ value: 0 });

function observeInto(s: MutableHistogram, buckets: readonly number[], value: number): void {
  // Buckets are cumulative: a value counts in every bucket whose bound it does not exceed.
  for (let i = buckets.length - 1; i >= 0 && value <= buckets[i]!; i--) s.bucketCounts[i]!++;
  s.sum += value;
  s.count++;
}

/**
 * One counter series, looked up once: `inc` is then an addition, with no label key to build.
 * A series is never removed, so a handle stays valid for the registry's life.
 */
export class CounterHandle {
  /** @internal */
  constructor(private readonly s: MutableCounter, private readonly onFold: (() => void) | undefined) {}

  /** Whether these labels were folded into the overflow series (every update through it counts a fold). */
  get overflow(): boolean {
    return this.onFold !== undefined;
  }

  inc(by = 1): void {
    if (!(by >= 0)) return;
    this.onFold?.();
    this.s.value += by;
  }
}

/** One histogram series, looked up once (see {@link CounterHandle}). */
export class HistogramHandle {
  /** @internal */
  constructor(
    private readonly s: MutableHistogram,
    private readonly buckets: readonly number[],
    private readonly onFold: (() => void) | undefined,
  ) {}

  get overflow(): boolean {
    return this.onFold !== undefined;
  }

  observe(value: number): void {
    this.onFold?.();
    observeInto(this.s, this.buckets, value);
  }
}

export class MetricsRegistry implements MetricsSource {
  private readonly counters = new Map<string, Family<MutableCounter> & { type: 'counter' | 'gauge' }>();
  private readonly histograms = new Map<string, Family<MutableHistogram> & { buckets: readonly number[] }>();
  private readonly summaries = new Map<string, Family<MutableSummary>>();

  /** Series per family unless the family sets its own limit. */
  readonly defaultMaxSeries: number;

  constructor(private readonly options: RegistryOptions = {}) {
    this.defaultMaxSeries = options.defaultMaxSeries ?? REGISTRY_DEFAULTS.defaultMaxSeries;
  }

  /** A monotonic counter; `inc` for derived counts, `set` for imported cumulative points. */
  counter(options: FamilyOptions): DerivedCounter {
    const family = this.scalarFamily(options, 'counter');
    return {
      inc: (labels, by = 1) => {
        if (!(by >= 0)) return;
        const s = this.slot(family, labels, freshCounter);
        s.value += by;
      },
      set: (labels, value, timestampMs) => {
        const s = this.slot(family, labels, freshCounter);
        s.value = value;
        s.timestampMs = timestampMs;
      },
      series: (labels) => {
        const s = this.slot(family, labels, freshCounter, false);
        return new CounterHandle(s, this.overflowReporter(family, s));
      },
    };
  }

  gauge(options: FamilyOptions): DerivedGauge {
    const family = this.scalarFamily(options, 'gauge');
    return {
      set: (labels, value, timestampMs) => {
        const s = this.slot(family, labels, () => ({ value: 0 }));
        s.value = value;
        s.timestampMs = timestampMs;
      },
    };
  }

  histogram(options: HistogramOptions): DerivedHistogram {
    assertNames(options);
    const bounds = [...options.buckets];
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${options.name}: buckets must be ascending`);
    }
    let family = this.histograms.get(options.name);
    if (!family) {
      family = { options, series: new Map(), buckets: bounds };
      this.histograms.set(options.name, family);
    }
    const f = family;
    const fresh = () => ({ bounds: f.buckets, bucketCounts: new Array<number>(f.buckets.length).fill(0), sum: 0, count: 0 });
    return {
      observe: (labels, value) => observeInto(this.slot(f, labels, fresh), f.buckets, value),
      series: (labels) => {
        const s = this.slot(f, labels, fresh, false);
        return new HistogramHandle(s, f.buckets, this.overflowReporter(f, s));
      },
      set: (labels, point, timestampMs) => {
        const s = this.slot(f, labels, fresh);
        s.bounds = point.bounds;
        s.bucketCounts = [...point.bucketCounts];
        s.sum = point.sum;
        s.count = point.count;
        s.timestampMs = timestampMs;
      },
    };
  }

  summary(options: FamilyOptions): DerivedSummary {
    assertNames(options);
    let family = this.summaries.get(options.name);
    if (!family) {
      family = { options, series: new Map() };
      this.summaries.set(options.name, family);
    }
    const f = family;
    return {
      set: (labels, point, timestampMs) => {
        const s = this.slot(f, labels, () => ({ quantiles: [], sum: 0, count: 0 }));
        s.quantiles = point.quantiles.map((q) => ({ ...q }));
        s.sum = point.sum;
        s.count = point.count;
        s.timestampMs = timestampMs;
      },
    };
  }

  snapshot(): MetricsSnapshot {
    const families: FamilySnapshot[] = [];
    for (const f of this.counters.values()) {
      families.push({ name: f.options.name, help: f.options.help, type: f.type, series: [...f.series.values()].map((s) => ({ ...s })) });
    }
    for (const f of this.histograms.values()) {
      families.push({
        name: f.options.name, help: f.options.help, type: 'histogram',
        series: [...f.series.values()].map((s) => ({ ...s, bucketCounts: [...s.bucketCounts] })),
      });
    }
    for (const f of this.summaries.values()) {
      families.push({ name: f.options.name, help: f.options.help, type: 'summary', series: [...f.series.values()].map((s) => ({ ...s })) });
    }
    return { timestampMs: Date.now(), families };
  }

  private scalarFamily(options: FamilyOptions, type: 'counter' | 'gauge'): Family<MutableCounter> {
    assertNames(options);
    let family = this.counters.get(options.name);
    if (!family) {
      family = { options, series: new Map(), type };
      this.counters.set(options.name, family);
    } else if (family.type !== type) {
      throw new Error(`metric ${options.name} already registered as a ${family.type}`);
    }
    return family;
  }

  /**
   * What a series handle calls on every update: nothing for a series of its own, the overflow
   * count for the overflow series — each update through it is one fold, as each `inc(labels)` is.
   */
  private overflowReporter<S>(family: Family<S>, series: S): (() => void) | undefined {
    if (family.series.get(OVERFLOW_KEY) !== series) return undefined;
    const name = family.options.name;
    const onOverflow = this.options.onOverflow;
    return () => onOverflow?.(name);
  }

  /** The series for these labels, created if the family has room, else the overflow series. */
  private slot<S extends { labels: Labels }>(family: Family<S>, labels: Labels, fresh: () => Omit<S, 'labels'>, countFold = true): S {
    const labelNames = family.options.dynamicLabels ? dynamicLabelNames(labels) : family.options.labelNames;
    // With dynamic names the key must carry the names too: {a="x"} and {b="x"} are different series.
    const key = family.options.dynamicLabels ? `${labelNames.join(',')}\u0002${seriesKey(labelNames, labels)}` : seriesKey(labelNames, labels);
    const existing = family.series.get(key);
    if (existing) return existing;
    const limit = family.options.maxSeries ?? this.defaultMaxSeries;
    if (family.series.size >= limit) {
      if (countFold) this.options.onOverflow?.(family.options.name);
      let overflow = family.series.get(OVERFLOW_KEY);
      if (!overflow) {
        overflow = { ...fresh(), labels: OVERFLOW_LABELS } as S;
        family.series.set(OVERFLOW_KEY, overflow);
      }
      return overflow;
    }
    const created = { ...fresh(), labels: cleanLabels(labelNames, labels) } as S;
    family.series.set(key, created);
    return created;
  }
}

export interface DerivedCounter {
  inc(labels: Labels, by?: number): void;
  /**
   * The series of these labels, created as `inc` would create it (or the overflow series, counting
   * the fold), for a caller that updates it often: each `inc` on the handle is then what
   * `inc(labels)` would do, without building the label key. Counted as a fold: every update of an
   * overflow handle, none for the look-up itself. A cache of handles must be bounded by itself:
   * the label sets folded into the overflow series are not.
   */
  series(labels: Labels): CounterHandle;
  /** Imported cumulative point (e.g. an OTLP monotonic sum), with its own timestamp. */
  set(labels: Labels, value: number, timestampMs?: number): void;
}

export interface DerivedGauge {
  set(labels: Labels, value: number, timestampMs?: number): void;
}

export interface DerivedHistogram {
  observe(labels: Labels, value: number): void;
  /** The series of these labels, as {@link DerivedCounter.series}. */
  series(labels: Labels): HistogramHandle;
  /** Imported cumulative point (e.g. an OTLP explicit-bucket histogram). */
  set(labels: Labels, point: { bounds: readonly number[]; bucketCounts: readonly number[]; sum: number; count: number }, timestampMs?: number): void;
}

export interface DerivedSummary {
  set(labels: Labels, point: { quantiles: ReadonlyArray<{ quantile: number; value: number }>; sum: number; count: number }, timestampMs?: number): void;
}
