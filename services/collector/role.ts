/** collector: OTLP receivers in front of Kafka. Stateless; run as many as the load needs. */
import { KafkaBuffer } from '../../shared/buffer/kafka/kafka-buffer.js';
import { createBufferMetrics } from '../../shared/buffer/buffer-metrics.js';
import { createKafkaMetrics } from '../../shared/buffer/kafka/kafka-metrics.js';
import { startInBackground } from '../start-in-background.js';
import { collectorConfigFromConfig, kafkaBufferOptionsFromConfig, listenerSecurityFromConfig } from '../component-options.js';
import type { RoleBuilder } from '../role.js';
import { Collector } from './collector.js';
import { createReceiverMetrics } from './receiver-metrics.js';

export const buildCollectorRole: RoleBuilder = ({ config, logger, registry }) => {
  const buffer = new KafkaBuffer({ ...kafkaBufferOptionsFromConfig(config), logger, metrics: { ...createBufferMetrics(registry), ...createKafkaMetrics(registry) } });
  const collector = new Collector({
    config: collectorConfigFromConfig(config),
    buffer,
    metrics: createReceiverMetrics(registry),
    logger: logger.child({ component: 'collector' }),
    security: listenerSecurityFromConfig(config, 'receiver', logger),
  });
  return {
    // Stopped in reverse: receivers stop taking requests, then the producer flushes and disconnects.
    // Kafka unreachable at start: the collector still starts, not ready, and keeps trying.
    components: [startInBackground('kafka-buffer', buffer, { logger }), collector],
    checks: [{ name: 'kafka', check: () => buffer.isReady() }],
    endpoints: () => collector.endpoints(),
  };
};
