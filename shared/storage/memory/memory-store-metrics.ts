/**
 * meshtel's own metrics of one component. The memory stores: what they hold and what they evicted to stay within their limits.
 * Registered on the role's registry; asking twice for the same registry returns the same metrics.
 */
import type { Registry } from 'prom-client';
import { counter, gauge } from '../../telemetry/metrics.js';

export function createMemoryStoreMetrics(registry: Registry) {
  return {
    storeSpans: gauge(registry, {
      name: 'meshtel_store_spans',
      help: 'Spans currently held by the span store (memory store only).',
    }),
    storeBytes: gauge(registry, {
      name: 'meshtel_store_bytes',
      help: 'Estimated bytes held by the span store (memory store only).',
    }),
    storeTracesEvicted: counter(registry, {
      name: 'meshtel_store_traces_evicted_total',
      help: 'Traces evicted (oldest first) to stay within the memory store limits.',
    }),
    storeSpansEvicted: counter(registry, {
      name: 'meshtel_store_spans_evicted_total',
      help: 'Spans evicted with their traces to stay within the memory store limits.',
    }),
    storeAccessLogs: gauge(registry, {
      name: 'meshtel_store_accesslogs',
      help: 'Access-log records currently held by the access-log store (memory store only).',
    }),
    storeAccessLogsEvicted: counter(registry, {
      name: 'meshtel_store_accesslogs_evicted_total',
      help: 'Access-log records evicted (oldest written first) to stay within the memory store limits.',
    }),
  };
}

export type MemoryStoreMetrics = ReturnType<typeof createMemoryStoreMetrics>;
