/** collector: OTLP receivers in front of Kafka. Stateless; run as many as the load needs. */
import { KafkaBuffer } from '../../shared/buffer/kafka/kafka-buffer.js';
import { kafkaBufferOptionsFromConfig } from '../../shared/buffer/kafka/kafka-options.js';
import { startInBackground } from '../../shared/model/start-in-background.js';
import type { RoleBuilder } from '../role.js';
import { Collector } from './collector.js';

export const buildCollectorRole: RoleBuilder = ({ config, logger, metrics }) => {
  const buffer = new KafkaBuffer({ ...kafkaBufferOptionsFromConfig(config), logger, metrics });
  const collector = new Collector({ config, buffer, metrics, logger: logger.child({ component: 'collector' }) });
  return {
    // Stopped in reverse: receivers stop taking requests, then the producer flushes and disconnects.
    // Kafka unreachable at start: the collector still starts, not ready, and keeps trying.
    components: [startInBackground('kafka-buffer', buffer, { logger }), collector],
    checks: [{ name: 'kafka', check: () => buffer.isReady() }],
    endpoints: () => collector.endpoints(),
  };
};
