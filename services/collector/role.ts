/** collector: OTLP receivers in front of Kafka. Stateless; run as many as the load needs. */
import { KafkaBuffer } from '../../shared/buffer/kafka/kafka-buffer.js';
import { kafkaBufferOptionsFromConfig } from '../../shared/buffer/kafka/kafka-options.js';
import { asComponent } from '../../shared/model/component.js';
import { listenerSecurityFromConfig } from '../../shared/security/from-config.js';
import type { RoleBuilder } from '../role.js';
import { Collector } from './collector.js';

export const buildCollectorRole: RoleBuilder = ({ config, logger, metrics }) => {
  const buffer = new KafkaBuffer({ ...kafkaBufferOptionsFromConfig(config), logger, metrics });
  const collector = new Collector({
    config, buffer, metrics, logger: logger.child({ component: 'collector' }), security: listenerSecurityFromConfig(config, 'receiver', logger),
  });
  return {
    // Stopped in reverse: receivers stop taking requests, then the producer flushes and disconnects.
    components: [asComponent('kafka-buffer', buffer), collector],
    checks: [{ name: 'kafka', check: () => buffer.isReady() }],
    endpoints: () => collector.endpoints(),
  };
};
