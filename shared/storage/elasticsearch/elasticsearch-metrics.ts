/**
 * meshtel's own metrics of one component. The Elasticsearch stores: bulk latency, items by outcome, failed requests.
 * Registered on the role's registry; asking twice for the same registry returns the same metrics.
 */
import type { Registry } from 'prom-client';
import { counter, histogram } from '../../telemetry/metrics.js';

export function createElasticsearchMetrics(registry: Registry) {
  return {
    esBulkDuration: histogram(registry, {
      name: 'meshtel_es_bulk_duration_seconds',
      help: 'Elasticsearch bulk request latency, one observation per HTTP request (retries observed separately).',
      labelNames: ['signal'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    esBulkItems: counter(registry, {
      name: 'meshtel_es_bulk_items_total',
      help: 'Bulk items by outcome: stored, retried (transient failure, sent again) or rejected (permanent, dead-lettered).',
      labelNames: ['signal', 'result'] as const,
    }),
    esBulkFailures: counter(registry, {
      name: 'meshtel_es_bulk_failures_total',
      help: 'Whole bulk requests that failed (connection, timeout, HTTP error), by reason; retried until the attempts run out.',
      labelNames: ['signal', 'reason'] as const,
    }),
  };
}

export type ElasticsearchMetrics = ReturnType<typeof createElasticsearchMetrics>;
