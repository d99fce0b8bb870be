/**
 * meshtel's own metrics of one component. The Kafka buffer: produce latency and errors, consumer lag.
 * Registered on the role's registry; asking twice for the same registry returns the same metrics.
 */
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../../telemetry/metrics.js';

export function createKafkaMetrics(registry: Registry) {
  return {
    kafkaProduceDuration: histogram(registry, {
      name: 'meshtel_kafka_produce_duration_seconds',
      help: 'Time for one Kafka produce (one sendBatch holding one or more publish calls) to be acknowledged by all in-sync replicas.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    kafkaProduceErrors: counter(registry, {
      name: 'meshtel_kafka_produce_errors_total',
      help: 'Publish calls refused by the Kafka buffer, by reason: timeout (bounded wait expired), send_failed (the producer gave up), full (in-flight bytes at capacity), stopped.',
      labelNames: ['reason'] as const,
    }),
    kafkaRecordsProduced: counter(registry, {
      name: 'meshtel_kafka_records_produced_total',
      help: 'Kafka records acknowledged by the broker, by logical topic; fewer than meshtel_buffer_records_published_total where records of one partition were packed into one.',
      labelNames: ['topic'] as const,
    }),
    kafkaConsumerLag: gauge(registry, {
      name: 'meshtel_kafka_consumer_lag',
      help: 'Records in a partition not yet committed by the consumer group (high watermark minus committed offset).',
      labelNames: ['topic', 'partition'] as const,
      // Every member of the group reads the group's lag of every partition from the broker: when
      // several processes' metrics are added up (ingester --workers), the lag is one of them, not the sum.
      aggregator: 'max',
    }),
  };
}

export type KafkaMetrics = ReturnType<typeof createKafkaMetrics>;
