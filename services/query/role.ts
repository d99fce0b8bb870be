/** query: the Jaeger API, the Tempo API and the access-log API over Elasticsearch. Stateless; run as many as the load needs. */
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
import type { RoleBuilder } from '../role.js';
import { QueryService } from './query-service.js';
import { TempoService } from './tempo/tempo-service.js';

export const buildQueryRole: RoleBuilder = ({ config, logger, registry }) => {
  const metrics = { ...createStoreMetrics(registry), ...createElasticsearchMetrics(registry) };
  const spanStore = new ElasticsearchSpanStore({ ...elasticsearchOptionsFromConfig(config), metrics, logger });
  const accessLogStore = new ElasticsearchAccessLogStore({ ...elasticsearchAccessLogOptionsFromConfig(config), metrics, logger });
  const querySecurity = listenerSecurityFromConfig(config, 'query', logger);
  const query = new QueryService({
    ...querySettingsFromConfig(config),
    host: config.host,
    reader: spanStore,
    accessLogReader: accessLogStore,
    graph: {
      reader: new ElasticsearchGraphReader({ client: accessLogStore.client, indexPrefix: config.esIndexPrefix }),
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
    components: [asComponent('span-store', spanStore), asComponent('accesslog-store', accessLogStore), query, tempo],
    checks: [{ name: 'elasticsearch', check: async () => (await spanStore.isReady()) && (await accessLogStore.isReady()) }],
    endpoints: () => ({ query: `${config.host}:${query.port}`, tempo: `${config.host}:${tempo.port}` }),
  };
};
