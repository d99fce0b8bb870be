/** ingester: one member of the Kafka consumer group, writing spans to Elasticsearch. */
import { KafkaBuffer } from '../../shared/buffer/kafka/kafka-buffer.js';
import { kafkaBufferOptionsFromConfig } from '../../shared/buffer/kafka/kafka-options.js';
import { asComponent } from '../../shared/model/component.js';
import { elasticsearchOptionsFromConfig } from '../../shared/storage/elasticsearch/options.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import type { RoleBuilder } from '../role.js';
import { SpanIngester } from './span-ingester.js';

export const buildIngesterRole: RoleBuilder = ({ config, logger, metrics }) => {
  const store = new ElasticsearchSpanStore({ ...elasticsearchOptionsFromConfig(config), metrics, logger });
  const buffer = new KafkaBuffer({ ...kafkaBufferOptionsFromConfig(config), logger, metrics });
  const ingester = new SpanIngester({ buffer, writer: store, metrics, logger: logger.child({ component: 'ingester' }) });
  return {
    // Stopped in reverse: the consumer finishes its in-flight batch and commits, then the store closes.
    components: [asComponent('span-store', store), asComponent('kafka-buffer', buffer), ingester],
    checks: [
      { name: 'kafka', check: () => buffer.isReady() },
      { name: 'elasticsearch', check: () => store.isReady() },
    ],
    endpoints: () => ({}),
  };
};
