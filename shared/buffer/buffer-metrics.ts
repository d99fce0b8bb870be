/**
 * meshtel's own metrics of one component. Every buffer (in-process or Kafka): fill and traffic per topic.
 * Registered on the role's registry; asking twice for the same registry returns the same metrics.
 */
import type { Registry } from 'prom-client';
import { counter, gauge } from '../telemetry/metrics.js';

export function createBufferMetrics(registry: Registry) {
  return {
    bufferBytes: gauge(registry, {
      name: 'meshtel_buffer_bytes',
      help: 'Bytes held by the buffer and not yet consumed.',
    }),
    bufferCapacityBytes: gauge(registry, {
      name: 'meshtel_buffer_capacity_bytes',
      help: 'Configured buffer capacity.',
    }),
    bufferRecordsPublished: counter(registry, {
      name: 'meshtel_buffer_records_published_total',
      help: 'Records durably taken by the buffer.',
      labelNames: ['topic'] as const,
    }),
    bufferRecordsConsumed: counter(registry, {
      name: 'meshtel_buffer_records_consumed_total',
      help: 'Records handed to a consumer whose handler succeeded.',
      labelNames: ['topic'] as const,
    }),
    bufferHandlerFailures: counter(registry, {
      name: 'meshtel_buffer_handler_failures_total',
      help: 'Batches whose consumer handler rejected; their records are delivered again.',
      labelNames: ['topic'] as const,
    }),
  };
}

export type BufferMetrics = ReturnType<typeof createBufferMetrics>;
