/**
 * all-in-one: the whole pipeline in one process with no outside dependencies — the collector's
 * receivers publish into an in-process buffer, the ingesters move spans and access logs into the
 * memory stores (deriving mesh metrics on the way) and import OTLP metrics, the query service
 * reads the stores, and the derived series are served on their own scrape endpoint (or sent with
 * remote-write when a URL is set).
 */
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { asComponent } from '../../shared/model/component.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { Collector } from '../collector/collector.js';
import { AccessLogIngester } from '../ingester/access-log-ingester.js';
import { buildDerivedMetrics } from '../ingester/derived-metrics.js';
import { MetricsIngester } from '../ingester/metrics-ingester.js';
import { SpanIngester } from '../ingester/span-ingester.js';
import { QueryService } from '../query/query-service.js';
import type { RoleBuilder } from '../role.js';

export const buildAllInOne: RoleBuilder = ({ config, logger, metrics }) => {
  const buffer = new InProcessBuffer({ capacityBytes: config.bufferMaxBytes, metrics, logger: logger.child({ component: 'buffer' }) });
  const spanStore = new MemorySpanStore({ maxSpans: config.memoryMaxSpans, maxBytes: config.memoryMaxBytes, metrics });
  const accessLogStore = new MemoryAccessLogStore({ maxRecords: config.memoryMaxAccessLogs, maxBytes: config.memoryMaxAccessLogBytes, metrics });
  const derived = buildDerivedMetrics(config, { metrics, logger }, 'exposition')!;
  const ingesterLogger = logger.child({ component: 'ingester' });
  const spanIngester = new SpanIngester({ buffer, writer: spanStore, metrics, logger: ingesterLogger, observe: derived.generator.observeSpans });
  const accessLogIngester = new AccessLogIngester({
    buffer, writer: accessLogStore, metrics, logger: ingesterLogger, observe: derived.generator.observeAccessLogs,
  });
  const metricsIngester = new MetricsIngester({ buffer, metrics, logger: ingesterLogger, registry: derived.registry });
  const collector = new Collector({ config, buffer, metrics, logger: logger.child({ component: 'collector' }) });
  const query = new QueryService({
    host: config.host,
    port: config.queryPort,
    reader: spanStore,
    accessLogReader: accessLogStore,
    defaultLimit: config.queryDefaultLimit,
    maxLimit: config.queryMaxLimit,
    maxResponseBytes: config.queryMaxResponseBytes,
    logger: logger.child({ component: 'query' }),
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
      query,
      collector,
    ],
    checks: [
      { name: 'buffer', check: () => buffer.isReady() },
      { name: 'span-store', check: () => spanStore.isReady() },
      { name: 'accesslog-store', check: () => accessLogStore.isReady() },
      { name: 'metrics-sink', check: () => derived.sink.isReady() },
    ],
    endpoints: () => ({ ...collector.endpoints(), query: `${config.host}:${query.port}`, metrics: derived.describe() }),
  };
};
