/**
 * meshtel's own metrics of one component. The remote-write sink: queue, samples sent and dropped, request latency and failures.
 * Registered on the role's registry; asking twice for the same registry returns the same metrics.
 */
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../../telemetry/metrics.js';

export function createRemoteWriteMetrics(registry: Registry) {
  return {
    remoteWriteQueueSamples: gauge(registry, {
      name: 'meshtel_remote_write_queue_samples',
      help: 'Derived-metric samples queued for remote-write, including the batch being sent.',
    }),
    remoteWriteSamplesSent: counter(registry, {
      name: 'meshtel_remote_write_samples_sent_total',
      help: 'Samples the remote-write receiver acknowledged (2xx).',
    }),
    remoteWriteSamplesDropped: counter(registry, {
      name: 'meshtel_remote_write_samples_dropped_total',
      help: 'Samples never delivered, by reason: queue_full (oldest dropped), rejected (non-retryable 4xx), invalid (bad name or labels), out_of_order (older than a sample already sent), shutdown (still queued when stop timed out).',
      labelNames: ['reason'] as const,
    }),
    remoteWriteSendDuration: histogram(registry, {
      name: 'meshtel_remote_write_send_duration_seconds',
      help: 'Duration of one remote-write HTTP request (each retry observed separately).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    remoteWriteFailures: counter(registry, {
      name: 'meshtel_remote_write_failures_total',
      help: 'Remote-write requests that failed, by HTTP status (or network / timeout); 5xx, 429 and transport failures are retried.',
      labelNames: ['status'] as const,
    }),
  };
}

export type RemoteWriteMetrics = ReturnType<typeof createRemoteWriteMetrics>;
