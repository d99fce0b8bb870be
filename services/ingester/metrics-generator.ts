/**
 * The ingester's metrics generator (Tempo's metrics-generator, inside the ingester): it watches the
 * spans and access logs the ingesters stored and updates the derived-metrics registry — Istio
 * standard metrics from access logs, span metrics and the service graph from spans. A MetricsSink
 * (remote-write, or all-in-one's exposition endpoint) reads the registry.
 *
 * Each processor can be switched off (MESHTEL_METRICS_GENERATOR_PROCESSORS, as Tempo's
 * `processors` list): a disabled one registers no series and costs nothing per span or record —
 * with neither span processor on, the span ingester is handed no observer at all.
 *
 * Counting happens after a batch was stored. A batch redelivered after a crash (at-least-once) is
 * counted again: derived counters can overcount by what was in flight at a crash, never undercount.
 */
import { IstioMetricsDeriver } from '../../shared/metrics/istio/istio-metrics-deriver.js';
import type { MetricsRegistry } from '../../shared/metrics/registry.js';
import { ServiceGraphDeriver } from '../../shared/metrics/servicegraph/service-graph-deriver.js';
import { SERVICE_GRAPH_DEFAULTS } from '../../shared/metrics/servicegraph/service-graph-settings.js';
import { SpanMetricsDeriver } from '../../shared/metrics/spanmetrics/span-metrics-deriver.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import type { Component } from '../../shared/model/component.js';
import type { SpanRecord } from '../../shared/model/span.js';
import { METRICS_GENERATOR_PROCESSORS, type MetricsGeneratorProcessor } from './metrics-generator-settings.js';

export interface MetricsGeneratorOptions {
  readonly registry: MetricsRegistry;
  /** The processors that run (default: all of them). */
  readonly processors?: ReadonlySet<MetricsGeneratorProcessor>;
  /** Span-metrics extra dimensions (span or resource attribute keys). */
  readonly spanMetricsDimensions?: readonly string[];
  /** How long a client span waits for its server span (and back) before counting as unpaired (default: the service graph's). */
  readonly serviceGraphWaitMs?: number;
}

export class MetricsGenerator implements Component {
  readonly name = 'metrics-generator';
  private readonly istio: IstioMetricsDeriver | undefined;
  private readonly spanMetrics: SpanMetricsDeriver | undefined;
  private readonly serviceGraph: ServiceGraphDeriver | undefined;
  private expireTimer?: NodeJS.Timeout;

  private readonly serviceGraphWaitMs: number;

  /** Sees the spans of every stored batch; undefined when no span processor runs. */
  readonly observeSpans: ((spans: readonly SpanRecord[]) => void) | undefined;
  /** Sees the access logs of every stored batch; undefined when the Istio processor is off. */
  readonly observeAccessLogs: ((records: readonly AccessLogRecord[]) => void) | undefined;

  constructor(private readonly options: MetricsGeneratorOptions) {
    const processors = options.processors ?? new Set(METRICS_GENERATOR_PROCESSORS);
    this.serviceGraphWaitMs = options.serviceGraphWaitMs ?? SERVICE_GRAPH_DEFAULTS.waitMs;
    this.istio = processors.has('istio') ? new IstioMetricsDeriver(options.registry) : undefined;
    this.spanMetrics = processors.has('span-metrics')
      ? new SpanMetricsDeriver(options.registry, { dimensions: [...(options.spanMetricsDimensions ?? [])] })
      : undefined;
    // Every root SERVER span waits out the window, so at 20k spans/s about 20k spans wait: Tempo's
    // default of 10k pending items would drop half of them (test/bench/derive-spans.ts).
    this.serviceGraph = processors.has('service-graphs')
      ? new ServiceGraphDeriver(options.registry, { waitMs: this.serviceGraphWaitMs, maxItems: 100_000 })
      : undefined;
    this.observeSpans = spanObserver(this.spanMetrics, this.serviceGraph);
    const istio = this.istio;
    this.observeAccessLogs = istio ? (records) => istio.observeAccessLogs(records) : undefined;
  }

  async start(): Promise<void> {
    const serviceGraph = this.serviceGraph;
    if (!serviceGraph) return;
    // Unpaired edges are settled a little after their wait window, not on every batch.
    const every = Math.max(250, Math.floor(this.serviceGraphWaitMs / 4));
    this.expireTimer = setInterval(() => serviceGraph.expire(), every);
    this.expireTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.expireTimer) clearInterval(this.expireTimer);
    this.serviceGraph?.expire();
  }
}

/** One function for the enabled span processors, so a disabled one is not even a branch per batch. */
function spanObserver(
  spanMetrics: SpanMetricsDeriver | undefined,
  serviceGraph: ServiceGraphDeriver | undefined,
): ((spans: readonly SpanRecord[]) => void) | undefined {
  if (spanMetrics && serviceGraph) {
    return (spans) => {
      spanMetrics.observeSpans(spans);
      serviceGraph.observeSpans(spans);
    };
  }
  if (spanMetrics) return (spans) => spanMetrics.observeSpans(spans);
  if (serviceGraph) return (spans) => serviceGraph.observeSpans(spans);
  return undefined;
}
