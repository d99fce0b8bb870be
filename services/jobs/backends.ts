/**
 * What the jobs role and `meshtel jobs run` / `meshtel dlq` work on, built from the settings:
 * the Elasticsearch span store (read), roll-up and archive stores, retention over the same
 * indices, the dead-letter topic and the Redis connection that records replays.
 */
import { durationMs } from '../../shared/config/duration-setting.js';
import { Redis } from 'ioredis';
import { parseBrokerList } from '../../shared/buffer/kafka/kafka-options.js';
import { asComponent, type Component } from '../../shared/model/component.js';
import { ElasticsearchGraphReader } from '../../shared/storage/elasticsearch/graph-reader.js';
import { ElasticsearchArchiveStore } from '../../shared/storage/elasticsearch/archive-store.js';
import { ElasticsearchRollupStore } from '../../shared/storage/elasticsearch/rollup-store.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { ElasticsearchMetrics } from '../../shared/storage/elasticsearch/elasticsearch-metrics.js';
import type { StoreMetrics } from '../../shared/storage/store-metrics.js';
import { elasticsearchOptionsFromConfig } from '../component-options.js';
import type { MeshtelConfig } from '../settings.js';
import { ArchiveJob } from './archive-job.js';
import { DeadLetterQueue } from './dead-letter-replay.js';
import type { JobParts } from './jobs.js';
import { RetentionJob } from './retention-job.js';
import { RollupJob } from './rollup-job.js';

export interface JobBackends {
  readonly parts: JobParts;
  readonly dlq: DeadLetterQueue;
  readonly spanStore: ElasticsearchSpanStore;
  readonly redis: Redis;
  /** Started in order, stopped in reverse. */
  readonly components: Component[];
}

export function dlqStagesOf(config: Pick<MeshtelConfig, 'dlqReplayStages'>): string[] {
  return config.dlqReplayStages.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

export function buildJobBackends(config: MeshtelConfig, deps: { metrics?: StoreMetrics & ElasticsearchMetrics; logger: Logger }): JobBackends {
  const { logger } = deps;
  const spanStore = new ElasticsearchSpanStore({ ...elasticsearchOptionsFromConfig(config), ...(deps.metrics && { metrics: deps.metrics }), logger });
  const client = spanStore.client;
  const rollups = new ElasticsearchRollupStore({ client, indexPrefix: config.esIndexPrefix, replicas: config.esReplicas, logger });
  const archive = new ElasticsearchArchiveStore({ client, indexPrefix: config.esIndexPrefix, shards: 1, replicas: config.esReplicas, logger });
  // Commands fail fast on a Redis that is down instead of queueing commands for ever.
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const dlq = new DeadLetterQueue({
    brokers: parseBrokerList(config.kafkaBrokers),
    clientId: config.kafkaClientId,
    topicPrefix: config.kafkaTopicPrefix,
    redis,
    redisPrefix: config.redisPrefix,
    ratePerSecond: config.dlqReplayRate,
    logger: logger.child({ component: 'dlq' }),
  });
  const parts: JobParts = {
    rollup: new RollupJob({
      source: spanStore,
      graph: new ElasticsearchGraphReader({ client, indexPrefix: config.esIndexPrefix }),
      store: rollups, latenessMs: durationMs(config.rollupLateness), backfillMs: durationMs(config.rollupBackfill) }),
    archive: new ArchiveJob({ source: spanStore, archive }),
    retention: new RetentionJob({
      client,
      indexPrefix: config.esIndexPrefix,
      days: {
        spans: config.retentionSpansDays,
        services: config.retentionServicesDays,
        accesslogs: config.retentionAccessLogsDays,
        dependencies: config.retentionRollupsDays,
      },
    }),
    dlq: { queue: dlq, filter: { stages: dlqStagesOf(config) } },
  };
  return {
    parts,
    dlq,
    spanStore,
    redis,
    components: [
      asComponent('span-store', spanStore),
      asComponent('rollup-store', rollups),
      asComponent('archive-store', archive),
      { name: 'redis', start: () => redis.connect(), stop: async () => void (await redis.quit().catch(() => redis.disconnect())) },
    ],
  };
}
