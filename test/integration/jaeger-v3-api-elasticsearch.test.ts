import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll } from 'vitest';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { describeApiV3Suite } from '../support/jaeger-v3-api-suite.js';
import { dropIndexPrefix, uniquePrefix } from './spanstore-elasticsearch-support.js';

let admin: Client;
const prefix = uniquePrefix('apiv3');

beforeAll(async () => {
  await ensureServers(['elasticsearch']);
  admin = new Client({ node: ES_URL });
});
afterAll(async () => {
  await admin?.close();
});

describeApiV3Suite(
  'elasticsearch',
  async () => {
    const store = new ElasticsearchSpanStore({ node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0 });
    return Object.assign(store, { flushForTests: () => store.refresh() });
  },
  async () => dropIndexPrefix(admin, prefix),
);
