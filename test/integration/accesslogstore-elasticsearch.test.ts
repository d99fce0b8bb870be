/**
 * The shared access-log store contract, on a real Elasticsearch. Every test gets its own index
 * prefix (so it starts from an empty store) and an explicit refresh after each write.
 */
import { afterAll, beforeAll } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { describeAccessLogStoreContract, type ContractAccessLogStore } from '../support/accesslogstore-contract.js';
import { dropAccessLogPrefix } from './accesslogstore-elasticsearch-support.js';
import { uniquePrefix } from './spanstore-elasticsearch-support.js';

const prefixes: string[] = [];
let admin: Client;

beforeAll(async () => {
  await ensureServers(['elasticsearch']);
  admin = new Client({ node: ES_URL });
});

afterAll(async () => {
  for (const prefix of prefixes) await dropAccessLogPrefix(admin, prefix);
  await admin?.close();
});

describeAccessLogStoreContract('elasticsearch', async () => {
  // Dropping the previous test's indices as we go keeps the single-node cluster's shard count low.
  for (const prefix of prefixes.splice(0)) await dropAccessLogPrefix(admin, prefix);
  const prefix = uniquePrefix('al-contract');
  prefixes.push(prefix);
  const store = new ElasticsearchAccessLogStore({ node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0 });
  return Object.assign(store, { flushForTests: () => store.refresh() }) satisfies ContractAccessLogStore;
});
