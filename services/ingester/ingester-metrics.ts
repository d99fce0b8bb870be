/**
 * meshtel's own metrics of one component. The ingesters: records they could not process.
 * Registered on the role's registry; asking twice for the same registry returns the same metrics.
 */
import type { Registry } from 'prom-client';
import { counter } from '../../shared/telemetry/metrics.js';

export function createIngesterMetrics(registry: Registry) {
  return {
    recordsDeadLettered: counter(registry, {
      name: 'meshtel_ingester_records_dead_lettered_total',
      help: 'Buffer records sent to the dead-letter topic, by the stage that could not process them (decode, store).',
      labelNames: ['stage'] as const,
    }),
  };
}

export type IngesterMetrics = ReturnType<typeof createIngesterMetrics>;
