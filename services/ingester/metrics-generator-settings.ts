/**
 * The metrics generator's settings: which processors run, the service graph's wait window and the
 * span metrics' extra dimensions (as text), each the deriver's own field and default.
 */
import { z } from 'zod';
import { serviceGraphSettings } from '../../shared/metrics/servicegraph/service-graph-settings.js';
import { dimensionListText } from '../../shared/metrics/spanmetrics/span-metrics-settings.js';

/**
 * The processors, named as Tempo's metrics-generator names its own (`service-graphs`,
 * `span-metrics`), plus `istio`: Istio standard metrics from access logs.
 */
export const METRICS_GENERATOR_PROCESSORS = ['service-graphs', 'span-metrics', 'istio'] as const;

export type MetricsGeneratorProcessor = (typeof METRICS_GENERATOR_PROCESSORS)[number];

const NO_PROCESSORS = 'none';

/**
 * `service-graphs,span-metrics,istio` (any subset, any order) or `none`, as a set. Throws naming
 * the unknown entry and the accepted names; an empty list is refused rather than read as `none`,
 * so an empty variable or a flag without a value does not switch every processor off unnoticed.
 */
export function parseProcessorList(text: string): ReadonlySet<MetricsGeneratorProcessor> {
  const names = text.split(',').map((n) => n.trim());
  if (names.length === 1 && names[0] === NO_PROCESSORS) return new Set();
  const accepted = `${METRICS_GENERATOR_PROCESSORS.join(', ')}, or ${NO_PROCESSORS} alone`;
  const out = new Set<MetricsGeneratorProcessor>();
  for (const name of names) {
    if (name === '') throw new Error(`empty processor name in "${text}": expected a comma-separated list of ${accepted}`);
    if (name === NO_PROCESSORS) throw new Error(`"${NO_PROCESSORS}" cannot be combined with other processors`);
    const known = METRICS_GENERATOR_PROCESSORS.find((p) => p === name);
    if (known === undefined) throw new Error(`unknown processor "${name}": expected ${accepted}`);
    out.add(known);
  }
  return out;
}

/** The processor list as text; checked when validated, so a wrong name fails start-up naming its setting. */
const processorListText = z.string().superRefine((text, ctx) => {
  try {
    parseProcessorList(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
  }
});

export const metricsGeneratorSettings = z.object({
  /** Default: every processor, the behaviour before the switch existed. */
  processors: processorListText.default(METRICS_GENERATOR_PROCESSORS.join(',')),
  serviceGraphWaitMs: serviceGraphSettings.shape.waitMs,
  spanMetricsDimensions: dimensionListText,
});
