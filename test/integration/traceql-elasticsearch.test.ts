/** The TraceQL store contract on a real Elasticsearch, under an index prefix of its own. */
import { afterAll, beforeAll } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import type { ContractStore } from '../support/spanstore-contract.js';
import { dropIndexPrefix, uniquePrefix } from './spanstore-elasticsearch-support.js';
import { describeTraceqlContract } from '../support/traceql-contract.js';

const prefix = uniquePrefix('traceql');
let admin: Client;

beforeAll(async () => {
  await ensureServers(['elasticsearch']);
  admin = new Client({ node: ES_URL });
});

afterAll(async () => {
  await dropIndexPrefix(admin, prefix);
  await admin?.close();
});

describeTraceqlContract('elasticsearch', async () => {
  const store = new ElasticsearchSpanStore({ node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0 });
  return Object.assign(store, { flushForTests: () => store.refresh() }) satisfies ContractStore;
});
