/** query: the Jaeger API over Elasticsearch. Stateless; run as many as the load needs. */
import { asComponent } from '../../shared/model/component.js';
import { elasticsearchOptionsFromConfig } from '../../shared/storage/elasticsearch/options.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import type { RoleBuilder } from '../role.js';
import { QueryService } from './query-service.js';

export const buildQueryRole: RoleBuilder = ({ config, logger, metrics }) => {
  const store = new ElasticsearchSpanStore({ ...elasticsearchOptionsFromConfig(config), metrics, logger });
  const query = new QueryService({
    host: config.host,
    port: config.queryPort,
    reader: store,
    defaultLimit: config.queryDefaultLimit,
    maxLimit: config.queryMaxLimit,
    logger: logger.child({ component: 'query' }),
  });
  return {
    components: [asComponent('span-store', store), query],
    checks: [{ name: 'elasticsearch', check: () => store.isReady() }],
    endpoints: () => ({ query: `${config.host}:${query.port}` }),
  };
};
