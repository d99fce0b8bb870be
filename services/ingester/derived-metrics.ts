/**
 * Wiring helper shared by the ingester and all-in-one roles: the derived-metrics registry, the
 * generator that fills it from stored spans and access logs, and the sink that ships it —
 * remote-write when MESHTEL_REMOTE_WRITE_URL is set, else (all-in-one only) a scrape endpoint.
 */
import { ExpositionSink } from '../../shared/metrics/exposition/index.js';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { RemoteWriteSink } from '../../shared/metrics/remote-write/index.js';
import type { MetricsSink } from '../../shared/metrics/sink.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import { createSeriesLimitMetrics } from '../../shared/metrics/series-limit-metrics.js';
import { createRemoteWriteMetrics } from '../../shared/metrics/remote-write/remote-write-metrics.js';
import type { Registry } from 'prom-client';
import { parseDimensionList } from '../../shared/metrics/spanmetrics/span-metrics-settings.js';
import {
  expositionSettingsFromConfig,
  metricsGeneratorSettingsFromConfig,
  registrySettingsFromConfig,
  remoteWriteOptionsFromConfig,
} from '../component-options.js';
import type { MeshtelConfig } from '../settings.js';
import { MetricsGenerator } from './metrics-generator.js';
import { metricsGeneratorSettings, parseProcessorList } from './metrics-generator-settings.js';

export interface DerivedMetrics {
  readonly registry: MetricsRegistry;
  readonly generator: MetricsGenerator;
  readonly sink: MetricsSink;
  /** 'remote-write' or the exposition endpoint's address (after start). */
  describe(): string;
}

export function buildDerivedMetrics(
  config: MeshtelConfig,
  deps: { selfMetrics: Registry; logger: Logger },
  fallback: 'exposition' | 'none',
): DerivedMetrics | undefined {
  const { selfMetrics, logger } = deps;
  const metrics = { ...createSeriesLimitMetrics(selfMetrics), ...createRemoteWriteMetrics(selfMetrics) };
  const registry = new MetricsRegistry({
    ...registrySettingsFromConfig(config),
    onOverflow: (metric) => metrics.derivedSeriesOverflow.inc({ metric }),
  });
  const sinkLogger = logger.child({ component: 'metrics-sink' });
  const remoteWrite = remoteWriteOptionsFromConfig(config, { source: registry, metrics, logger: sinkLogger });
  let sink: MetricsSink;
  let describe: () => string;
  if (remoteWrite) {
    sink = new RemoteWriteSink(remoteWrite);
    describe = () => `remote-write ${remoteWrite.url}`;
  } else if (fallback === 'exposition') {
    const exposition = new ExpositionSink({ ...expositionSettingsFromConfig(config), source: registry, host: config.host, logger: sinkLogger });
    sink = exposition;
    describe = () => `${config.host}:${exposition.port}`;
  } else {
    return undefined;
  }
  const generatorSettings = metricsGeneratorSettings.parse(metricsGeneratorSettingsFromConfig(config));
  const generator = new MetricsGenerator({
    registry,
    processors: parseProcessorList(generatorSettings.processors),
    serviceGraphWaitMs: generatorSettings.serviceGraphWaitMs,
    spanMetricsDimensions: parseDimensionList(generatorSettings.spanMetricsDimensions),
  });
  return { registry, generator, sink, describe };
}
