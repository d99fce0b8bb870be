/**
 * RED metrics per (service, span name, kind, status) with Tempo metrics-generator's names, labels
 * and default buckets, so Grafana's Tempo "Service Graph" table and RED panels query them as-is.
 *
 * `traces_spanmetrics_size_total` adds, like Tempo, the size in bytes of each span's OTLP protobuf
 * `Span` message (without resource and scope), whatever wire format it came in: the bytes it was
 * decoded from when the OTLP decoder kept them, else our encoder's output for it.
 */
import type { CounterHandle, DerivedCounter, DerivedHistogram, HistogramHandle, MetricsRegistry } from '../registry.js';
import { SeriesCache } from '../series-cache.js';
import type { SpanRecord } from '../../model/span.js';
import { dimensionLabels, findAttribute } from './dimensions.js';
import { encodeSpanMessageBody } from '../../otlp/traces/traces-protobuf-encode.js';

export const SPANMETRICS_CALLS_TOTAL = 'traces_spanmetrics_calls_total';
export const SPANMETRICS_LATENCY = 'traces_spanmetrics_latency';
export const SPANMETRICS_SIZE_TOTAL = 'traces_spanmetrics_size_total';

/** Tempo's default span-metrics buckets: 2 ms doubling 14 times (up to ~16 s). */
export const DEFAULT_SPANMETRICS_BUCKETS_SECONDS: readonly number[] = Array.from({ length: 14 }, (_, k) => 0.002 * 2 ** k);

/** OTLP enum names, as Tempo writes them (`span_kind="SPAN_KIND_SERVER"`). */
export const SPAN_KIND_LABEL: readonly string[] = [
  'SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER',
];
export const STATUS_CODE_LABEL: readonly string[] = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

const BASE_LABELS = ['service', 'span_name', 'span_kind', 'status_code'] as const;

export interface SpanMetricsOptions {
  /** Extra span/resource attribute keys; each becomes a label with a sanitized name (`http.method` → `http_method`). */
  readonly dimensions?: readonly string[];
  /** Latency histogram upper bounds in seconds, ascending; default {@link DEFAULT_SPANMETRICS_BUCKETS_SECONDS}. */
  readonly latencyBucketsSeconds?: readonly number[];
  /** Series limit per family (overrides the registry default); beyond it label sets fold into the overflow series. */
  readonly maxSeries?: number;
}

/** The three series of one label set. */
interface SpanSeries {
  readonly calls: CounterHandle;
  readonly latency: HistogramHandle;
  readonly size: CounterHandle;
}

export class SpanMetricsDeriver {
  private readonly calls: DerivedCounter;
  private readonly latency: DerivedHistogram;
  private readonly size: DerivedCounter;
  private readonly dimensions: ReadonlyArray<{ key: string; label: string }>;
  private readonly labelNames: readonly string[];
  private readonly cache: SeriesCache<SpanSeries>;
  /** The current span's label values, in `labelNames` order (reused: no array per span). */
  private readonly values: string[];

  constructor(registry: MetricsRegistry, options: SpanMetricsOptions = {}) {
    this.dimensions = dimensionLabels(options.dimensions ?? [], BASE_LABELS);
    const labelNames = [...BASE_LABELS, ...this.dimensions.map((d) => d.label)];
    this.labelNames = labelNames;
    this.values = labelNames.map(() => '');
    this.cache = new SeriesCache(labelNames.length, options.maxSeries ?? registry.defaultMaxSeries);
    const common = { labelNames, ...(options.maxSeries !== undefined ? { maxSeries: options.maxSeries } : {}) };
    this.calls = registry.counter({ name: SPANMETRICS_CALLS_TOTAL, help: 'Spans seen, per service, span name, kind and status.', ...common });
    this.latency = registry.histogram({
      name: SPANMETRICS_LATENCY, help: 'Span duration in seconds.', ...common,
      buckets: options.latencyBucketsSeconds ?? DEFAULT_SPANMETRICS_BUCKETS_SECONDS,
    });
    this.size = registry.counter({ name: SPANMETRICS_SIZE_TOTAL, help: 'Size of the spans as OTLP protobuf Span messages, in bytes.', ...common });
  }

  observeSpans(spans: readonly SpanRecord[]): void {
    const values = this.values;
    const dimensions = this.dimensions;
    for (const span of spans) {
      values[0] = span.serviceName;
      values[1] = span.name;
      values[2] = SPAN_KIND_LABEL[span.kind] ?? SPAN_KIND_LABEL[0]!;
      values[3] = STATUS_CODE_LABEL[span.status.code] ?? STATUS_CODE_LABEL[0]!;
      for (let i = 0; i < dimensions.length; i++) values[4 + i] = findAttribute(span, dimensions[i]!.key) ?? '';
      const series = this.cache.get(values) ?? this.seriesOf(values);
      series.calls.inc();
      series.latency.observe(spanSeconds(span));
      series.size.inc(encodeSpanMessageBody(span).byteLength);
    }
  }

  /** Looks the label set's series up in the registry (created there if new) and remembers them. */
  private seriesOf(values: readonly string[]): SpanSeries {
    const labels: Record<string, string> = {};
    for (let i = 0; i < this.labelNames.length; i++) labels[this.labelNames[i]!] = values[i]!;
    const series = { calls: this.calls.series(labels), latency: this.latency.series(labels), size: this.size.series(labels) };
    this.cache.set(values, series);
    return series;
  }
}

/** Span duration in seconds from the nanosecond timestamps, never negative. */
export function spanSeconds(span: SpanRecord): number {
  const d = span.endTimeUnixNano - span.startTimeUnixNano;
  return d > 0n ? Number(d) / 1e9 : 0;
}
