/**
 * The ingester's metrics generator (Tempo's metrics-generator, inside the ingester): it watches the
 * spans and access logs the ingesters stored and updates the derived-metrics registry — Istio
 * standard metrics from access logs, span metrics and the service graph from spans. A MetricsSink
 * (remote-write, or all-in-one's exposition endpoint) reads the registry.
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

export interface MetricsGeneratorOptions {
  readonly registry: MetricsRegistry;
  /** Span-metrics extra dimensions (span or resource attribute keys). */
  readonly spanMetricsDimensions?: readonly string[];
  /** How long a client span waits for its server span (and back) before counting as unpaired (default: the service graph's). */
  readonly serviceGraphWaitMs?: number;
}

export class MetricsGenerator implements Component {
  readonly name = 'metrics-generator';
  private readonly istio: IstioMetricsDeriver;
  private readonly spanMetrics: SpanMetricsDeriver;
  private readonly serviceGraph: ServiceGraphDeriver;
  private expireTimer?: NodeJS.Timeout;

  private readonly serviceGraphWaitMs: number;

  constructor(private readonly options: MetricsGeneratorOptions) {
    this.serviceGraphWaitMs = options.serviceGraphWaitMs ?? SERVICE_GRAPH_DEFAULTS.waitMs;
    this.istio = new IstioMetricsDeriver(options.registry);
    this.spanMetrics = new SpanMetricsDeriver(options.registry, { dimensions: [...(options.spanMetricsDimensions ?? [])] });
    // Every root SERVER span waits out the window, so at 20k spans/s about 20k spans wait: Tempo's
    // default of 10k pending items would drop half of them (test/bench/derive-spans.ts).
    this.serviceGraph = new ServiceGraphDeriver(options.registry, { waitMs: this.serviceGraphWaitMs, maxItems: 100_000 });
  }

  async start(): Promise<void> {
    // Unpaired edges are settled a little after their wait window, not on every batch.
    const every = Math.max(250, Math.floor(this.serviceGraphWaitMs / 4));
    this.expireTimer = setInterval(() => this.serviceGraph.expire(), every);
    this.expireTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.expireTimer) clearInterval(this.expireTimer);
    this.serviceGraph.expire();
  }

  readonly observeSpans = (spans: readonly SpanRecord[]): void => {
    this.spanMetrics.observeSpans(spans);
    this.serviceGraph.observeSpans(spans);
  };

  readonly observeAccessLogs = (records: readonly AccessLogRecord[]): void => {
    this.istio.observeAccessLogs(records);
  };
}
