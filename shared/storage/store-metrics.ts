/**
 * meshtel's own metrics of one component. Every span and access-log store: what was written, by store.
 * Registered on the role's registry; asking twice for the same registry returns the same metrics.
 */
import type { Registry } from 'prom-client';
import { counter } from '../telemetry/metrics.js';

export function createStoreMetrics(registry: Registry) {
  return {
    spansWritten: counter(registry, {
      name: 'meshtel_store_spans_written_total',
      help: 'Spans written to the span store.',
      labelNames: ['store'] as const,
    }),
    accessLogsWritten: counter(registry, {
      name: 'meshtel_store_accesslogs_written_total',
      help: 'Access-log records (and plain log records) written to the access-log store.',
      labelNames: ['store'] as const,
    }),
  };
}

export type StoreMetrics = ReturnType<typeof createStoreMetrics>;
