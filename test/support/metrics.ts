/**
 * Every component's self-metric set on one registry, for tests that hand one object to several
 * components and read the counters back (each component takes just its own set; this composite
 * satisfies all of them).
 */
import type { Registry } from 'prom-client';
import { createBufferMetrics } from '../../shared/buffer/buffer-metrics.js';
import { createKafkaMetrics } from '../../shared/buffer/kafka/kafka-metrics.js';
import { createRemoteWriteMetrics } from '../../shared/metrics/remote-write/remote-write-metrics.js';
import { createSeriesLimitMetrics } from '../../shared/metrics/series-limit-metrics.js';
import { createElasticsearchMetrics } from '../../shared/storage/elasticsearch/elasticsearch-metrics.js';
import { createMemoryStoreMetrics } from '../../shared/storage/memory/memory-store-metrics.js';
import { createStoreMetrics } from '../../shared/storage/store-metrics.js';
import { createSelfMetricsRegistry } from '../../shared/telemetry/metrics.js';
import { createReceiverMetrics } from '../../services/collector/receiver-metrics.js';
import { createIngesterMetrics } from '../../services/ingester/ingester-metrics.js';

export function createMetrics(registry: Registry = createSelfMetricsRegistry()) {
  return {
    registry,
    ...createReceiverMetrics(registry),
    ...createBufferMetrics(registry),
    ...createKafkaMetrics(registry),
    ...createIngesterMetrics(registry),
    ...createStoreMetrics(registry),
    ...createMemoryStoreMetrics(registry),
    ...createElasticsearchMetrics(registry),
    ...createRemoteWriteMetrics(registry),
    ...createSeriesLimitMetrics(registry),
  };
}

export type MeshtelMetrics = ReturnType<typeof createMetrics>;
