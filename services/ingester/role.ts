/**
 * ingester: one member of the Kafka consumer group, writing spans and access logs to
 * Elasticsearch and, when MESHTEL_REMOTE_WRITE_URL is set, deriving mesh metrics from them and
 * importing OTLP metrics, sent with Prometheus remote-write.
 */
import { KafkaBuffer } from '../../shared/buffer/kafka/kafka-buffer.js';
import { asComponent, type Component } from '../../shared/model/component.js';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { createBufferMetrics } from '../../shared/buffer/buffer-metrics.js';
import { createKafkaMetrics } from '../../shared/buffer/kafka/kafka-metrics.js';
import { createElasticsearchMetrics } from '../../shared/storage/elasticsearch/elasticsearch-metrics.js';
import { createStoreMetrics } from '../../shared/storage/store-metrics.js';
import { elasticsearchAccessLogOptionsFromConfig, elasticsearchOptionsFromConfig, kafkaBufferOptionsFromConfig } from '../component-options.js';
import type { RoleBuilder } from '../role.js';
import { AccessLogIngester } from './access-log-ingester.js';
import { buildDerivedMetrics } from './derived-metrics.js';
import { createIngesterMetrics } from './ingester-metrics.js';
import { MetricsIngester } from './metrics-ingester.js';
import { SpanIngester } from './span-ingester.js';

export const buildIngesterRole: RoleBuilder = ({ config, logger, registry }) => {
  const storeMetrics = { ...createStoreMetrics(registry), ...createElasticsearchMetrics(registry) };
  const bufferMetrics = { ...createBufferMetrics(registry), ...createKafkaMetrics(registry) };
  const metrics = { ...createIngesterMetrics(registry), ...bufferMetrics };
  const spanStore = new ElasticsearchSpanStore({ ...elasticsearchOptionsFromConfig(config), metrics: storeMetrics, logger });
  const accessLogStore = new ElasticsearchAccessLogStore({ ...elasticsearchAccessLogOptionsFromConfig(config), metrics: storeMetrics, logger });
  const buffer = new KafkaBuffer({ ...kafkaBufferOptionsFromConfig(config), logger, metrics: bufferMetrics });
  const derived = buildDerivedMetrics(config, { selfMetrics: registry, logger }, 'none');
  if (!derived) logger.info('MESHTEL_REMOTE_WRITE_URL is not set: derived mesh metrics and OTLP metrics import are off');
  const ingesterLogger = logger.child({ component: 'ingester' });
  const spanIngester = new SpanIngester({ buffer, writer: spanStore, metrics, logger: ingesterLogger, observe: derived?.generator.observeSpans });
  const accessLogIngester = new AccessLogIngester({
    buffer, writer: accessLogStore, metrics, logger: ingesterLogger, observe: derived?.generator.observeAccessLogs,
  });
  const metricsParts: Component[] = derived ? [derived.sink, derived.generator] : [];
  const metricsIngester = derived ? [new MetricsIngester({ buffer, metrics, logger: ingesterLogger, registry: derived.registry })] : [];
  return {
    // Stopped in reverse: the consumers finish their in-flight batches and commit, the generator
    // settles, the sink flushes, then the stores close.
    components: [
      asComponent('span-store', spanStore),
      asComponent('accesslog-store', accessLogStore),
      ...metricsParts,
      asComponent('kafka-buffer', buffer),
      spanIngester,
      accessLogIngester,
      ...metricsIngester,
    ],
    checks: [
      { name: 'kafka', check: () => buffer.isReady() },
      { name: 'elasticsearch', check: async () => (await spanStore.isReady()) && (await accessLogStore.isReady()) },
      ...(derived ? [{ name: 'remote-write', check: () => derived.sink.isReady() }] : []),
    ],
    endpoints: (): Record<string, string> => (derived ? { metrics: derived.describe() } : {}),
  };
};
