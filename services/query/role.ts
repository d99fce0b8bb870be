/** query: the Jaeger API and the access-log API over Elasticsearch. Stateless; run as many as the load needs. */
import { asComponent } from '../../shared/model/component.js';
import { elasticsearchAccessLogOptionsFromConfig } from '../../shared/storage/elasticsearch/accesslog-options.js';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { elasticsearchOptionsFromConfig } from '../../shared/storage/elasticsearch/options.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import type { RoleBuilder } from '../role.js';
import { QueryService } from './query-service.js';

export const buildQueryRole: RoleBuilder = ({ config, logger, metrics }) => {
  const spanStore = new ElasticsearchSpanStore({ ...elasticsearchOptionsFromConfig(config), metrics, logger });
  const accessLogStore = new ElasticsearchAccessLogStore({ ...elasticsearchAccessLogOptionsFromConfig(config), metrics, logger });
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
    components: [asComponent('span-store', spanStore), asComponent('accesslog-store', accessLogStore), query],
    checks: [{ name: 'elasticsearch', check: async () => (await spanStore.isReady()) && (await accessLogStore.isReady()) }],
    endpoints: () => ({ query: `${config.host}:${query.port}` }),
  };
};
