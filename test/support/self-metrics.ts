/** Reading meshtel's own prom-client metrics in tests. */
import type { MeshtelMetrics } from './metrics.js';

interface ReadableMetric {
  get(): Promise<{ values: ReadonlyArray<{ labels: object; value: number }> }>;
}

/**
 * Sum of a self-metric's series whose labels include every given label (0 when none exists
 * yet); with the full label set that is the one series' value.
 */
export async function counterValue(metrics: MeshtelMetrics, name: keyof MeshtelMetrics, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics[name] as unknown as ReadableMetric;
  return sumMatching(metric, labels);
}

/** The same, looked up by exposition name (e.g. meshtel_remote_write_samples_sent_total). */
export async function metricValueByName(metrics: MeshtelMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return sumMatching(metric as unknown as ReadableMetric, labels);
}

async function sumMatching(metric: ReadableMetric, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}
