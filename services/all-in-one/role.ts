/**
 * all-in-one: the whole pipeline in one process with no outside dependencies — the collector's
 * receivers publish into an in-process buffer, the ingesters move spans and access logs into the
 * memory stores (deriving mesh metrics on the way) and import OTLP metrics, the query service
 * reads the stores (dependencies over roll-ups the in-process scheduler computes, trace-by-id
 * falling back to a memory archive), and the derived series are served on their own scrape endpoint (or sent with
 * remote-write when a URL is set).
 */
import { durationMs } from '../../shared/config/duration-setting.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { asComponent } from '../../shared/model/component.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemoryGraphReader } from '../../shared/storage/memory/memory-graph-reader.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { ARCHIVE_JOB, archiveRunId } from '../../shared/jobs/names.js';
import { InProcessScheduler } from '../../shared/jobs/inprocess/inprocess-scheduler.js';
import { withArchiveFallback } from '../../shared/storage/archivestore.js';
import { MemoryArchiveStore } from '../../shared/storage/memory/memory-archive-store.js';
import { MemoryRollupStore } from '../../shared/storage/memory/memory-rollup-store.js';
import { withDependencyRollups } from '../../shared/storage/rollup-dependencies.js';
import { withGraphRollups } from '../../shared/storage/rollup-graph.js';
import { Collector } from '../collector/collector.js';
import { AccessLogIngester } from '../ingester/access-log-ingester.js';
import { buildDerivedMetrics } from '../ingester/derived-metrics.js';
import { MetricsIngester } from '../ingester/metrics-ingester.js';
import { SpanIngester } from '../ingester/span-ingester.js';
import { ArchiveJob } from '../jobs/archive-job.js';
import { JobMetrics } from '../jobs/job-metrics.js';
import { registerJobs, type JobParts } from '../jobs/jobs.js';
import { RollupJob } from '../jobs/rollup-job.js';
import { QueryService } from '../query/query-service.js';
import {
  collectorConfigFromConfig,
  graphHealthFromConfig,
  inProcessBufferSettingsFromConfig,
  listenerSecurityFromConfig,
  memoryAccessLogStoreSettingsFromConfig,
  memorySpanStoreSettingsFromConfig,
  querySettingsFromConfig,
} from '../component-options.js';
import { TempoService } from '../query/tempo/tempo-service.js';
import type { RoleBuilder } from '../role.js';
import { createBufferMetrics } from '../../shared/buffer/buffer-metrics.js';
import { createMemoryStoreMetrics } from '../../shared/storage/memory/memory-store-metrics.js';
import { createStoreMetrics } from '../../shared/storage/store-metrics.js';
import { createReceiverMetrics } from '../collector/receiver-metrics.js';
import { createIngesterMetrics } from '../ingester/ingester-metrics.js';

export const buildAllInOne: RoleBuilder = ({ config, logger, registry }) => {
  const bufferMetrics = createBufferMetrics(registry);
  const storeMetrics = { ...createStoreMetrics(registry), ...createMemoryStoreMetrics(registry) };
  const metrics = { ...createIngesterMetrics(registry), ...bufferMetrics };
  const buffer = new InProcessBuffer({ ...inProcessBufferSettingsFromConfig(config), metrics: bufferMetrics, logger: logger.child({ component: 'buffer' }) });
  const spanStore = new MemorySpanStore({ ...memorySpanStoreSettingsFromConfig(config), metrics: storeMetrics });
  const accessLogStore = new MemoryAccessLogStore({ ...memoryAccessLogStoreSettingsFromConfig(config), metrics: storeMetrics });
  const derived = buildDerivedMetrics(config, { selfMetrics: registry, logger }, 'exposition')!;
  const ingesterLogger = logger.child({ component: 'ingester' });
  const spanIngester = new SpanIngester({ buffer, writer: spanStore, metrics, logger: ingesterLogger, observe: derived.generator.observeSpans });
  const accessLogIngester = new AccessLogIngester({
    buffer, writer: accessLogStore, metrics, logger: ingesterLogger, observe: derived.generator.observeAccessLogs,
  });
  const metricsIngester = new MetricsIngester({ buffer, metrics, logger: ingesterLogger, registry: derived.registry });
  const collector = new Collector({
    config: collectorConfigFromConfig(config),
    buffer,
    metrics: createReceiverMetrics(registry),
    logger: logger.child({ component: 'collector' }),
    security: listenerSecurityFromConfig(config, 'receiver', logger),
  });
  // Jobs on the in-process scheduler: roll-ups into memory, archiving into a memory archive.
  const rollups = new MemoryRollupStore();
  const archive = new MemoryArchiveStore();
  const scheduler = new InProcessScheduler();
  const graphReader = new MemoryGraphReader({ spans: spanStore, accessLogs: accessLogStore, naming: config.meshServiceNaming });
  const jobParts: JobParts = {
    rollup: new RollupJob({ source: spanStore, graph: graphReader, store: rollups, latenessMs: durationMs(config.rollupLateness), backfillMs: durationMs(config.rollupBackfill) }),
    archive: new ArchiveJob({ source: spanStore, archive }),
  };
  const jobNames = registerJobs(scheduler, jobParts, { concurrency: config.jobsConcurrency, schedules: { rollup: config.rollupSchedule } }, new JobMetrics(registry));
  const querySecurity = listenerSecurityFromConfig(config, 'query', logger);
  const query = new QueryService({
    ...querySettingsFromConfig(config),
    host: config.host,
    reader: withArchiveFallback(withDependencyRollups(spanStore, rollups), archive),
    enqueueArchive: (traceId) => scheduler.enqueue(ARCHIVE_JOB, { traceId }, { runId: archiveRunId(traceId) }),
    jobStatus: () => scheduler.status(jobNames),
    accessLogReader: accessLogStore,
    graph: {
      reader: withGraphRollups(graphReader, rollups),
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
    logger: logger.child({ component: 'tempo' }),
  });
  return {
    // Stopped in reverse: receivers first, then the buffer drains through the ingesters into the
    // stores and the registry, the generator settles pending edges, and the sink flushes last.
    components: [
      asComponent('span-store', spanStore),
      asComponent('accesslog-store', accessLogStore),
      derived.sink,
      derived.generator,
      asComponent('buffer', buffer),
      spanIngester,
      accessLogIngester,
      metricsIngester,
      { name: 'job-scheduler', start: () => scheduler.start(), stop: () => scheduler.stop() },
      query,
      tempo,
      collector,
    ],
    checks: [
      { name: 'buffer', check: () => buffer.isReady() },
      { name: 'span-store', check: () => spanStore.isReady() },
      { name: 'accesslog-store', check: () => accessLogStore.isReady() },
      { name: 'metrics-sink', check: () => derived.sink.isReady() },
    ],
    endpoints: () => ({ ...collector.endpoints(), query: `${config.host}:${query.port}`, tempo: `${config.host}:${tempo.port}`, metrics: derived.describe() }),
  };
};
