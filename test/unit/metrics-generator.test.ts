import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config/load.js';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { MetricsGenerator } from '../../services/ingester/metrics-generator.js';
import { parseProcessorList } from '../../services/ingester/metrics-generator-settings.js';
import { loadConfig } from '../../services/settings.js';
import { accessLog } from '../fixtures/access-logs.js';
import { bookinfoTrace } from '../fixtures/mesh-traces.js';

function familyNames(registry: MetricsRegistry): string[] {
  return registry.snapshot().families.filter((f) => f.series.length > 0).map((f) => f.name).sort();
}

function registeredFamilies(registry: MetricsRegistry): string[] {
  return registry.snapshot().families.map((f) => f.name).sort();
}

async function generatorRun(processors: string): Promise<MetricsRegistry> {
  const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
  const generator = new MetricsGenerator({ registry, processors: parseProcessorList(processors), serviceGraphWaitMs: 10 });
  await generator.start();
  generator.observeSpans?.(bookinfoTrace().spans);
  generator.observeAccessLogs?.([accessLog()]);
  await generator.stop();
  return registry;
}

describe('metrics generator processors', () => {
  it('runs service graphs, span metrics and Istio metrics by default', async () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const generator = new MetricsGenerator({ registry });
    expect(generator.observeSpans).toBeDefined();
    expect(generator.observeAccessLogs).toBeDefined();
    const config = loadConfig(new Map(), {});
    expect(parseProcessorList(config.metricsGeneratorProcessors)).toEqual(new Set(['service-graphs', 'span-metrics', 'istio']));
    const names = familyNames(await generatorRun('service-graphs,span-metrics,istio'));
    expect(names).toContain('traces_spanmetrics_calls_total');
    expect(names).toContain('traces_service_graph_request_total');
    expect(names).toContain('istio_requests_total');
  });

  it('registers no series of a processor left out', async () => {
    const spanMetricsOnly = registeredFamilies(await generatorRun('span-metrics'));
    expect(spanMetricsOnly.every((n) => n.startsWith('traces_spanmetrics_'))).toBe(true);
    expect(spanMetricsOnly).toContain('traces_spanmetrics_calls_total');

    const graphOnly = registeredFamilies(await generatorRun(' service-graphs '));
    expect(graphOnly.every((n) => n.startsWith('traces_service_graph_'))).toBe(true);
    expect(familyNames(await generatorRun('service-graphs'))).toContain('traces_service_graph_request_total');

    const istioOnly = registeredFamilies(await generatorRun('istio'));
    expect(istioOnly.every((n) => n.startsWith('istio_'))).toBe(true);
    expect(istioOnly.length).toBeGreaterThan(0);
  });

  it('hands the ingesters no observer for a signal none of its processors reads', () => {
    const registry = new MetricsRegistry();
    const none = new MetricsGenerator({ registry, processors: parseProcessorList('none') });
    expect(none.observeSpans).toBeUndefined();
    expect(none.observeAccessLogs).toBeUndefined();
    expect(registeredFamilies(registry)).toEqual([]);
    const istioOnly = new MetricsGenerator({ registry: new MetricsRegistry(), processors: parseProcessorList('istio') });
    expect(istioOnly.observeSpans).toBeUndefined();
    expect(istioOnly.observeAccessLogs).toBeDefined();
  });

  it('refuses an unknown processor at start-up, naming the setting and the accepted names', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig(new Map([['--metrics-generator-processors', 'span-metrics,servicegraph']]), {});
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('MESHTEL_METRICS_GENERATOR_PROCESSORS / --metrics-generator-processors');
    expect(problems[0]).toContain('unknown processor "servicegraph": expected service-graphs, span-metrics, istio, or none alone');
  });

  it('refuses an empty list and none combined with a processor', () => {
    expect(() => parseProcessorList('')).toThrow(/empty processor name/);
    expect(() => parseProcessorList('istio,,span-metrics')).toThrow(/empty processor name/);
    expect(() => parseProcessorList('none,istio')).toThrow(/cannot be combined/);
    expect(parseProcessorList('none').size).toBe(0);
    expect(loadConfig(new Map(), { MESHTEL_METRICS_GENERATOR_PROCESSORS: 'none' }).metricsGeneratorProcessors).toBe('none');
  });
});
