/**
 * all-in-one: the whole pipeline in one process with no outside dependencies — the collector's
 * receivers publish into an in-process buffer, the span ingester moves spans into the memory
 * store, and the query service reads from it.
 */
import { asComponent } from '../../shared/model/component.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { Collector } from '../collector/collector.js';
import { SpanIngester } from '../ingester/span-ingester.js';
import { QueryService } from '../query/query-service.js';
import type { RoleBuilder } from '../role.js';

export const buildAllInOne: RoleBuilder = ({ config, logger, metrics }) => {
  const buffer = new InProcessBuffer({ capacityBytes: config.bufferMaxBytes, metrics, logger: logger.child({ component: 'buffer' }) });
  const store = new MemorySpanStore({ maxSpans: config.memoryMaxSpans, maxBytes: config.memoryMaxBytes, metrics });
  const ingester = new SpanIngester({ buffer, writer: store, metrics, logger: logger.child({ component: 'ingester' }) });
  const collector = new Collector({ config, buffer, metrics, logger: logger.child({ component: 'collector' }) });
  const query = new QueryService({
    host: config.host,
    port: config.queryPort,
    reader: store,
    defaultLimit: config.queryDefaultLimit,
    maxLimit: config.queryMaxLimit,
    logger: logger.child({ component: 'query' }),
  });
  return {
    // Stopped in reverse: receivers first, then the buffer drains through the ingester into the store.
    components: [asComponent('span-store', store), asComponent('buffer', buffer), ingester, query, collector],
    checks: [
      { name: 'buffer', check: () => buffer.isReady() },
      { name: 'span-store', check: () => store.isReady() },
    ],
    endpoints: () => ({ ...collector.endpoints(), query: `${config.host}:${query.port}` }),
  };
};
