/**
 * query: the Jaeger API, the Tempo API and the access-log API over Elasticsearch. Stateless; run
 * as many as the load needs. Dependencies come from the jobs role's roll-ups where final,
 * trace-by-id falls back to the trace archive, and POST /api/archive queues the archive job on Redis.
 */
import { asComponent } from '../../shared/model/component.js';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { ElasticsearchGraphReader } from '../../shared/storage/elasticsearch/graph-reader.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { createElasticsearchMetrics } from '../../shared/storage/elasticsearch/elasticsearch-metrics.js';
import { createStoreMetrics } from '../../shared/storage/store-metrics.js';
import {
  elasticsearchAccessLogOptionsFromConfig,
  elasticsearchOptionsFromConfig,
  graphHealthFromConfig,
  listenerSecurityFromConfig,
  querySettingsFromConfig,
} from '../component-options.js';
import { ARCHIVE_JOB, archiveRunId, JOB_NAMES } from '../../shared/jobs/names.js';
import { BullmqScheduler } from '../../shared/jobs/bullmq/bullmq-scheduler.js';
import { withArchiveFallback } from '../../shared/storage/archivestore.js';
import { ElasticsearchArchiveStore } from '../../shared/storage/elasticsearch/archive-store.js';
import { ElasticsearchRollupStore } from '../../shared/storage/elasticsearch/rollup-store.js';
import { withDependencyRollups } from '../../shared/storage/rollup-dependencies.js';
import { withGraphRollups } from '../../shared/storage/rollup-graph.js';
import type { RoleBuilder } from '../role.js';
import { QueryService } from './query-service.js';
import { TempoService } from './tempo/tempo-service.js';

export const buildQueryRole: RoleBuilder = ({ config, logger, registry }) => {
  const metrics = { ...createStoreMetrics(registry), ...createElasticsearchMetrics(registry) };
  const spanStore = new ElasticsearchSpanStore({ ...elasticsearchOptionsFromConfig(config), metrics, logger });
  const accessLogStore = new ElasticsearchAccessLogStore({ ...elasticsearchAccessLogOptionsFromConfig(config), metrics, logger });
  // Read-only here: the jobs role installs the roll-up template and creates the archive index.
  const rollups = new ElasticsearchRollupStore({ client: spanStore.client, indexPrefix: config.esIndexPrefix });
  const archive = new ElasticsearchArchiveStore({ client: spanStore.client, indexPrefix: config.esIndexPrefix });
  // Enqueue-only (no jobs registered): connects to Redis on the first archive request.
  let jobQueue: BullmqScheduler | undefined;
  const jobs = () => (jobQueue ??= new BullmqScheduler({ redisUrl: config.redisUrl, prefix: config.redisPrefix, logger }));
  const enqueueArchive = (traceId: string) => jobs().enqueue(ARCHIVE_JOB, { traceId }, { runId: archiveRunId(traceId) });
  const jobStatus = () => withTimeout(jobs().status(JOB_NAMES), 5000, 'Redis did not answer the job status');
  const querySecurity = listenerSecurityFromConfig(config, 'query', logger);
  const query = new QueryService({
    ...querySettingsFromConfig(config),
    host: config.host,
    reader: withArchiveFallback(withDependencyRollups(spanStore, rollups), archive),
    enqueueArchive,
    jobStatus,
    accessLogReader: accessLogStore,
    graph: {
      reader: withGraphRollups(new ElasticsearchGraphReader({ client: accessLogStore.client, indexPrefix: config.esIndexPrefix }), rollups),
      health: graphHealthFromConfig(config),
    },
    logger: logger.child({ component: 'query' }),
    security: querySecurity,
  });
  const tempo = new TempoService({
    security: querySecurity,
    host: config.host,
    port: config.tempoPort,
    reader: spanStore,
    isReady: () => spanStore.isReady(),
    logger: logger.child({ component: 'tempo' }),
  });
  return {
    components: [
      asComponent('span-store', spanStore),
      asComponent('accesslog-store', accessLogStore),
      { name: 'job-queue', start: async () => {}, stop: async () => jobQueue?.stop() },
      query,
      tempo,
    ],
    checks: [{ name: 'elasticsearch', check: async () => (await spanStore.isReady()) && (await accessLogStore.isReady()) }],
    endpoints: () => ({ query: `${config.host}:${query.port}`, tempo: `${config.host}:${tempo.port}` }),
  };
};

/** bullmq's connections retry for ever; a status request must not hang while Redis is down. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  p.catch(() => undefined);
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
