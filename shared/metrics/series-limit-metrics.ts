/**
 * meshtel's own metrics of one component. The derived-metrics registry: label sets folded into overflow series.
 * Registered on the role's registry; asking twice for the same registry returns the same metrics.
 */
import type { Registry } from 'prom-client';
import { counter } from '../telemetry/metrics.js';

export function createSeriesLimitMetrics(registry: Registry) {
  return {
    derivedSeriesOverflow: counter(registry, {
      name: 'meshtel_derived_series_overflow_total',
      help: 'New label sets of a derived metric folded into its overflow series because the metric was at its series limit.',
      labelNames: ['metric'] as const,
    }),
  };
}

export type SeriesLimitMetrics = ReturnType<typeof createSeriesLimitMetrics>;
